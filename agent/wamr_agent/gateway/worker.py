"""One thread per device: it alone owns the device's SMP link, so there is one
request at a time on it. It runs the commands the dispatcher queues, and between
them polls the device's status and app list (every :data:`STATUS_EVERY` s) and its
kept console lines (every 0.5 s, more often while the device prints fast:
``cadence``), publishing state, logs and telemetry. Commands pre-empt the polls:
one queued while a poll runs goes before the poll's next request, so it waits for
at most the one in flight. A link that fails marks the device unreachable
(published in its state) and is opened again with backoff.

A deploy job's device phase (``RunDeploy``, run by the gateway's installer) is
one long job on this thread: its upload holds the link, so commands and polls
wait until it is done; while it waits for the device's verdict it serves the
commands that arrive between its status reads (not the polls). A stop
interrupts it between two requests; the job resumes when the gateway starts
again."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import WamrAgentError
from ..mqtt import topics
from ..smp.app_results import LogEntry
from ..smp.link import SmpLinkError
from . import observe
from .cadence import LogsCadence
from .commands import COMMANDS, Context, ReplyCache
from .devices import Installer, Interrupted, LinkedDevice, Turn
from .outbox import Publisher

log = logging.getLogger("wamr_agent.gateway")

STATUS_EVERY = 2.0
RETRY_FIRST, RETRY_MAX = 0.5, 5.0


@dataclass(frozen=True)
class RunCommand:
    verb: str
    request_id: str
    args: dict[str, Any]


@dataclass(frozen=True)
class RunDeploy:
    """Run the device phase of deploy job ``deploy`` (gateway.jobs)."""

    deploy: str


@dataclass(frozen=True)
class Republish:
    """Publish the device's state again (the gateway reconnected to the broker)."""


@dataclass(frozen=True)
class Stop:
    """Publish the device as unreachable, close the link, end the thread."""


Job = RunCommand | RunDeploy | Republish | Stop


