"""A deploy's outcome on the device as the package's exceptions: the verdict of
:func:`wamr_agent.smp.lifecycle.wait_for_verdict` becomes :class:`Reverted`,
:class:`InstallFailed` or :class:`VerdictTimeout` with one line saying what
happened and what runs now (asked of the device: the app's current slot)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .agent_err import AgentErr
from .errors import InstallFailed, Reverted, UsageError, VerdictError, VerdictTimeout
from .smp.app_results import AppStatus
from .smp.apps import AppClient
from .smp.lifecycle import Verdict


@dataclass(frozen=True)
class Failure:
    """What to raise once the deploy's report is made."""

    cls: type[VerdictError]
    message: str
    code: AgentErr

    def error(self, report: dict[str, Any]) -> VerdictError:
        return self.cls(self.message, self.code, report)


def label(name: str, version: str | None) -> str:
    """``sensor 1.2``, or ``sensor`` for a module without a version."""
    return f"{name} {version}" if version else name


def judge(client: AppClient, name: str, sha: bytes, verdict: Verdict,
          version: str | None) -> Failure | None:
    """The failure a verdict means (None: confirmed, awaiting an operator, or a
    device without the lifecycle that started the app)."""
    status, what = verdict.status, label(name, status_version(verdict.status, version))
    if verdict.outcome == "reverted":
        return Failure(Reverted, f"{what} reverted on the device: {_why(status)}; "
                       f"{_runs_again(_running(client, name, sha))}", _code(status))
    if verdict.outcome == "failed":
        return Failure(InstallFailed, f"{what} failed on the device: {_why(status)}; "
                       f"{_runs(name, _running(client, name, sha))}", _code(status))
    if verdict.outcome == "unknown" and status.state == "refused":
        err = status.last_err
        return Failure(InstallFailed, f"{what} could not start on the device: "
                       f"{err.msg if err else 'refused'}; {_runs(name, None)}",
                       _agent_err(err.rc if err else AgentErr.LOAD_FAILED))
    if verdict.outcome == "timeout":
        return Failure(VerdictTimeout, f"{what}: no verdict from the device within "
                       f"{verdict.limit:g} s; {_last_seen(verdict)}", AgentErr.UNKNOWN)
    return None


def status_version(status: AppStatus, version: str | None) -> str | None:
    return status.version or version


def _why(status: AppStatus) -> str:
    return status.reason.text if status.reason else "no reason given"


def _code(status: AppStatus) -> AgentErr:
    return status.reason.agent_err if status.reason else AgentErr.UNKNOWN


def _agent_err(rc: int) -> AgentErr:
    try:
        return AgentErr(rc)
    except ValueError:
        return AgentErr.UNKNOWN


def _running(client: AppClient, name: str, sha: bytes) -> AppStatus | None:
    """The app's current slot when it runs another module than ``sha``."""
    try:
        current = client.status(name)
    except UsageError:  # no slot of that name left
        return None
    running = current.state == "running" and current.sha != sha.hex()
    return current if running else None


def _runs_again(current: AppStatus | None) -> str:
    if current is None:
        return "the previous version does not run"
    return f"{current.version or 'the previous version'} runs again"


def _runs(name: str, current: AppStatus | None) -> str:
    if current is None:
        return "nothing of that name runs"
    return f"{label(name, current.version)} runs"


def _last_seen(verdict: Verdict) -> str:
    if verdict.trial is not None and verdict.status.life == "trial":
        return f"last seen on trial: {verdict.trial.describe()}"
    return f"last seen {verdict.status.life or 'without a lifecycle state'}"
