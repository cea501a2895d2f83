"""The controller's SQLite database (docs/rollouts.md, "The database"): every
rollout with its bytes, every device's part in it, and the files clients are
sending. A change is committed before the controller acts on it or answers it, so
a controller that is killed and started again carries on from what the file says.

One connection, shared by the controller's threads under a lock; WAL journal with
``synchronous=FULL``: a committed change survives a power cut of the machine.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal

from ..errors import UsageError

FORMAT = 1
RolloutState = Literal["running", "paused", "halted", "aborted", "completed"]
ROLLOUT_STATES: tuple[RolloutState, ...] = ("running", "paused", "halted", "aborted",
                                            "completed")
FINISHED: tuple[RolloutState, ...] = ("halted", "aborted", "completed")
Outcome = Literal["pending", "deploying", "soaking", "succeeded", "failed", "unreachable"]
OUTCOMES: tuple[Outcome, ...] = ("pending", "deploying", "soaking", "succeeded", "failed",
                                 "unreachable")
ANSWERED: tuple[Outcome, ...] = ("succeeded", "failed")

_COLUMNS = "id, state, reason, spec, wave, created, updated"  # a rollout without its bytes
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rollouts (
    id TEXT PRIMARY KEY, request TEXT UNIQUE, state TEXT NOT NULL, reason TEXT,
    spec TEXT NOT NULL, wave INTEGER NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
    data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    rollout TEXT NOT NULL REFERENCES rollouts(id), gw TEXT NOT NULL, dev TEXT NOT NULL,
    board TEXT NOT NULL, wave INTEGER NOT NULL, outcome TEXT NOT NULL, detail TEXT,
    exit_code INTEGER, attempts INTEGER NOT NULL DEFAULT 0, started REAL, finished REAL,
    soak_from REAL, PRIMARY KEY (rollout, gw, dev));
CREATE TABLE IF NOT EXISTS uploads (
    sha256 TEXT PRIMARY KEY, len INTEGER NOT NULL, received INTEGER NOT NULL,
    updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    sha256 TEXT NOT NULL REFERENCES uploads(sha256), off INTEGER NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (sha256, off));
"""


@dataclass(frozen=True)
class Spec:
    """What a rollout deploys, where, and how carefully; fixed at its start."""

    app: str
    version: str | None
    sha256: str
    deploy: str  # the deploy id the gateways and the devices know these bytes by
    len: int
    bundle: bool
    file: str  # the client's name for the file
    targets: list[str]
    waves: list[str]  # as given
    sizes: list[int]  # cumulative devices per wave (plan.wave_sizes)
    soak: float  # seconds a confirmed version must keep running
    max_failures: str


@dataclass(frozen=True)
class Rollout:
    id: str
    state: RolloutState
    reason: str | None
    spec: Spec
    wave: int  # the current wave (0-based): devices of waves <= it may be deployed to
    created: float
    updated: float


@dataclass(frozen=True)
class DeviceRun:
    """One device's part in a rollout."""

    gw: str
    dev: str
    board: str
    wave: int
    outcome: Outcome = "pending"
    detail: str | None = None  # the last thing to say: an error, a phase, a verdict
    exit_code: int | None = None  # of a failure: the exit code deploy would have had
    attempts: int = 0  # deploys begun (the gateway and the device make them one install)
    started: float | None = None
    finished: float | None = None
    soak_from: float | None = None  # when the device confirmed the new version

    @property
    def key(self) -> str:
        return f"{self.gw}/{self.dev}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _device(row: sqlite3.Row) -> DeviceRun:
    return DeviceRun(**{f.name: row[f.name] for f in fields(DeviceRun)})


