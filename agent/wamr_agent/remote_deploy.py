"""`deploy --via`: a module or bundle deployed through a gateway (docs/mqtt.md,
"Deploying through a gateway").

The client reads the file, names the app and the deploy (``d-`` and 12 hex digits
of its SHA-256, the id a direct deploy gives the device), begins the job, sends
the bytes in chunks from the offset the gateway has (so a run after a dropped
connection or a gateway restart continues where the gateway is, sending again at
most the chunk that was in flight), then follows the job to its end: the report,
or the error a direct deploy would have raised, with its exit code. The checks
are the gateway's, for its device's board; the client only reads the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from .errors import TransportError, UsageError, VerdictError, WamrAgentError
from .installing import DeployReport, deploy_id
from .mqtt import results
from .mqtt.deploys import CHUNK_BYTES, Chunk, DeploySpec, JobQuery, JobView
from .ota.bundle import MAGIC as BUNDLE_MAGIC
from .ota.bundle import parse_bundle
from .payload import app_name, read_payload
from .remote import RemoteDevice, Via
from .smp.app_results import AppStatus
from .smp.apps import Progress

__all__ = ["Followers", "Options", "deploy_via", "read_spec", "run_job"]

FOLLOW_WAIT = 0.25  # seconds a `job` request waits for a change (progress shown meanwhile)


@dataclass(frozen=True)
class Options:
    """`deploy`'s options, as a direct deploy takes them; ``board``: the board the
    caller expects the device to be (None: whatever it is); ``version`` and
    ``grants`` (None: all) go with a module (a bundle carries its own: the gateway
    refuses one with grants)."""

    name: str | None = None
    board: str | None = None
    start: bool = True
    wait: bool = True
    timeout: float | None = None
    ram_check: bool = True
    framing: str = "auto"
    version: str | None = None
    grants: list[str] | None = None
    kv_quota: int | None = None


@dataclass(frozen=True)
class Followers:
    """What the caller shows: the target once the file is read, bytes taken by the
    gateway, each new phase of the job, the device's upload, and the app's status
    on trial."""

    on_target: Callable[[str], None] | None = None
    to_gateway: Progress | None = None
    on_phase: Callable[[str], None] | None = None
    progress: Progress | None = None
    on_status: Callable[[AppStatus], None] | None = None


class Caller(Protocol):
    """One command to the device's gateway (RemoteDevice.call)."""

    def call(self, verb: str, args: dict[str, Any] | None = None) -> dict[str, Any]: ...


def read_spec(path: str | Path, options: Options) -> tuple[DeploySpec, bytes]:
    """The deploy's spec and bytes for ``path`` (InputError, UsageError as a direct
    deploy gives them for a file it cannot send)."""
    data, o = read_payload(path), options
    sha = hashlib.sha256(data).digest()
    bundle = data.startswith(BUNDLE_MAGIC)
    name, version = _bundle_app(path, data, o.name) if bundle else (app_name(path, o.name),
                                                                     o.version)
    return DeploySpec(deploy_id(sha), name, len(data), sha.hex(), bundle, version, o.start,
                      o.wait, o.timeout, o.ram_check, o.framing, str(path), o.board,
                      o.grants, o.kv_quota), data


def _bundle_app(path: str | Path, data: bytes, name: str | None) -> tuple[str, str]:
    """A bundle's app name and version, from its manifest."""
    try:
        m = parse_bundle(data).manifest
    except WamrAgentError as exc:
        raise type(exc)(f"{path}: not sent: {exc}", exc.code) from exc
    if name is not None and name != m.name:
        raise UsageError(f"{path} is a bundle for app {m.name!r}; --name cannot rename it")
    return m.name, m.version


def _view(result: dict[str, Any]) -> JobView:
    try:
        return JobView.from_result(result)
    except (KeyError, TypeError, ValueError) as exc:
        raise TransportError(f"unreadable deploy job from the gateway: {exc!r}") from None


def _send(caller: Caller, spec: DeploySpec, data: bytes, view: JobView,
          shown: Followers) -> JobView:
    """Sends the bytes from the gateway's offset on, one chunk at a time."""
    while view.phase == "receiving":
        off = view.received
        chunk = Chunk(spec.deploy, off, data[off:off + CHUNK_BYTES])
        view = _view(caller.call("deploy", chunk.to_args()))
        if view.phase == "receiving" and view.received == off:
            raise TransportError(f"the gateway did not take the bytes at {off} of "
                                 f"{spec.deploy}")
        if shown.to_gateway is not None:
            shown.to_gateway(view.received, view.len)
    return view


def _show(view: JobView, last: JobView | None, shown: Followers) -> None:
    if shown.on_phase is not None and (last is None or last.phase != view.phase):
        shown.on_phase(view.phase)
    if shown.progress is not None and view.phase == "uploading" and view.sent:
        shown.progress(view.sent, view.len)
    changed = last is None or last.status != view.status
    if shown.on_status is not None and view.status is not None and changed:
        shown.on_status(results.build(AppStatus, view.status))


def run_job(caller: Caller, spec: DeploySpec, data: bytes,
            shown: Followers | None = None) -> JobView:
    """Begins (or finds) the job, sends what the gateway lacks, follows it to ``done``."""
    shown = shown or Followers()
    view = _send(caller, spec, data, _view(caller.call("deploy", spec.to_args())), shown)
    last: JobView | None = None
    while view.phase != "done":
        _show(view, last, shown)
        last = view
        query = JobQuery(spec.deploy, view.rev, FOLLOW_WAIT)
        view = _view(caller.call("job", query.to_args()))
    _show(view, last, shown)
    return view


def outcome(view: JobView, target: str) -> DeployReport:
    """The finished job's report (its ``target`` given), or its error raised (a
    verdict error carrying the report, as a direct deploy's)."""
    report = replace(results.build(DeployReport, view.report), target=target) if (
        view.report is not None) else None
    if view.error is not None:
        exc = view.error.exception()
        if isinstance(exc, VerdictError):
            exc.report = report.as_dict() if report is not None else None
        raise exc
    if report is None:
        raise TransportError(f"the gateway's deploy {view.deploy} ended without a report")
    return report


def deploy_via(path: str | Path, via: Via, options: Options | None = None,
               shown: Followers | None = None) -> DeployReport:
    """Deploys ``path`` to the device behind ``via``; see the module docstring."""
    spec, data = read_spec(path, options or Options())
    if shown is not None and shown.on_target is not None:
        shown.on_target(str(via))
    with RemoteDevice.open(via) as remote:
        view = run_job(remote, spec, data, shown)
    return outcome(view, str(via))
