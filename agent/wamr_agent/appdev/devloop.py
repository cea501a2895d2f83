"""The app developer's loop (docs/dev-loop.md): build an app from its manifest and
check the result against the manifest's boards (`wamr-agent build`), and `up` /
`watch`: build, deploy, then follow the app's console lines; `watch` also rebuilds
and redeploys whenever a source file or ``wamr.toml`` changes, reporting a build or
deploy error and going on.

The deploy itself is the caller's (the CLI passes the same function `deploy` runs),
and so is the device the lines come from, so this module knows neither the CLI
nor how a device is reached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..boards import load_board
from ..errors import FitError, LinkError, ManifestError, WamrAgentError
from ..smp.app_results import LogEntry
from ..smp.logreader import LogNotice, read_logs
from .manifest import MANIFEST, AppManifest, load_manifest

if TYPE_CHECKING:
    from ..access import DeviceAccess
    from ..installing import DeployReport

__all__ = ["BoardFit", "BuildReport", "Loop", "LoopEvents", "app_line", "build_app",
           "ensure_built", "needs_build", "snapshot"]

POLL_SECONDS = 0.05  # between two looks at the sources' modification times
LOG_POLL_SECONDS = 0.25  # between two reads of a device with no new line


@dataclass(frozen=True)
class BoardFit:
    """Whether the built module fits one of the manifest's boards, and why not."""

    board: str
    fits: bool
    reason: str = ""
    exit_code: int = 0  # why not: 4 board, 5 fit, 6 an import (as `inspect` exits)


