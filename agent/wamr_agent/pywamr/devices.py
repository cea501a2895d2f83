"""Device I/O a local run gives an app (docs/device-api.md): a bank of GPIO pins a
test drives and observes, and I2C parts, among them our TMP105 model (the C model
the simulated boards use, ``firmware/core/port/wa_tmp105.c``).

The runtime has already checked a pin or address against the board profile when
these are called; an error they raise as ``DeviceError`` is the code the app gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..agent_err import AgentErr
from ..gpiofile import read_inputs
from ._loader import ffi, lib

OUT = 1
EDGE_RISING = 2
EDGE_FALLING = 4
CONFIG, READ, WRITE, EDGES = range(4)


class DeviceError(Exception):
    """An I/O failure the app sees as a return code (NACK, IO, NOT_SUPPORTED)."""

    def __init__(self, code: AgentErr, message: str = "") -> None:
        super().__init__(message or code.name)
        self.code = code


@dataclass
class _Pin:
    mode: int = -1  # -1: not configured
    level: int = 0  # input level set by the test, or the output level
    rises: int = 0
    falls: int = 0
    seen: tuple[int, int] = (0, 0)


@dataclass
class PinBank:
    """GPIO pins 0-31. ``set_input`` drives an input (counting its edges),
    ``output`` observes an output; ``inputs`` (a gpio.in file) is re-read at every
    operation when set, as the simulated board does."""

    inputs: Path | None = None
    pins: dict[int, _Pin] = field(default_factory=dict)
    writes: list[tuple[int, int]] = field(default_factory=list)

    def _pin(self, pin: int) -> _Pin:
        return self.pins.setdefault(pin, _Pin())

    def set_input(self, pin: int, level: int) -> None:
        p = self._pin(pin)
        level = 1 if level else 0
        if level != p.level:
            p.rises += level
            p.falls += 1 - level
        p.level = level

    def output(self, pin: int) -> int | None:
        p = self.pins.get(pin)
        return p.level if p is not None and p.mode == OUT else None

    def mode(self, pin: int) -> int | None:
        p = self.pins.get(pin)
        return None if p is None or p.mode < 0 else p.mode

    def _load(self) -> None:
        if self.inputs is None:
            return
        for pin, (level, rises, falls) in read_inputs(self.inputs).items():
            p = self._pin(pin)
            if p.mode != OUT:
                p.level, p.rises, p.falls = level, rises, falls

    def _edges(self, p: _Pin) -> int:
        count = (p.rises - p.seen[0] if p.mode & EDGE_RISING else 0) + \
            (p.falls - p.seen[1] if p.mode & EDGE_FALLING else 0)
        p.seen = (p.rises, p.falls)
        return count

    def op(self, op: int, pin: int, arg: int) -> int:
        self._load()
        p = self._pin(pin)
        if op == CONFIG:
            p.mode = arg
            self._edges(p)
        elif op == WRITE:
            p.level = arg
            self.writes.append((pin, arg))
        elif op == READ:
            return p.level
        else:
            return self._edges(p)
        return 0


class I2CDevice(Protocol):
    def transfer(self, wr: bytes, rd_len: int) -> bytes: ...


class Tmp105:
    """Our TMP105 model; ``celsius`` sets what it measures (like QEMU's
    ``temperature`` property, which is in millidegrees)."""

    ADDRESS = 0x48

    def __init__(self, celsius: float = 25.0) -> None:
        self._state: Any = ffi.new("wa_tmp105_t *")
        lib.wa_tmp105_init(self._state, round(celsius * 1000))

    @property
    def celsius(self) -> float:
        return int(self._state.millideg) / 1000

    @celsius.setter
    def celsius(self, value: float) -> None:
        self._state.millideg = round(value * 1000)

    def transfer(self, wr: bytes, rd_len: int) -> bytes:
        rd = ffi.new("uint8_t[]", max(rd_len, 1))
        lib.wa_tmp105_transfer(self._state, wr, len(wr), rd, rd_len)
        return bytes(ffi.buffer(rd, rd_len))


def default_i2c() -> dict[tuple[int, int], I2CDevice]:
    """What a local run has on its I2C buses: the TMP105 at bus 0, 0x48 (as the
    simulated boards and QEMU's mps2 boards); other addresses do not answer."""
    return {(0, Tmp105.ADDRESS): Tmp105()}
