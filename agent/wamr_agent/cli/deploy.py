"""`wamr-agent deploy`: check a module, upload it to a device, and report the
device's verdict on it (confirmed: exit 0; reverted 14, failed 15, no verdict in
time 16; see wamr_agent.errors); over its SMP link (``--port`` or the board's
local instance) or through its gateway (``--via``, ``--device``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from ..errors import UsageError, VerdictError
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
    print_json,
    shown_path,
)

if TYPE_CHECKING:  # the library is imported where a command runs (quick start-up)
    from .. import deploy as deploying
    from ..access import Via
    from ..appdev.devloop import BuildReport
    from ..appdev.manifest import AppManifest
    from ..remote_deploy import Options
    from ..smp.app_results import Trial
    from .progress import DeployProgress

    Run = Callable[[DeployProgress | None], deploying.DeployReport]


def print_built(r: BuildReport) -> None:
    """The line `build` prints (and `deploy`, `up` and `watch` when they build)."""
    fits = ", ".join(f.board for f in r.boards if f.fits)
    print(f"built {shown_path(r.out)}: {r.size} bytes in {r.seconds:.2f} s ({r.language}); fits "
          f"{fits or 'no board'}", flush=True)


def _upload_text(r: deploying.DeployReport) -> str:
    if r.already_installed:
        return "already installed"
    resumed = f", resumed at {r.resumed_from}" if r.resumed_from else ""
    return (f"{r.bytes} bytes in {r.seconds:.2f} s ({r.goodput:.0f} B/s, {r.framing} "
            f"framing{resumed})")


def _confirmed(r: deploying.DeployReport) -> str:
    if r.verdict_seconds is None:
        return "confirmed"
    t = r.trial
    if t is None:
        return f"confirmed after {r.verdict_seconds:.1f} s"
    rounds = (f"{t.loops} loop rounds," if t.loops >= t.need_loops else
              f"{t.loops} of {t.need_loops} loop rounds: it exports no loop;")
    return f"confirmed after {r.verdict_seconds:.1f} s ({rounds} {t.traps} traps)"


def _on_trial(r: deploying.DeployReport, t: Trial | None) -> str:
    if t is not None and t.manual and t.healthy:
        return (f"on trial and healthy ({t.describe()}), awaiting an operator: confirm it "
                f"with `wamr-agent confirm {r.name}` (or `wamr-agent rollback {r.name}`)")
    return f"on trial (not waited for; see `wamr-agent status {r.name}`)"


def summary(r: deploying.DeployReport, start: bool) -> str:
    """The one line `deploy` prints on success."""
    from ..verdicts import label

    if r.restarted:
        outcome = "it was stopped: started"
    elif r.already_installed and r.life in (None, "confirmed"):
        outcome = "nothing to do"
    elif not start or r.life == "staged":
        outcome = "not started"
    elif r.life is None:
        outcome = "started (the device does not report a trial)"
    elif r.life == "trial":
        outcome = _on_trial(r, r.trial)
    else:
        outcome = _confirmed(r) if r.life == "confirmed" else r.life
    return (f"deployed {label(r.name, r.version)} to {r.target}: {_upload_text(r)}; "
            f"{outcome}")


def _outcome(run: Run, as_json: bool, via: bool) -> deploying.DeployReport:
    """The report (progress lines on stderr unless --json); a verdict error exits
    with its code, and with --json prints the deploy's report beside the error.
    Ctrl-C exits 130 with a line saying where the deploy was left."""
    from .progress import with_progress

    shown: list[DeployProgress] = []

    def traced(progress: DeployProgress | None) -> deploying.DeployReport:
        shown.extend([progress] if progress is not None else [])
        return run(progress)

    try:
        return traced(None) if as_json else cast("deploying.DeployReport",
                                                 with_progress(traced))
    except VerdictError as exc:
        fail(exc, as_json, extra={"report": exc.report})
    except KeyboardInterrupt:
        trial = None if not shown else shown[0].uploaded
        print(interrupted(via, trial), file=sys.stderr, flush=True)
        raise typer.Exit(130) from None


def interrupted(via: bool, trial: bool | None) -> str:
    """What a deploy stopped with Ctrl-C left (``trial``: whether the device had the
    module and ran its trial; None: not known, with --json)."""
    if via:
        return ("interrupted: the gateway goes on with the deploy; run the same command "
                "again to follow it to the device's verdict")
    if trial:
        return ("interrupted: the new version stays on trial; the device decides by itself "
                "whether it stays (`wamr-agent ps` shows the verdict)")
    left = "" if trial is False else (", or decides the new version's trial by itself "
                                      "(`wamr-agent ps`)")
    return (f"interrupted: the device keeps running what it ran{left}; run the same command "
            "again to continue the upload where it stopped")


DEFAULT_BOARD = "esp32"
BoardArg = Annotated[str | None, typer.Option("--board", "-b", help="Board profile "
                                              "(boards/*.toml; default: esp32, or with --via "
                                              "the device's).", show_default=False)]


def via_target(via: str | None, device: str | None, port: str | None,
               options: BrokerOptions) -> Via | None:
    from ..access import via_option

    target = via_option(via, device, options)
    if target is not None and port is not None:
        raise UsageError(f"--port {port} and --via {via}: give one of them")
    return target


def runner(module: Path, board: str | None, port: str | None, baud: int,
           target: Via | None, options: Options, *, version: str | None = None,
           grants: list[str] | None = None, kv_quota: int | None = None) -> Run:
    """The deploy `deploy` runs (and `up` and `watch`): over ``port`` or the board's
    local instance, or through the gateway of ``target``."""
    from .. import deploy as deploying
    from ..remote_deploy import deploy_via

    chosen = cast("deploying.FramingChoice", options.framing)

    def run(shown: DeployProgress | None) -> deploying.DeployReport:
        if target is not None:
            return deploy_via(module, target, replace(options, version=version, grants=grants,
                                                      kv_quota=kv_quota),
                              shown.followers() if shown else None)
        return deploying.deploy(module, board or DEFAULT_BOARD, port, options.name,
                                options.start, shown.progress if shown else None,
                                shown.on_target if shown else None, chosen, baud,
                                wait=options.wait, timeout=options.timeout,
                                on_status=shown.on_status if shown else None,
                                ram_check=options.ram_check, version=version, grants=grants,
                                kv_quota=kv_quota)

    return run


def app_runner(board: str | None, port: str | None, baud: int,
               target: Via | None, options: Options,
               on_build: Callable[[BuildReport], None] | None = None,
               ) -> Callable[[AppManifest], Run]:
    """For an app folder's manifest: build when needed, then :func:`runner` for its
    module (name, version, grants) or signed bundle; ``board`` and ``options.name``
    given on the command line win over the manifest's."""
    from ..appdev.devloop import deploy_artifact

    def for_manifest(m: AppManifest) -> Run:
        chosen = m.board(board) if target is None else board
        art = deploy_artifact(m, chosen or m.board(), options.name)
        if art.built is not None and on_build is not None:
            on_build(art.built)
        return runner(art.path, chosen, port, baud, target, replace(options, name=art.name,
                                                                   board=chosen),
                      version=art.version, grants=art.grants, kv_quota=art.kv_quota)

    return for_manifest


