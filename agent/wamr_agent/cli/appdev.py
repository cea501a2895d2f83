"""`wamr-agent new / build / up / watch`: the app developer's loop around an app
folder and its manifest, ``wamr.toml`` (docs/dev-loop.md, docs/app-manifest.md).
`deploy` and `bundle build` read the manifest too (deploy.py, bundle.py)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import WamrAgentError
from ..mqtt.url import BrokerOptions
from .broker_options import broker_options
from .common import (
    BAUD,
    BaudOpt,
    DeviceOpt,
    JsonOpt,
    PortOpt,
    ViaOpt,
    app,
    fail,
    guard,
    print_error,
    print_json,
)

if TYPE_CHECKING:  # the library is imported where a command runs (quick start-up)
    from ..access import Via
    from ..appdev.devloop import BuildReport
    from ..appdev.manifest import AppManifest
    from ..installing import DeployReport

DirArg = Annotated[Path, typer.Argument(help="The app's folder (holding wamr.toml).")]
BoardOverride = Annotated[str | None, typer.Option(
    "--board", "-b", help="Board profile (default: the manifest's first board).",
    show_default=False)]


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="App name (1 to 32 bytes, as on the device); "
                                        "also the folder's name unless --dir.",
                                        show_default=False)],
    lang: Annotated[str, typer.Option(help="Language: c, rust, zig or assemblyscript.",
                                      show_default=False)],
    template: Annotated[str, typer.Option(help="Template: sensor (reads a sensor, sends "
                                          "telemetry), actuator or wasi (a command with "
                                          "main).")]
    = "sensor",
    folder: Annotated[Path | None, typer.Option("--dir", help="Folder to write (default: "
                                                "./NAME); must be new or empty.",
                                                show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an app folder that builds as it is: wamr.toml, the template's sources, a
    .gitignore and a README."""
    from ..appdev.scaffold import new_app

    dest: Path = guard(as_json, lambda: new_app(name, lang, template, folder))
    if as_json:
        print_json({"name": name, "dir": str(dest), "lang": lang, "template": template})
    else:
        print(f"created {dest} ({lang}, {template} template): `cd {dest}` then "
              "`wamr-agent up`, or `wamr-agent watch` to redeploy on every save")


@app.command()
def build(folder: DirArg = Path("."), as_json: JsonOpt = False) -> None:
    """Build the app with its language's toolchain (the flags MCU apps need), then
    check the module against every board of its manifest, as `inspect` does."""
    from ..appdev.devloop import build_app
    from ..appdev.manifest import load_manifest
    from .deploy import print_built

    report: BuildReport = guard(as_json, lambda: build_app(load_manifest(folder)))
    if as_json:
        print_json(report.as_dict())
    else:
        print_built(report)


def _deployed(report: DeployReport) -> None:
    from .deploy import summary

    print(summary(report, True), flush=True)


def _loop(folder: Path, board: str | None, port: str | None, baud: int, via: str | None,
          device: str | None, options: BrokerOptions, watch: bool) -> None:
    """`up` and `watch`: the board's local instance started (or reused) first, so
    that its console lines from the first deploy on are shown."""
    from ..access import open_device
    from ..appdev.devloop import Loop, LoopEvents
    from ..appdev.manifest import load_manifest
    from ..boards import load_board
    from ..remote_deploy import Options
    from ..targets import resolve_target
    from .deploy import app_runner, print_built, via_target
    from .device import print_log_event

    target: Via | None = guard(False, lambda: via_target(via, device, port, options))
    m: AppManifest = guard(False, lambda: load_manifest(folder))
    chosen = board or (None if target is not None else m.board())
    kept = ""
    if target is None and port is None:
        local = guard(False, lambda: resolve_target(m.board(board), None, start=True))
        print(f"target: {local.description}", flush=True)
        group = "board" if load_board(m.board(board)).emulation == "qemu" else "sim"
        kept = f"; the board keeps running (`wamr-agent {group} down {m.board(board)}`)"
    make_run = app_runner(board, port, baud, target,
                          Options(None, board, True, True, None, True, "auto"), print_built)
    loop = Loop(folder.resolve(), lambda man: make_run(man)(None),
                lambda: open_device(chosen or m.board(), port, baud, target),
                LoopEvents(print_built, _deployed, print_error,
                           lambda event: print_log_event(event, False),
                           lambda paths: print(f"changed: {', '.join(p.name for p in paths)}",
                                               flush=True)),
                watch=watch, stop=threading.Event())

    def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
        loop.stop.set()  # the loop's next wait step raises it again, should this one be lost
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        loop.run()
    except KeyboardInterrupt:
        print(f"stopped{kept}", flush=True)
    except WamrAgentError as exc:
        fail(exc, False)
    finally:
        signal.signal(signal.SIGINT, previous)


@app.command()
@broker_options
def up(folder: DirArg = Path("."), board: BoardOverride = None, port: PortOpt = None,
       baud: BaudOpt = BAUD, via: ViaOpt = None, device: DeviceOpt = None, *,
       broker_options: BrokerOptions) -> None:
    """Build the app, start (or reuse) a local simulated board for the manifest's first
    board (or use --port, or --via with --device), deploy it as `deploy` does (running
    and confirmed), then print its log and telemetry until Ctrl-C; the board keeps
    running for the next `up`. Options given here win over the manifest."""
    _loop(folder, board, port, baud, via, device, broker_options, watch=False)


@app.command()
@broker_options
def watch(folder: DirArg = Path("."), board: BoardOverride = None, port: PortOpt = None,
          baud: BaudOpt = BAUD, via: ViaOpt = None, device: DeviceOpt = None, *,
          broker_options: BrokerOptions) -> None:
    """What `up` does, then rebuild and redeploy whenever a source file or wamr.toml is
    saved: a build or deploy error is printed and the app that runs keeps running
    until the next save. Ctrl-C ends it; the board keeps running."""
    _loop(folder, board, port, baud, via, device, broker_options, watch=True)
