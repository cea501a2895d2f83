"""The rollout controller (docs/rollouts.md): its dispatcher, which answers the
commands of `wamr-agent rollout`, and its scheduler, which moves every running
rollout on.

Both run on the thread that calls :meth:`Controller.run`; each device's part runs
on a thread of its own (:mod:`.device_run`), at most :data:`PARALLEL` at once. The
scheduler, a few times a second, for each rollout that is running:

1. starts the part of every device of the waves opened so far that has none
   running and is ``pending``, was left ``deploying`` or ``soaking`` (a restart), or
   is ``unreachable`` and is due another try;
2. halts the rollout once its failures are past ``--max-failures`` even if every
   device still in progress succeeded (failures counted over the devices that
   answered or may still answer, unreachable ones aside);
3. when every device of the opened waves has an outcome and one of them at least
   succeeded, opens the next wave; after the last, the rollout is ``completed``
   once no device is left unreachable.

A paused rollout starts nothing new (parts in progress finish); halted, aborted and
completed rollouts are finished. Everything is in the database first
(:mod:`.store`), so the next controller carries on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any

from ..errors import BoardError, TransportError, UsageError, WamrAgentError
from ..gateway.commands import ReplyCache
from ..installing import deploy_id
from ..mqtt import topics
from ..mqtt.deploys import CHUNK_MAX
from ..ota.bundle import MAGIC as BUNDLE_MAGIC
from ..ota.bundle import parse_bundle
from ..verdicts import label
from .device_run import DeviceRunner
from .link import Command, Link
from .plan import Candidate, Target, Threshold, parse_waves, select, wave_sizes
from .store import ANSWERED, FINISHED, OUTCOMES, DeviceRun, Rollout, Spec, Store

log = logging.getLogger("wamr_agent.controller")

PARALLEL = 64  # device parts running at once
TICK = 0.2  # seconds between scheduler passes
RETRY_REACHABLE = 2.0  # an unreachable device that looks reachable again: after this
RETRY_ANYWAY = 30.0  # and in any case after this
MAX_FILE = 4 * 1024 * 1024
SETTLE_WAIT = 10.0
VERBS = ("upload", "start", "status", "list", "pause", "resume", "abort")


@dataclass(frozen=True)
class Shutdown:
    pass


def rollout_dict(r: Rollout, runs: list[DeviceRun], devices: bool = True) -> dict[str, Any]:
    """The rollout as `rollout status --json` prints it (``devices``: with each device's
    part, which `rollout list` leaves out)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for run in runs:
        counts[run.outcome] += 1
    s = r.spec
    out: dict[str, Any] = {
        "id": r.id, "state": r.state, "reason": r.reason, "app": s.app, "version": s.version,
        "sha256": s.sha256, "deploy": s.deploy, "len": s.len, "bundle": s.bundle,
        "file": s.file, "targets": s.targets, "waves": s.waves, "sizes": s.sizes,
        "soak": s.soak, "max_failures": s.max_failures, "wave": r.wave,
        "created": r.created, "updated": r.updated, "counts": counts}
    if devices:
        out["devices"] = [run.as_dict() for run in runs]
    return out


def _arg(args: Mapping[str, Any], key: str, kind: type, default: Any = ...) -> Any:
    value = args.get(key)
    if value is None:
        if default is ...:
            raise UsageError(f"the command needs args.{key}")
        return default
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise UsageError(f"args.{key} has the wrong type: {value!r}")
    return value


def _strings(args: Mapping[str, Any], key: str) -> list[str]:
    value = _arg(args, key, list, [])
    if not all(isinstance(v, str) for v in value):
        raise UsageError(f"args.{key} must be a list of strings")
    return list(value)


def _check_boards(data: bytes, chosen: list[Candidate]) -> None:
    """A bundle for none of the boards of the devices chosen would fail on each of them
    (the gateway refuses it for the board): BoardError before the rollout starts."""
    if not data.startswith(BUNDLE_MAGIC):
        return
    boards = parse_bundle(data).manifest.boards
    if not any(c.board in boards for c in chosen):
        theirs = ", ".join(sorted({c.board for c in chosen}))
        raise BoardError(f"the bundle is for {', '.join(boards)}; none of the {len(chosen)} "
                         f"device(s) targeted is ({theirs}): build it for theirs (`bundle build "
                         f"-b BOARD`), or target devices of its board (--target board=BOARD)")


