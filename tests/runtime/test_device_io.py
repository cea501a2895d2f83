"""GPIO and I2C through the real runtime in pywamr (and `wamr-agent run`): every
call, the board profile's limits (WA_ERR_DENIED), NACK from an absent address, the
capabilities refused at load, and our TMP105 model against its datasheet."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.device_io import CELSIUS, DENIED, NACK, PROBE_EXPECTED, THERMOSTAT_LINE, probe_results
from tests.runtime.hosts import Lines
from wamr_agent.agent_err import AgentErr
from wamr_agent.boards import load_board
from wamr_agent.cli import app as cli_app
from wamr_agent.errors import LinkError, Trap
from wamr_agent.gpiofile import PinDriver
from wamr_agent.pywamr import DeviceError, Instance, Module, Runtime, Tmp105
from wamr_agent.run import LocalDevices, run_module

Wat = Callable[[str], bytes]
Example = Callable[[str], Path]
IN, OUT, RISING, FALLING = 0, 1, 2, 4


@pytest.fixture
def io(wat: Wat) -> Iterator[Instance]:
    with Runtime("esp32").instantiate(Module(wat("device_io")), Lines()) as instance:
        yield instance


def test_probe_gets_the_results_every_port_gives(example: Example) -> None:
    host = Lines()
    host.i2c_devices[(0, 0x48)] = Tmp105(CELSIUS)
    with Runtime("esp32").instantiate(Module.from_file(example("io_probe")), host) as app:
        app.call("setup")
    assert probe_results(host.lines) == PROBE_EXPECTED
    assert host.pins.output(1) == 0 and host.pins.mode(9) == IN | RISING | FALLING


def test_outputs_are_observed_and_inputs_driven_with_edges(io: Instance) -> None:
    pins = io.host.pins
    assert io.call("gpio_config", 0, OUT) == 0 and io.call("gpio_write", 0, 7) == 0
    assert pins.output(0) == 1 and pins.writes == [(0, 1)]
    assert io.call("gpio_config", 8, IN | RISING) == 0
    assert io.call("gpio_config", 9, IN | FALLING) == 0
    for level in (1, 0, 1, 0, 1):
        pins.set_input(8, level)
        pins.set_input(9, level)
    assert (io.call("gpio_read", 8), io.call("gpio_edges", 8)) == (1, 3)
    assert (io.call("gpio_read", 9), io.call("gpio_edges", 9)) == (1, 2)
    assert io.call("gpio_edges", 8) == 0  # read and cleared
    pins.set_input(8, 0)
    assert io.call("gpio_config", 8, IN | RISING) == 0  # a new config clears the count
    pins.set_input(8, 1)
    assert io.call("gpio_edges", 8) == 1


def test_pins_outside_the_profile_are_denied(io: Instance) -> None:
    for pin in (2, 31, 32, -1, 1 << 30):
        assert io.call("gpio_config", pin, OUT) == DENIED
        assert io.call("gpio_read", pin) == DENIED
    assert io.call("gpio_config", 0, OUT | RISING) == -AgentErr.INVALID_ARG
    assert io.host.pins.mode(0) is None  # refused before the host saw it


def test_i2c_reads_the_model_and_refuses_other_buses_and_addresses(io: Instance) -> None:
    assert io.call("i2c_read", 0, 0x48, 0, 2) == 0x1900  # 25.0 degC at power-up
    assert io.call("i2c_read", 1, 0x48, 0, 2) == DENIED
    assert io.call("i2c_read", 0, 0x4A, 0, 2) == DENIED
    assert io.call("i2c_read", 0, 0x49, 0, 2) == NACK  # allowed, but nothing answers
    assert io.call("i2c_read", 0, 0x48, 0, 65) == -AgentErr.INVALID_ARG
    with pytest.raises(Trap, match="outside linear memory"):
        io.call("i2c_out_of_bounds")
    assert io.call("gpio_config", 0, OUT) == 0
    with pytest.raises(Trap, match=r"gpio_read: buffer .* outside linear memory"):
        io.call("gpio_read_out_of_bounds")


def test_host_errors_become_codes_and_exceptions_traps(io: Instance) -> None:
    class Failing:
        def transfer(self, wr: bytes, rd_len: int) -> bytes:
            raise DeviceError(AgentErr.IO, "bus stuck")

    io.host.i2c_devices[(0, 0x48)] = Failing()
    assert io.call("i2c_read", 0, 0x48, 0, 2) == -AgentErr.IO

    class Broken:
        def transfer(self, wr: bytes, rd_len: int) -> bytes:
            raise RuntimeError("model bug")

    io.host.i2c_devices[(0, 0x48)] = Broken()
    with pytest.raises(RuntimeError, match="model bug"):
        io.call("i2c_read", 0, 0x48, 0, 2)


@pytest.mark.parametrize(("grants", "missing"), [(["log", "wasi", "gpio"], "i2c"),
                                                 (["log", "wasi", "i2c"], "gpio")])
def test_a_missing_capability_is_refused_at_load(example: Example, grants: list[str],
                                                 missing: str) -> None:
    with pytest.raises(LinkError, match=f"needs capability '{missing}', which is not granted"):
        Runtime("esp32", grants=grants).instantiate(Module.from_file(example("io_probe")))


def test_a_board_without_device_io_denies_everything(wat: Wat) -> None:
    bare = dataclasses.replace(load_board("esp32"), gpio_pins=(), i2c=())
    with Runtime(bare).instantiate(Module(wat("device_io"))) as io:
        assert io.call("gpio_config", 0, OUT) == DENIED
        assert io.call("i2c_read", 0, 0x48, 0, 2) == DENIED


@pytest.mark.parametrize(("config", "celsius", "raw"), [
    (0x00, 23.5, 0x1780), (0x00, 23.625, 0x1780), (0x20, 23.625, 0x1780),
    (0x40, 23.625, 0x17A0), (0x60, 23.625, 0x17A0), (0x60, 23.999, 0x17F0),
    (0x60, -25.0, 0xE700), (0x60, 0.125, 0x0020), (0x60, -0.125, 0xFFE0),
    (0x00, -0.125, 0xFF80), (0x00, 127.9, 0x7F80), (0x60, 200.0, 0x7FF0)])
def test_tmp105_model_follows_the_datasheet(config: int, celsius: float, raw: int) -> None:
    part = Tmp105(celsius)
    part.transfer(bytes([1, config]), 0)
    assert part.transfer(b"\x01", 1) == bytes([config])
    assert part.transfer(b"\x00", 2) == raw.to_bytes(2, "big")
    assert part.transfer(b"", 4) == raw.to_bytes(2, "big") * 2  # the pointer stays


def test_tmp105_limits_are_registers_too() -> None:
    part = Tmp105()
    assert part.transfer(b"\x02", 2) == b"\x4b\x00" and part.transfer(b"\x03", 2) == b"\x50\x00"
    part.transfer(b"\x02\x1e\x0f", 0)  # T_LOW 30 degC; the low nibble is not stored
    assert part.transfer(b"\x02", 2) == b"\x1e\x00"
    part.transfer(b"\x00\x12\x34", 0)  # the temperature register is read-only
    assert part.transfer(b"\x00", 2) == b"\x19\x00"


@pytest.mark.parametrize("board", ["esp32", "esp32-c3", "nrf52840", "stm32f4"])
def test_every_simulated_board_profile_allows_the_example_pins_and_sensor(
        example: Example, board: str) -> None:
    hot = run_module(example("thermostat"), board, devices=LocalDevices(tmp105_celsius=31))
    assert "tmp105 raw=0x1f00 temp=31.000 C" in [line["text"] for line in hot.log]
    assert "ALARM on" in [line["text"] for line in hot.log]
    assert hot.gpio[-1] == {"pin": 0, "level": 1}


def test_run_reads_pins_and_temperature(example: Example, tmp_path: Path) -> None:
    report = run_module(example("thermostat"), "esp32", repeat=2,
                        devices=LocalDevices(tmp105_celsius=CELSIUS))
    assert THERMOSTAT_LINE in [line["text"] for line in report.log]
    hot = run_module(example("thermostat"), "esp32", devices=LocalDevices(tmp105_celsius=31))
    assert "ALARM on" in [line["text"] for line in hot.log]
    assert hot.gpio[-1] == {"pin": 0, "level": 1}

    gpio_in = tmp_path / "gpio.in"
    PinDriver(gpio_in).set(8, 0)
    result = CliRunner().invoke(cli_app, ["run", str(example("thermostat")), "--gpio",
                                          str(gpio_in), "--tmp105", "-10.25", "--repeat", "3"])
    assert result.exit_code == 0, result.output
    assert "tmp105 raw=0xf580 temp=-10.500 C" in result.stdout  # 9 bits: down to -10.5
    assert "gpio 0=0" in result.stdout and "button:" not in result.stdout
