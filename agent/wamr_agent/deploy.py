"""`wamr-agent deploy / ps / start / stop / rm / confirm / rollback / status / logs`:
install and manage apps on a device over SMP (the wasm-app group,
:mod:`wamr_agent.smp.apps`).

`deploy` checks the module (or signed bundle) on the host (``payload``), then
against what runs on the device (``device_fit``: free RAM and slots), uploads it
(resuming an interrupted upload), and, when it starts the app, waits for the
device's verdict on the new version's trial (``smp.lifecycle``): confirmed
returns the report; reverted, failed or no verdict in time raise
(``verdicts``). The target is ``--port`` or the board's local instance
(``targets``).

The upload's serial framing is ``console`` (what every SMP device speaks),
``raw`` (ours, a third less on the wire), or ``auto``: raw when the device's
status, asked in console framing, lists it; console otherwise (also for a device
that does not know the status command).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from . import access
from .access import DeviceAccess, Via, log_events, open_device
from .device_fit import RamEstimate, Survey, check_fit, estimate_ram, survey_device
from .errors import UsageError
from .payload import Payload, load_payload
from .smp.app_results import AppStatus, LogEntry, Reason, Trial
from .smp.apps import AppClient, AppInfo, DeviceStatus, Progress, UploadResult
from .smp.framing import Framing
from .smp.lifecycle import Verdict, wait_for_verdict
from .smp.link import DEFAULT_BAUDRATE, SmpLink
from .smp.logreader import LogNotice
from .targets import Target, resolve_target
from .verdicts import judge, status_version

__all__ = ["DeployReport", "FramingChoice", "Target", "check_framing", "choose_framing",
           "confirm_app", "deploy", "list_apps", "logs", "remove_app", "resolve_target",
           "rollback_app", "start_app", "status", "stop_app"]

FRAMINGS = ("auto", "console", "raw")
FramingChoice = Framing | Literal["auto", "console", "raw"]
T = TypeVar("T")
DECIDED = ("confirmed", "reverted", "failed", "awaiting")


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
    already_installed: bool  # the identical module is installed and needs nothing
    started_instance: bool
    framing: str  # the upload's: console or raw
    version: str | None = None
    life: str | None = None  # the uploaded slot's, at the end; None: the device has no lifecycle
    reason: Reason | None = None  # why reverted or failed
    trial: Trial | None = None  # the last trial figures the device reported
    verdict_seconds: float | None = None  # end of upload to the device's verdict
    ram_estimate: int | None = None  # bytes of RAM the pre-flight expected it to need

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Upload:
    result: UploadResult
    seconds: float
    framing: Framing


def check_framing(choice: FramingChoice) -> None:
    if not isinstance(choice, Framing) and choice not in FRAMINGS:
        raise UsageError(f"unknown framing {choice!r}; use auto, console or raw")


def framing_for(choice: FramingChoice, device: DeviceStatus | None) -> Framing:
    """The framing for an upload: ``choice``, or for ``auto`` raw when the device's
    status lists it, else console."""
    check_framing(choice)
    if isinstance(choice, Framing):
        return choice
    if choice != "auto":
        return Framing[choice.upper()]
    return Framing.RAW if device is not None and "raw" in device.framings else Framing.CONSOLE


def choose_framing(client: AppClient, choice: FramingChoice) -> Framing:
    """:func:`framing_for`, asking the device's status only for ``auto``."""
    check_framing(choice)
    return framing_for(choice, client.device_status() if choice == "auto" else None)


def _upload(link: SmpLink, client: AppClient, app: str, payload: Payload,
            need: RamEstimate | None, framing: FramingChoice, start: bool,
            progress: Progress | None) -> _Upload:
    """Checks the device's room (FitError before a byte is sent), then uploads."""
    survey: Survey | None = survey_device(client)
    if survey is not None:
        check_fit(survey, app, need)
    chosen = link.framing = framing_for(framing, survey.status if survey else None)
    began = time.monotonic()
    result = client.upload(app, payload.data, start=start, deploy_id=_deploy_id(payload),
                           version=payload.version, progress=progress, bundle=payload.bundle)
    return _Upload(result, time.monotonic() - began, chosen)


def _deploy_id(payload: Payload) -> str:
    return "d-" + payload.sha.hex()[:12]


def _verdict(client: AppClient, app: str, payload: Payload, result: UploadResult,
             wait: bool, timeout: float | None,
             on_status: Callable[[AppStatus], None] | None) -> Verdict | AppStatus:
    """The device's verdict on the trial the upload began, or (nothing to wait for:
    not started, --no-wait, already installed) the slot's status as it is."""
    if wait and not result.already_installed:
        return wait_for_verdict(client, app, payload.sha, timeout=timeout, on_status=on_status)
    return client.status(app, payload.sha)


