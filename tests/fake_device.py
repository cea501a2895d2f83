"""A fake device speaking the wasm-app group with the app lifecycle
(docs/protocol.md), in memory: a `Link` (``request(bytes) -> bytes``) for
AppClient, and a context-manager link for `deploy` (``framing`` attribute).

Each status read of a slot on trial advances it by one poll: ``step`` loop rounds
and 200 ms; its `Plan` says how the trial ends. ``lifecycle=False`` answers as a
device without the lifecycle (no ``life``, ``free_slots`` or confirm/rollback)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2

HEADER = struct.Struct(">BBHHBB")
ENOTSUP = {"rc": 8}
BAD_STATE, NOT_FOUND = 6, 4


@dataclass
class Plan:
    """How a trial goes: ``end`` is confirm, revert (a new version), fail (a first
    install), manual (stays on trial until confirm/rollback), never, or refuse (a
    device without the lifecycle cannot start it); at loop ``at`` with ``reason``."""

    end: str = "confirm"
    at: int = 10
    reason: dict[str, Any] = field(default_factory=lambda: {
        "code": "traps", "rc": 34, "msg": "loop trapped 1 time: integer divide by zero"})
    need_loops: int = 10
    window_ms: int = 1000
    step: int = 2
    loop: bool = True  # False: the app exports no loop (its rounds are waived, as the
    # firmware does, and the ended trial's figures stay in its status, as the firmware's)


@dataclass
class Slot:
    name: str
    sha: bytes
    size: int
    version: str | None
    deploy: str | None
    gen: int
    life: str = "staged"
    state: str = "stopped"
    reason: dict[str, Any] | None = None
    loops: int = 0
    elapsed_ms: int = 0
    traps: int = 0
    plan: Plan = field(default_factory=Plan)
    mem: int = 90_000
    last_err: dict[str, Any] | None = None


@dataclass
class FakeDevice:
    lifecycle: bool = True
    heap_total: int = 294_912
    slots: int = 4
    mem: int = 90_000  # RAM an app holds while it runs
    plans: dict[str, Plan] = field(default_factory=dict)  # by version (or name)
    table: dict[int, Slot] = field(default_factory=dict)
    uploads: int = 0  # upload messages received
    framing: Any = None  # deploy sets it
    kids: list[bytes] | None = None  # ids of the keys it trusts; None: older firmware, silent
    aot_abi: int | None = None  # the AOT ABI it runs (0: none); None: older firmware, silent
    _gen: int = 0

    # -- the link ---------------------------------------------------------------------

    def request(self, message: bytes) -> bytes:
        op, _, _, group, seq, cmd = HEADER.unpack_from(message)
        body = self.answer(group, cmd, cbor2.loads(message[HEADER.size:]))
        payload = cbor2.dumps(body)
        return HEADER.pack((op & 7) + 1 | 0x08, 0, len(payload), group, seq, cmd) + payload

    def __enter__(self) -> FakeDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def answer(self, group: int, cmd: int, req: dict[str, Any]) -> Any:
        if (group, cmd) == (0, 6):
            return {"buf_size": 4096, "buf_count": 1}
        handlers = {0: self.upload, 1: self.list, 2: self.start, 3: self.stop, 5: self.status,
                    7: self.confirm, 8: self.rollback}
        if cmd in (7, 8) and not self.lifecycle:
            return ENOTSUP
        return handlers[cmd](req)

    # -- state ------------------------------------------------------------------------

    def named(self, name: str) -> list[Slot]:
        return sorted((s for s in self.table.values() if s.name == name), key=lambda s: s.gen)

    def current(self, name: str) -> Slot | None:
        slots = self.named(name)
        for lives in (("trial",), ("confirmed", "staged"), ("reverted", "failed")):
            found = [s for s in slots if s.life in lives]
            if found:
                return found[-1]
        return None

    def slot_of(self, slot: Slot) -> int:
        return next(k for k, s in self.table.items() if s is slot)

    def heap_free(self) -> int:
        return self.heap_total - sum(s.mem for s in self.table.values() if s.state == "running")

    def begin_trial(self, slot: Slot) -> None:
        plan = self.plans.get(slot.version or slot.name, Plan())
        if not self.lifecycle:
            self.start_without_lifecycle(slot, plan)
            return
        for other in self.named(slot.name):
            if other is not slot and other.state == "running":
                other.state = "stopped"  # the kept version stops while the new one is on trial
        slot.life, slot.state, slot.plan, slot.reason = "trial", "running", plan, None
        slot.loops = slot.elapsed_ms = slot.traps = 0

    def start_without_lifecycle(self, slot: Slot, plan: Plan) -> None:
        """Today's firmware: the old version's slot is retired, the new one starts (or
        the runtime refuses it: plan ``refuse``)."""
        for k, other in list(self.table.items()):
            if other is not slot and other.name == slot.name:
                del self.table[k]
        slot.state = "refused" if plan.end == "refuse" else "running"
        slot.last_err = {"rc": 2, "msg": plan.reason["msg"]} if plan.end == "refuse" else None

    def advance(self, slot: Slot) -> None:
        if slot.life != "trial":
            return
        p = slot.plan
        slot.loops, slot.elapsed_ms = slot.loops + p.step * p.loop, slot.elapsed_ms + 200
        healthy = (slot.loops >= p.need_loops or not p.loop) and slot.elapsed_ms >= p.window_ms
        if p.end in ("revert", "fail") and slot.loops >= p.at:
            self.end_trial(slot, "reverted" if p.end == "revert" else "failed", p.reason)
        elif p.end == "confirm" and healthy:
            self.end_trial(slot, "confirmed")

    def end_trial(self, slot: Slot, life: str, reason: dict[str, Any] | None = None) -> None:
        slot.life, slot.reason = life, reason
        slot.state = "running" if life == "confirmed" else "stopped"
        for other in self.named(slot.name):
            if other is not slot and other.life == "confirmed":
                if life == "confirmed":
                    del self.table[self.slot_of(other)]
                else:
                    other.state = "running"

    # -- commands -----------------------------------------------------------------------

    def upload(self, req: dict[str, Any]) -> dict[str, Any]:
        self.uploads += 1
        assert req["off"] == 0 and len(req["data"]) == req["len"], "one-chunk uploads only"
        same = [s for s in self.named(req["name"]) if s.sha == req["sha"]]
        start = bool(req.get("start"))
        if same:
            return self.again(same[-1], req, start)
        free = next(k for k in range(self.slots) if k not in self.table)
        self._gen += 1
        slot = Slot(req["name"], req["sha"], req["len"], req.get("version"), req.get("deploy"),
                    self._gen, mem=self.mem)
        self.table[free] = slot
        if start:
            self.begin_trial(slot)
        return {"off": req["len"], "done": True, **({"trial": True} if start else {})}

    def again(self, slot: Slot, req: dict[str, Any], start: bool) -> dict[str, Any]:
        done = {"off": req["len"], "done": True, "unchanged": True}
        if start and slot.life in ("staged", "reverted", "failed"):
            self.begin_trial(slot)
            return {**done, "trial": True}
        return done

    def entry(self, k: int, s: Slot) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": s.name, "slot": k, "state": s.state, "size": s.size,
                                 "sha": s.sha}
        if self.lifecycle:
            entry.update(life=s.life, mem=s.mem if s.state == "running" else 0,
                         **({"version": s.version} if s.version else {}),
                         **({"reason": s.reason} if s.reason else {}))
        return entry

    def list(self, req: dict[str, Any]) -> dict[str, Any]:
        return {"apps": [self.entry(k, s) for k, s in sorted(self.table.items())]}

    def status(self, req: dict[str, Any]) -> Any:
        if "name" not in req:
            return self.device_status()
        named = [s for s in self.named(req["name"]) if s.sha == req.get("sha")]
        slot = named[-1] if named else self.current(req["name"])
        if slot is None:
            return {"err": {"group": 64, "rc": NOT_FOUND}}
        self.advance(slot)
        return self.app_status(slot)

    def device_status(self) -> dict[str, Any]:
        status = {"board": "esp32", "fw": "0.2.0", "uptime_ms": 5, "boot": 1,
                  "reset": "power-on", "heap_free": self.heap_free(), "slots": self.slots,
                  "apps": len(self.table), "buf_size": 4096, "framings": ["console", "raw"]}
        if self.lifecycle:
            status["free_slots"] = max(0, self.slots - len(self.table) - 1)
        if self.kids is not None:
            status["kids"] = self.kids
        if self.aot_abi is not None:
            status["aot_abi"] = self.aot_abi
        return status

    def app_status(self, s: Slot) -> dict[str, Any]:
        base = {**self.entry(self.slot_of(s), s), "traps": s.traps, "mem_hw": s.mem,
                "mem_budget": 278_528, "uptime_ms": s.elapsed_ms, "deploy": s.deploy}
        base.pop("mem", None)
        if not self.lifecycle:
            return base | ({"version": s.version} if s.version else {}) | (
                {"last_err": s.last_err} if s.last_err else {})
        if s.life == "trial" or not s.plan.loop:
            p = s.plan
            base["trial"] = {"loops": s.loops, "need_loops": p.need_loops, "traps": s.traps,
                             "max_traps": 0, "elapsed_ms": s.elapsed_ms,
                             "window_ms": p.window_ms, "manual": p.end == "manual"}
        newest = self.named(s.name)[-1]
        if newest is not s:
            base["update"] = {"sha": newest.sha, "life": newest.life,
                              **({"version": newest.version} if newest.version else {}),
                              **({"reason": newest.reason} if newest.reason else {})}
        return base

    def start(self, req: dict[str, Any]) -> dict[str, Any]:
        return self.run_state(req["name"], "running")

    def stop(self, req: dict[str, Any]) -> dict[str, Any]:
        return self.run_state(req["name"], "stopped")

    def run_state(self, name: str, state: str) -> dict[str, Any]:
        slot = self.current(name)
        if slot is None:
            return {"err": {"group": 64, "rc": NOT_FOUND}}
        slot.state = state
        return {}

    def confirm(self, req: dict[str, Any]) -> dict[str, Any]:
        return self.decide(req["name"], "confirmed", None)

    def rollback(self, req: dict[str, Any]) -> dict[str, Any]:
        return self.decide(req["name"], "reverted", {"code": "manual", "rc": 0,
                                                     "msg": "rolled back by an operator"})

    def decide(self, name: str, life: str, reason: dict[str, Any] | None) -> dict[str, Any]:
        if not self.named(name):
            return {"err": {"group": 64, "rc": NOT_FOUND}}
        trial = [s for s in self.named(name) if s.life == "trial"]
        if not trial:
            return {"err": {"group": 64, "rc": BAD_STATE}}
        self.end_trial(trial[0], life, reason)
        return {}
