"""The `wamr-agent` command line. Each command parses its options, calls one
library function, prints the result (text or --json) and maps the package's
exceptions to exit codes (see wamr_agent.errors)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from . import __version__
from . import deploy as deploying
from .emulator import instances
from .errors import UsageError, WamrAgentError
from .inspection import InspectReport, inspect_module
from .run import RunReport, run_module
from .smp.apps import AppInfo
from .smp.framing import Framing

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Run WebAssembly apps on microcontrollers.")

BoardOpt = Annotated[str, typer.Option("--board", "-b", help="Board profile (boards/*.toml).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ModuleArg = Annotated[Path, typer.Argument(help="The .wasm module.", show_default=False)]


def _split(values: list[str] | None) -> list[str] | None:
    """Accepts both `--grant a,b` and `--grant a --grant b`."""
    if values is None:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def _json_default(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return str(obj)


def _print_json(data: Any) -> None:
    print(json.dumps(data, default=_json_default, indent=2))


def _fail(exc: WamrAgentError, as_json: bool) -> NoReturn:
    if as_json:
        _print_json({"error": {"type": type(exc).__name__, "code": exc.code.name,
                               "message": str(exc)}})
    print(f"error: {exc}", file=sys.stderr)
    raise typer.Exit(exc.exit_code)


def _guard(as_json: bool, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except WamrAgentError as exc:
        _fail(exc, as_json)


def _kib(n: int | None) -> str:
    return "none" if n is None else f"{n / 1024:.1f} KiB"


@app.command()
def run(
    module: ModuleArg,
    board: BoardOpt = "esp32",
    invoke: Annotated[str | None, typer.Option(help="Export to call (default: _start, or "
                                               "setup then loop).")] = None,
    args: Annotated[list[str] | None, typer.Option("--args", help="Arguments for --invoke, "
                                                   "comma-separated or repeated.")] = None,
    grant: Annotated[list[str] | None, typer.Option(help="Capabilities to grant, e.g. "
                                                    "sensor,log (default: all).")] = None,
    sensor_data: Annotated[Path | None, typer.Option(help="CSV of recorded sensor samples "
                                                     "(header ch0,ch1,...).")] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Call the (last) entry point this many "
                                        "times; a reactor's loop stops early on non-zero.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Run a module locally under a board's memory and CPU budget; print its log."""
    report: RunReport = _guard(as_json, lambda: run_module(
        module, board, invoke=invoke, args=_split(args), grants=_split(grant),
        sensor_data=sensor_data, repeat=repeat, echo=None if as_json else print))
    if as_json:
        _print_json(report.as_dict())
        return
    for call in report.calls:
        if call.export not in ("loop", "setup", "_start"):
            print(f"{call.export}({', '.join(map(str, call.args))}) = {call.result}")
    if report.stopped:
        print(f"stopped: {report.stopped}")
    s = report.stats
    if s is not None:
        print(f"-- {report.board}: {s.calls} call(s), linear memory {_kib(s.linear_memory)}, "
              f"RAM peak {_kib(s.heap_peak)} of {_kib(s.heap_limit)}, "
              f"last call {s.ticks_last_call} ticks")


def _print_inspect(r: InspectReport) -> None:
    b = r.budget
    print(f"module   {r.path} ({r.size} bytes)")
    print(f"board    {r.board}: linear memory {_kib(b['linear_memory_bytes'])}, stack "
          f"{_kib(b['stack_bytes'])}, heap {_kib(b['heap_bytes'])}, module "
          f"{_kib(b['module_bytes'])}, CPU {b['cpu_ticks']} ticks/call")
    for title, items in (("imports", r.imports), ("exports", r.exports)):
        if not items:
            print(f"{title:8} none")
        for i, e in enumerate(items):
            name = f"{e.module}.{e.name}" if e.module else e.name
            print(f"{title if i == 0 else '':8} {e.kind:6} {name} {e.sig}")
    print(f"memory   initial {_kib(r.initial_memory)}, max {_kib(r.max_memory)}, "
          f"data+stack {_kib(r.static_memory)}")
    print(f"needs    {', '.join(r.capabilities) or 'no capabilities'}")
    verdict = "fits" if r.verdict.fits else "does not fit: " + "; ".join(r.verdict.reasons)
    print(f"verdict  {verdict}")