class Controller:
    def __init__(self, store: Store, link_factory: Callable[[Callable[[Command], None]], Link],
                 say: Callable[[str], None] = print) -> None:
        self.store = store
        self.events: queue.SimpleQueue[Command | Shutdown] = queue.SimpleQueue()
        self.link = link_factory(self.events.put)
        self.say = say
        self.stopping = threading.Event()
        self._replies = ReplyCache()
        self._parts: dict[tuple[str, str], threading.Thread] = {}
        self._last_try: dict[tuple[str, str], float] = {}

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        """Serves until :meth:`stop`."""
        self.link.connect()
        try:
            while True:
                try:
                    event = self.events.get(timeout=TICK)
                except queue.Empty:
                    event = None
                if isinstance(event, Shutdown):
                    break
                if event is not None:
                    self._command(event)
                self._schedule()
        finally:
            self.stopping.set()
            for part in list(self._parts.values()):
                part.join(15)
            self.link.close()

    def stop(self) -> None:
        """Ends :meth:`run` (any thread, also a signal handler)."""
        self.events.put(Shutdown())

    # -- commands ------------------------------------------------------------------------

    def _command(self, cmd: Command) -> None:
        if cmd.reply_to is None:
            log.warning("controller: command %s without a response topic: dropped", cmd.verb)
            return
        try:
            request = topics.CommandRequest.from_json(cmd.payload)
        except ValueError as exc:
            self.link.reply(cmd.reply_to, topics.CommandReply(False, error=topics.WireError.of(
                UsageError(f"malformed command {cmd.verb}: {exc}"))))
            return
        begun = self._replies.begin(request.id, cmd.reply_to)
        if isinstance(begun, topics.CommandReply):
            self.link.reply(cmd.reply_to, begun)
            return
        if begun == "running":
            return
        try:
            reply = topics.CommandReply(True, result=self._handle(cmd.verb, request))
        except WamrAgentError as exc:
            reply = topics.CommandReply(False, error=topics.WireError.of(exc))
        except Exception as exc:
            log.exception("controller: command %s", cmd.verb)
            reply = topics.CommandReply(False, error=topics.WireError.of(
                WamrAgentError(f"the controller failed: {exc!r}")))
        for to in self._replies.finish(request.id, reply):
            self.link.reply(to, reply)

    def _handle(self, verb: str, request: topics.CommandRequest) -> dict[str, Any]:
        args = request.args
        if verb == "upload":
            return self._upload(args)
        if verb == "start":
            return {"rollout": self._start(request.id, args)}
        if verb == "list":
            return {"rollouts": [rollout_dict(r, self.store.devices(r.id), devices=False)
                                 for r in self.store.rollouts()]}
        if verb not in VERBS:
            raise UsageError(f"unknown command {verb!r} (commands: {', '.join(VERBS)})")
        rollout = self._rollout(_arg(args, "id", str))
        if verb == "pause":
            rollout = self._change(rollout, ("running",), "paused", "paused by an operator")
        elif verb == "resume":
            rollout = self._change(rollout, ("paused",), "running", None)
        elif verb == "abort":
            rollout = self._change(rollout, ("running", "paused"), "aborted",
                                   "aborted by an operator")
        return {"rollout": rollout_dict(rollout, self.store.devices(rollout.id))}

    def _rollout(self, rollout_id: str) -> Rollout:
        rollout = self.store.get(rollout_id)
        if rollout is None:
            raise UsageError(f"no rollout {rollout_id!r} (see `wamr-agent rollout list`)")
        return rollout

    def _change(self, rollout: Rollout, allowed: tuple[str, ...], state: str,
                reason: str | None) -> Rollout:
        if rollout.state == state:
            return rollout
        if rollout.state not in allowed:
            raise UsageError(f"rollout {rollout.id} is {rollout.state}: it cannot be "
                             f"{ {'paused': 'paused', 'running': 'resumed'}.get(state, state)}")
        self.say(f"rollout {rollout.id}: {state}")
        return self.store.set_rollout(replace(rollout, state=state,  # type: ignore[arg-type]
                                              reason=reason))

    def _upload(self, args: Mapping[str, Any]) -> dict[str, Any]:
        sha = _arg(args, "sha256", str)
        length = _arg(args, "len", int)
        off = _arg(args, "off", int)
        if not 0 < length <= MAX_FILE:
            raise UsageError(f"args.len {length}: a rollout's file is 1 byte to "
                             f"{MAX_FILE // 1024 // 1024} MiB")
        try:
            chunk = base64.b64decode(_arg(args, "data", str), validate=True)
        except binascii.Error as exc:
            raise UsageError(f"args.data is not base64: {exc}") from None
        if len(chunk) > CHUNK_MAX or off + len(chunk) > length:
            raise UsageError(f"a chunk of {len(chunk)} bytes at {off} does not fit "
                             f"{length} bytes (at most {CHUNK_MAX} a chunk)")
        return {"received": self.store.upload(sha, length, off, chunk)}

    def _start(self, request_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
        known = self.store.by_request(request_id)
        if known is not None:  # the same request after a restart
            rollout = self._rollout(known)
            return rollout_dict(rollout, self.store.devices(known))
        sha = _arg(args, "sha256", str)
        got = self.store.uploaded(sha)
        if got is None or len(got[1]) != got[0]:
            raise UsageError(f"the controller has not received all the bytes of {sha[:12]}: "
                             f"send them with `upload` first")
        data = got[1]
        if hashlib.sha256(data).hexdigest() != sha:
            self.store.forget_upload(sha)
            raise UsageError("the bytes received do not have the SHA-256 given: send again")
        targets = [Target.parse(t) for t in _strings(args, "targets")]
        waves = parse_waves(_strings(args, "waves") or ["1", "10%", "50%", "100%"])
        threshold = Threshold.parse(_arg(args, "max_failures", str, "10%"))
        soak = float(_arg(args, "soak", (int, float), 30.0))  # type: ignore[arg-type]
        if soak < 0:
            raise UsageError(f"args.soak {soak}: seconds >= 0")
        app, version, bundle = self._app(data, args)
        self._settle()
        chosen = select(self.link.candidates(), targets)
        if not chosen:
            wanted = " and ".join(map(str, targets)) or "any device"
            raise UsageError(f"no device on {self.link.broker} matches {wanted} (see "
                             f"`wamr-agent devices --via {self.link.broker}`)")
        _check_boards(data, chosen)
        self._check_free(app, chosen)
        sizes = wave_sizes(waves, len(chosen))
        wave_of = [next(i for i, n in enumerate(sizes) if k < n) for k in range(len(chosen))]
        spec = Spec(app, version, sha, deploy_id(bytes.fromhex(sha)), len(data), bundle,
                    _arg(args, "file", str, f"{app}.wasm"), [str(t) for t in targets],
                    waves, sizes, soak, str(threshold))
        now = time.time()
        rollout = Rollout(f"r-{secrets.token_hex(4)}", "running", None, spec, 0, now, now)
        runs = [DeviceRun(c.gw, c.dev, c.board, w) for c, w in zip(chosen, wave_of, strict=True)]
        self.store.create(rollout, request_id, runs, data)
        self.store.forget_upload(sha)
        self.say(f"rollout {rollout.id}: {label(app, version)} to {len(runs)} device(s) in "
                 f"waves of {', '.join(map(str, sizes))}")
        return rollout_dict(rollout, runs)

    def _check_free(self, app: str, chosen: list[Candidate]) -> None:
        """One unfinished rollout per app and device: another would undo its versions."""
        keys = {c.key for c in chosen}
        for other in self.store.rollouts():
            if other.state in FINISHED or other.spec.app != app:
                continue
            taken = sorted(r.key for r in self.store.devices(other.id) if r.key in keys)
            if taken:
                raise UsageError(f"{', '.join(taken[:5])}{' ...' if len(taken) > 5 else ''} "
                                 f"{'is' if len(taken) == 1 else 'are'} in rollout {other.id} "
                                 f"of {app} ({other.state}): let it finish, or abort it first")

    def _settle(self) -> None:
        """Waits for the retained fleet state to arrive after a connection."""
        deadline = time.monotonic() + SETTLE_WAIT
        while not self.link.settled():
            if time.monotonic() > deadline:
                raise TransportError(f"the controller is not connected to {self.link.broker}")
            time.sleep(0.05)

    @staticmethod
    def _app(data: bytes, args: Mapping[str, Any]) -> tuple[str, str | None, bool]:
        name = _arg(args, "name", str, None)
        if data.startswith(BUNDLE_MAGIC):
            manifest = parse_bundle(data).manifest
            if name is not None and name != manifest.name:
                raise UsageError(f"the bundle is for app {manifest.name!r}; --name cannot "
                                 f"rename it")
            return manifest.name, manifest.version, True
        if not data.startswith(b"\0asm"):
            raise UsageError("the file is neither a WebAssembly module nor a bundle")
        stem = PurePosixPath(_arg(args, "file", str, "app.wasm")).stem
        return topics.check_id("app name", name or stem), None, False

    # -- the scheduler -------------------------------------------------------------------

    def _schedule(self) -> None:
        for key in [k for k, t in self._parts.items() if not t.is_alive()]:
            del self._parts[key]
        for rollout in self.store.rollouts():
            if rollout.state in ("running", "paused"):
                self._advance(rollout)

    def _due(self, rid: str, run: DeviceRun) -> bool:
        if run.outcome in ("pending", "deploying", "soaking"):
            return True
        if run.outcome != "unreachable":
            return False
        since = time.monotonic() - self._last_try.get((rid, run.key), 0.0)
        return since >= RETRY_ANYWAY or (since >= RETRY_REACHABLE
                                         and self.link.reachable(run.gw, run.dev))

    def _advance(self, rollout: Rollout) -> None:
        runs = self.store.devices(rollout.id)
        opened = [r for r in runs if r.wave <= rollout.wave]
        if rollout.state == "running":
            for run in opened:
                if len(self._parts) >= PARALLEL:
                    break
                if (rollout.id, run.key) not in self._parts and self._due(rollout.id, run):
                    self._begin(rollout, run)
        failed = sum(r.outcome == "failed" for r in runs)
        may_answer = sum(r.outcome != "unreachable" for r in opened)
        if Threshold(rollout.spec.max_failures).exceeded(failed, may_answer):
            answered = sum(r.outcome in ANSWERED for r in runs)
            # the counts when it halted: deploys under way go on, the table counts them
            self._finish(rollout, "halted", f"at the halt, {failed} of {answered} device(s) "
                         f"that answered had failed, past --max-failures "
                         f"{rollout.spec.max_failures}; deploys under way finish")
            return
        busy = any((rollout.id, r.key) in self._parts for r in opened)
        if busy or rollout.state == "paused" or any(
                r.outcome not in (*ANSWERED, "unreachable") for r in opened):
            return
        left = sum(r.outcome == "unreachable" for r in runs)
        evidence = any(r.outcome == "succeeded" for r in opened) or not left
        if rollout.wave + 1 < len(rollout.spec.sizes) and evidence:
            self.say(f"rollout {rollout.id}: wave {rollout.wave + 1} done; wave "
                     f"{rollout.wave + 2} of {len(rollout.spec.sizes)} begins")
            self.store.set_rollout(replace(rollout, wave=rollout.wave + 1))
            return
        if left:
            reason = f"waiting for {left} unreachable device(s)"
            if rollout.reason != reason:
                self.store.set_rollout(replace(rollout, reason=reason))
            return
        self._finish(rollout, "completed",
                     f"{sum(r.outcome == 'succeeded' for r in runs)} succeeded, {failed} failed")

    def _finish(self, rollout: Rollout, state: str, reason: str) -> None:
        self.say(f"rollout {rollout.id}: {state}: {reason}")
        self.store.set_rollout(replace(rollout, state=state,  # type: ignore[arg-type]
                                       reason=reason))

    def _begin(self, rollout: Rollout, run: DeviceRun) -> None:
        key = (rollout.id, run.key)
        self._last_try[key] = time.monotonic()
        if self.link.gateway_state(run.gw) != "online":
            state = self.link.gateway_state(run.gw) or "not on the broker"
            if run.outcome != "unreachable":
                self.store.set_device(rollout.id, replace(
                    run, outcome="unreachable", detail=f"gateway {run.gw} is {state}"))
            return
        rid = rollout.id

        def save(changed: DeviceRun) -> DeviceRun:
            return self.store.set_device(rid, changed)

        runner = DeviceRunner(self.link, rollout.spec, self.store.data(rid), run, save,
                              self.stopping)
        thread = threading.Thread(target=runner, name=f"rollout-{rid}-{run.key}", daemon=True)
        self._parts[key] = thread
        thread.start()


__all__ = ["FINISHED", "Controller", "rollout_dict"]