def _report(app: str, board: str, target: Target, payload: Payload, up: _Upload,
            end: Verdict | AppStatus, need: RamEstimate | None) -> DeployReport:
    r, status = up.result, end.status if isinstance(end, Verdict) else end
    decided = isinstance(end, Verdict) and end.outcome in DECIDED
    sent = r.total - r.resumed_from if not r.already_installed else 0
    return DeployReport(
        name=app, board=board, bytes=r.total, seconds=round(up.seconds, 3),
        goodput=round(sent / up.seconds, 1) if up.seconds > 0 else 0.0,
        target=target.description, address=target.address, resumed_from=r.resumed_from,
        already_installed=r.already_installed, started_instance=target.started,
        framing=up.framing.name.lower(), version=status_version(status, payload.version),
        life=status.life, reason=status.reason,
        trial=end.trial if isinstance(end, Verdict) else status.trial,
        verdict_seconds=round(end.seconds, 3) if isinstance(end, Verdict) and decided else None,
        ram_estimate=need.total if need is not None else None)


def deploy(path: str | Path, board: str, port: str | None = None, name: str | None = None,
           start: bool = True, progress: Progress | None = None,
           on_target: Callable[[Target], None] | None = None,
           framing: FramingChoice = "auto", baudrate: int = DEFAULT_BAUDRATE, *,
           wait: bool = True, timeout: float | None = None,
           on_status: Callable[[AppStatus], None] | None = None,
           ram_check: bool = True) -> DeployReport:
    """Pre-flight on the host and against the device, upload (resuming an interrupted
    upload of the same bytes) and install ``path`` as app ``name`` (default: the
    file's stem); with ``start``, start it and (``wait``) wait for the device's
    verdict: Reverted, InstallFailed or VerdictTimeout unless it is confirmed (or
    awaits an operator's confirm). ``ram_check``: compare the RAM estimate with the
    device's free RAM (only when starting)."""
    check_framing(framing)
    app, payload = load_payload(path, board, name)
    need = estimate_ram(path, board, payload.module, payload.grants) if (
        start and ram_check) else None
    target = resolve_target(board, port, start=True)
    if on_target is not None:
        on_target(target)
    with access.smp_link(target.address, baudrate) as link:
        client = AppClient(link)
        up = _upload(link, client, app, payload, need, framing, start, progress)
        end = _verdict(client, app, payload, up.result, start and wait, timeout, on_status)
        failure = judge(client, app, payload.sha, end, payload.version) if isinstance(
            end, Verdict) else None
    report = _report(app, board, target, payload, up, end, need)
    if failure is not None:
        raise failure.error(report.as_dict())
    return report


def _on_device(board: str, port: str | None, fn: Callable[[DeviceAccess], T],
               baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> T:
    with open_device(board, port, baudrate, via) as device:
        return fn(device)


def list_apps(board: str, port: str | None = None, baudrate: int = DEFAULT_BAUDRATE,
              via: Via | None = None) -> list[AppInfo]:
    """The apps installed on the device (``via``: through a gateway, see ``access``)."""
    return _on_device(board, port, lambda c: c.list(), baudrate, via)


def start_app(name: str, board: str, port: str | None = None,
              baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    _on_device(board, port, lambda c: c.start(name), baudrate, via)


def stop_app(name: str, board: str, port: str | None = None,
             baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    _on_device(board, port, lambda c: c.stop(name), baudrate, via)


def remove_app(name: str, board: str, port: str | None = None,
               baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    _on_device(board, port, lambda c: c.remove(name), baudrate, via)


def confirm_app(name: str, board: str, port: str | None = None,
                baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    """Confirms the version of ``name`` on trial (a manual-confirm policy)."""
    _on_device(board, port, lambda c: c.confirm(name), baudrate, via)


def rollback_app(name: str, board: str, port: str | None = None,
                 baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None) -> None:
    """Reverts the version of ``name`` on trial; the previous version runs again."""
    _on_device(board, port, lambda c: c.rollback(name), baudrate, via)


def status(board: str, port: str | None = None, name: str | None = None,
           baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None,
           ) -> DeviceStatus | AppStatus:
    """The device's status, or app ``name``'s."""
    return _on_device(board, port, lambda c: c.status() if name is None else c.status(name),
                      baudrate, via)


def logs(board: str, port: str | None = None, since: int = 0, follow: bool = False,
         baudrate: int = DEFAULT_BAUDRATE, via: Via | None = None,
         ) -> Iterator[LogEntry | LogNotice]:
    """The device's kept console lines from ``since`` on; with ``follow``, new ones as
    they come, until the caller stops iterating (one connection throughout)."""
    with open_device(board, port, baudrate, via) as device:
        yield from log_events(device, since, follow)