@dataclass(frozen=True)
class BuildReport:
    name: str
    version: str
    language: str
    out: str
    size: int
    seconds: float
    capabilities: list[str]
    boards: list[BoardFit]
    commands: list[list[str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def board_fit(m: AppManifest, module: Path, board: str) -> tuple[BoardFit, list[str]]:
    """The inspect verdict for ``board`` with the manifest's grants, and the
    capabilities the module needs; a CPU budget below the manifest's does not fit."""
    from ..inspection import inspect_module

    report = inspect_module(module, board, m.grant_list())
    if not report.verdict.fits:
        return BoardFit(board, False, "; ".join(report.verdict.reasons),
                        report.verdict.exit_code), report.capabilities
    ticks = load_board(board).budget.cpu_ticks
    if m.cpu_ticks is not None and 0 < ticks < m.cpu_ticks:
        why = (f"its CPU budget is {ticks} ticks per call, below the manifest's "
               f"budget.cpu_ticks = {m.cpu_ticks}")
        return BoardFit(board, False, why, FitError.exit_code), report.capabilities
    return BoardFit(board, True), report.capabilities


def build_app(m: AppManifest) -> BuildReport:
    """Builds the app with its language's toolchain, then inspects the module for
    every board of the manifest: FitError naming the first board it does not fit
    (the toolchain's ToolchainMissing or BuildFailed when it does not build)."""
    from ..inspection import refusal
    from .toolchains import build

    result = build(m.language, m.folder, list(m.sources), m.out, kind=m.kind,
                   stack_size=m.stack_size)
    checked = [board_fit(m, result.out, b) for b in m.boards]
    fits = [fit for fit, _caps in checked]
    needed = sorted({cap for _fit, caps in checked for cap in caps})
    missing = [cap for cap in needed if m.grants is not None and cap not in m.grants]
    if missing:
        raise LinkError(f"{result.out}: its imports need {', '.join(missing)}, which the "
                        "manifest's grants leave out")
    bad = next((f for f in fits if not f.fits), None)
    if bad is not None:
        raise refusal(bad.exit_code, f"{result.out} does not fit {bad.board}: {bad.reason}")
    return BuildReport(m.name, m.version, m.language, str(result.out), result.out.stat().st_size,
                       round(result.seconds, 3), needed, fits,
                       result.commands)


def snapshot(m: AppManifest) -> dict[Path, int]:
    """Modification times (ns) of what the build depends on
    (:meth:`AppManifest.watched_files`); a missing manifest counts as -1."""
    stamps: dict[Path, int] = {}
    for path in m.watched_files():
        try:
            stamps[path] = path.stat().st_mtime_ns
        except OSError:
            stamps[path] = -1
    return stamps


def needs_build(m: AppManifest) -> bool:
    """The output is missing or older than a source or the manifest."""
    try:
        built = m.out.stat().st_mtime_ns
    except OSError:
        return True
    return any(stamp > built for stamp in snapshot(m).values())


def ensure_built(m: AppManifest) -> BuildReport | None:
    """Builds when :func:`needs_build`; None when the output is up to date."""
    return build_app(m) if needs_build(m) else None


def app_line(name: str, msg: str) -> bool:
    """A console line about app ``name``: its log (``[name] ...``), its telemetry
    (``telemetry name key=value``) or the agent's events (``app name ...``)."""
    return (msg.startswith((f"[{name}] ", f"telemetry {name} "))
            or msg.startswith((f"app {name} ", f"app {name}:")))


@dataclass(frozen=True)
class LoopEvents:
    """What the caller shows of the loop."""

    on_build: Callable[[BuildReport], None]
    on_deploy: Callable[[DeployReport], None]
    on_error: Callable[[WamrAgentError], None]
    on_log: Callable[[LogEntry | LogNotice], None]
    on_change: Callable[[list[Path]], None] = lambda _paths: None


class _Changed(Exception):
    """A watched file changed while the loop followed the device's lines."""


Deploy = Callable[[AppManifest], "DeployReport"]
OpenDevice = Callable[[], AbstractContextManager["DeviceAccess"]]


class Loop:
    """`up` (``watch=False``) and `watch` for the app in ``folder``: ``deploy``
    installs a manifest's build on the device (as `deploy` does), ``device`` opens
    the device to read its console lines from. Runs until KeyboardInterrupt; `up`
    raises the first build or deploy error, `watch` reports it and waits for the
    next change. ``stop``, once set (the CLI's Ctrl-C handler sets it), raises
    KeyboardInterrupt at the next step of a wait: a Ctrl-C whose exception Python
    dropped (raised inside a finalizer the garbage collector ran) still ends it."""

    def __init__(self, folder: Path, deploy: Deploy, device: OpenDevice,
                 events: LoopEvents, *, watch: bool, poll: float = POLL_SECONDS,
                 log_poll: float = LOG_POLL_SECONDS,
                 stop: threading.Event | None = None) -> None:
        self.folder, self.deploy, self.device, self.events = folder, deploy, device, events
        self.watch, self.poll, self.log_poll = watch, poll, log_poll
        self.stop = stop if stop is not None else threading.Event()
        self.stamps: dict[Path, int] = {}
        self.name: str | None = None
        self.since: int | None = None

    def run(self) -> None:
        while True:
            self.cycle()
            if self.name is None:
                self.wait_for_change()
                continue
            self.follow()

    def cycle(self) -> None:
        """Load the manifest, build if needed, deploy; `watch` reports a failure."""
        self.stamps = self.stamp()
        try:
            m = load_manifest(self.folder)
            self.name = m.name
            if self.since is None:
                self.since = self.log_end()
            built = ensure_built(m)
            if built is not None:
                self.events.on_build(built)
            self.events.on_deploy(self.deploy(m))
        except WamrAgentError as exc:
            if not self.watch:
                raise
            self.events.on_error(exc)

    def log_end(self) -> int:
        """The sequence number of the device's next console line (lines from the deploy
        on are shown, not what the board printed before)."""
        with self.device() as device:
            page = device.logs(0)
            while page.lines:
                page = device.logs(page.next)
            return page.next

    def follow(self) -> None:
        """Print the app's lines until a watched file changes (or forever)."""
        try:
            with self.device() as device:
                for event in read_logs(device, self.since or 0, follow=True,
                                       interval=self.log_poll, sleep=self.pause):
                    self.show(event)
        except _Changed:
            return
        except WamrAgentError as exc:  # the link dropped: `watch` tries again
            if not self.watch:
                raise
            self.events.on_error(exc)
            self.wait_for_change()

    def show(self, event: LogEntry | LogNotice) -> None:
        if isinstance(event, LogNotice):
            if event.kind == "reboot":
                self.since = 0
            self.events.on_log(event)
            return
        self.since = event.seq + 1
        if self.name is not None and app_line(self.name, event.msg):
            self.events.on_log(event)

    def pause(self, seconds: float) -> None:
        """The log reader's wait, in steps that look at the watched files."""
        end = time.monotonic() + seconds
        while True:
            self.check()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(self.poll, left))

    def check(self) -> None:
        """KeyboardInterrupt once ``stop`` is set; _Changed when `watch` sees a
        watched file changed (once it settles)."""
        if self.stop.is_set():
            raise KeyboardInterrupt
        if not self.watch:
            return
        changed = self.changed()
        if changed:
            time.sleep(self.poll)  # an editor's save may take more than one write
            self.events.on_change(changed)
            raise _Changed

    def stamp(self) -> dict[Path, int]:
        """:func:`snapshot` of the manifest as it is now (of a broken one: its own
        modification time alone)."""
        try:
            return snapshot(load_manifest(self.folder))
        except WamrAgentError:
            path = self.folder / MANIFEST
            return {path: path.stat().st_mtime_ns if path.exists() else -1}

    def changed(self) -> list[Path]:
        now = self.stamp()
        if now == self.stamps:
            return []
        return sorted(p for p in now.keys() | self.stamps.keys()
                      if now.get(p) != self.stamps.get(p))

    def wait_for_change(self) -> None:
        try:
            while True:
                self.check()
                time.sleep(self.poll)
        except _Changed:
            return



@dataclass(frozen=True)
class Artifact:
    """What `deploy` sends for an app folder: its module with the manifest's name,
    version and grants, or (with a signing key) a signed bundle carrying them."""

    path: Path
    name: str | None  # None: the bundle's
    version: str | None
    grants: list[str] | None
    built: BuildReport | None  # None: the module was up to date
    kv_quota: int | None = None  # [storage] quota (a bundle carries it)


def deploy_artifact(m: AppManifest, board: str, name: str | None = None) -> Artifact:
    """Builds when needed, then the module to upload, or with ``[signing]`` the
    bundle (for the manifest's boards and ``board``, signed with its key) next to it."""
    built = ensure_built(m)
    if m.signing is None and m.aot:
        raise ManifestError(f"{m.path}: aot = true needs [signing]: AOT code runs only from "
                            "a signed bundle (docs/aot.md)")
    if m.signing is None:
        return Artifact(m.out, name or m.name, m.version, m.grant_list(), built, m.kv_quota)
    from ..ota.pack import pack

    boards = list(m.boards) if board in m.boards else [*m.boards, board]
    report = pack(m.out, None, key=m.signing.load(), version=m.version, seq=m.signing.seq,
                  boards=boards, name=name or m.name, grants=m.grant_list(), health=m.health,
                  kv_quota=m.kv_quota, aot=m.aot)
    return Artifact(Path(report.path), None, None, None, built)
