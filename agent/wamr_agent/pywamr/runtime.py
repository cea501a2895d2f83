"""Runtime (a board's budget and grants), Instance (a running app)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..agent_err import AgentErr
from ..app_config import NOT_GRANTED, ConfigState
from ..boards import Board, load_board
from ..capabilities import grant_mask, grant_names
from ..errors import BoardError, CallError, InboxFull, LinkError
from ..messages import check_message
from ._loader import ffi, lib
from .errors import error_for, raise_for
from .f32 import f32_bits_of_nan, float_from_f32_bits
from .host import Host, HostBridge
from .module import Module

MAX_RESULTS = 8
MAX_ARGS = 16
_TYPES = {"i": "i32", "I": "i64", "f": "f32", "F": "f64"}


@dataclass(frozen=True)
class MemoryStats:
    """RAM and CPU figures of one instance, in bytes and ticks."""

    heap_limit: int
    heap_used: int
    heap_peak: int
    linear_memory: int
    stack: int
    module_bytes: int
    ticks_last_call: int
    calls: int
    traps: int
    module_ram: int = 0
    """Of module_bytes, held in RAM: a copy the runtime made (0: read in place)."""

    @property
    def engine_overhead(self) -> int:
        """Heap in use beyond linear memory and stack: compiled code, metadata."""
        return self.heap_used - self.linear_memory - self.stack


class Runtime:
    """A board's budget and the grants for the modules it runs."""

    def __init__(self, board: str | Board = "esp32", *, grants: Iterable[str] | None = None,
                 cpu_ticks: int | None = None) -> None:
        self.board = board if isinstance(board, Board) else load_board(board)
        if not self.board.supported:
            raise BoardError(self.board.unsupported_reason or f"{self.board.name} is unsupported")
        self.grants = grant_mask(grants)
        b = self.board.budget
        self.budget: Any = ffi.new("wa_budget_t *", {
            "module_bytes": b.module_bytes, "linear_memory_bytes": b.linear_memory_bytes,
            "stack_bytes": b.stack_bytes, "heap_bytes": b.heap_bytes,
            "cpu_ticks": b.cpu_ticks if cpu_ticks is None else cpu_ticks})

    @staticmethod
    def engine_heap_live() -> int:
        """Bytes the engine holds now, every instance of this process together:
        what is left once every instance is closed is a leak."""
        return int(lib.wa_heap_live())

    @property
    def granted(self) -> list[str]:
        return grant_names(self.grants)

    def check(self, module: Module) -> None:
        """Raises FitError or LinkError if the module cannot run here."""
        err = ffi.new("wa_error_t *")
        if lib.wa_check_fit(self.budget, module.data, len(module.data), ffi.NULL, err) != 0:
            raise_for(err)
        if lib.wa_check_imports(self.grants, module.data, len(module.data), err) != 0:
            raise_for(err)

    def instantiate(self, module: Module, host: Host | None = None) -> Instance:
        return Instance(self, module, host or Host())


