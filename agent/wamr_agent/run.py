"""`wamr-agent run`: run a module locally under a board's budget."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .agent_err import AgentErr
from .app_config import ConfigState
from .boards import Board, load_board
from .errors import CallError, InboxFull, UsageError
from .messages import message_bytes
from .pywamr import Host, Instance, MemoryStats, Module, Runtime, Tmp105
from .pywamr.devices import WRITE
from .pywamr.kvstore import KvStore
from .sensors import SensorPlayback


@dataclass(frozen=True)
class LocalDevices:
    """Device I/O of a local run: input pin levels from a gpio.in file (re-read at
    every GPIO call), what the TMP105 model at bus 0, 0x48 measures, and the file
    that keeps the key-value store between runs (None: in memory), with the app's
    quota (None: the board's default)."""

    gpio_inputs: Path | None = None
    tmp105_celsius: float = 25.0
    kv_file: Path | None = None
    kv_quota: int | None = None


@dataclass
class Call:
    export: str
    args: list[int | float]
    result: Any = None


@dataclass
class RunReport:
    module: str
    board: str
    calls: list[Call] = field(default_factory=list)
    log: list[dict[str, str]] = field(default_factory=list)
    telemetry: list[dict[str, Any]] = field(default_factory=list)
    gpio: list[dict[str, int]] = field(default_factory=list)  # writes: pin, level
    messages: list[dict[str, Any]] = field(default_factory=list)  # sent: t_ms, bytes, result
    stats: MemoryStats | None = None
    stopped: str | None = None
    config: ConfigState | None = None  # --config: what came of its delivery

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RecordingHost(Host):
    """A host that records (and optionally echoes) log and telemetry, and
    plays back recorded sensor data."""

    def __init__(self, report: RunReport, sensors: SensorPlayback | None,
                 echo: Callable[[str], None] | None,
                 devices: LocalDevices = LocalDevices(), app_name: str = "app") -> None:
        super().__init__(KvStore(devices.kv_file), app_name, devices.kv_quota)
        self.report = report
        self.sensors = sensors
        self.echo = echo
        self.pins.inputs = devices.gpio_inputs
        self.i2c_devices[(0, Tmp105.ADDRESS)] = Tmp105(devices.tmp105_celsius)

    def gpio(self, op: int, pin: int, arg: int) -> int:
        if op == WRITE:
            self.report.gpio.append({"pin": pin, "level": arg})
            if self.echo:
                self.echo(f"gpio {pin}={arg}")
        return super().gpio(op, pin, arg)

    def log(self, stream: str, text: str) -> None:
        self.report.log.append({"stream": stream, "text": text})
        if self.echo:
            self.echo(text if stream == "log" else f"[{stream}] {text}")

    def telemetry(self, key: str, value: float) -> None:
        self.report.telemetry.append({"key": key, "value": round(value, 6)})
        if self.echo:
            self.echo(f"telemetry {key}={value:.6g}")

    def sensor_read(self, channel: int) -> float | None:
        return self.sensors.read(channel) if self.sensors else None

    def sleep_ms(self, ms: int) -> None:
        """Local runs do not wait: time is the app's business on a device."""

    sim_us: int | None = None  # drive_events' simulated clock, once it runs

    def time_us(self) -> int:
        return super().time_us() if self.sim_us is None else self.sim_us


GPIO_SAMPLE_MS = 20  # as the device agent's WA_AGENT_GPIO_SAMPLE_MS
PER_WAKE = 5  # callbacks at one instant before the clock moves 1 ms (the agent's bound)
EVENTS = ("on_timer", "on_gpio", "on_message")


@dataclass(frozen=True)
class Message:
    """A message `run` sends the app ``at_ms`` ms into its events (``--message``)."""

    data: bytes
    at_ms: int = 0

    @classmethod
    def parse(cls, spec: str) -> Message:
        """``TEXT@MS`` (UTF-8 text; ``@MS`` may be left out: at 0 ms)."""
        text, at, ms = spec.rpartition("@") if "@" in spec else (spec, "", "0")
        if not ms.isdigit():
            raise UsageError(f"--message {spec!r}: give TEXT@MS, MS a whole number of ms "
                             f"(>= 0) into the run's events")
        return cls(message_bytes(text if at else spec), int(ms))


def _deliver(app: Instance, message: Message, now_us: int, report: RunReport,
             echo: Callable[[str], None] | None) -> None:
    """Sends one message as `wamr-agent send` would; a full inbox refuses it (noted)."""
    try:
        app.send(message.data)
        result = "delivered"
    except InboxFull:
        result = "inbox full"
    report.messages.append({"t_ms": now_us // 1000, "bytes": len(message.data),
                            "result": result})
    if echo:
        echo(f"send({len(message.data)} bytes) t_ms={now_us // 1000}: {result}")


def drive_events(app: Instance, host: RecordingHost, for_ms: int, report: RunReport,
                 echo: Callable[[str], None] | None = None,
                 messages: Sequence[Message] = ()) -> None:
    """Calls the app's on_timer, on_message and on_gpio as the device agent would, in
    simulated time: the clock stands still during a callback and jumps to each timer's
    expiry, message (``at_ms`` after the start) and GPIO sample (every 20 ms while an
    input counts edges), for for_ms ms of device time or until nothing is armed or
    pending. Like the agent, it delivers one message at a time, after the callbacks
    due. A callback that traps raises as a trapping loop does."""
    now = start = host.sim_us = host.time_us()
    end = now + for_ms * 1000
    pending = sorted(messages, key=lambda m: m.at_ms)
    at_once = 0
    while now <= end:
        event = app.take_event() if at_once < PER_WAKE else None
        if event is not None:
            at_once += 1
            name, args = event
            if echo:
                echo(f"{name}({', '.join(map(str, args))}) t_ms={now // 1000}")
            if app.module.export(name):
                report.calls.append(Call(name, list(args), app.call(name, *args)))
            continue
        if pending and start + pending[0].at_ms * 1000 <= now:
            _deliver(app, pending.pop(0), now, report, echo)
            continue
        wait = _wait_ms(app, pending, (start - now) // 1000)
        if wait is None:
            return
        now = host.sim_us = now + 1000 * max(wait, 1 if at_once >= PER_WAKE else 0)
        at_once = 0


def _wait_ms(app: Instance, pending: list[Message], since_start_ms: int) -> int | None:
    """Whole ms until the next timer, GPIO sample or message (``since_start_ms``: the
    start less now, <= 0); None when nothing will come."""
    waits = [app.timer_wait_ms()]
    if app.gpio_watched() and app.module.export("on_gpio"):
        waits.append(GPIO_SAMPLE_MS)
    if pending:
        waits.append(max(0, pending[0].at_ms + since_start_ms))
    found = [w for w in waits if w is not None]
    return min(found) if found else None


def parse_args(module: Module, export: str, raw: list[str]) -> list[int | float]:
    """Converts command-line strings to the export's parameter types."""
    ext = module.export(export)
    if ext is None:
        names = ", ".join(e.name for e in module.info.exports if e.kind == "func") or "none"
        raise CallError(f"the module exports no function {export!r}; it exports: {names}")
    params = ext.sig[ext.sig.index("(") + 1 : -1]
    if len(raw) != len(params):
        raise CallError(f"{export!r} takes {len(params)} argument(s) ({ext.sig}), got {len(raw)}")
    return [_convert(export, i, p, text) for i, (p, text) in enumerate(zip(params, raw,
                                                                           strict=True))]


def _convert(export: str, i: int, param: str, text: str) -> int | float:
    try:
        return int(text, 0) if param in "iI" else float(text)
    except ValueError:
        kind = {"i": "i32", "I": "i64", "f": "f32", "F": "f64"}.get(param, param)
        raise CallError(f"{export!r} argument {i + 1} must be {kind}, got {text!r}") from None


def entry_points(module: Module, invoke: str | None) -> list[str]:
    """What to call when the user did not say: a command's _start, or a
    reactor's setup then loop (none for an app with only callbacks)."""
    if invoke:
        return [invoke]
    if module.export("_start"):
        return ["_start"]
    found = [n for n in ("setup", "loop") if module.export(n)]
    if found or any(module.export(n) for n in EVENTS):
        return found
    names = ", ".join(e.name for e in module.info.exports if e.kind == "func") or "none"
    raise CallError(f"no entry point (_start, setup/loop): pass --invoke NAME; exports: {names}")


def with_limits(board: str | Board, *, cpu_ticks: int | None = None,
                heap_bytes: int | None = None) -> tuple[Board, list[str]]:
    """The board's profile with a one-off run's own limits (the ``[budget]`` keys of
    boards/*.toml of the same names; ``cpu_ticks`` 0: no CPU budget), and a line for
    each value that differs from the board's."""
    profile = board if isinstance(board, Board) else load_board(board)
    b = profile.budget
    given = {"cpu_ticks": cpu_ticks, "heap_bytes": heap_bytes}
    changed = {k: v for k, v in given.items() if v is not None and v != getattr(b, k)}
    notices = [f"{key} {value}{' (no CPU budget)' if key == 'cpu_ticks' and not value else ''}"
               f" instead of {profile.name}'s {getattr(b, key)}" for key, value in changed.items()]
    return replace(profile, budget=replace(b, **changed)), notices


def run_module(path: str | Path, board: str | Board, *, invoke: str | None = None,
               args: list[str] | None = None, grants: list[str] | None = None,
               sensor_data: str | Path | None = None, repeat: int = 1,
               echo: Callable[[str], None] | None = None,
               devices: LocalDevices = LocalDevices(), for_ms: int = 1000,
               messages: Sequence[Message] = (),
               config: dict[str, str] | None = None) -> RunReport:
    """``config``: the app's configuration at start, delivered (version 1) as on the
    device: after setup (or _start), before loop (docs/config.md)."""
    module = Module.from_file(path)
    runtime = Runtime(board, grants=grants)
    runtime.check(module)
    if messages and module.export("on_message") is None:
        raise CallError("--message: the module exports no on_message, so it takes no "
                        "messages", AgentErr.NO_EXPORT)
    report = RunReport(module=str(path), board=runtime.board.name)
    sensors = SensorPlayback.from_csv(sensor_data) if sensor_data else None
    names = entry_points(module, invoke)
    values = parse_args(module, names[0], args or []) if names else []
    host = RecordingHost(report, sensors, echo, devices, app_name=Path(path).stem)
    with runtime.instantiate(module, host) as app:
        _run_calls(app, names, values, repeat, report,
                   None if config is None else lambda: _deliver_config(app, config, path, report))
        if not report.stopped and invoke is None and any(module.export(n) for n in EVENTS):
            drive_events(app, host, for_ms, report, echo, messages)
        report.stats = app.stats()
    return report


def _deliver_config(app: Instance, config: dict[str, str], path: str | Path,
                    report: RunReport) -> None:
    report.config = app.set_config(config, name=Path(path).stem)
    if app.module.export("on_config"):
        report.calls.append(Call("on_config", [1], report.config.code))


def _run_calls(app: Instance, names: list[str], values: list[int | float], repeat: int,
               report: RunReport, start: Callable[[], None] | None = None) -> None:
    """Calls names in turn (the last ``repeat`` times); ``start`` after setup or
    _start, before the others."""
    for name in names:
        if start is not None and name not in ("setup", "_start"):
            deliver = start
            start = None
            deliver()
        count = repeat if name == names[-1] else 1
        for _ in range(count):
            result = app.call(name, *values)
            report.calls.append(Call(name, list(values), result))
            if name in ("setup", "loop") and isinstance(result, int) and result != 0:
                report.stopped = f"{name} returned {result}"
                return
    if start is not None:
        start()
