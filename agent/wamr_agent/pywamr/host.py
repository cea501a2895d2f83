"""Native functions implemented in Python, and the bridge the C runtime calls.

The runtime calls back through ``extern "Python"`` functions with an integer
handle as context (never a raw Python pointer). An exception raised by a host
method is stored, the call traps, and the exception is re-raised once the
call has returned (see :meth:`HostBridge.reraise`).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from typing import Any

from ..agent_err import AgentErr
from ._loader import ffi, lib
from .devices import DeviceError, I2CDevice, PinBank, default_i2c
from .kvstore import KvStore

STREAMS = {0: "log", 1: "stdout", 2: "stderr"}


class Host:
    """What a running app sees of its device. Subclass and override.

    ``sensor_read`` returns a float, or None when the channel has no data.
    ``gpio`` and ``i2c`` reach ``pins`` and ``i2c_devices`` (devices.py); either may
    raise DeviceError, whose code the app gets. ``kv_*`` reach the keys of app
    ``app_name`` in ``kv`` (kvstore.py; in memory unless given one with a file),
    at most ``kv_quota`` bytes (None: the board's default, set by the Runtime).
    ``config_get`` reads ``config``, the app's configuration pushed from the fleet
    (docs/config.md).
    """

    def __init__(self, kv: KvStore | None = None, app_name: str = "app",
                 kv_quota: int | None = None) -> None:
        self._t0 = time.monotonic_ns()
        self.pins = PinBank()
        self.i2c_devices: dict[tuple[int, int], I2CDevice] = default_i2c()
        self.kv = kv if kv is not None else KvStore()
        self.app_name = app_name
        self.kv_quota = kv_quota
        self.config: dict[str, str] = {}

    def log(self, stream: str, text: str) -> None:
        print(text if stream == "log" else f"[{stream}] {text}", file=sys.stdout)

    def sensor_read(self, channel: int) -> float | None:
        return None

    def telemetry(self, key: str, value: float) -> None:
        print(f"telemetry {key}={value:g}")

    def time_us(self) -> int:
        return (time.monotonic_ns() - self._t0) // 1000

    def sleep_ms(self, ms: int) -> None:
        time.sleep(ms / 1000)

    def random(self, size: int) -> bytes:
        return os.urandom(size)

    def gpio(self, op: int, pin: int, arg: int) -> int:
        """One GPIO operation (enum wa_gpio_op) on a pin the profile allows."""
        return self.pins.op(op, pin, arg)

    def i2c(self, bus: int, addr: int, wr: bytes, rd_len: int) -> bytes:
        """One I2C transaction on an address the profile allows; no device: NACK."""
        device = self.i2c_devices.get((bus, addr))
        if device is None:
            raise DeviceError(AgentErr.NACK, f"no device at bus {bus}, address {addr:#04x}")
        return device.transfer(wr, rd_len)

    def kv_get(self, key: bytes) -> bytes:
        value = self.kv.get(self.app_name, key)
        if value is None:
            raise DeviceError(AgentErr.NOT_FOUND, f"no key {key!r}")
        return value

    def kv_set(self, key: bytes, value: bytes) -> None:
        self.kv.set(self.app_name, key, value, self.kv_quota or 0)

    def kv_delete(self, key: bytes) -> None:
        self.kv.delete(self.app_name, key)

    def config_get(self, key: bytes) -> bytes:
        """The value of configuration ``key`` (in ``config``)."""
        value = self.config.get(key.decode("utf-8", "replace"))
        if value is None:
            raise DeviceError(AgentErr.NOT_FOUND, f"no configuration key {key!r}")
        return value.encode()


class HostBridge:
    """Owns one host's C ops struct and its slot in the handle table."""

    _handles: dict[int, HostBridge] = {}  # noqa: RUF012 - the process-wide slab
    _next = itertools.count(1)

    def __init__(self, host: Host) -> None:
        self.host = host
        self.pending: BaseException | None = None
        self.handle = next(HostBridge._next)
        HostBridge._handles[self.handle] = self
        self.ops: Any = ffi.new("wa_host_ops_t *")
        self.ops.ctx = ffi.cast("void *", self.handle)
        self.ops.log = lib.py_log
        self.ops.sensor_read = lib.py_sensor_read
        self.ops.telemetry = lib.py_telemetry
        self.ops.time_us = lib.py_time_us
        self.ops.sleep_ms = lib.py_sleep_ms
        self.ops.random = lib.py_random
        self.ops.gpio = lib.py_gpio
        self.ops.i2c = lib.py_i2c
        self.ops.kv = lib.py_kv

    def close(self) -> None:
        HostBridge._handles.pop(self.handle, None)

    def reraise(self) -> None:
        """Re-raises an exception a host method raised during the last call."""
        pending, self.pending = self.pending, None
        if pending is not None:
            raise pending

    @classmethod
    def of(cls, ctx: Any) -> HostBridge:
        return cls._handles[int(ffi.cast("uintptr_t", ctx))]

    def allow(self, gpio_pins: tuple[int, ...], i2c: tuple[tuple[int, int], ...]) -> None:
        """What the app's gpio and i2c may reach (the board profile's [gpio], [i2c])."""
        self.ops.io.gpio_pins = sum(1 << pin for pin in gpio_pins)
        self.ops.io.i2c_count = len(i2c)
        for i, (bus, addr) in enumerate(i2c):
            self.ops.io.i2c[i] = bus << 8 | addr

    def guard(self, fn: Any, *args: Any) -> Any:
        """Runs a host method; on exception stores it and returns None (a
        DeviceError is returned: its code goes to the app)."""
        try:
            return fn(*args)
        except DeviceError as exc:
            return exc
        except BaseException as exc:  # stored and re-raised after the call
            self.pending = self.pending or exc
            return None


def _text(ptr: Any, size: int) -> str:
    return bytes(ffi.buffer(ptr, size)).decode("utf-8", "replace")


def _status(bridge: HostBridge) -> int:
    return int(AgentErr.TRAP_HOST) if bridge.pending else 0


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_log(ctx: Any, stream: int, msg: Any, size: int) -> int:
    bridge = HostBridge.of(ctx)
    bridge.guard(bridge.host.log, STREAMS.get(stream, "log"), _text(msg, size))
    return _status(bridge)


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_sensor_read(ctx: Any, channel: int, value: Any) -> int:
    bridge = HostBridge.of(ctx)
    got = bridge.guard(bridge.host.sensor_read, channel)
    if bridge.pending:
        return int(AgentErr.TRAP_HOST)
    if got is None:
        return int(AgentErr.NOT_FOUND)
    value[0] = float(got)
    return 0


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_telemetry(ctx: Any, key: Any, key_len: int, value: float) -> int:
    bridge = HostBridge.of(ctx)
    bridge.guard(bridge.host.telemetry, _text(key, key_len), value)
    return _status(bridge)


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_time_us(ctx: Any) -> int:
    bridge = HostBridge.of(ctx)
    got = bridge.guard(bridge.host.time_us)
    return int(got) if got is not None else 0


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_sleep_ms(ctx: Any, ms: int) -> int:
    bridge = HostBridge.of(ctx)
    bridge.guard(bridge.host.sleep_ms, ms)
    return _status(bridge)


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_random(ctx: Any, buf: Any, size: int) -> int:
    bridge = HostBridge.of(ctx)
    got = bridge.guard(bridge.host.random, size)
    if got is None or len(got) != size:
        return int(AgentErr.TRAP_HOST) if bridge.pending else int(AgentErr.INVALID_ARG)
    ffi.memmove(buf, got, size)
    return 0


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_gpio(ctx: Any, op: int, pin: int, arg: int, out: Any) -> int:
    bridge = HostBridge.of(ctx)
    got = bridge.guard(bridge.host.gpio, op, pin, arg)
    if isinstance(got, DeviceError):
        return int(got.code)
    if bridge.pending or got is None:
        return int(AgentErr.TRAP_HOST)
    out[0] = int(got)
    return 0


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_i2c(ctx: Any, bus: int, addr: int, wr: Any, wr_len: int, rd: Any, rd_len: int) -> int:
    bridge = HostBridge.of(ctx)
    data = bytes(ffi.buffer(wr, wr_len)) if wr_len else b""
    got = bridge.guard(bridge.host.i2c, bus, addr, data, rd_len)
    if isinstance(got, DeviceError):
        return int(got.code)
    if bridge.pending or not isinstance(got, bytes) or len(got) != rd_len:
        return int(AgentErr.TRAP_HOST) if bridge.pending else int(AgentErr.IO)
    if rd_len:
        ffi.memmove(rd, got, rd_len)
    return 0


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_kv(ctx: Any, op: int, key: Any, key_len: int, val: Any, size: int, out: Any) -> int:
    bridge = HostBridge.of(ctx)
    name = bytes(ffi.buffer(key, key_len))
    if op == lib.WA_KV_OP_GET:
        got = bridge.guard(bridge.host.kv_get, name)
    elif op == lib.WA_KV_OP_CONFIG_GET:
        got = bridge.guard(bridge.host.config_get, name)
    elif op == lib.WA_KV_OP_SET:
        got = bridge.guard(bridge.host.kv_set, name, bytes(ffi.buffer(val, size)) if size else b"")
    else:
        got = bridge.guard(bridge.host.kv_delete, name)
    if isinstance(got, DeviceError):
        return int(got.code)
    if bridge.pending:
        return int(AgentErr.TRAP_HOST)
    if isinstance(got, bytes):
        ffi.memmove(val, got[:size], min(size, len(got)))
        out[0] = len(got)
    return 0
