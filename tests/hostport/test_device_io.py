"""GPIO and I2C on a simulated esp32: the probe's results (the same on every port),
the thermostat example driven through the board's files (tmp105.mdeg, gpio.in)
and observed in gpio.out, and the capabilities refused at load on the device."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import board_cli as cli
from tests.device_io import (
    CELSIUS,
    PROBE_EXPECTED,
    THERMOSTAT_LINE,
    check_thermostat_takes_its_threshold_from_config_and_keeps_its_calibration,
    probe_results,
    refused_without,
)
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.gpiofile import (
    GPIO_IN,
    GPIO_OUT,
    TMP105_FILE,
    PinDriver,
    read_outputs,
    set_temperature,
)

Example = Callable[[str], Path]


def test_probe_gets_the_results_every_port_gives(esp32: SimulatedBoard,
                                                 example: Example) -> None:
    set_temperature(esp32.workdir / TMP105_FILE, CELSIUS)
    cli(esp32, "deploy", str(example("io_probe")))
    esp32.console.expect(r"probe done")
    assert probe_results(esp32.console.lines()) == PROBE_EXPECTED
    # configured pins: 1 an output left low, 9 an input counting both edges
    assert read_outputs(esp32.workdir / GPIO_OUT) == {1: (1, 0), 9: (6, 0)}


def test_thermostat_follows_the_sensor_and_counts_button_edges(esp32: SimulatedBoard,
                                                               example: Example) -> None:
    temperature = esp32.workdir / TMP105_FILE
    set_temperature(temperature, CELSIUS)
    cli(esp32, "deploy", str(example("thermostat")))
    esp32.console.expect(THERMOSTAT_LINE.replace(".", r"\."))
    assert read_outputs(esp32.workdir / GPIO_OUT)[0] == (1, 0)
    set_temperature(temperature, 30.5)
    esp32.console.expect(r"\[thermostat\] ALARM on")
    assert read_outputs(esp32.workdir / GPIO_OUT)[0] == (1, 1)
    set_temperature(temperature, 20)
    esp32.console.expect(r"\[thermostat\] alarm off")
    assert read_outputs(esp32.workdir / GPIO_OUT)[0] == (1, 0)

    button = PinDriver(esp32.workdir / GPIO_IN)
    for level in (1, 0, 1):
        button.set(8, level)
    esp32.console.expect(r"button: 3 edges, level 1")


def test_a_missing_capability_is_refused_at_load(esp32: SimulatedBoard,
                                                 example: Example) -> None:
    refused_without(esp32, example("io_probe"), ["log", "wasi", "gpio"], "i2c",
                    "i2c_transfer")


def test_the_thermostat_takes_its_threshold_from_config_and_keeps_its_calibration(
        esp32: SimulatedBoard, example: Example) -> None:
    check_thermostat_takes_its_threshold_from_config_and_keeps_its_calibration(
        esp32, example("thermostat"),
        lambda celsius: set_temperature(esp32.workdir / TMP105_FILE, celsius),
        lambda: read_outputs(esp32.workdir / GPIO_OUT)[0][1])