class Instance:
    """A loaded, linked and started module. Close it (or use ``with``)."""

    def __init__(self, runtime: Runtime, module: Module, host: Host) -> None:
        self.runtime = runtime
        self.module = module  # keeps module.data alive: the runtime reads it in place
        if host.kv_quota is None:
            host.kv_quota = runtime.board.kv_quota
        self._bridge = HostBridge(host)
        self._bridge.allow(runtime.board.gpio_pins, runtime.board.i2c)
        err = ffi.new("wa_error_t *")
        app = lib.wa_app_load(runtime.budget, runtime.grants, self._bridge.ops, module.data,
                              len(module.data), err)
        if app == ffi.NULL:
            self._bridge.close()
            self._bridge.reraise()
            raise_for(err)
        self._app: Any = app
        self._args: Any = ffi.new("wa_value_t[]", MAX_ARGS)
        self._results: Any = ffi.new("wa_value_t[]", MAX_RESULTS)
        self._nres: Any = ffi.new("uint32_t *")
        self._err: Any = err
        self.config_version = 0  # of host.config, as set_config counts it
        self.config_applied = 0  # the last version on_config accepted

    @property
    def host(self) -> Host:
        return self._bridge.host

    def _live(self) -> Any:
        if self._app is None:
            raise ValueError("instance is closed")
        return self._app

    def call(self, name: str, *args: int | float) -> Any:
        """Calls an export; returns None, one value, or a tuple of values."""
        app = self._live()
        export = self.module.export(name)
        if export is None:
            raise CallError(f"the module exports no function {name!r}; it exports: "
                            f"{', '.join(self.exports) or 'none'}")
        _to_values(name, export.sig, args, self._args)
        raw = name.encode()  # with its length: a name may hold a NUL
        rc = lib.wa_app_call_export(app, raw, len(raw), self._args, len(args), self._results,
                                    MAX_RESULTS, self._nres, self._err)
        self._bridge.reraise()
        if rc != 0:
            raise_for(self._err)
        count = self._nres[0]
        if count == 0:
            return None
        if count == 1:
            return _from_value(self._results[0])
        return tuple(_from_value(self._results[i]) for i in range(count))

    def set_config(self, values: Mapping[str, str], unset: Iterable[str] = (), *,
                   name: str = "") -> ConfigState:
        """As ``wamr-agent config set`` on a device (docs/config.md): ``values`` set and
        ``unset`` removed in ``host.config`` (what config_get reads) as its next version,
        then on_config(version) called when the module exports it (a trap raises, as
        any call's). Its result: applied (0, or no on_config) or rejected (the code).
        LinkError (WA_ERR_NOT_GRANTED) without the config grant."""
        if not self.runtime.grants & lib.WA_CAP_CONFIG:
            raise LinkError(f"app not granted 'config': {NOT_GRANTED[AgentErr.NOT_GRANTED]}",
                            AgentErr.NOT_GRANTED)
        config = self.host.config
        config.update(values)
        for key in unset:
            config.pop(key, None)
        self.config_version += 1
        version = self.config_version
        result = self.call("on_config", version) if self.module.export("on_config") else 0
        code = result if isinstance(result, int) else 0
        self.config_applied = version if code == 0 else self.config_applied
        return ConfigState(name, version, self.config_applied,
                           "applied" if code == 0 else "rejected", code, dict(config))

    def timer_wait_ms(self) -> int | None:
        """Milliseconds until the earliest armed timer expires (0: expired; timers
        count the host's ``time_us`` in whole ms), or None when none is armed."""
        wait = int(lib.wa_app_timer_wait(self._live()))
        return None if wait == 2**32 - 1 else wait

    def take_event(self) -> tuple[str, tuple[int, ...]] | None:
        """The callback due now, as the device agent picks it: an expired timer
        (``("on_timer", (id,))``; the timer is re-armed or disarmed), else a queued
        message not announced yet (``("on_message", (len,))``), else, when the
        module exports on_gpio, an input's counted edges (``("on_gpio", (pin,
        level))``); None when nothing is due. The caller makes the call."""
        app = self._live()
        out = ffi.new("uint32_t[2]")
        if lib.wa_app_timer_take(app, ffi.cast("int32_t *", out)):
            return "on_timer", (int(ffi.cast("int32_t *", out)[0]),)
        if lib.wa_app_msg_take(app, out):
            return "on_message", (int(out[0]),)
        if self.module.export("on_gpio") and lib.wa_app_gpio_take(app, out, out + 1):
            return "on_gpio", (int(out[0]), int(out[1]))
        return None

    def send(self, data: bytes) -> None:
        """Queues message ``data`` in the app's inbox, as the device does for
        `wamr-agent send` (its on_message is then due: ``take_event``). CallError
        when the module exports no on_message, InboxFull when the inbox has no room,
        UsageError above MESSAGE_MAX bytes (:mod:`wamr_agent.messages`)."""
        app = self._live()
        if self.module.export("on_message") is None:
            raise CallError("the module exports no on_message: it takes no messages",
                            AgentErr.NO_EXPORT)
        rc = lib.wa_app_msg_put(app, check_message(data), len(data))
        if rc == AgentErr.NO_MEMORY:
            raise InboxFull(f"the app's inbox is full ({lib.WA_APP_INBOX} bytes): it has not "
                            "read the earlier messages (msg_read)")

    def gpio_watched(self) -> bool:
        """Whether an input of the app counts edges (on_gpio events are sampled)."""
        return bool(lib.wa_app_gpio_watched(self._live()))

    @property
    def exports(self) -> list[str]:
        return [e.name for e in self.module.info.exports if e.kind == "func"]

    def stats(self) -> MemoryStats:
        s = ffi.new("wa_stats_t *")
        lib.wa_app_stats(self._live(), s)
        return MemoryStats(s.heap_limit, s.heap_used, s.heap_peak, s.linear_memory_bytes,
                           s.stack_bytes, s.module_bytes, s.ticks_last_call, s.calls, s.traps,
                           s.module_ram_bytes)

    def close(self) -> None:
        """Frees the app. Safe to call twice."""
        if self._app is not None:
            lib.wa_app_free(self._app)
            self._app = None
            self._bridge.close()

    def __enter__(self) -> Instance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_app", None) is not None:
            self.close()


