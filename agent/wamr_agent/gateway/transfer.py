"""The ``deploy`` and ``job`` commands (docs/mqtt.md, "Deploying through a
gateway") on the gateway's dispatcher thread. They never wait for a device: a
chunk is written to the job store and answered; a job whose bytes are all in
(and verified) goes to its device's worker as ``RunDeploy``; at start, the jobs a
worker had taken before the gateway stopped go back to it (:meth:`Deploys.resume`).

A ``job`` request with ``wait`` is held until its job changes, then answered from
the thread that changed it, or when its time is up (:meth:`Deploys.expire`,
which the dispatcher's loop calls).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import UsageError, WamrAgentError
from ..mqtt.deploys import Chunk, DeploySpec, JobQuery, JobView, is_chunk
from ..mqtt.topics import CommandReply, CommandRequest, WireError
from .jobs import JobStore, Key
from .worker import Job, RunDeploy

VERBS = ("deploy", "job")

Answer = Callable[[str, CommandReply], None]
"""Answers request ``id`` (and its duplicates) with a reply."""


class Device(Protocol):
    """A device's worker as the deploy commands use it."""

    board: str

    def submit(self, job: Job) -> None: ...


@dataclass(frozen=True)
class _Held:
    request_id: str
    after: int
    deadline: float


class Deploys:
    def __init__(self, root: Path, devices: Mapping[str, Device], answer: Answer,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._devices, self._answer, self._clock = devices, answer, clock
        self._lock = threading.Lock()
        self._held: dict[Key, list[_Held]] = {}
        self.store = JobStore(root, on_change=self._changed)

    def resume(self) -> None:
        """Gives every device its jobs that were past receiving and not done."""
        for dev, deploy in self.store.pending():
            if dev in self._devices:
                self._devices[dev].submit(RunDeploy(deploy))

    def handle(self, dev: str, verb: str, request: CommandRequest) -> None:
        """Answers ``request`` now, or (a ``job`` with ``wait``) once its job changes."""
        try:
            view = self._deploy(dev, request.args) if verb == "deploy" else self._job(
                dev, request)
        except OSError as exc:  # the state directory: full, gone, not writable
            failed = WamrAgentError(f"the gateway cannot keep deploy jobs: {exc}")
            self._answer(request.id, CommandReply(False, error=WireError.of(failed)))
            return
        except WamrAgentError as exc:
            self._answer(request.id, CommandReply(False, error=WireError.of(exc)))
            return
        if view is not None:
            self._answer(request.id, CommandReply(True, result=view.to_result()))

    def _deploy(self, dev: str, args: dict[str, Any]) -> JobView:
        device = self._devices[dev]
        if is_chunk(args):
            view, queued = self.store.write(dev, Chunk.from_args(args))
        else:
            spec = DeploySpec.from_args(args)
            if spec.board is not None and spec.board != device.board:
                raise UsageError(f"--board {spec.board}: device {dev} is {device.board}")
            view, queued = self.store.begin(dev, spec)
        if queued:
            device.submit(RunDeploy(view.deploy))
        return view

    def _job(self, dev: str, request: CommandRequest) -> JobView | None:
        query = JobQuery.from_args(request.args)
        key = (dev, query.deploy)
        view = self._view(key)
        if view.rev > query.after or view.phase == "done" or query.wait <= 0:
            return view
        held = _Held(request.id, query.after, self._clock() + query.wait)
        with self._lock:
            self._held.setdefault(key, []).append(held)
        view = self._view(key)  # a change before the hold was in place
        return view if view.rev > query.after and self._take(key, held) else None

    def _view(self, key: Key) -> JobView:
        view = self.store.view(*key)
        if view is None:
            raise UsageError(f"no deploy {key[1]} for device {key[0]}")
        return view

    def _take(self, key: Key, held: _Held) -> bool:
        """Whether ``held`` was still waiting (it no longer is): only its taker answers."""
        with self._lock:
            waiting = self._held.get(key, [])
            if held not in waiting:
                return False
            waiting.remove(held)
            if not waiting:
                del self._held[key]
            return True

    def _changed(self, dev: str, deploy: str) -> None:
        """The store's change callback (any thread): answers the requests it ends."""
        key, view = (dev, deploy), self.store.view(dev, deploy)
        if view is None:
            return
        with self._lock:
            ready = [h for h in self._held.get(key, []) if view.rev > h.after]
        for held in ready:
            if self._take(key, held):
                self._answer(held.request_id, CommandReply(True, result=view.to_result()))

    def expire(self) -> float | None:
        """Answers the held requests whose time is up; seconds until the next one
        is (None: nothing held)."""
        now = self._clock()
        with self._lock:
            due = [(key, h) for key, hs in self._held.items() for h in hs if h.deadline <= now]
            later = [h.deadline for hs in self._held.values() for h in hs if h.deadline > now]
        for key, held in due:
            view = self.store.view(*key)
            if self._take(key, held) and view is not None:
                self._answer(held.request_id, CommandReply(True, result=view.to_result()))
        return max(0.0, min(later) - now) if later else None
