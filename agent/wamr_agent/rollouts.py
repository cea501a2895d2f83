"""`wamr-agent rollout`: the client's side of the controller's commands
(docs/rollouts.md): send a file and start a rollout of it, read, list, pause,
resume and abort rollouts, and wait for one to finish."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from .controller.plan import (
    DEFAULT_MAX_FAILURES,
    DEFAULT_SOAK,
    DEFAULT_WAVES,
    Target,
    Threshold,
    parse_waves,
)
from .controller.store import FINISHED
from .errors import RolloutAborted, RolloutHalted, TransportError, UsageError, VerdictTimeout
from .mqtt import topics
from .mqtt.deploys import CHUNK_BYTES
from .mqtt.requester import DEFAULT_TIMEOUT, Requester
from .mqtt.url import BrokerSettings
from .payload import read_payload

__all__ = ["RolloutClient", "finished_error"]

POLL = 0.5  # seconds between status reads while waiting


def finished_error(rollout: dict[str, Any]) -> RolloutHalted | RolloutAborted | None:
    """The error a finished rollout's state means (None: completed)."""
    reason = rollout.get("reason") or rollout["state"]
    if rollout["state"] == "halted":
        return RolloutHalted(f"rollout {rollout['id']} halted: {reason}")
    if rollout["state"] == "aborted":
        return RolloutAborted(f"rollout {rollout['id']} aborted: {reason}")
    return None


class RolloutClient:
    """The controller behind a broker."""

    def __init__(self, broker: BrokerSettings, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.broker = broker
        self._mqtt = Requester(broker, timeout=timeout)

    def __enter__(self) -> Self:
        self._mqtt.connect()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._mqtt.close()

    def _rollout(self, verb: str, args: dict[str, Any]) -> dict[str, Any]:
        rollout = self.call(verb, args).get("rollout")
        if not isinstance(rollout, dict):
            raise TransportError(f"the controller's answer to {verb} has no rollout")
        return rollout

    def call(self, verb: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        topic = topics.controller_command(verb)
        correlation = self._mqtt.send_to(topic, args)
        reply = self._mqtt.wait(correlation, what=f"the controller ({topic}; is `wamr-agent "
                                f"controller --broker {self.broker}` running?)")
        if reply.error is not None:
            raise reply.error.exception()
        return reply.result or {}

    def start(self, path: str | Path, targets: list[str], waves: list[str] | None = None,
              soak: float = DEFAULT_SOAK, max_failures: str = DEFAULT_MAX_FAILURES,
              name: str | None = None,
              sent: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Sends the file (in chunks, from what the controller has) and starts the
        rollout; the rollout object. Options are checked here first."""
        checked_targets = [str(Target.parse(t)) for t in targets]
        checked_waves = parse_waves(waves or list(DEFAULT_WAVES))
        threshold = str(Threshold.parse(max_failures))
        if soak < 0:
            raise UsageError(f"--soak {soak:g}: a duration >= 0")
        data = read_payload(path)
        sha = hashlib.sha256(data).hexdigest()
        off, chunk = 0, b""  # the first, empty, chunk learns what the controller has
        while True:
            received = int(self.call("upload", {"sha256": sha, "len": len(data), "off": off,
                                                "data": base64.b64encode(chunk).decode()})
                           ["received"])
            if sent is not None:
                sent(received, len(data))
            if received >= len(data):
                break
            if chunk and received == off:
                raise TransportError(f"the controller did not take the bytes at {off}")
            off = received
            chunk = data[off:off + CHUNK_BYTES]
        return self._rollout("start", {"sha256": sha, "name": name, "file": str(path),
                                       "targets": checked_targets, "waves": checked_waves,
                                       "soak": soak, "max_failures": threshold})

    def status(self, rollout_id: str) -> dict[str, Any]:
        return self._rollout("status", {"id": rollout_id})

    def list(self) -> list[dict[str, Any]]:
        return list(self.call("list")["rollouts"])

    def act(self, verb: str, rollout_id: str) -> dict[str, Any]:
        """``pause``, ``resume`` or ``abort``."""
        return self._rollout(verb, {"id": rollout_id})

    def wait(self, rollout_id: str, timeout: float | None = None,
             shown: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Reads the rollout until it is finished; VerdictTimeout after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            rollout = self.status(rollout_id)
            if shown is not None:
                shown(rollout)
            if rollout["state"] in FINISHED:
                return rollout
            if deadline is not None and time.monotonic() > deadline:
                raise VerdictTimeout(f"rollout {rollout_id} is still {rollout['state']} after "
                                     f"{timeout:g} s")
            time.sleep(POLL)
