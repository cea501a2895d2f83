"""`wamr-agent deploy`, `ps`, `start`, `stop`, `rm`, `status`, `logs`: a device
managed over SMP (a serial port, a socket, or the board's local instance)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, cast

import typer

from .. import deploy as deploying
from ..errors import WamrAgentError
from ..smp.app_results import LogEntry
from ..smp.apps import AppInfo, AppStatus, DeviceStatus
from ..smp.link import DEFAULT_BAUDRATE
from ..smp.logreader import LogNotice
from .common import (
    BoardOpt,
    JsonOpt,
    ModuleArg,
    app,
    fail,
    guard,
    print_json,
)

# ---- wamr-agent deploy / ps / start / stop / rm / status / logs: a device over SMP ----

PortOpt = Annotated[str | None, typer.Option(help="Device management port: a serial device "
                                             "(/dev/ttyUSB0) or socket://HOST:PORT (default: "
                                             "the board's running local instance).")]
BaudOpt = Annotated[int, typer.Option("--baud", min=1, help="Baud rate of a serial --port "
                                      "(8N1, no flow control).")]
AppArg = Annotated[str, typer.Argument(help="App name (see `ps`).", show_default=False)]
BAUD = DEFAULT_BAUDRATE


def _deploy_with_bar(run: Callable[[Callable[[int, int], None],
                                    Callable[[deploying.Target], None]], Any]) -> Any:
    """Runs a deploy with a progress bar (bytes, rate, ETA) on stderr."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(stderr=True)
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=console) as bar:
        tasks: list[Any] = []  # the bar appears with the first byte sent, not before

        def progress(sent: int, total: int) -> None:
            if not tasks:
                tasks.append(bar.add_task("upload", total=total))
            bar.update(tasks[0], completed=sent, total=total)

        def on_target(target: deploying.Target) -> None:
            console.print(f"target: {target.description}")

        return run(progress, on_target)