def _rollout(row: sqlite3.Row) -> Rollout:
    return Rollout(row["id"], row["state"], row["reason"], Spec(**json.loads(row["spec"])),
                   row["wave"], row["created"], row["updated"])


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._check_format()
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"the controller's database {path}: {exc}") from None

    def _check_format(self) -> None:
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
            elif row["value"] != str(FORMAT):
                raise UsageError(f"the controller's database {self.path} has format "
                                 f"{row['value']}; this wamr-agent reads format {FORMAT}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- rollouts --------------------------------------------------------------------

    def create(self, rollout: Rollout, request: str, devices: list[DeviceRun],
               data: bytes) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO rollouts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (rollout.id, request, rollout.state, rollout.reason,
                        json.dumps(asdict(rollout.spec)), rollout.wave, rollout.created,
                        rollout.updated, data))
            db.executemany("INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [(rollout.id, d.gw, d.dev, d.board, d.wave, d.outcome, d.detail,
                             d.exit_code, d.attempts, d.started, d.finished, d.soak_from)
                            for d in devices])

    def by_request(self, request: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT id FROM rollouts WHERE request = ?",
                                   (request,)).fetchone()
        return None if row is None else str(row["id"])

    def get(self, rollout_id: str) -> Rollout | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_COLUMNS} FROM rollouts WHERE id = ?",
                                   (rollout_id,)).fetchone()
        return None if row is None else _rollout(row)

    def rollouts(self) -> list[Rollout]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM rollouts ORDER BY created").fetchall()
        return [_rollout(r) for r in rows]

    def data(self, rollout_id: str) -> bytes:
        with self._lock:
            row = self._db.execute("SELECT data FROM rollouts WHERE id = ?",
                                   (rollout_id,)).fetchone()
        return bytes(row["data"])

    def set_rollout(self, rollout: Rollout) -> Rollout:
        """Stores the rollout's state, reason and wave (its spec never changes)."""
        rollout = replace(rollout, updated=time.time())
        with self._tx() as db:
            db.execute("UPDATE rollouts SET state = ?, reason = ?, wave = ?, updated = ? "
                       "WHERE id = ?", (rollout.state, rollout.reason, rollout.wave,
                                        rollout.updated, rollout.id))
        return rollout

    # -- devices ---------------------------------------------------------------------

    def devices(self, rollout_id: str) -> list[DeviceRun]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM devices WHERE rollout = ? "
                                    "ORDER BY wave, rowid", (rollout_id,)).fetchall()
        return [_device(r) for r in rows]

    def set_device(self, rollout_id: str, run: DeviceRun) -> DeviceRun:
        with self._tx() as db:
            db.execute("UPDATE devices SET outcome = ?, detail = ?, exit_code = ?, "
                       "attempts = ?, started = ?, finished = ?, soak_from = ? "
                       "WHERE rollout = ? AND gw = ? AND dev = ?",
                       (run.outcome, run.detail, run.exit_code, run.attempts, run.started,
                        run.finished, run.soak_from, rollout_id, run.gw, run.dev))
        return run

    # -- files clients send ----------------------------------------------------------

    def upload(self, sha256: str, length: int, off: int, chunk: bytes) -> int:
        """Adds ``chunk`` at ``off`` to the upload of ``sha256`` (made at ``off`` 0);
        the bytes received: a chunk at another offset is not written."""
        with self._tx() as db:
            row = db.execute("SELECT len, received FROM uploads WHERE sha256 = ?",
                             (sha256,)).fetchone()
            if row is None or row["len"] != length:
                db.execute("DELETE FROM chunks WHERE sha256 = ?", (sha256,))
                db.execute("INSERT OR REPLACE INTO uploads VALUES (?, ?, 0, ?)",
                           (sha256, length, time.time()))
                received = 0
            else:
                received = int(row["received"])
            if off == received and chunk:
                db.execute("INSERT INTO chunks VALUES (?, ?, ?)", (sha256, off, chunk))
                received += len(chunk)
                db.execute("UPDATE uploads SET received = ?, updated = ? WHERE sha256 = ?",
                           (received, time.time(), sha256))
        return received

    def uploaded(self, sha256: str) -> tuple[int, bytes] | None:
        """The length asked for and the bytes received of the upload of ``sha256``."""
        with self._lock:
            row = self._db.execute("SELECT len FROM uploads WHERE sha256 = ?",
                                   (sha256,)).fetchone()
            chunks = self._db.execute("SELECT data FROM chunks WHERE sha256 = ? ORDER BY off",
                                      (sha256,)).fetchall()
        return None if row is None else (int(row["len"]), b"".join(bytes(c["data"])
                                                                    for c in chunks))

    def forget_upload(self, sha256: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM chunks WHERE sha256 = ?", (sha256,))
            db.execute("DELETE FROM uploads WHERE sha256 = ?", (sha256,))
