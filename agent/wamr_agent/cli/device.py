"""`wamr-agent ps`, `start`, `stop`, `rm`, `confirm`, `rollback`, `send`, `status`, `logs`:
the apps on a device managed over SMP (a serial port, a socket, or the board's
local instance) or through its gateway (``--via``, ``--device``). `deploy` is in
deploy.py."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import WamrAgentError
from ..mqtt.url import BrokerOptions
from .broker_options import broker_options
from .common import (
    BAUD,
    AppArg,
    BaudOpt,
    BoardOpt,
    DeviceOpt,
    JsonOpt,
    PortOpt,
    ViaOpt,
    app,
    fail,
    guard,
    print_json,
    shown,
)

if TYPE_CHECKING:  # the library is imported where a command runs (quick start-up)
    from ..access import Via
    from ..smp.app_results import LogEntry, Reason
    from ..smp.apps import AppInfo, AppStatus, DeviceStatus
    from ..smp.logreader import LogNotice


def _via(via: str | None, device: str | None, options: BrokerOptions) -> Via | None:
    from ..access import via_option

    return via_option(via, device, options)


@app.command()
@broker_options
def ps(board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
       via: ViaOpt = None, device: DeviceOpt = None, as_json: JsonOpt = False, *,
       broker_options: BrokerOptions) -> None:
    """List the apps installed on a device."""
    from .. import deploy as deploying

    apps: list[AppInfo] = guard(as_json, lambda: deploying.list_apps(
        board, port, baud, _via(via, device, broker_options)))
    if as_json:
        print_json({"apps": [a.as_dict() for a in apps]})
        return
    if not apps:
        print("no apps installed")
        return
    print(f"{'name':16} {'version':9} {'state':9} {'life':10} {'slot':>4} {'size':>9}  sha256")
    for a in apps:
        print(_ps_line(a))


def _ps_line(a: AppInfo) -> str:
    why = f"  {a.life}: {_reason(a.reason)}" if a.reason is not None else ""
    return (f"{shown(a.name):16} {shown(a.version):9} {shown(a.state):9} {shown(a.life):10} "
            f"{a.slot:>4} {a.size:>9}  {(a.sha or '-')[:16]}{why}")


def _reason(reason: Reason) -> str:
    return f"{shown(reason.text)} ({shown(reason.code)})" if reason.msg else shown(reason.code)


AppAction = Callable[[str, str, str | None, int, "Via | None"], None]


def _app_command(verb: str, action: str, done: str, doc: str) -> None:
    """A command that applies ``action`` (a function of wamr_agent.deploy) to one app."""

    @app.command(verb, help=doc)
    @broker_options
    def command(name: AppArg, board: BoardOpt = "esp32", port: PortOpt = None,
                baud: BaudOpt = BAUD, via: ViaOpt = None, device: DeviceOpt = None,
                as_json: JsonOpt = False, *, broker_options: BrokerOptions) -> None:
        from .. import deploy as deploying

        fn: AppAction = getattr(deploying, action)
        guard(as_json, lambda: fn(name, board, port, baud,
                                  _via(via, device, broker_options)))
        if as_json:
            print_json({"name": name, "result": done})
        else:
            print(f"{name} {done}")


_app_command("start", "start_app", "started", "Start an installed app.")
_app_command("stop", "stop_app", "stopped", "Stop a running app; it stays "
             "stopped across resets until `start`.")
_app_command("rm", "remove_app", "removed", "Stop and remove an installed app.")
_app_command("confirm", "confirm_app", "confirmed", "Confirm the version of an app "
             "on trial (a manual-confirm policy keeps it on trial until then).")
_app_command("rollback", "rollback_app", "rolled back", "Revert the version of an "
             "app on trial; the previous version runs again.")


@app.command()
@broker_options
def send(
    name: AppArg,
    message: Annotated[str, typer.Argument(help="The message: UTF-8 text, or with --hex its "
                                           "bytes as hex digits; at most 256 bytes.",
                                           show_default=False)],
    as_hex: Annotated[bool, typer.Option("--hex", help="MESSAGE is hex digits (spaces "
                                         "allowed), for bytes that are not text.")] = False,
    board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
    via: ViaOpt = None, device: DeviceOpt = None, as_json: JsonOpt = False, *,
    broker_options: BrokerOptions,
) -> None:
    """Send a message to a running app that exports on_message. Done once the device has
    queued it in the app's inbox (on_message runs then); an app that does not run, has
    no on_message or has a full inbox is an error with its own exit code."""
    from .. import deploy as deploying
    from ..messages import message_bytes

    data: bytes = guard(as_json, lambda: message_bytes(message, as_hex))
    guard(as_json, lambda: deploying.send_message(name, data, board, port, baud,
                                                   _via(via, device, broker_options)))
    if as_json:
        print_json({"name": name, "result": "delivered", "bytes": len(data)})
    else:
        print(f"{name}: message delivered ({len(data)} bytes)")


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def _print_device_status(s: DeviceStatus) -> None:
    rows = [("board", shown(s.board)), ("firmware", shown(s.fw)), ("uptime", _seconds(s.uptime_ms)),
            ("boot", f"{s.boot} (last reset: {s.reset})"), ("heap free", f"{s.heap_free} bytes"),
            ("apps", f"{s.apps} installed, {s.slots} slots, {s.slots_free} free for a new "
             "app"),
            ("SMP buffer", f"{s.buf_size} bytes"), ("framings", ", ".join(s.framings))]
    if s.kids is not None:
        rows.append(("bundle keys", f"{', '.join(s.kids) or 'none'} (installs bundles "
                     "signed by these)"))
    if s.aot_abi is not None:
        rows.append(("AOT code", f"ABI {s.aot_abi}" if s.aot_abi else
                     "none: every module is interpreted"))
    if s.safe_mode is not None:
        rows.append(("safe mode", f"{s.safe_mode}; no app started until an operator acts"))
    for key, value in rows:
        print(f"{key:11} {value}")


def _life(s: AppStatus) -> str:
    if s.life is None:
        return "- (the device does not report the app lifecycle)"
    return f"{s.life}: {_reason(s.reason)}" if s.reason is not None else s.life


def _trial(s: AppStatus) -> str:
    t = s.trial
    if t is None:
        return "-"
    manual = "; manual confirm: `wamr-agent confirm`" if t.manual else ""
    return f"{t.describe()}{manual}"


def _signed(s: AppStatus) -> str:
    if s.signed is None:
        return "-"
    return f"yes (bundle seq {s.seq})" if s.signed else "no"


def _update(s: AppStatus) -> str:
    from ..verdicts import label

    u = s.update
    if u is None:
        return "-"
    why = f": {_reason(u.reason)}" if u.reason is not None else ""
    return f"{label(s.name, u.version)} ({u.sha[:16]}) {u.life}{why}"


def _lifecycle_rows(s: AppStatus) -> list[tuple[str, str]]:
    if s.life is None:
        return [("life", _life(s))]
    return [("life", _life(s)), ("trial", _trial(s)), ("signed", _signed(s)),
            ("last update", _update(s))]


def _print_app_status(s: AppStatus) -> None:
    err = s.last_err
    rows = [("name", shown(s.name)), ("state", f"{shown(s.state)} (slot {s.slot})"),
            ("size", f"{s.size} bytes"), ("sha256", s.sha or "-"),
            ("deploy id", shown(s.deploy)), ("version", shown(s.version)),
            *_lifecycle_rows(s),
            ("uptime", _seconds(s.uptime_ms)),
            ("memory", f"{s.mem_hw} of {s.mem_budget} bytes (high-water)"),
            ("code", "-" if s.module_ram is None or s.state != "running" else
             "AOT code in flash" if s.aot else
             "in flash, in place" if s.module_ram == 0 else f"{s.module_ram} bytes in RAM"),
            ("traps", str(s.traps)),
            ("last error", f"{shown(err.msg)} (WA_ERR_{err.code}, {err.rc})" if err else
             "none")]
    for key, value in rows:
        print(f"{key:11} {value}")


@app.command()
@broker_options
def status(
    name: Annotated[str | None, typer.Argument(help="An app's name (see `ps`); without it, "
                                               "the device's status.",
                                               show_default=False)] = None,
    board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
    via: ViaOpt = None, device: DeviceOpt = None, as_json: JsonOpt = False, *,
    broker_options: BrokerOptions,
) -> None:
    """Show a device's status (board, firmware, uptime, resets, memory, the keys of
    the bundles it installs, its AOT code), or one app's
    (state, lifecycle and trial, last update, traps, last error, memory, uptime)."""
    from .. import deploy as deploying
    from ..smp.apps import AppStatus

    result: DeviceStatus | AppStatus = guard(as_json, lambda: deploying.status(
        board, port, name, baud, _via(via, device, broker_options)))
    if as_json:
        print_json(result.as_dict())
    elif isinstance(result, AppStatus):
        _print_app_status(result)
    else:
        _print_device_status(result)


def print_log_event(event: LogEntry | LogNotice, as_json: bool) -> None:
    """One line, written with its newline in one call: a Ctrl-C that ends a
    follow never leaves half a line for the next output to run on."""
    from ..smp.logreader import LogNotice

    if as_json:
        text = json.dumps(event.as_dict())
    elif isinstance(event, LogNotice):
        text = f"-- {event.text} --"
    else:
        text = f"[{event.t_ms / 1000:10.3f}] {shown(event.msg)}"
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@app.command()
@broker_options
def logs(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines "
                                         "(polls every 0.5 s; with --via, from the "
                                         "gateway's logs topic) until Ctrl-C.")] = False,
    since: Annotated[int, typer.Option(min=0, help="First line's sequence number (lines "
                                       "count from 0 at boot).")] = 0,
    board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
    via: ViaOpt = None, device: DeviceOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    *, broker_options: BrokerOptions,
) -> None:
    """Print the console lines the device kept (agent events, app logs, telemetry), with
    the device time in seconds since boot."""
    from .. import deploy as deploying

    stop = threading.Event()

    def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
        stop.set()  # the follow's next poll raises it again, should this one be lost
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        for event in deploying.logs(board, port, since, follow, baud,
                                    _via(via, device, broker_options), stop):
            print_log_event(event, as_json)
    except KeyboardInterrupt:
        return
    except WamrAgentError as exc:
        fail(exc, as_json, json_lines=True)
    finally:
        signal.signal(signal.SIGINT, previous)