@app.command()
def inspect(
    module: ModuleArg,
    board: BoardOpt = "esp32",
    grant: Annotated[list[str] | None, typer.Option(help="Capabilities the verdict may assume "
                                                    "(default: all).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a module's imports, exports and memory needs, and whether it fits a board."""
    report: InspectReport = _guard(as_json, lambda: inspect_module(module, board,
                                                                   _split(grant)))
    if as_json:
        _print_json(report.as_dict())
    else:
        _print_inspect(report)
    if not report.verdict.fits:
        raise typer.Exit(5)


# ---- wamr-agent board / sim: QEMU boards and simulated boards -----------------

board_app = typer.Typer(no_args_is_help=True, help="Emulated boards under QEMU: list, start "
                        "in the background, watch the console, stop.")
app.add_typer(board_app, name="board")
sim_app = typer.Typer(no_args_is_help=True, help="Simulated boards (esp32, nrf52840, ...: "
                      "the firmware core as a host process): list, start in the background, "
                      "watch the console, stop.")
app.add_typer(sim_app, name="sim")
NameArg = Annotated[str, typer.Argument(help="Instance name (see `board list`, `sim list`).",
                                        show_default=False)]
InstanceNameOpt = Annotated[str | None, typer.Option(help="Instance name (default: the board "
                                                     "name).")]
PreloadOpt = Annotated[list[Path] | None, typer.Option(help="App (.wasm) to install before "
                                                      "boot; repeatable.")]
EraseOpt = Annotated[bool, typer.Option(help="Start with an erased flash.")]
FollowOpt = Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new output "
                                         "until the instance stops.")]
_GROUPS = {instances.QEMU: "board up BOARD", instances.SIM: "sim up --board BOARD"}


def _print_instance(info: instances.InstanceInfo) -> None:
    print(f"name        {info.name} ({info.board}, {info.status})")
    print(f"management  {info.mgmt_address}")
    print(f"console log {info.console_log}")


def _list(kind: str, as_json: bool) -> None:
    rows, running = _guard(as_json, lambda: (
        instances.board_rows(None if kind == instances.QEMU else kind),
        instances.instances(kind)))
    if as_json:
        _print_json({"boards": rows, "instances": [i.as_dict() for i in running]})
        return
    print(f"{'board':12} {'RAM':>9} {'flash':>9}  {'emulation':9}  supported")
    for r in rows:
        verdict = "yes" if r.supported else f"no: {r.reason}"
        print(f"{r.name:12} {_kib(r.ram_bytes):>9} {_kib(r.flash_bytes):>9}  "
              f"{r.emulation:9}  {verdict}")
    print("\ninstances" + ("" if running else f": none (start one with `{_GROUPS[kind]}`)"))
    for i in running:
        print(f"  {i.name:12} {i.board:12} {i.status:8} {i.mgmt_address}  {i.console_log}")


def _up(kind: str, board: str, name: str | None, preload: list[Path] | None,
        firmware: Path | None, erase: bool, as_json: bool) -> None:
    info: instances.InstanceInfo = _guard(as_json, lambda: instances.up(
        board, name, preload or [], firmware, erase, kind))
    if as_json:
        _print_json(info.as_dict())
    else:
        _print_instance(info)


@board_app.command("list")
def board_list(as_json: JsonOpt = False) -> None:
    """Every board profile (RAM, flash, emulation, supported or why not); QEMU instances."""
    _list(instances.QEMU, as_json)


@board_app.command("up")
def board_up(
    board: Annotated[str, typer.Argument(help="Board profile, e.g. mps2-an386.",
                                         show_default=False)],
    name: InstanceNameOpt = None,
    preload: PreloadOpt = None,
    firmware: Annotated[Path | None, typer.Option(help="Firmware ELF (default: built with "
                                                  "`make firmware`).")] = None,
    erase: EraseOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Boot a board under QEMU in the background; print its management address."""
    _up(instances.QEMU, board, name, preload, firmware, erase, as_json)


@sim_app.command("list")
def sim_list(as_json: JsonOpt = False) -> None:
    """The simulated board profiles (RAM, flash, supported or why not) and the instances."""
    _list(instances.SIM, as_json)


@sim_app.command("up")
def sim_up(board: Annotated[str, typer.Option("--board", "-b", show_default=False,
                                              help="Board profile, e.g. esp32.")],
           name: InstanceNameOpt = None, preload: PreloadOpt = None,
           firmware: Annotated[Path | None, typer.Option(
               help="Simulator program (default: built with `make sim`).")] = None,
           erase: EraseOpt = False, as_json: JsonOpt = False) -> None:
    """Start a simulated board in the background; print its management address."""
    _up(instances.SIM, board, name, preload, firmware, erase, as_json)


def _instance_commands(group: typer.Typer, kind: str, console: str) -> None:
    """`down` and `console` of one command group: the same for both kinds."""

    @group.command("down", help="Stop an instance (its flash and logs stay in its directory).")
    def down(name: NameArg, as_json: JsonOpt = False) -> None:
        info: instances.InstanceInfo = _guard(as_json, lambda: instances.down(name, kind))
        if as_json:
            _print_json(info.as_dict())
        else:
            print(f"{info.name} stopped; console log {info.console_log}")

    @group.command("console", help=f"Print an instance's console ({console}) log.")
    def console_log(name: NameArg, follow: FollowOpt = False, as_json: JsonOpt = False) -> None:
        if follow:
            for line in _guard(as_json, lambda: instances.follow(name, kind)):
                print(json.dumps({"line": line}) if as_json else line, flush=True)
            return
        path, lines = _guard(as_json, lambda: instances.console_lines(name, kind))
        if as_json:
            _print_json({"name": name, "console_log": str(path), "lines": lines})
        else:
            print("\n".join(lines))


_instance_commands(board_app, instances.QEMU, "UART0")
_instance_commands(sim_app, instances.SIM, "stdout")


# ---- wamr-agent deploy / ps / start / stop / rm: apps on a device over SMP --------

PortOpt = Annotated[str | None, typer.Option(help="Device management address, "
                                             "socket://HOST:PORT (default: the board's "
                                             "running local instance).")]
AppArg = Annotated[str, typer.Argument(help="App name (see `ps`).", show_default=False)]


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
    name: Annotated[str | None, typer.Option(help="App name (default: the file's "
                                             "stem).")] = None,
    start: Annotated[bool, typer.Option("--start/--no-start", help="Start the app once "
                                        "installed.")] = True,
    framing: Annotated[str, typer.Option(help="Serial framing: console (every SMP device) or "
                                         "raw (wamr-agent devices; faster).")] = "console",
    as_json: JsonOpt = False,
) -> None:
    """Check a module for a board, then install it on a device (resumes an interrupted
    upload); without --port, on the board's local QEMU or simulated instance."""
    if framing not in ("console", "raw"):
        _fail(UsageError(f"unknown framing {framing!r}; use console or raw"), as_json)
    chosen = Framing.RAW if framing == "raw" else Framing.CONSOLE

    def run(progress: Callable[[int, int], None] | None,
            on_target: Callable[[deploying.Target], None] | None) -> deploying.DeployReport:
        return deploying.deploy(module, board, port, name, start, progress, on_target, chosen)

    report: deploying.DeployReport = _guard(as_json, lambda: run(None, None) if as_json
                                            else _deploy_with_bar(run))
    if as_json:
        _print_json(report.as_dict())
        return
    how = ("already installed" if report.already_installed else
           f"{report.bytes} bytes in {report.seconds:.2f} s ({report.goodput:.0f} B/s"
           + (f", resumed at {report.resumed_from}" if report.resumed_from else "") + ")")
    print(f"deployed {report.name} to {report.target}: {how}"
          + ("" if start else "; not started"))


@app.command()
def ps(board: BoardOpt = "esp32", port: PortOpt = None, as_json: JsonOpt = False) -> None:
    """List the apps installed on a device."""
    apps: list[AppInfo] = _guard(as_json, lambda: deploying.list_apps(board, port))
    if as_json:
        _print_json({"apps": [a.as_dict() for a in apps]})
        return
    if not apps:
        print("no apps installed")
        return
    print(f"{'name':16} {'state':9} {'slot':>4} {'size':>9}  sha256")
    for a in apps:
        print(f"{a.name:16} {a.state:9} {a.slot:>4} {a.size:>9}  {(a.sha or '-')[:16]}")


def _app_command(verb: str, fn: Callable[[str, str, str | None], None], done: str,
                 doc: str) -> None:
    @app.command(verb, help=doc)
    def command(name: AppArg, board: BoardOpt = "esp32", port: PortOpt = None,
                as_json: JsonOpt = False) -> None:
        _guard(as_json, lambda: fn(name, board, port))
        if as_json:
            _print_json({"name": name, "result": done})
        else:
            print(f"{name} {done}")


_app_command("start", deploying.start_app, "started", "Start an installed app.")
_app_command("stop", deploying.stop_app, "stopped", "Stop a running app (until the next "
             "reset or `start`).")
_app_command("rm", deploying.remove_app, "removed", "Stop and remove an installed app.")


def _version(value: bool) -> None:
    if value:
        print(f"wamr-agent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version.")] = False,
) -> None:
    """Run WebAssembly apps on microcontrollers."""


def main() -> None:
    app()
