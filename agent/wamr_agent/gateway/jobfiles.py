"""The gateway's deploy jobs on disk (docs/gateway.md, "The state directory"):
``deploys/<device>/<deploy id>.bin``, the bytes received so far, and
``deploys/<device>/<deploy id>.json``, the job record.

Crash safety without a database: the bytes of a chunk are written and fsynced
before the record that counts them, and a record is written to a temporary file,
fsynced and renamed over the old one. So a kill -9 (or a power cut) at any point
leaves the old record or the new one, never a record that claims bytes the data
file lacks; bytes past ``received`` are ignored and overwritten by the next chunk.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..mqtt.deploys import PHASES, DeploySpec, Phase
from ..mqtt.topics import WireError

log = logging.getLogger("wamr_agent.gateway")

FORMAT = 1  # of the record; a record of another format is left alone


@dataclass
class JobRecord:
    """One deploy job. ``final``: the result is the device's verdict on the upload
    (confirmed, reverted, ...), which running the job again would not change; a
    job that ended otherwise (refused before the upload, no verdict in time, link
    lost) runs again when its deploy is asked for again."""

    device: str
    spec: DeploySpec
    received: int = 0
    phase: Phase = "receiving"
    report: dict[str, Any] | None = None
    error: WireError | None = None
    final: bool = False
    updated: float = 0.0
    format: int = FORMAT

    @property
    def complete(self) -> bool:
        return self.received == self.spec.len

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> JobRecord:
        d = json.loads(text)
        if d.get("format") != FORMAT or d.get("phase") not in PHASES:
            raise ValueError(f"format {d.get('format')!r}, phase {d.get('phase')!r}")
        error = d.get("error")
        return cls(str(d["device"]), DeploySpec.from_args(d["spec"]), int(d["received"]),
                   d["phase"], d.get("report"), WireError(**error) if error else None,
                   bool(d.get("final")), float(d.get("updated", 0.0)))


@dataclass
class JobFiles:
    """The files of every job under ``root`` (``<state-dir>/deploys``)."""

    root: Path
    _made: set[str] = field(default_factory=set)

    def _path(self, dev: str, deploy: str, suffix: str) -> Path:
        return self.root / dev / f"{deploy}{suffix}"

    def save(self, job: JobRecord) -> None:
        """Replaces the job's record at once (see the module docstring)."""
        path = self._path(job.device, job.spec.deploy, ".json")
        if job.device not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(job.device)
        temporary = path.with_suffix(".json.tmp")
        with temporary.open("w") as f:
            f.write(job.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)

    def write(self, dev: str, deploy: str, off: int, data: bytes) -> None:
        """Writes (and fsyncs) ``data`` at ``off`` of the job's bytes."""
        path = self._path(dev, deploy, ".bin")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(fd, data, off)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self, dev: str, deploy: str, length: int) -> bytes:
        """The job's first ``length`` bytes (fewer when the file lacks them)."""
        try:
            with self._path(dev, deploy, ".bin").open("rb") as f:
                return f.read(length)
        except FileNotFoundError:
            return b""

    def size(self, dev: str, deploy: str) -> int:
        try:
            return self._path(dev, deploy, ".bin").stat().st_size
        except FileNotFoundError:
            return 0

    def remove(self, dev: str, deploy: str) -> None:
        for suffix in (".json", ".bin"):
            self._path(dev, deploy, suffix).unlink(missing_ok=True)

    def load(self) -> list[JobRecord]:
        """Every readable record; a record its data file no longer backs starts over
        at byte 0 (the client sends the bytes again)."""
        jobs = []
        for path in sorted(self.root.glob("*/d-*.json")):
            try:
                job = JobRecord.from_json(path.read_text())
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("deploy job %s: unreadable record, ignored: %s", path, exc)
                continue
            if self.size(job.device, job.spec.deploy) < job.received:
                log.warning("deploy job %s: its bytes are missing; receiving again", path)
                job.received, job.phase = 0, "receiving"
            jobs.append(job)
        return jobs
