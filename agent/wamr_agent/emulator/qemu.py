"""A Cortex-M board under qemu-system-arm, booted with the wamr-agent firmware.

Files of one instance, all in its working directory (QEMU's cwd):

- ``console.log``: UART0, appended to by QEMU as the firmware prints (read by Console)
- ``flash.bin``: the firmware's flash, kept by the firmware through Arm semihosting
- ``qemu.log``: QEMU's own stdout and stderr

UART1 (management, SMP) is a TCP server on 127.0.0.1 (``mgmt_address``); a second TCP
port carries QMP, QEMU's control protocol, which ``reset()`` uses.

- ``reset()``: QMP ``system_reset``, the reset line: CPU and RAM start over, flash and
  the management connection are kept (as a cable stays plugged into a real board).
- ``power_cut()``: SIGKILL to QEMU: only what the firmware already wrote to flash.bin
  survives. ``restart()`` then boots the same flash in the same directory.
- ``stop()``: SIGTERM (SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..boards import Board
from ..errors import BoardError
from .errors import EmulatorError, QemuNotFound
from .firmware import ensure_firmware
from .process import BANNER, BOOT_TIMEOUT, BoardProcess, existing_file
from .qmp import qmp_command

__all__ = ["BANNER", "BOOT_TIMEOUT", "INSTALL_HINT", "EmulatedBoard", "Ports", "check_emulated",
           "find_qemu", "qemu_command"]

QEMU_ENV = "WAMR_AGENT_QEMU"
INSTALL_HINT = "install it with `apt-get install qemu-system-arm` (or `make setup`)"
_LAUNCH_ATTEMPTS = 5
_PORT_CLASH = "Address already in use"


def find_qemu() -> str:
    """qemu-system-arm ($WAMR_AGENT_QEMU overrides); QemuNotFound with the install hint."""
    name = os.environ.get(QEMU_ENV) or "qemu-system-arm"
    found = shutil.which(name)
    if found is None:
        raise QemuNotFound(f"{name} not found; {INSTALL_HINT}")
    return found


def check_emulated(board: Board) -> str:
    """The QEMU machine of ``board``; BoardError when it cannot run under QEMU."""
    if board.unsupported_reason is not None:
        raise BoardError(board.unsupported_reason)
    if board.qemu is None:
        raise BoardError(f"{board.name} is a simulated board (emulation = {board.emulation!r}), "
                         "not a QEMU one; simulated boards come with the `sim` command: "
                         f"`wamr-agent sim up --board {board.name}`")
    return board.qemu.machine


@dataclass(frozen=True)
class Ports:
    """TCP ports on 127.0.0.1: UART1 (management) and QMP."""

    mgmt: int
    qmp: int

    @classmethod
    def pick(cls) -> Ports:
        """Two ports free right now (QEMU may still lose a race for them: callers retry)."""
        return cls(_free_port(), _free_port())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def qemu_command(qemu: str, machine: str, firmware: Path, ports: Ports,
                 extra_args: Sequence[str] = (), devices: Sequence[str] = ()) -> list[str]:
    """The QEMU command line: the profile's ``devices`` (``-device``), ``extra_args`` last;
    run it with the instance directory as cwd."""
    return [
        qemu, "-M", machine, "-nographic", "-monitor", "none",
        "-semihosting-config", "enable=on,target=native",
        "-kernel", str(firmware),
        # A file chardev (not -serial file:) so that a restart appends to the log.
        "-chardev", "file,id=console,path=console.log,append=on", "-serial", "chardev:console",
        "-serial", f"tcp:127.0.0.1:{ports.mgmt},server=on,wait=off",
        "-qmp", f"tcp:127.0.0.1:{ports.qmp},server=on,wait=off",
        *(arg for device in devices for arg in ("-device", device)),
        *extra_args,
    ]


class EmulatedBoard(BoardProcess):
    """One QEMU instance running the firmware; see the module docstring for its files."""

    PROCESS = "QEMU"
    PROCESS_LOG = "qemu.log"
    qemu_log_path = BoardProcess.process_log_path

    def __init__(self, board: Board, firmware: Path, workdir: Path, *, name: str | None = None,
                 qemu: str | None = None, detach: bool = False,
                 extra_args: Sequence[str] = ()) -> None:
        self.machine = check_emulated(board)
        super().__init__(board, firmware, workdir, name=name, detach=detach,
                         extra_args=extra_args)
        self._qemu = qemu or find_qemu()
        self._ports: Ports | None = None

    @property
    def ports(self) -> Ports:
        return self._started(self._ports)

    @property
    def mgmt_port(self) -> int:
        return self.ports.mgmt

    @classmethod
    def _program(cls, board: Board, firmware: Path | None) -> Path:
        check_emulated(board)
        find_qemu()  # before a long firmware build
        return ensure_firmware(board) if firmware is None else existing_file(firmware,
                                                                              "firmware")

    def _boot(self, timeout: float) -> str:
        for _ in range(_LAUNCH_ATTEMPTS):
            self._ports = self._ports or Ports.pick()
            devices = self.board.qemu.devices if self.board.qemu else ()
            self._spawn(qemu_command(self._qemu, self.machine, self.firmware, self._ports,
                                     self._extra_args, devices))
            try:
                return self._await_banner(timeout)
            except EmulatorError:
                if self.running or _PORT_CLASH not in self._process_output():
                    self.stop()
                    raise
                self._ports = None
        raise EmulatorError(f"QEMU could not bind its TCP ports after {_LAUNCH_ATTEMPTS} "
                            f"attempts; see {self.qemu_log_path}")

    def _pull_reset(self) -> None:
        qmp_command(self.ports.qmp, "system_reset")

    def read_u32(self, address: int) -> int:
        """A 32-bit word as the CPU sees it (a peripheral register: the FPGA I/O LEDs,
        ...), through the monitor's ``x``: no MMU, so the address is physical, and in
        the CPU's security state (``xp`` reads the Non-secure view, where mps2-an505's
        Secure aliases read 0)."""
        text = qmp_command(self.ports.qmp, "human-monitor-command",
                           arguments={"command-line": f"x /1wx {address:#x}"})
        return int(str(text).rsplit(":", 1)[-1].strip(), 16)

    def set_temperature(self, celsius: float) -> None:
        """What the profile's TMP105 (``[qemu] devices``) measures: QOM ``temperature``,
        in millidegrees."""
        parent = "/machine/peripheral-anon"
        children = qmp_command(self.ports.qmp, "qom-list", arguments={"path": parent})
        found = [c["name"] for c in children if c.get("type") == "child<tmp105>"]
        if not found:
            raise EmulatorError(f"{self.board.name} has no tmp105 (see [qemu] devices)")
        qmp_command(self.ports.qmp, "qom-set", arguments={
            "path": f"{parent}/{found[0]}", "property": "temperature",
            "value": round(celsius * 1000)})
