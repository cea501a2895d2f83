"""`wamr-agent deploy / ps / start / stop / rm`: install and manage apps on a device
over SMP (the wasm-app group, :mod:`wamr_agent.smp.apps`).

A module is checked on the host first (Wasmtime validation and the device
runtime's own fit and import checks for the board): one that fails is never
sent. The target is ``--port socket://HOST:PORT``, or else the embedded
default: the running local instance of the board (QEMU for emulated boards,
the simulator for host ones), started in the background when none runs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from .boards import load_board
from .emulator import instances
from .errors import UsageError, WamrAgentError
from .pywamr import Module, Runtime
from .smp.apps import AppClient, AppInfo, Progress
from .smp.framing import Framing
from .smp.link import SmpLink

NAME_MAX = 32
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


@contextmanager
def _client(address: str, framing: Framing = Framing.CONSOLE) -> Iterator[AppClient]:
    with SmpLink(address, framing, timeout=10.0) as link:
        yield AppClient(link)


def app_name(path: str | Path, name: str | None) -> str:
    result = name if name is not None else Path(path).stem[:NAME_MAX]
    if not 0 < len(result.encode()) <= NAME_MAX:
        raise UsageError(f"app name {result!r}: use 1 to {NAME_MAX} bytes (--name)")
    return result


def deploy(path: str | Path, board: str, port: str | None = None, name: str | None = None,
           start: bool = True, progress: Progress | None = None,
           on_target: Callable[[Target], None] | None = None,
           framing: Framing = Framing.CONSOLE) -> DeployReport:
    """Pre-flight, then upload (resuming an interrupted upload of the same module) and
    install ``path`` as app ``name`` (default: the file's stem); starts it if ``start``.
    ``framing``: console (what every SMP device speaks) or raw (ours, for throughput)."""
    module = preflight(path, board)
    app = app_name(path, name)
    target = resolve_target(board, port, start=True)
    if on_target is not None:
        on_target(target)
    deploy_id = "d-" + hashlib.sha256(module.data).hexdigest()[:12]
    began = time.monotonic()
    with _client(target.address, framing) as client:
        result = client.upload(app, module.data, start=start, deploy_id=deploy_id,
                               progress=progress)
    seconds = time.monotonic() - began
    sent = result.total - result.resumed_from if not result.already_installed else 0
    return DeployReport(name=app, board=board, bytes=result.total, seconds=round(seconds, 3),
                        goodput=round(sent / seconds, 1) if seconds > 0 else 0.0,
                        target=target.description, address=target.address,
                        resumed_from=result.resumed_from,
                        already_installed=result.already_installed,
                        started_instance=target.started)


def _on_device(board: str, port: str | None, fn: Callable[[AppClient], T]) -> T:
    target = resolve_target(board, port)
    with _client(target.address) as client:
        return fn(client)


def list_apps(board: str, port: str | None = None) -> list[AppInfo]:
    return _on_device(board, port, lambda c: c.list())


def start_app(name: str, board: str, port: str | None = None) -> None:
    _on_device(board, port, lambda c: c.start(name))


def stop_app(name: str, board: str, port: str | None = None) -> None:
    _on_device(board, port, lambda c: c.stop(name))


def remove_app(name: str, board: str, port: str | None = None) -> None:
    _on_device(board, port, lambda c: c.remove(name))
