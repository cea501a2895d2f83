"""The device's side of a deploy, shared by `deploy` over a link
(:func:`wamr_agent.deploy.deploy`) and a gateway's deploy jobs
(:mod:`wamr_agent.gateway.install`): check the device's room (``device_fit``),
upload the checked payload (resuming an interrupted upload of the same bytes; the
identical module already installed but stopped is started again), wait for the
device's verdict on the trial (``smp.lifecycle``) and make the report. A
verdict other than confirmed (or awaiting an operator) raises Reverted,
InstallFailed or VerdictTimeout carrying the report (``verdicts``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from .capabilities import grant_mask
from .device_fit import RamEstimate, Survey, check_fit, need_on, survey_device
from .device_trust import check_signer
from .errors import UsageError, WamrAgentError
from .payload import Payload
from .smp.app_results import AppStatus, Reason, Trial
from .smp.apps import AppClient, DeviceStatus, Progress, UploadResult
from .smp.framing import Framing
from .smp.lifecycle import Verdict, wait_for_verdict
from .smp.link import SmpLink, SmpLinkError
from .targets import Target
from .verdicts import judge, status_version

__all__ = ["DeployReport", "FramingChoice", "Hooks", "Plan", "check_framing", "choose_framing",
           "deploy_id", "framing_for", "install", "upload_grants"]

FRAMINGS = ("auto", "console", "raw")
FramingChoice = Framing | Literal["auto", "console", "raw"]
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
    already_installed: bool  # the identical module is installed (nothing uploaded)
    started_instance: bool
    framing: str  # the upload's: console or raw
    version: str | None = None
    life: str | None = None  # the uploaded slot's, at the end; None: the device has no lifecycle
    reason: Reason | None = None  # why reverted or failed
    trial: Trial | None = None  # the last trial figures the device reported
    verdict_seconds: float | None = None  # end of upload to the device's verdict
    ram_estimate: int | None = None  # bytes of RAM the pre-flight expected it to need
    restarted: bool = False  # already installed but stopped: started again

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Plan:
    """What to install and how: the checked payload as app ``app``; ``need`` is the RAM
    estimate for the board to check against the device's free RAM (None: not checked),
    ``interpreted`` the one for a device that says it runs no AOT code (``need_on``)."""

    app: str
    payload: Payload
    need: RamEstimate | None = None
    start: bool = True
    wait: bool = True  # for the device's verdict (only when started)
    timeout: float | None = None  # seconds for the verdict (None: lifecycle's default)
    framing: FramingChoice = "auto"
    # the interpreter's estimate, when ``need`` is AOT code's and the device runs none
    interpreted: Callable[[], RamEstimate] | None = None


@dataclass(frozen=True)
class Hooks:
    """What the caller sees of an install: upload bytes, each status read while the
    trial runs, the end of the upload; ``sleep`` is the wait between status reads."""

    progress: Progress | None = None
    on_status: Callable[[AppStatus], None] | None = None
    on_uploaded: Callable[[UploadResult], None] | None = None
    sleep: Callable[[float], None] = field(default=time.sleep)


@dataclass(frozen=True)
class _Upload:
    result: UploadResult
    seconds: float
    framing: Framing
    was_stopped: bool = False  # the identical module was installed and stopped before
    need: RamEstimate | None = None  # the RAM estimate checked against the device


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


def deploy_id(sha256: bytes) -> str:
    """The id the device keeps with the slot of these bytes: ``d-`` and the first 12
    hex digits of their SHA-256 (also a gateway's deploy job's id)."""
    return "d-" + sha256.hex()[:12]


def _upload(link: SmpLink, client: AppClient, plan: Plan, progress: Progress | None,
            board: str, target: Target) -> _Upload:
    """Checks the device's board (UsageError: the module was checked for another),
    keys (SignatureError) and room (FitError), before a byte is sent, then uploads."""
    survey: Survey | None = survey_device(client)
    need = plan.need
    if survey is not None:
        if survey.status.board != board:
            raise UsageError(f"{plan.app}: not sent: checked for {board}, but {target.description} "
                             f"is {survey.status.board} (--board {survey.status.board})")
        check_signer(survey.status, plan.app, plan.payload)
        need = need_on(survey.status, need, plan.interpreted)
        check_fit(survey, plan.app, need)
    chosen = link.framing = framing_for(plan.framing, survey.status if survey else None)
    began, p = time.monotonic(), plan.payload
    try:
        result = client.upload(plan.app, p.data, start=plan.start, deploy_id=deploy_id(p.sha),
                               version=p.version, grants=upload_grants(p), progress=progress,
                               bundle=p.bundle, kv_quota=p.kv_quota)
    except SmpLinkError as lost:
        result = _finished_anyway(link, client, plan, lost)
    stopped = survey is not None and any(
        a.name == plan.app and a.sha == p.sha.hex() and a.state == "stopped"
        for a in survey.apps)
    return _Upload(result, time.monotonic() - began, chosen, stopped, need)


def upload_grants(payload: Payload) -> int | None:
    """The grants a module's upload carries (None: the device's default, all; a
    bundle's are in its signed manifest)."""
    if payload.bundle or payload.grants is None:
        return None
    return grant_mask(payload.grants)