@app.command()
@broker_options
def deploy(
    module: Annotated[Path | None, typer.Argument(
        help="The .wasm module or .wab bundle (default: the app of the wamr.toml in this "
        "folder, built when a source changed; its name, version, grants and first board "
        "unless given here).", show_default=False)] = None,
    board: BoardArg = None,
    port: PortOpt = None,
    baud: BaudOpt = BAUD,
    name: Annotated[str | None, typer.Option(help="App name (default: the manifest's, or "
                                             "the file's stem).")] = None,
    start: Annotated[bool, typer.Option("--start/--no-start", help="Start the app once "
                                        "installed.")] = True,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for the device's "
                                       "verdict on the new version's trial.")] = True,
    timeout: Annotated[float | None, typer.Option(min=0, help="Seconds to wait for the "
                                                  "verdict (default: 60 plus the health "
                                                  "policy's window).")] = None,
    ram_check: Annotated[bool, typer.Option("--ram-check/--no-ram-check", help="Refuse an "
                                            "app whose RAM estimate exceeds what the "
                                            "device has free (an upper bound on 32-bit "
                                            "MCUs).")] = True,
    framing: Annotated[str, typer.Option(help="Serial framing of the upload: console (every "
                                         "SMP device), raw (wamr-agent devices; faster) or "
                                         "auto (raw when the device lists it in its "
                                         "status).")] = "auto",
    via: ViaOpt = None,
    device: DeviceOpt = None,
    as_json: JsonOpt = False,
    *,
    broker_options: BrokerOptions,
) -> None:
    """Check a module for a board and against what runs on the device, install it
    (resumes an interrupted upload) and wait until the device confirms or reverts
    it; without --port, on the board's local QEMU or simulated instance; with --via,
    through the device's gateway (the gateway checks it, and a deploy run again
    continues where the gateway is). Without a module, the app in this folder
    (docs/app-manifest.md)."""
    from .. import deploy as deploying
    from ..appdev.manifest import load_manifest
    from ..remote_deploy import Options

    chosen = cast("deploying.FramingChoice", framing)
    guard(as_json, lambda: deploying.check_framing(chosen))
    target: Via | None = guard(as_json, lambda: via_target(via, device, port, broker_options))
    options = Options(name, board, start, wait, timeout, ram_check, framing)
    if module is None:
        built = app_runner(board, port, baud, target, options,
                           None if as_json else print_built)
        run = guard(as_json, lambda: built(load_manifest(Path.cwd())))
    else:
        run = runner(module, board, port, baud, target, options)
    report: deploying.DeployReport = guard(as_json, lambda: _outcome(run, as_json,
                                                                     target is not None))
    if as_json:
        print_json(report.as_dict())
    else:
        print(summary(report, start))
