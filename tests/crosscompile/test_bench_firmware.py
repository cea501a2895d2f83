"""The benchmark image `make bench` boots (firmware/bench/wa_bench_main.c with the
runtime, the kernels, the AOT cases and the load-time bench) still builds: it is
not part of the agent's firmware, so nothing else in `make test` compiles it,
and a change to a runtime header once broke it unseen."""

from __future__ import annotations

import shutil
import subprocess

from tests.conftest import BUILD, ROOT, need


def test_the_bench_image_builds() -> None:
    for tool in ("arm-none-eabi-gcc", "wasm2c", "wat2wasm"):
        need(shutil.which(tool) is not None, tool, "run `make setup` (Debian: "
             "gcc-arm-none-eabi, wabt)")
    made = subprocess.run(["make", "-s", "bench-firmware", "BOARD=mps2-an386"], cwd=ROOT,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    assert (BUILD / "benchfw" / "mps2-an386" / "firmware.elf").is_file()