def _start_if_stopped(client: AppClient, plan: Plan, up: _Upload) -> bool:
    """Whether the identical module, already installed and stopped, was started
    again: by the device (ours starts a confirmed one on such an upload and answers
    `unchanged`), or else here (a device that leaves it as it is)."""
    if not (plan.start and up.result.already_installed):
        return False
    status = client.status(plan.app, plan.payload.sha)
    if status.state == "running":
        return up.was_stopped
    if status.state != "stopped" or status.life not in (None, "confirmed"):
        return False
    client.start(plan.app)
    return True


def _finished_anyway(link: SmpLink, client: AppClient, plan: Plan,
                     lost: SmpLinkError) -> UploadResult:
    """An upload whose answer was lost: the device finishes an upload before it answers
    it, and starting the app (its start function, ``setup``) may run long or reset
    the device (its watchdog). When the device, asked again, has a slot with these
    bytes, the upload is done and the verdict decides; otherwise ``lost`` is raised
    (run the deploy again: it resumes)."""
    for _attempt in range(3):
        try:
            link.reopen()  # refused (the device is gone): the upload's error stands
        except (SmpLinkError, OSError):
            raise lost from None
        try:
            status = client.status(plan.app, plan.payload.sha)
        except SmpLinkError:
            continue
        except WamrAgentError:
            break  # the device has no slot with these bytes: the upload did not finish
        if status.sha == plan.payload.sha.hex():
            total = len(plan.payload.data)
            return UploadResult(resumed_from=0, total=total, already_installed=False,
                                trial=status.life is not None)
        break
    raise lost


def _verdict(client: AppClient, plan: Plan, result: UploadResult,
             hooks: Hooks) -> Verdict | AppStatus:
    """The device's verdict on the trial the upload began, or (nothing to wait for:
    not started, no wait, already installed) the slot's status as it is."""
    sha = plan.payload.sha
    if plan.start and plan.wait and not result.already_installed:
        return wait_for_verdict(client, plan.app, sha, timeout=plan.timeout,
                                on_status=hooks.on_status, sleep=hooks.sleep)
    return client.status(plan.app, sha)


def _trial(end: Verdict) -> Trial | None:
    """The trial's figures at the verdict: the device's own (it keeps those of a trial
    that ended), else the last seen; a version confirmed by a device that dropped
    them had its rounds (only an app without loop is confirmed without them)."""
    t = end.trial
    if t is not None and end.status.trial is None and end.outcome == "confirmed":
        return replace(t, loops=max(t.loops, t.need_loops))
    return t


def _report(plan: Plan, board: str, target: Target, up: _Upload,
            end: Verdict | AppStatus, restarted: bool) -> DeployReport:
    r, status = up.result, end.status if isinstance(end, Verdict) else end
    decided = isinstance(end, Verdict) and end.outcome in DECIDED
    sent = r.total - r.resumed_from if not r.already_installed else 0
    return DeployReport(
        name=plan.app, board=board, bytes=r.total, seconds=round(up.seconds, 3),
        goodput=round(sent / up.seconds, 1) if up.seconds > 0 else 0.0,
        target=target.description, address=target.address, resumed_from=r.resumed_from,
        already_installed=r.already_installed, started_instance=target.started,
        framing=up.framing.name.lower(), version=status_version(status, plan.payload.version),
        life=status.life, reason=status.reason,
        trial=_trial(end) if isinstance(end, Verdict) else status.trial,
        verdict_seconds=round(end.seconds, 3) if isinstance(end, Verdict) and decided else None,
        ram_estimate=up.need.total if up.need is not None else None, restarted=restarted)


def install(link: SmpLink, client: AppClient, plan: Plan, board: str, target: Target,
            hooks: Hooks | None = None) -> DeployReport:
    """Pre-flight against the device, upload and (``plan.wait``) the verdict; the
    report, or the verdict's exception carrying it (``report``, a dict)."""
    hooks = hooks or Hooks()
    up = _upload(link, client, plan, hooks.progress, board, target)
    if hooks.on_uploaded is not None:
        hooks.on_uploaded(up.result)
    restarted = _start_if_stopped(client, plan, up)
    end = _verdict(client, plan, up.result, hooks)
    failure = judge(client, plan.app, plan.payload.sha, end, plan.payload.version) if (
        isinstance(end, Verdict)) else None
    report = _report(plan, board, target, up, end, restarted)
    if failure is not None:
        raise failure.error(report.as_dict())
    return report
