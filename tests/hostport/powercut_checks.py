"""The invariants a device must keep through power cuts (the sweep's checks):

(a) it boots and answers SMP; (b) exactly one app, named ``app``, runs, and it is a
version the scenario allows, verified by its own log line, on the engine that
version must run on (its status says ``aot`` exactly for a version with AOT code,
whose install completed and verified: docs/aot.md); (c) the boot count went up
by one per boot, the reset cause is power-on, the status agrees with the list, and no
slot is refused or holds another app; (d) the same deploy, run again, completes.

A check that does not hold raises :class:`Broken` with what was seen.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cbor2 import CBORError

from wamr_agent.deploy import deploy
from wamr_agent.emulator.process import BANNER, BoardProcess
from wamr_agent.errors import WamrAgentError
from wamr_agent.smp.apps import AppClient, AppInfo
from wamr_agent.smp.framing import Framing
from wamr_agent.smp.link import SmpLink

APP = "app"
LINK_TIMEOUT = 5.0  # per SMP request
RUN_WAIT = 6.0  # for a version's loop line, or a trap and what follows it
_BOOT_LINE = re.compile(r"^boot (\d+) reset=(\S+)", re.MULTILINE)


class Broken(Exception):
    """An invariant does not hold; the message is what was seen."""


@dataclass(frozen=True)
class Version:
    """One build of app ``app``: its file, its SHA-256 as the device lists it, and the
    tag its log lines carry (``[app] <tag> loop``)."""

    tag: str
    path: Path
    sha: str
    traps: bool = False  # its loop traps (a version the device must revert)
    aot: bool = False  # its bundle carries AOT code for the board: it runs as AOT code

    @property
    def loop_line(self) -> re.Pattern[str]:
        """Its loop's line: "loop" while its data are intact, "CORRUPT" otherwise."""
        return re.compile(rf"^\[{APP}\] {re.escape(self.tag)} (loop|CORRUPT)$", re.MULTILINE)


@contextmanager
def client(board: BoardProcess) -> Iterator[AppClient]:
    with SmpLink(board.mgmt_address, Framing.CONSOLE, timeout=LINK_TIMEOUT) as link:
        yield AppClient(link)


def describe(apps: Sequence[AppInfo], versions: Sequence[Version]) -> str:
    tags = {v.sha: v.tag for v in versions}
    shown = [f"{a.name}@{a.slot} {a.state} {tags.get(a.sha or '', a.sha or 'no sha')}"
             for a in apps]
    return "[" + ", ".join(shown) + "]" if shown else "no apps"


class BootCount:
    """The boot counts the device may report: one more per boot that counted itself.
    A boot cut before its "boot N" line may or may not have stored its record."""

    def __init__(self, stored: int) -> None:
        self.allowed = {stored}

    def boots(self, console: str) -> None:
        """Follows the boots in ``console`` (the output of one process run)."""
        for part in BANNER.split(console)[1:]:
            found = _BOOT_LINE.search(part)
            if found is None:
                self.allowed |= {n + 1 for n in self.allowed}
                continue
            count = int(found[1])
            if count - 1 not in self.allowed:
                raise Broken(f"boot {count} counted after boot {max(self.allowed)}")
            self.allowed = {count}

    def check(self, boot: int, reset: str) -> None:
        if self.allowed != {boot}:
            raise Broken(f"status says boot {boot}, the console boot {max(self.allowed)}")
        if reset != "power-on":
            raise Broken(f"reset cause after a power cut: {reset}")


def device_state(board: BoardProcess, known: Sequence[Version], allowed: Sequence[Version],
                 boots: BootCount | None) -> tuple[Version, list[AppInfo]]:
    """(a), (b) and (c): the one version that runs (one of ``allowed``; ``known``
    names the versions in messages), and the app list."""
    aot: bool | None = None  # the running app's engine, asked when a version has AOT code
    try:
        with client(board) as c:
            status = c.status()
            apps = c.list()
            running = [a for a in apps if a.state == "running"]
            if any(v.aot for v in known) and len(running) == 1:
                aot = c.status(running[0].name).aot
    except (WamrAgentError, CBORError, ValueError) as exc:  # an answer that does not decode
        raise Broken(f"no valid SMP answer: {type(exc).__name__}: {exc}") from None
    seen = describe(apps, known)
    if boots is not None:
        boots.check(status.boot, status.reset)
    if len(running) != 1 or running[0].name != APP:
        raise Broken(f"{len(running)} running: {seen}")
    if any(a.name != APP or a.state in ("refused", "disabled") for a in apps):
        raise Broken(f"a refused, disabled or foreign slot: {seen}")
    if status.apps != len(apps):
        raise Broken(f"status counts {status.apps} apps, the list {len(apps)}: {seen}")
    version = next((v for v in allowed if v.sha == running[0].sha), None)
    if running[0].sha is None:
        raise Broken(f"the running app lists no sha: {seen}")
    if version is None:
        raise Broken(f"a version that may not run now: {seen}")
    if any(a.sha not in {v.sha for v in known} for a in apps):
        raise Broken(f"an unknown version: {seen}")
    if aot is not None and aot != version.aot:
        raise Broken(f"{version.tag} runs {'as AOT code' if aot else 'interpreted'}: {seen}")
    return version, apps


def settled(board: BoardProcess, known: Sequence[Version], allowed: Sequence[Version],
            kept: Version, boots: BootCount | None = None) -> Version:
    """The version that runs, one of ``allowed``, verified by its loop line. A version
    that traps must give way to ``kept`` once it has trapped."""
    version, _ = device_state(board, known, allowed, boots)
    if version.traps:
        expect(board, re.compile(rf"^app {APP} trap:", re.MULTILINE), "its trap", version)
        version = _after_trap(board, known, kept)
    expect(board, version.loop_line, "its loop line", version)
    return version


def _after_trap(board: BoardProcess, known: Sequence[Version], kept: Version) -> Version:
    deadline = time.monotonic() + RUN_WAIT
    seen = ""
    while time.monotonic() < deadline:
        try:
            version, _ = device_state(board, known, known, None)
            if version == kept:
                return version
            seen = f"{version.tag} still runs"
        except Broken as exc:
            seen = str(exc)
        time.sleep(0.2)
    raise Broken(f"not reverted to {kept.tag} after the trap: {seen}")


def expect(board: BoardProcess, line: re.Pattern[str], what: str, version: Version) -> None:
    try:
        found = board.console.expect(line, timeout=RUN_WAIT)
    except WamrAgentError:
        raise Broken(f"{version.tag} is listed as running but {what} never came") from None
    if found.groups() and found[1] == "CORRUPT":
        raise Broken(f"{version.tag} runs with data that are not the uploaded ones "
                     f"(it logs '{version.tag} CORRUPT')")


def rerun(board: BoardProcess, new: Version, final: Version,
          known: Sequence[Version]) -> None:
    """(d): the same deploy again completes (for a version that traps: ends in a
    revert), and ``final`` runs after it."""
    board.console.skip()
    try:
        deploy(new.path, board.board.name, port=board.mgmt_address, name=APP)
    except WamrAgentError as exc:
        if not (new.traps and "revert" in str(exc).lower()):
            raise Broken(f"re-run deploy failed: {exc}") from None
    else:
        if new.traps:
            _, apps = device_state(board, known, known, None)
            raise Broken(f"re-run deploy of {new.tag} did not end in a revert: "
                         f"{describe(apps, known)}")
    settled(board, known, [final], final)
