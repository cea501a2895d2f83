"""GPIO and I2C on the Cortex-M firmware under QEMU (mps2-an386, -an500, -an505): the
probe's results (the same on every port) against QEMU's own TMP105 on the SBCon
bus, the alarm LED seen in the FPGA I/O register, the capabilities refused at load,
and the differential test: the thermostat example reads the same register and
temperature from QEMU's TMP105, from the simulated board's model and from pywamr's.

QEMU 7.2 models no button input (BUTTON reads 0 and nothing outside the machine
can change it), so inputs are read here but driven only on the other ports."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import board_cli as cli
from tests.device_io import (
    CELSIUS,
    PROBE_EXPECTED,
    THERMOSTAT_LINE,
    check_thermostat_takes_its_threshold_from_config_and_keeps_its_calibration,
    probe_results,
    refused_without,
)
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.gpiofile import TMP105_FILE, set_temperature
from wamr_agent.run import LocalDevices, run_module

Example = Callable[[str], Path]
BOARDS = ["mps2-an386", "mps2-an500", "mps2-an505"]
RAW = re.compile(r"tmp105 raw=0x[0-9a-f]{4} temp=-?\d+\.\d{3} C")


@pytest.fixture(params=BOARDS)
def board(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatedBoard]:
    with EmulatedBoard.start(request.param, workdir=tmp_path / "board") as started:
        yield started


def test_probe_gets_the_results_every_port_gives(board: EmulatedBoard,
                                                 example: Example) -> None:
    board.set_temperature(CELSIUS)
    cli(board, "deploy", str(example("io_probe")))
    board.console.expect(r"probe done")
    assert probe_results(board.console.lines()) == PROBE_EXPECTED


def test_alarm_led_follows_the_temperature(board: EmulatedBoard, example: Example) -> None:
    assert board.board.qemu is not None and board.board.qemu.fpgaio_base is not None
    led0 = board.board.qemu.fpgaio_base  # LED0 is the FPGA I/O block's first register
    board.set_temperature(CELSIUS)
    cli(board, "deploy", str(example("thermostat")))
    board.console.expect(r"thermostat: alarm pin 0 \(0\), button pin 8 \(0\)")
    board.console.expect(THERMOSTAT_LINE.replace(".", r"\."))
    assert board.read_u32(led0) & 1 == 0
    board.set_temperature(30.5)
    board.console.expect(r"\[thermostat\] ALARM on")
    assert board.read_u32(led0) & 1 == 1
    board.set_temperature(-4)
    board.console.expect(r"tmp105 raw=0xfc00 temp=-4\.000 C")
    board.console.expect(r"\[thermostat\] alarm off")
    assert board.read_u32(led0) & 1 == 0


def test_the_thermostat_takes_its_threshold_from_config_and_keeps_its_calibration(
        tmp_path: Path, example: Example) -> None:
    with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "board") as board:
        assert board.board.qemu is not None and board.board.qemu.fpgaio_base is not None
        led0 = board.board.qemu.fpgaio_base
        check_thermostat_takes_its_threshold_from_config_and_keeps_its_calibration(
            board, example("thermostat"), board.set_temperature,
            lambda: board.read_u32(led0) & 1)


def test_a_missing_capability_is_refused_at_load(tmp_path: Path, example: Example) -> None:
    with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "board") as board:
        refused_without(board, example("io_probe"), ["log", "wasi", "i2c"], "gpio",
                        "gpio_config")


def first_reading(lines: list[str]) -> str:
    return next(m[0] for m in map(RAW.search, lines) if m)


@pytest.mark.parametrize("celsius", [CELSIUS, -10.25])
def test_qemu_tmp105_and_our_model_read_the_same(tmp_path: Path, example: Example,
                                                 celsius: float) -> None:
    thermostat = str(example("thermostat"))
    with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "qemu") as qemu:
        qemu.set_temperature(celsius)
        cli(qemu, "deploy", thermostat)
        qemu.console.expect(RAW)
        on_qemu = first_reading(qemu.console.lines())
    with SimulatedBoard.start("esp32", workdir=tmp_path / "sim") as sim:
        set_temperature(sim.workdir / TMP105_FILE, celsius)
        cli(sim, "deploy", thermostat)
        sim.console.expect(RAW)
        on_sim = first_reading(sim.console.lines())
    local = run_module(thermostat, "esp32", repeat=1,
                       devices=LocalDevices(tmp105_celsius=celsius))
    in_pywamr = first_reading([line["text"] for line in local.log])
    assert on_qemu == on_sim == in_pywamr
    if celsius == CELSIUS:
        assert on_qemu == THERMOSTAT_LINE
