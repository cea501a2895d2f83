"""The firmware's flash budget: 128 KiB on every mps2 board (the project's rule;
docs/boards.md says what each feature costs). Reads the images `make firmware`
built (`make test` builds them first)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT, need

BUDGET = 128 * 1024
BOARDS = ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505"]


def flash_bytes(elf: str) -> int:
    """Bytes the image puts in flash: its code, read-only data and initialised data."""
    size = shutil.which("arm-none-eabi-size")
    need(size is not None, "arm-none-eabi-size", "run `make setup` (Debian: gcc-arm-none-eabi)")
    assert size is not None
    out = subprocess.run([size, "-A", elf], capture_output=True, text=True, check=True).stdout
    sections = {m[1]: int(m[2]) for m in re.finditer(r"^(\S+)\s+(\d+)\s+\d+$", out, re.M)}
    return sum(sections.get(s, 0) for s in (".text", ".ARM.exidx", ".data"))


@pytest.mark.parametrize("board", BOARDS)
def test_the_firmware_fits_its_flash_budget(board: str) -> None:
    elf = ROOT / "build" / "firmware" / board / "firmware.elf"
    need(elf.is_file(), str(elf), f"run `make firmware BOARD={board}`")
    used = flash_bytes(str(elf))
    assert 100 * 1024 < used <= BUDGET, f"{board}: {used} bytes of flash, budget {BUDGET}"
