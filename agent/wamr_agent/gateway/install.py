"""A deploy job's device phase, run on its device's worker (docs/mqtt.md,
"Deploying through a gateway"): the checks `deploy` makes on its host, made here
for the device's board (Wasmtime validation, the runtime's fit and import checks;
for a bundle its layout, its boards, and its signature against the keys this
gateway trusts), then :func:`wamr_agent.installing.install` over the worker's
SMP link (the checks against what runs on the device: the keys it trusts, its
RAM and slots; the upload, which resumes from the device's offset, and the
verdict). The result goes into the job store: the report, or the error a direct
deploy would have raised (with its report).

A job with a final result that is asked for again is first checked against the
device: while the device holds the module (in any lifecycle state), the result
stands and nothing is sent; otherwise (removed since) the job runs again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

from ..device_fit import RamEstimate, estimate_interpreted, estimate_payload
from ..errors import VerdictError, VerdictTimeout, WamrAgentError
from ..installing import FramingChoice, Hooks, Plan, check_framing, install
from ..mqtt.deploys import DEVICE_PHASES
from ..mqtt.topics import WireError
from ..payload import check_payload
from ..smp.app_results import AppStatus
from ..smp.apps import UploadResult
from ..smp.framing import Framing
from ..smp.link import SmpLinkError
from ..targets import Target
from .devices import Interrupted, SmpDevice, Turn
from .jobfiles import JobRecord
from .jobs import JobStore

log = logging.getLogger("wamr_agent.gateway")

_HOST_CHECKS = threading.Lock()  # the runtime binding is used by one worker at a time


class Installer:
    """Runs deploy jobs for the workers of one gateway (any worker thread)."""

    def __init__(self, store: JobStore, trusted: list[bytes]) -> None:
        self._store = store
        self._trusted = trusted

    def run(self, dev: str, board: str, deploy: str, turn: Turn) -> None:
        """Runs job ``deploy`` of ``dev`` unless it is done (Interrupted and
        SmpLinkError go on to the worker, after the job records the latter)."""
        job = self._store.record(dev, deploy)
        if job is None or job.phase not in DEVICE_PHASES or self._stands(job, turn):
            return
        self._store.set_phase(dev, deploy, "checking")
        try:
            report = self._install(job, board, turn)
        except Interrupted:
            raise
        except VerdictError as exc:
            final = not isinstance(exc, VerdictTimeout)
            self._store.finish(dev, deploy, exc.report, WireError.of(exc), final)
        except WamrAgentError as exc:
            self._store.finish(dev, deploy, None, WireError.of(exc), False)
            if isinstance(exc, SmpLinkError):
                raise
        except Exception as exc:  # a bug must not leave the job running forever
            log.exception("device %s: deploy %s failed", dev, deploy)
            failed = WamrAgentError(f"the gateway failed: {type(exc).__name__}: {exc}")
            self._store.finish(dev, deploy, None, WireError.of(failed), False)
        else:
            self._store.finish(dev, deploy, report, None, True)
        log.info("device %s: deploy %s of %s done", dev, deploy, job.spec.name)

    def _stands(self, job: JobRecord, turn: Turn) -> bool:
        """Whether a final result still holds: the device has the module (the job is
        done again, with that result)."""
        if not job.final:
            return False
        spec = job.spec
        try:
            status = _smp(turn).status(spec.name, bytes.fromhex(spec.sha256))
        except SmpLinkError:
            self._store.finish(job.device, spec.deploy, job.report, job.error, True)
            raise  # the result stands for now; the worker marks the device unreachable
        except WamrAgentError:  # no app of that name any more
            return False
        if status.sha != spec.sha256:
            return False
        self._store.finish(job.device, spec.deploy, job.report, job.error, True)
        return True

    def _plan(self, job: JobRecord, board: str) -> Plan:
        """The host's checks for ``board`` (raise as a direct deploy's do)."""
        spec, label = job.spec, job.spec.file or job.spec.deploy
        check_framing(cast(FramingChoice, spec.framing))
        data = self._store.data(job.device, spec.deploy)
        with _HOST_CHECKS:
            app, payload = check_payload(data, label, board, spec.name, self._trusted,
                                         version=None if spec.bundle else spec.version,
                                         grants=spec.grants, kv_quota=spec.kv_quota)
            need = estimate_payload(label, board, payload) if (
                spec.start and spec.ram_check) else None

        def interpreted() -> RamEstimate:  # on the worker's thread, after the device's status
            with _HOST_CHECKS:
                return estimate_interpreted(label, board, payload)

        return Plan(app, payload, need, spec.start, spec.wait, spec.timeout,
                    cast(FramingChoice, spec.framing), interpreted)

    def _install(self, job: JobRecord, board: str, turn: Turn) -> dict[str, Any]:
        plan = self._plan(job, board)
        device = _smp(turn)
        target = Target(device.smp.address, f"{job.device} at {device.smp.address}")
        try:  # "checking" until the first bytes go: the pre-flight against the device first
            return install(device.smp, device, plan, board, target,
                           self._hooks(job, plan, turn)).as_dict()
        finally:
            device.smp.framing = Framing.CONSOLE  # the worker's polls

    def _hooks(self, job: JobRecord, plan: Plan, turn: Turn) -> Hooks:
        dev, deploy = job.device, job.spec.deploy
        uploading = False

        def progress(sent: int, total: int) -> None:
            nonlocal uploading
            turn.check()
            if not uploading:  # the device accepted the pre-flight: its bytes go now
                uploading = True
                self._store.set_phase(dev, deploy, "uploading")
            self._store.progress(dev, deploy, sent=sent)

        def uploaded(result: UploadResult) -> None:
            if plan.start and plan.wait and not result.already_installed:
                self._store.set_phase(dev, deploy, "trial")

        def on_status(status: AppStatus) -> None:
            self._store.progress(dev, deploy, status=status.as_dict())

        return Hooks(progress=progress, on_status=on_status, on_uploaded=uploaded,
                     sleep=turn.pause)


def _smp(turn: Turn) -> SmpDevice:
    device = turn.device()
    if not isinstance(device, SmpDevice):
        raise WamrAgentError("the device's link cannot upload")
    return device
