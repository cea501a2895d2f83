"""The gateway's deploy jobs (docs/mqtt.md, "Deploying through a gateway"): one
per device and deploy id, kept on disk (``jobfiles``) and shared by the
dispatcher, which takes a client's requests and chunks, and the device's worker,
which checks, uploads and follows the trial (``install``). Every method takes the
store's lock; ``on_change(dev, deploy)`` is called after each change a client
would show, outside the lock.

Phases: ``receiving`` (bytes arrive in order, each chunk at the offset the job
has) -> ``queued`` (every byte in, its SHA-256 verified) -> ``checking`` (host
pre-flight, signature, against the device) -> ``uploading`` -> ``trial`` ->
``done`` (a report, an error, or both). A deploy asked for again continues its
job, has its worker check that its final result still holds, or runs it again
(:meth:`JobStore.begin`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import TransportError, UsageError
from ..mqtt.deploys import DEVICE_PHASES, Chunk, DeploySpec, JobView, Phase
from ..mqtt.topics import WireError
from .jobfiles import JobFiles, JobRecord

KEEP_DONE = 16  # finished jobs kept per device (their records and bytes)
Key = tuple[str, str]  # (device, deploy id)


@dataclass
class _Live:
    """What is not persisted: the change count and the progress of the device phase."""

    rev: int = 0
    sent: int = 0
    status: dict[str, Any] | None = None


class JobStore:
    def __init__(self, root: Path, on_change: Callable[[str, str], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._files = JobFiles(root)
        self._on_change, self._clock = on_change, clock
        self._lock = threading.Lock()
        self._jobs: dict[Key, JobRecord] = {(j.device, j.spec.deploy): j
                                            for j in self._files.load()}
        self._live: dict[Key, _Live] = {key: _Live() for key in self._jobs}

    # -- reading ------------------------------------------------------------------------

    def view(self, dev: str, deploy: str) -> JobView | None:
        with self._lock:
            return self._view((dev, deploy)) if (dev, deploy) in self._jobs else None

    def _view(self, key: Key) -> JobView:
        job, live = self._jobs[key], self._live[key]
        return JobView(job.spec.deploy, job.device, job.spec.name, job.spec.len, job.received,
                       job.phase, live.rev, live.sent, live.status, job.report, job.error)

    def record(self, dev: str, deploy: str) -> JobRecord | None:
        with self._lock:
            job = self._jobs.get((dev, deploy))
            return replace(job) if job is not None else None

    def data(self, dev: str, deploy: str) -> bytes:
        """The job's bytes (all of them: the job is past ``receiving``)."""
        with self._lock:
            job = self._jobs[(dev, deploy)]
            return self._files.read(dev, deploy, job.spec.len)

    def pending(self) -> list[Key]:
        """The jobs a device worker had taken and not finished (to resume at start)."""
        with self._lock:
            return [key for key, job in self._jobs.items() if job.phase in DEVICE_PHASES]

    # -- the client's requests ------------------------------------------------------------

    def begin(self, dev: str, spec: DeploySpec) -> tuple[JobView, bool]:
        """The job for ``spec`` and whether a worker must take it now: a new one; the
        one in progress; a finished one with a final result, queued for its worker
        to check that the device still holds the module (then its result stands);
        else the finished one again (from its bytes)."""
        key = (dev, spec.deploy)
        with self._lock:
            job = self._jobs.get(key)
            same = job is not None and job.spec.same(spec)
            if job is not None and not same and job.phase in DEVICE_PHASES:
                raise UsageError(f"{spec.deploy} is being deployed to {dev} with other "
                                 f"options ({job.phase}); run it again once it is done")
            if job is not None and same and job.phase != "done":
                return self._view(key), False
            if job is not None and same and job.final:
                self._save(key, replace(job, phase="queued"))
            else:
                self._renew(key, spec, job)
            view = self._view(key)
        self._notify(key)
        return view, view.phase == "queued"

    def _renew(self, key: Key, spec: DeploySpec, old: JobRecord | None) -> None:
        """A fresh record for ``spec``, keeping bytes already received for the same
        SHA-256 (all of them: queued for the worker)."""
        kept = old.received if old is not None and old.spec.sha256 == spec.sha256 else 0
        self._save(key, JobRecord(key[0], spec, kept,
                                  "queued" if kept == spec.len else "receiving"))
        self._live[key].sent = 0

    def write(self, dev: str, chunk: Chunk) -> tuple[JobView, bool]:
        """Takes a chunk at the job's offset (others are answered with the offset it
        has); True when it was the last one and the job is queued."""
        key = (dev, chunk.deploy)
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                raise UsageError(f"no deploy {chunk.deploy} for device {dev}: begin it first")
            end = chunk.off + len(chunk.data)
            if end > job.spec.len:
                raise UsageError(f"chunk {chunk.off}..{end} is past the deploy's "
                                 f"{job.spec.len} bytes")
            if job.phase != "receiving" or chunk.off != job.received:
                return self._view(key), False
            self._files.write(dev, chunk.deploy, chunk.off, chunk.data)
            self._save(key, replace(job, received=end, phase=self._arrived(job, end)))
            view = self._view(key)
        self._notify(key)
        return view, view.phase == "queued"

    def _arrived(self, job: JobRecord, end: int) -> Phase:
        if end < job.spec.len:
            return "receiving"
        data = self._files.read(job.device, job.spec.deploy, end)
        if hashlib.sha256(data).hexdigest() != job.spec.sha256:
            self._save((job.device, job.spec.deploy), replace(job, received=0))
            raise TransportError(f"{job.spec.file or job.spec.deploy}: the gateway received "
                                 f"{end} bytes whose SHA-256 is not the deploy's; deploy "
                                 "again")
        return "queued"

    # -- the device worker ----------------------------------------------------------------

    def set_phase(self, dev: str, deploy: str, phase: Phase) -> None:
        self._update((dev, deploy), phase=phase)

    def finish(self, dev: str, deploy: str, report: dict[str, Any] | None,
               error: WireError | None, final: bool) -> None:
        self._update((dev, deploy), phase="done", report=report, error=error, final=final)
        self._prune(dev)

    def progress(self, dev: str, deploy: str, sent: int | None = None,
                 status: dict[str, Any] | None = None) -> None:
        """The device phase's progress: the upload offset (shown with the next answer)
        or the app's status on trial (a change)."""
        key = (dev, deploy)
        with self._lock:
            live = self._live[key]
            live.sent = sent if sent is not None else live.sent
            if status is None:
                return
            live.status, live.rev = status, live.rev + 1
        self._notify(key)

    def _update(self, key: Key, **changes: Any) -> None:
        with self._lock:
            self._save(key, replace(self._jobs[key], **changes))
        self._notify(key)

    def _save(self, key: Key, job: JobRecord) -> None:
        """Persists ``job`` (under the lock): a change."""
        job.updated = self._clock()
        self._files.save(job)
        self._jobs[key] = job
        self._live.setdefault(key, _Live()).rev += 1

    def _notify(self, key: Key) -> None:
        if self._on_change is not None:
            self._on_change(*key)

    def _prune(self, dev: str) -> None:
        """Forgets all but the newest :data:`KEEP_DONE` jobs of ``dev`` no worker has."""
        with self._lock:
            idle = sorted((job.updated, key) for key, job in self._jobs.items()
                          if key[0] == dev and job.phase not in DEVICE_PHASES)
            for _updated, key in idle[:-KEEP_DONE]:
                self._files.remove(*key)
                del self._jobs[key], self._live[key]
