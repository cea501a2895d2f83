"""A Cortex-M firmware built without the AOT loader (`make firmware
FW_EXTRA_CFLAGS=-DWA_AOT_SUPPORTED=0`, into its own directory) says so in its
device status (``aot_abi`` 0), runs a signed bundle's AOT code interpreted, and
`deploy`'s RAM pre-flight of that bundle is the interpreter's estimate, not the
AOT loader's the board's CPU alone would suggest (which is far smaller: it
would send bundles the device has no RAM for)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT, need_aot_tools
from tests.qemu.signed_bundle import build_signed
from tests.tamper import TEST_KEY
from wamr_agent import deploy as deploying
from wamr_agent.device_fit import estimate_interpreted, estimate_payload
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.payload import load_payload

BOARD = "mps2-an386"
OUT = "build/fw-no-aot"


def firmware_without_aot() -> Path:
    subprocess.run(["make", "-s", "firmware", f"BOARD={BOARD}", f"FIRMWARE_OUT={OUT}",
                    "FW_EXTRA_CFLAGS=-DWA_AOT_SUPPORTED=0"], cwd=ROOT, check=True,
                   capture_output=True)
    return ROOT / OUT / BOARD / "firmware.elf"


def test_aot_code_on_a_firmware_without_aot_is_estimated_and_run_interpreted(
        example: Callable[[str], Path], tmp_path: Path) -> None:
    need_aot_tools()
    bundle = tmp_path / "sensor.wab"
    built = build_signed(example("sensor"), [BOARD], bundle, "--aot")
    assert built.exit_code == 0 and "AOT code for cortex-m4" in built.output, built.output
    _, payload = load_payload(bundle, BOARD, None)
    by_board = estimate_payload(bundle, BOARD, payload)
    interpreted = estimate_interpreted(bundle, BOARD, payload)
    assert by_board.aot == "cortex-m4" and by_board.total < interpreted.total

    with EmulatedBoard.start(BOARD, firmware=firmware_without_aot(),
                             workdir=tmp_path / "board") as device:
        said = deploying.status(BOARD, device.mgmt_address)
        assert (said.aot_abi, said.kids) == (0, (TEST_KEY.kid.hex(),))  # type: ignore[union-attr]
        report = deploying.deploy(bundle, BOARD, device.mgmt_address)
        assert report.life == "confirmed", report
        assert report.ram_estimate == interpreted.total, (report.ram_estimate, by_board)
        app = deploying.status(BOARD, device.mgmt_address, "sensor")
        assert app.aot is False  # type: ignore[union-attr]
        device.console.expect(r"app sensor installed \(\d+ bytes, slot 0, bundle seq \d+\)")
