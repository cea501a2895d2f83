"""firmware/core/agent/wa_kv.c, the key-value store: its driver
(firmware/tests/wa_kv_test.c: the calls and their errors, two apps' keys
apart, quotas, drops, wear spread over the pages, and a power cut before,
during and after every flash operation of 200 kv_set calls, compactions
included, and again during the next open's repair) built with the host
compiler (also under ASan and UBSan) and run; the file builds for the
Cortex-M cores with -Werror."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import (
    CORTEX_M,
    HOST_BUILDS,
    build_driver,
    build_for_cortex_m,
    run_driver,
)

CORE = ROOT / "firmware" / "core"
INCLUDES = [f"-I{CORE / d}" for d in ("agent", "port", "runtime")]


def board_header(tmp_path: Path) -> list[str]:
    """A wa_board.h for the layout: four slots of one 4 KiB page of module."""
    (tmp_path / "wa_board.h").write_text("#define WA_BOARD_BUDGET_MODULE_BYTES 4096u\n"
                                         "#define WA_BOARD_APP_FLASH_BYTES 61440u\n")
    return [f"-I{tmp_path}", *INCLUDES, "-D_DEFAULT_SOURCE"]


@pytest.mark.parametrize("flags", HOST_BUILDS.values(), ids=HOST_BUILDS.keys())
def test_c_kv_passes_its_driver(flags: list[str], tmp_path: Path) -> None:
    sources = [ROOT / "firmware" / "tests" / "wa_kv_test.c", CORE / "agent" / "wa_kv.c",
               CORE / "agent" / "wa_store.c", CORE / "port" / "wa_flash_faults.c",
               CORE / "port" / "wa_flash_rules.c", CORE / "runtime" / "wa_crc32.c"]
    exe = build_driver(tmp_path / "wa_kv_test", sources, [*flags, *board_header(tmp_path)])
    out = run_driver(exe)
    assert re.search(r"\d+ checks, 0 failures", out), out
    wear = re.search(r"erases per page (\d+)\.\.(\d+)", out)
    assert wear and int(wear[2]) - int(wear[1]) <= 1, out
    cuts = re.search(r"power cuts: (\d+) cases over 200 kv_set calls, (\d+) of them compacting",
                     out)
    assert cuts and int(cuts[1]) > 2000 and int(cuts[2]) >= 4, out


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    build_for_cortex_m(cpu, CORE / "agent" / "wa_kv.c", tmp_path, board_header(tmp_path))
