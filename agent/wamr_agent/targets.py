"""Where a device command goes: ``--port`` (a serial device such as
``/dev/ttyUSB0``, or ``socket://HOST:PORT``), or else the embedded default: the
board's running local instance (QEMU for emulated boards, the simulator for host
ones), started in the background when asked to."""

from __future__ import annotations

from dataclasses import dataclass

from .boards import load_board
from .emulator import instances
from .errors import UsageError

_KIND = {"qemu": instances.QEMU, "host": instances.SIM}
_WHAT = {instances.QEMU: "QEMU", instances.SIM: "simulated"}


@dataclass(frozen=True)
class Target:
    address: str
    description: str
    started: bool = False  # an instance was started for this command


def resolve_target(board: str, port: str | None = None, *, start: bool = False) -> Target:
    """Where to send: ``port``, else the board's running local instance (started in
    the background as instance BOARD when ``start`` and none runs)."""
    if port:
        return Target(port, f"{port} (--port)")
    profile = load_board(board)
    kind = _KIND[profile.emulation]
    what = _WHAT[kind]
    running = [i for i in instances.instances(kind)
               if i.board == profile.name and i.status == "running"]
    if running:
        info = running[0]
        return Target(info.mgmt_address, f"local {what} {profile.name} (instance "
                      f"'{info.name}', {info.mgmt_address})")
    if not start:
        group = "board up BOARD" if kind == instances.QEMU else "sim up --board BOARD"
        raise UsageError(f"no running local {what} {profile.name} and no --port; start one "
                         f"with `wamr-agent {group.replace('BOARD', profile.name)}` or "
                         f"deploy an app")
    info = instances.up(profile.name, None, (), None, False, kind)
    return Target(info.mgmt_address, f"local {what} {profile.name} (instance "
                  f"'{info.name}', started now, {info.mgmt_address})", started=True)