def _params(sig: str) -> str:
    return sig[sig.index("(") + 1 : -1] if "(" in sig else ""


def _to_values(name: str, sig: str, args: tuple[int | float, ...], values: Any) -> None:
    """Checks args against the signature and writes them into values."""
    params = _params(sig)
    if len(args) != len(params):
        kinds = ", ".join(_TYPES.get(p, p) for p in params) or "none"
        raise CallError(f"{name!r} takes {len(params)} argument(s) ({kinds}), got {len(args)}")
    if len(args) > MAX_ARGS:
        raise CallError(f"{name!r} has {len(args)} parameters; at most {MAX_ARGS} are supported")
    for i, (p, a) in enumerate(zip(params, args, strict=True)):
        values[i].type = p.encode()
        _set_value(values[i], p, a, name, i)


def _set_value(v: Any, p: str, a: int | float, name: str, i: int) -> None:
    if p in "iI":
        if isinstance(a, bool) or not isinstance(a, int):
            raise CallError(f"{name!r} argument {i + 1} must be an integer ({_TYPES[p]}), "
                            f"got {a!r}")
        bits = 32 if p == "i" else 64
        if not -(1 << (bits - 1)) <= a < (1 << bits):
            raise CallError(f"{name!r} argument {i + 1} does not fit {_TYPES[p]}: {a}")
        wrapped = a - (1 << bits) if a >= (1 << (bits - 1)) else a
        setattr(v.of, "i32" if p == "i" else "i64", wrapped)
    elif p in "fF":
        if isinstance(a, bool) or not isinstance(a, int | float):
            raise CallError(f"{name!r} argument {i + 1} must be a number ({_TYPES[p]}), "
                            f"got {a!r}")
        if p == "f" and math.isnan(a):
            v.of.i32 = _signed32(f32_bits_of_nan(float(a)))  # C's narrowing would quiet it
        else:
            setattr(v.of, "f32" if p == "f" else "f64", float(a))
    else:
        raise CallError(f"{name!r} has a parameter of unsupported type {p!r}")


def _signed32(bits: int) -> int:
    return bits - (1 << 32) if bits & 0x80000000 else bits


def _from_value(v: Any) -> int | float:
    t = v.type.decode()
    if t == "f":
        return float_from_f32_bits(v.of.i32)  # bit for bit, NaNs too
    return {"i": v.of.i32, "I": v.of.i64, "f": v.of.f32, "F": v.of.f64}[t]  # type: ignore[no-any-return]


__all__ = ["Instance", "MemoryStats", "Runtime", "error_for"]
