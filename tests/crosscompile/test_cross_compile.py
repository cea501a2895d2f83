"""The runtime is device code: it must build for every Cortex-M core the
emulated boards use, with -Werror on our files and the shared engine flags."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, load_tool, need
from tests.crosscompile.ctools import arm_gcc


@pytest.mark.parametrize("cpu", ["cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33"])
def test_runtime_builds_for_cortex_m(cpu: str) -> None:
    arm_gcc()
    need((ROOT / "build" / "deps" / "wasm3" / "wasm3.h").exists(), "wasm3 sources",
         "run `make deps`")
    sizes = load_tool("runtime_size").measure(cpu)
    ours = {s.source.rsplit("/", 1)[-1] for s in sizes if not s.third_party}
    assert {"wa_runtime.c", "wa_wasm.c", "wa_engine_wasm3.c", "wa_wasi.c"} <= ours
    assert all(s.text > 0 for s in sizes if s.source.endswith("wa_runtime.c"))


def test_a_warning_in_our_code_fails_the_build() -> None:
    arm_gcc()
    tool = load_tool("runtime_size")
    bad = ROOT / "build" / "xc-warning-probe.c"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text('#include <stdio.h>\nint f(unsigned long x){return printf("%u", x);}\n')
    try:
        with pytest.raises(tool.CrossCompileError, match="does not build"):
            tool.compile_one(bad, False, "cortex-m4", ROOT / "build" / "xc-warning-probe.o")
    finally:
        bad.unlink()
