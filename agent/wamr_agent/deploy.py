"""`wamr-agent deploy / ps / start / stop / rm / status / logs`: install and manage
apps on a device over SMP (the wasm-app group, :mod:`wamr_agent.smp.apps`).

A module is checked on the host first (Wasmtime validation and the device
runtime's own fit and import checks for the board): one that fails is never
sent. A signed bundle (``.wab``, ota/FORMAT.md) is checked the same way (its
layout, its target boards, and the module inside with the capabilities its
manifest grants) and sent whole: the device verifies the signature against the
keys it trusts and refuses a lower security counter than the installed app's.
The target is ``--port`` (a serial device such as ``/dev/ttyUSB0``, or
``socket://HOST:PORT``), or else the embedded default: the running local
instance of the board (QEMU for emulated boards, the simulator for host ones),
started in the background when none runs.

The upload's serial framing is ``console`` (what every SMP device speaks),
``raw`` (ours, a third less on the wire), or ``auto``: the device's status, asked
in console framing, lists the framings it accepts; raw when it lists raw,
console otherwise (also for a device that does not know the status command).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from .agent_err import AgentErr
from .boards import load_board
from .emulator import instances
from .errors import BoardError, InputError, UsageError, WamrAgentError
from .ota.bundle import MAGIC as BUNDLE_MAGIC
from .ota.bundle import parse_bundle
from .pywamr import Module, Runtime
from .smp.app_results import LogEntry
from .smp.apps import AppClient, AppInfo, AppStatus, DeviceStatus, Progress
from .smp.framing import Framing
from .smp.link import DEFAULT_BAUDRATE, SmpLink
from .smp.logreader import LogNotice, read_logs

NAME_MAX = 32
FRAMINGS = ("auto", "console", "raw")
FramingChoice = Framing | Literal["auto", "console", "raw"]
T = TypeVar("T")
_KIND = {"qemu": instances.QEMU, "host": instances.SIM}
_WHAT = {instances.QEMU: "QEMU", instances.SIM: "simulated"}


@dataclass(frozen=True)
class Target:
    address: str
    description: str
    started: bool = False  # an instance was started for this command


@dataclass(frozen=True)
class DeployReport:
    name: str
    board: str
    bytes: int
    seconds: float
    goodput: float  # module bytes sent per second
    target: str
    address: str
    resumed_from: int
    already_installed: bool
    started_instance: bool
    framing: str  # the upload's: console or raw

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def preflight(path: str | Path, board: str) -> Module:
    """The validated module, after the device runtime's fit and import checks for
    ``board``; raises (InputError, FitError, LinkError, ...) otherwise."""
    module = Module.from_file(path)
    try:
        Runtime(board).check(module)
    except WamrAgentError as exc:
        raise type(exc)(f"{path}: not sent, pre-flight check for {board} failed: {exc}",
                        exc.code) from exc
    return module


@dataclass(frozen=True)
class Payload:
    """What `deploy` sends: a module, or a bundle (its manifest's name and version)."""

    data: bytes
    bundle: bool
    name: str | None = None
    version: str | None = None


def bundle_preflight(path: str | Path, board: str) -> Payload:
    """A bundle's layout and target boards, and the host pre-flight of its module with
    the capabilities it grants; the signature is the device's to check."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        m = parse_bundle(data).manifest
    except WamrAgentError as exc:
        raise type(exc)(f"{path}: not sent: {exc}", exc.code) from exc
    if load_board(board).name not in m.boards:
        raise BoardError(f"{path}: not sent: the bundle is for {', '.join(m.boards)}, not "
                         f"{board}", AgentErr.WRONG_BOARD)
    module = Module(data[-m.module_len:], name=m.name)
    try:
        Runtime(board, grants=list(m.caps)).check(module)
    except WamrAgentError as exc:
        raise type(exc)(f"{path}: not sent, pre-flight check for {board} failed: {exc}",
                        exc.code) from exc
    return Payload(data, True, m.name, m.version)


def is_bundle(path: str | Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(BUNDLE_MAGIC)) == BUNDLE_MAGIC
    except OSError:
        return False  # the module pre-flight reports the file


def resolve_target(board: str, port: str | None = None, *, start: bool = False) -> Target:
    """Where to send: ``port``, else the board's running local instance (started in
    the background as instance BOARD when ``start`` and none runs)."""
    if port:
        return Target(port, f"{port} (--port)")
    profile = load_board(board)
    kind = _KIND[profile.emulation]
    what = _WHAT[kind]
    running = [i for i in instances.instances(kind)
               if i.board == profile.name and i.status == "running"]
    if running:
        info = running[0]
        return Target(info.mgmt_address, f"local {what} {profile.name} (instance "
                      f"'{info.name}', {info.mgmt_address})")
    if not start:
        group = "board up BOARD" if kind == instances.QEMU else "sim up --board BOARD"
        raise UsageError(f"no running local {what} {profile.name} and no --port; start one "
                         f"with `wamr-agent {group.replace('BOARD', profile.name)}` or "
                         f"deploy an app")
    info = instances.up(profile.name, None, (), None, False, kind)
    return Target(info.mgmt_address, f"local {what} {profile.name} (instance "
                  f"'{info.name}', started now, {info.mgmt_address})", started=True)


def _link(address: str, baudrate: int) -> SmpLink:
    return SmpLink(address, Framing.CONSOLE, timeout=10.0, baudrate=baudrate)


@contextmanager
def _client(address: str, baudrate: int = DEFAULT_BAUDRATE) -> Iterator[AppClient]:
    with _link(address, baudrate) as link:
        yield AppClient(link)


def check_framing(choice: FramingChoice) -> None:
    if not isinstance(choice, Framing) and choice not in FRAMINGS:
        raise UsageError(f"unknown framing {choice!r}; use auto, console or raw")


def choose_framing(client: AppClient, choice: FramingChoice) -> Framing:
    """The framing for an upload: ``choice``, or for ``auto`` raw when the device's
    status lists it, else console."""
    check_framing(choice)
    if isinstance(choice, Framing):
        return choice
    if choice != "auto":
        return Framing[choice.upper()]
    return Framing.RAW if "raw" in client.framings() else Framing.CONSOLE


def app_name(path: str | Path, name: str | None) -> str:
    result = name if name is not None else Path(path).stem[:NAME_MAX]
    if not 0 < len(result.encode()) <= NAME_MAX:
        raise UsageError(f"app name {result!r}: use 1 to {NAME_MAX} bytes (--name)")
    return result


def deploy(path: str | Path, board: str, port: str | None = None, name: str | None = None,
           start: bool = True, progress: Progress | None = None,
           on_target: Callable[[Target], None] | None = None,
           framing: FramingChoice = "auto", baudrate: int = DEFAULT_BAUDRATE) -> DeployReport:
    """Pre-flight, then upload (resuming an interrupted upload of the same module) and
    install ``path`` as app ``name`` (default: the file's stem); starts it if ``start``.
    ``framing``: auto, console or raw (see the module docstring)."""
    check_framing(framing)
    if is_bundle(path):
        payload = bundle_preflight(path, board)
        if name is not None and name != payload.name:
            raise UsageError(f"{path} is a bundle for app {payload.name!r}; --name cannot "
                             "rename it")
    else:
        payload = Payload(preflight(path, board).data, False)
    app = payload.name or app_name(path, name)
    target = resolve_target(board, port, start=True)
    if on_target is not None:
        on_target(target)
    deploy_id = "d-" + hashlib.sha256(payload.data).hexdigest()[:12]
    with _link(target.address, baudrate) as link:
        client = AppClient(link)
        chosen = link.framing = choose_framing(client, framing)
        began = time.monotonic()
        result = client.upload(app, payload.data, start=start, deploy_id=deploy_id,
                               version=payload.version, progress=progress,
                               bundle=payload.bundle)
    seconds = time.monotonic() - began
    sent = result.total - result.resumed_from if not result.already_installed else 0
    return DeployReport(name=app, board=board, bytes=result.total, seconds=round(seconds, 3),
                        goodput=round(sent / seconds, 1) if seconds > 0 else 0.0,
                        target=target.description, address=target.address,
                        resumed_from=result.resumed_from,
                        already_installed=result.already_installed,
                        started_instance=target.started, framing=chosen.name.lower())


def _on_device(board: str, port: str | None, fn: Callable[[AppClient], T],
               baudrate: int = DEFAULT_BAUDRATE) -> T:
    target = resolve_target(board, port)
    with _client(target.address, baudrate) as client:
        return fn(client)


def list_apps(board: str, port: str | None = None,
              baudrate: int = DEFAULT_BAUDRATE) -> list[AppInfo]:
    return _on_device(board, port, lambda c: c.list(), baudrate)


def start_app(name: str, board: str, port: str | None = None,
              baudrate: int = DEFAULT_BAUDRATE) -> None:
    _on_device(board, port, lambda c: c.start(name), baudrate)


def stop_app(name: str, board: str, port: str | None = None,
             baudrate: int = DEFAULT_BAUDRATE) -> None:
    _on_device(board, port, lambda c: c.stop(name), baudrate)


def remove_app(name: str, board: str, port: str | None = None,
               baudrate: int = DEFAULT_BAUDRATE) -> None:
    _on_device(board, port, lambda c: c.remove(name), baudrate)


def status(board: str, port: str | None = None, name: str | None = None,
           baudrate: int = DEFAULT_BAUDRATE) -> DeviceStatus | AppStatus:
    """The device's status, or app ``name``'s."""
    return _on_device(board, port, lambda c: c.status() if name is None else c.status(name),
                      baudrate)


def logs(board: str, port: str | None = None, since: int = 0, follow: bool = False,
         baudrate: int = DEFAULT_BAUDRATE) -> Iterator[LogEntry | LogNotice]:
    """The device's kept console lines from ``since`` on; with ``follow``, new ones as
    they come, until the caller stops iterating (one connection throughout)."""
    target = resolve_target(board, port)
    with _client(target.address, baudrate) as client:
        yield from read_logs(client, since, follow=follow)
