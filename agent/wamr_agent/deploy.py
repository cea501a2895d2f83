"""`wamr-agent deploy / ps / start / stop / rm / confirm / rollback / send / status / logs`:
install and manage apps on a device over SMP (the wasm-app group,
:mod:`wamr_agent.smp.apps`).

`deploy` checks the module (or signed bundle) on the host (``payload``), then
against what runs on the device (``device_trust``: the keys it trusts;
``device_fit``: free RAM and slots), uploads it
(resuming an interrupted upload), and, when it starts the app, waits for the
device's verdict on the new version's trial (``smp.lifecycle``): confirmed
returns the report; reverted, failed or no verdict in time raise
(``verdicts``). The target is ``--port`` or the board's local instance
(``targets``). The device's side of it (``installing``) is the same code a
gateway runs for a deploy through it (``remote_deploy``, ``--via``).

The upload's serial framing is ``console`` (what every SMP device speaks),
``raw`` (ours, a third less on the wire), or ``auto``: raw when the device's
status, asked in console framing, lists it; console otherwise (also for a device
that does not know the status command).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

from . import access
from .access import DeviceAccess, Via, log_events, open_device
from .device_fit import estimate_interpreted, estimate_payload
from .installing import (
    DeployReport,
    FramingChoice,
    Hooks,
    Plan,
    check_framing,
    choose_framing,
    install,
)
from .payload import load_payload
from .smp.app_results import AppStatus, LogEntry
from .smp.apps import AppClient, AppInfo, DeviceStatus, Progress
from .smp.link import DEFAULT_BAUDRATE
from .smp.logreader import LogNotice
from .targets import Target, resolve_target

__all__ = ["DeployReport", "FramingChoice", "Target", "check_framing", "choose_framing",
           "confirm_app", "deploy", "list_apps", "logs", "on_device", "remove_app",
           "resolve_target", "rollback_app", "send_message", "start_app", "status", "stop_app"]

T = TypeVar("T")


def deploy(path: str | Path, board: str, port: str | None = None, name: str | None = None,
           start: bool = True, progress: Progress | None = None,
           on_target: Callable[[Target], None] | None = None,
           framing: FramingChoice = "auto", baudrate: int = DEFAULT_BAUDRATE, *,
           wait: bool = True, timeout: float | None = None,
           on_status: Callable[[AppStatus], None] | None = None,
           ram_check: bool = True, version: str | None = None,
           grants: list[str] | None = None, kv_quota: int | None = None) -> DeployReport:
    """Pre-flight on the host and against the device, upload (resuming an interrupted
    upload of the same bytes) and install ``path`` as app ``name`` (default: the
    file's stem); with ``start``, start it and (``wait``) wait for the device's
    verdict: Reverted, InstallFailed or VerdictTimeout unless it is confirmed (or
    awaits an operator's confirm). ``ram_check``: compare the RAM estimate with the
    device's free RAM (only when starting). ``version``, ``grants`` (None: all) and
    ``kv_quota`` (None: the board's) go with a module's upload (a bundle carries its
    own)."""
    check_framing(framing)
    app, payload = load_payload(path, board, name, version=version, grants=grants,
                                kv_quota=kv_quota)
    need = estimate_payload(path, board, payload) if start and ram_check else None
    plan = Plan(app, payload, need, start, wait, timeout, framing,
                interpreted=partial(estimate_interpreted, path, board, payload))
    target = resolve_target(board, port, start=True)
    if on_target is not None:
        on_target(target)
    with access.smp_link(target.address, baudrate) as link:
        return install(link, AppClient(link), plan, board, target,
                       Hooks(progress=progress, on_status=on_status))


def on_device(board: str, port: str | None, fn: Callable[[DeviceAccess], T],
              baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> T:
    """``fn`` of the device at ``via`` (through its gateway), ``port`` or the board's
    running local instance."""
    with open_device(board, port, baudrate, via) as device:
        return fn(device)


def list_apps(board: str, port: str | None = None, baudrate: int = DEFAULT_BAUDRATE,
              via: Via | None = None) -> list[AppInfo]:
    """The apps installed on the device (``via``: through a gateway, see ``access``)."""
    return on_device(board, port, lambda c: c.list(), baudrate, via)


def start_app(name: str, board: str, port: str | None = None,
              baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    on_device(board, port, lambda c: c.start(name), baudrate, via)


def stop_app(name: str, board: str, port: str | None = None,
             baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    on_device(board, port, lambda c: c.stop(name), baudrate, via)


def remove_app(name: str, board: str, port: str | None = None,
               baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    on_device(board, port, lambda c: c.remove(name), baudrate, via)


def confirm_app(name: str, board: str, port: str | None = None,
                baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    """Confirms the version of ``name`` on trial (a manual-confirm policy)."""
    on_device(board, port, lambda c: c.confirm(name), baudrate, via)


def rollback_app(name: str, board: str, port: str | None = None,
                 baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    """Reverts the version of ``name`` on trial; the previous version runs again."""
    on_device(board, port, lambda c: c.rollback(name), baudrate, via)


def send_message(name: str, data: bytes, board: str, port: str | None = None,
                 baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    """Delivers message ``data`` to app ``name`` (wamr_agent.messages): returns once the
    device has queued it in the app's inbox."""
    on_device(board, port, lambda c: c.send(name, data), baudrate, via)


def status(board: str, port: str | None = None, name: str | None = None,
           baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None,
           ) -> DeviceStatus | AppStatus:
    """The device's status, or app ``name``'s."""
    return on_device(board, port, lambda c: c.status() if name is None else c.status(name),
                      baudrate, via)


def logs(board: str, port: str | None = None, since: int = 0, follow: bool = False,
         baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None,
         stop: threading.Event | None = None) -> Iterator[LogEntry | LogNotice]:
    """The device's kept console lines from ``since`` on; with ``follow``, new ones as
    they come, until the caller stops iterating or sets ``stop`` (one connection
    throughout)."""
    with open_device(board, port, baudrate, via) as device:
        yield from log_events(device, since, follow, stop)