class DeviceWorker(threading.Thread):
    def __init__(self, dev: str, board: str, opener: Callable[[], LinkedDevice],
                 publisher: Publisher, replies: ReplyCache,
                 clock: Callable[[], float] = time.monotonic,
                 installer: Installer | None = None) -> None:
        """``opener`` opens the device's link (``devices.smp_opener``; a fake in tests);
        ``installer`` runs deploy jobs."""
        super().__init__(name=f"device-{dev}", daemon=True)
        self.dev, self.board = dev, board
        self._open, self._out, self._replies, self._clock = opener, publisher, replies, clock
        self._installer = installer
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._later: list[RunDeploy] = []  # deploy jobs queued while one ran
        self._held: Job | None = None  # taken off the queue by a poll, runs after it
        self._stop_asked = threading.Event()
        self._stopped = False
        self._client: LinkedDevice | None = None
        self._state = observe.StateTracker()
        self._cadence = LogsCadence()
        self._status_at = self._logs_at = self._retry_at = 0.0
        self._retry = RETRY_FIRST
        self._boot: int | None = None
        self._since = 0
        self._configs: observe.Configs = {}
        self._configs_of: tuple[Any, ...] | None = None  # observe.apps_key they were read at

    def submit(self, job: Job) -> None:
        """Queues a job (any thread)."""
        if isinstance(job, Stop):
            self._stop_asked.set()
        self._jobs.put(job)

    # -- the worker's thread -------------------------------------------------------

    def run(self) -> None:
        while not self._stopped:
            self._do(self._next_job())
        self._publish_state(observe.unreachable(self.board, self._state.current), force=True)
        self._close()

    def _do(self, job: Job | None) -> None:
        if isinstance(job, Stop):
            self._stopped = True
        elif isinstance(job, RunCommand):
            self._command(job)
        elif isinstance(job, RunDeploy):
            self._deploy(job)
        elif isinstance(job, Republish):
            self._publish_state(force=True)
        else:
            self._poll()

    def _next_job(self) -> Job | None:
        if self._held is not None:
            job, self._held = self._held, None
            return job
        due = (self._retry_at if self._client is None
               else min(self._status_at, self._logs_at))
        try:
            return self._jobs.get(timeout=max(0.0, due - self._clock()))
        except queue.Empty:
            return None

    def _device(self) -> LinkedDevice:
        """The device, opening its link when it is closed (SmpLinkError)."""
        if self._client is None:
            self._client = self._open()
            self._retry, self._status_at, self._logs_at = RETRY_FIRST, 0.0, 0.0
            log.info("device %s: link open", self.dev)
        return self._client

    def _lost(self, exc: SmpLinkError) -> None:
        was = self._client is not None
        self._close()
        self._retry_at = self._clock() + self._retry
        self._retry = min(self._retry * 2, RETRY_MAX)
        self._status_at = self._logs_at = 0.0  # the retry polls at once
        if was or self._state.current is None or self._state.current.reachable:
            log.warning("device %s unreachable: %s", self.dev, exc)
        self._publish_state(observe.unreachable(self.board, self._state.current))

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None

    def _poll(self) -> None:
        """The polls that are due; before each of their requests, the commands queued
        meanwhile (:meth:`_commands_first`)."""
        try:
            now = self._clock()
            if now >= self._status_at:
                self._poll_status()
            if now >= self._logs_at and self._commands_first():
                self._poll_logs()
        except SmpLinkError as exc:
            self._lost(exc)
        except WamrAgentError as exc:  # an answer this host cannot read: try again later
            log.warning("device %s: %s", self.dev, exc)
            self._status_at = self._logs_at = self._clock() + STATUS_EVERY

    def _commands_first(self) -> bool:
        """Runs the commands queued since the poll began, ahead of its next request.
        The first other job (a deploy, a republish, a stop) is held for after the
        poll, and so is everything queued behind it: jobs keep their order, only the
        worker's own polls give way. False when the poll should stop: a command lost
        the link or changed the device (the next poll, at once, reads it again), or
        a stop was asked."""
        changed = False
        while self._held is None and not self._stop_asked.is_set():
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if isinstance(job, RunCommand):
                changed |= self._command(job)
            else:
                self._held = job
        return self._client is not None and not changed and not self._stop_asked.is_set()

    def _poll_status(self) -> None:
        status = self._device().status()
        if not self._commands_first():
            return
        apps = self._device().list()
        if observe.apps_key(status, apps) != self._configs_of:
            self._configs = observe.read_configs(self._device(), apps)
            self._configs_of = observe.apps_key(status, apps)
        self._status_at = self._clock() + STATUS_EVERY
        self._publish_state(observe.device_state(self.board, status, apps, time.time(),
                                                 self._configs))

    def _poll_logs(self) -> None:
        page = self._device().logs(self._since)
        if self._boot is not None and page.boot != self._boot:
            self._since, wait = 0, 0.0  # rebooted: its log from the start, at once
        else:
            self._since = page.next
            if page.dropped:
                self._out.log_line(self.dev, topics.LogDropped(page.dropped))
            for entry in page.lines:
                self._publish_line(entry)
            wait = self._cadence.read(self._clock(), page)
        self._boot = page.boot
        self._logs_at = self._clock() + wait

    def _publish_line(self, entry: LogEntry) -> None:
        self._out.log_line(self.dev, topics.LogLine(entry.seq, entry.t_ms, entry.boot,
                                                    entry.msg))
        found = observe.telemetry(entry)
        if found is not None:
            self._out.telemetry(self.dev, *found)

    def _publish_state(self, state: topics.DeviceState | None = None,
                       force: bool = False) -> None:
        state = state or self._state.current
        if state is not None and (self._state.update(state, self._clock()) or force):
            self._out.state(self.dev, state)

    def _command(self, job: RunCommand) -> bool:
        """Runs a command and answers it; True when it changes the device (its state
        is then polled at once)."""
        command = COMMANDS[job.verb]
        try:
            context = Context(self._device())
            reply = topics.CommandReply(True, result=command.run(context, job.args))
        except SmpLinkError as exc:
            self._lost(exc)
            reply = topics.CommandReply(False, error=topics.WireError.of(exc))
        except WamrAgentError as exc:
            reply = topics.CommandReply(False, error=topics.WireError.of(exc))
        except Exception as exc:  # a bug must not end the device's thread
            log.exception("device %s: %s failed", self.dev, job.verb)
            reply = topics.CommandReply(False, error=topics.WireError.of(
                WamrAgentError(f"the gateway failed: {type(exc).__name__}: {exc}")))
        for to in self._replies.finish(job.request_id, reply):
            self._out.reply(to, reply)
        if command.changes_state:
            self._status_at = 0.0
            self._configs_of = None  # read again too
        return command.changes_state

    # -- deploy jobs ---------------------------------------------------------------------

    def _deploy(self, job: RunDeploy) -> None:
        if self._installer is None:
            log.error("device %s: no installer for deploy %s", self.dev, job.deploy)
            return
        try:
            self._installer.run(self.dev, self.board, job.deploy,
                                Turn(self._device, self._pause, self._check))
        except Interrupted:
            log.info("device %s: deploy %s stopped; it resumes when the gateway starts "
                     "again", self.dev, job.deploy)
        except SmpLinkError as exc:
            self._lost(exc)
        except Exception:  # a bug, or the state directory failing, must not end the thread
            log.exception("device %s: deploy %s failed", self.dev, job.deploy)
        self._status_at = 0.0  # the device changed: poll it at once
        for later in self._later:
            self._jobs.put(later)
        self._later.clear()

    def _check(self) -> None:
        if self._stop_asked.is_set():
            raise Interrupted

    def _pause(self, seconds: float) -> None:
        """Waits ``seconds``, running the commands that arrive meanwhile (other deploy
        jobs wait for this one). Interrupted when asked to stop; SmpLinkError when a
        command lost the link."""
        deadline = self._clock() + seconds
        while (left := deadline - self._clock()) > 0:
            self._check()
            try:
                job = self._jobs.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(job, RunDeploy):
                self._later.append(job)
                continue
            self._do(job)
            if self._client is None:
                raise SmpLinkError(f"device {self.dev}: the link was lost during the deploy")
        self._check()