@app.command()
def deploy(
    module: ModuleArg,
    board: BoardOpt = "esp32",
    port: PortOpt = None,
    baud: BaudOpt = BAUD,
    name: Annotated[str | None, typer.Option(help="App name (default: the file's "
                                             "stem).")] = None,
    start: Annotated[bool, typer.Option("--start/--no-start", help="Start the app once "
                                        "installed.")] = True,
    framing: Annotated[str, typer.Option(help="Serial framing of the upload: console (every "
                                         "SMP device), raw (wamr-agent devices; faster) or "
                                         "auto (raw when the device lists it in its "
                                         "status).")] = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Check a module for a board, then install it on a device (resumes an interrupted
    upload); without --port, on the board's local QEMU or simulated instance."""
    chosen = cast(deploying.FramingChoice, framing)
    guard(as_json, lambda: deploying.check_framing(chosen))

    def run(progress: Callable[[int, int], None] | None,
            on_target: Callable[[deploying.Target], None] | None) -> deploying.DeployReport:
        return deploying.deploy(module, board, port, name, start, progress, on_target, chosen,
                                baud)

    report: deploying.DeployReport = guard(as_json, lambda: run(None, None) if as_json
                                            else _deploy_with_bar(run))
    if as_json:
        print_json(report.as_dict())
        return
    how = ("already installed" if report.already_installed else
           f"{report.bytes} bytes in {report.seconds:.2f} s ({report.goodput:.0f} B/s, "
           f"{report.framing} framing"
           + (f", resumed at {report.resumed_from}" if report.resumed_from else "") + ")")
    print(f"deployed {report.name} to {report.target}: {how}"
          + ("" if start else "; not started"))


@app.command()
def ps(board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
       as_json: JsonOpt = False) -> None:
    """List the apps installed on a device."""
    apps: list[AppInfo] = guard(as_json, lambda: deploying.list_apps(board, port, baud))
    if as_json:
        print_json({"apps": [a.as_dict() for a in apps]})
        return
    if not apps:
        print("no apps installed")
        return
    print(f"{'name':16} {'state':9} {'slot':>4} {'size':>9}  sha256")
    for a in apps:
        print(f"{a.name:16} {a.state:9} {a.slot:>4} {a.size:>9}  {(a.sha or '-')[:16]}")


def _app_command(verb: str, fn: Callable[[str, str, str | None, int], None], done: str,
                 doc: str) -> None:
    @app.command(verb, help=doc)
    def command(name: AppArg, board: BoardOpt = "esp32", port: PortOpt = None,
                baud: BaudOpt = BAUD, as_json: JsonOpt = False) -> None:
        guard(as_json, lambda: fn(name, board, port, baud))
        if as_json:
            print_json({"name": name, "result": done})
        else:
            print(f"{name} {done}")


_app_command("start", deploying.start_app, "started", "Start an installed app.")
_app_command("stop", deploying.stop_app, "stopped", "Stop a running app; it stays "
             "stopped across resets until `start`.")
_app_command("rm", deploying.remove_app, "removed", "Stop and remove an installed app.")


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def _print_device_status(s: DeviceStatus) -> None:
    rows = [("board", s.board), ("firmware", s.fw), ("uptime", _seconds(s.uptime_ms)),
            ("boot", f"{s.boot} (last reset: {s.reset})"), ("heap free", f"{s.heap_free} bytes"),
            ("apps", f"{s.apps} installed, {s.slots} slots"),
            ("SMP buffer", f"{s.buf_size} bytes"), ("framings", ", ".join(s.framings))]
    for key, value in rows:
        print(f"{key:11} {value}")


def _print_app_status(s: AppStatus) -> None:
    err = s.last_err
    rows = [("name", s.name), ("state", f"{s.state} (slot {s.slot})"),
            ("size", f"{s.size} bytes"), ("sha256", s.sha or "-"),
            ("deploy id", s.deploy or "-"), ("version", s.version or "-"),
            ("uptime", _seconds(s.uptime_ms)),
            ("memory", f"{s.mem_hw} of {s.mem_budget} bytes (high-water)"),
            ("code", "-" if s.module_ram is None or s.state != "running" else
             "in flash (metered image)" if s.module_ram == 0 else f"{s.module_ram} bytes in RAM"),
            ("traps", str(s.traps)),
            ("last error", f"{err.msg} (WA_ERR_{err.code}, {err.rc})" if err else "none")]
    for key, value in rows:
        print(f"{key:11} {value}")


@app.command()
def status(
    name: Annotated[str | None, typer.Argument(help="An app's name (see `ps`); without it, "
                                               "the device's status.",
                                               show_default=False)] = None,
    board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
    as_json: JsonOpt = False,
) -> None:
    """Show a device's status (board, firmware, uptime, resets, memory), or one app's
    (state, traps, last error, memory high-water, uptime)."""
    result: DeviceStatus | AppStatus = guard(as_json, lambda: deploying.status(
        board, port, name, baud))
    if as_json:
        print_json(result.as_dict())
    elif isinstance(result, AppStatus):
        _print_app_status(result)
    else:
        _print_device_status(result)


def _print_log_event(event: LogEntry | LogNotice, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event.as_dict()), flush=True)
    elif isinstance(event, LogNotice):
        print(f"-- {event.text} --", flush=True)
    else:
        print(f"[{event.t_ms / 1000:10.3f}] {event.msg}", flush=True)


@app.command()
def logs(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines "
                                         "(polls every 0.5 s) until Ctrl-C.")] = False,
    since: Annotated[int, typer.Option(min=0, help="First line's sequence number (lines "
                                       "count from 0 at boot).")] = 0,
    board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Print the console lines the device kept (agent events, app logs, telemetry), with
    the device time in seconds since boot."""
    try:
        for event in deploying.logs(board, port, since, follow, baud):
            _print_log_event(event, as_json)
    except KeyboardInterrupt:
        return
    except WamrAgentError as exc:
        fail(exc, as_json, json_lines=True)
