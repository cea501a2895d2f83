"""One device's part in a rollout (docs/rollouts.md, "A device's part"): deploy
the rollout's bytes through the device's gateway as ``deploy --via`` does, wait
for the device's verdict, keep the confirmed version under watch for the soak
time, then ask the device whether it still runs it, confirmed.

Every step is stored before the next begins, and every step may run again: the
deploy is the gateway's job named by the bytes (begun again, it is found, in
progress or done; the device never installs the same deploy twice), and the soak
starts from the time stored when the device confirmed. So a controller that is
killed, or a gateway or a broker that restarts, costs a repeated request, never a
second install.

Outcomes: ``succeeded`` (the version is confirmed and running after the soak);
``failed`` (the device answered and it is not: reverted, failed its install,
refused by a check, stopped or gone after the soak); ``unreachable`` (the
gateway or the device did not answer: not a failure, tried again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..errors import TransportError, WamrAgentError
from ..mqtt import results
from ..mqtt.deploys import DeploySpec
from ..remote_deploy import outcome, run_job
from ..smp.app_results import AppInfo
from .link import Link
from .store import DeviceRun, Spec

log = logging.getLogger("wamr_agent.controller")


class Interrupted(Exception):
    """The controller is stopping: the step is left as stored, to run again."""


class _Caller:
    """Commands to one device through its gateway, stopping when the controller does."""

    def __init__(self, link: Link, gw: str, dev: str, stopping: threading.Event) -> None:
        self.link, self.gw, self.dev, self.stopping = link, gw, dev, stopping

    def call(self, verb: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.stopping.is_set():
            raise Interrupted
        return self.link.call(self.gw, self.dev, verb, args)


def deploy_spec(spec: Spec) -> DeploySpec:
    """The gateway's deploy for a rollout: started, waited for, checked as ``deploy``."""
    return DeploySpec(spec.deploy, spec.app, spec.len, spec.sha256, spec.bundle, spec.version,
                      True, True, None, True, "auto", spec.file, None)


def _mine(apps: list[AppInfo], spec: Spec) -> AppInfo | None:
    return next((a for a in apps if a.sha == spec.sha256 and a.name == spec.app), None)


def _describe(app: AppInfo | None, spec: Spec) -> str:
    if app is None:
        return f"after the soak the device no longer has {spec.app} {spec.version or ''}".strip()
    why = f": {app.reason.msg}" if app.reason is not None and app.reason.msg else ""
    return f"after the soak {app.name} is {app.state}, {app.life or 'no lifecycle'}{why}"


class DeviceRunner:
    """Runs one device's part to its next outcome; ``save`` stores every step."""

    def __init__(self, link: Link, spec: Spec, data: bytes, run: DeviceRun,
                 save: Callable[[DeviceRun], DeviceRun], stopping: threading.Event) -> None:
        self.spec, self.data, self.run, self.save = spec, data, run, save
        self.stopping = stopping
        self.caller = _Caller(link, run.gw, run.dev, stopping)

    def __call__(self) -> None:
        try:
            self.run = self._drive()
        except Interrupted:
            log.info("controller: %s left %s (stopping)", self.run.key, self.run.outcome)
        except TransportError as exc:
            self._save(outcome="unreachable", detail=str(exc))
        except WamrAgentError as exc:
            self._save(outcome="failed", detail=str(exc), exit_code=exc.exit_code,
                       finished=time.time())
        except Exception as exc:  # a bug must not stop the other devices
            log.exception("controller: %s", self.run.key)
            self._save(outcome="failed", detail=f"internal error: {exc!r}", exit_code=1,
                       finished=time.time())

    def _save(self, **changes: Any) -> DeviceRun:
        self.run = self.save(replace(self.run, **changes))
        return self.run

    def _drive(self) -> DeviceRun:
        run = self._save(outcome="deploying" if self.run.soak_from is None else "soaking",
                         attempts=self.run.attempts + 1,
                         started=self.run.started or time.time(), detail=None)
        view = run_job(self.caller, deploy_spec(self.spec), self.data)
        report = outcome(view, run.key)  # a verdict error is raised: failed
        if run.soak_from is None:
            awaiting = " (awaiting a confirm)" if report.life == "trial" else ""
            run = self._save(outcome="soaking", soak_from=time.time(),
                             detail=f"{report.life or 'installed'}{awaiting}")
        self._soak(run.soak_from or time.time())
        return self._check()

    def _soak(self, since: float) -> None:
        while (left := since + self.spec.soak - time.time()) > 0:
            if self.stopping.wait(min(left, 1.0)):
                raise Interrupted

    def _check(self) -> DeviceRun:
        """After the soak: the device's own answer decides."""
        app = _mine(results.decode_apps(self.caller.call("ps")), self.spec)
        if app is not None and app.state == "running" and app.life == "trial":
            self.caller.call("confirm", {"name": self.spec.app})  # health held: confirm
            app = _mine(results.decode_apps(self.caller.call("ps")), self.spec)
        if app is not None and app.state == "running" and app.life in ("confirmed", None):
            return self._save(outcome="succeeded", finished=time.time(),
                              detail=f"confirmed, running after a {self.spec.soak:g} s soak")
        return self._save(outcome="failed", finished=time.time(), detail=_describe(app, self.spec),
                          exit_code=14)
