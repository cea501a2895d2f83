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
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..boards import Board, load_board
from ..errors import BoardError
from .console import Console
from .errors import EmulatorError, QemuNotFound
from .firmware import ensure_firmware
from .preload import Preload, write_preload
from .qmp import qmp_command

__all__ = ["BANNER", "BOOT_TIMEOUT", "INSTALL_HINT", "EmulatedBoard", "Ports", "check_emulated",
           "find_qemu", "qemu_command"]

QEMU_ENV = "WAMR_AGENT_QEMU"
INSTALL_HINT = "install it with `apt-get install qemu-system-arm` (or `make setup`)"
BANNER = re.compile(r"wamr-agent firmware[^\r\n]*")
BOOT_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
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
                         "not a QEMU one; simulated boards come with the `sim` command")
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
                 extra_args: Sequence[str] = ()) -> list[str]:
    """The QEMU command line, ``extra_args`` last; run it with the instance directory as cwd."""
    return [
        qemu, "-M", machine, "-nographic", "-monitor", "none",
        "-semihosting-config", "enable=on,target=native",
        "-kernel", str(firmware),
        # A file chardev (not -serial file:) so that a restart appends to the log.
        "-chardev", "file,id=console,path=console.log,append=on", "-serial", "chardev:console",
        "-serial", f"tcp:127.0.0.1:{ports.mgmt},server=on,wait=off",
        "-qmp", f"tcp:127.0.0.1:{ports.qmp},server=on,wait=off",
        *extra_args,
    ]


class EmulatedBoard:
    """One QEMU instance running the firmware; see the module docstring for its files."""

    def __init__(self, board: Board, firmware: Path, workdir: Path, *, name: str | None = None,
                 qemu: str | None = None, detach: bool = False,
                 extra_args: Sequence[str] = ()) -> None:
        self.board = board
        self.machine = check_emulated(board)
        self.firmware = firmware.resolve()
        self.workdir = workdir.resolve()
        self.name = name or board.name
        self.banner = ""
        self._qemu = qemu or find_qemu()
        self._detach = detach
        self._extra_args = tuple(extra_args)
        self._proc: subprocess.Popen[bytes] | None = None
        self._ports: Ports | None = None
        self._killed = False
        self.console = Console(self.workdir / "console.log", self._stopped_reason)

    @classmethod
    def start(cls, board: str | Board, firmware: Path | None = None, name: str | None = None,
              preload: Preload = (), workdir: Path | None = None, *, erase: bool = False,
              detach: bool = False, boot_timeout: float = BOOT_TIMEOUT,
              extra_args: Sequence[str] = ()) -> EmulatedBoard:
        """Builds the firmware if needed, writes ``preload`` apps to a fresh flash, boots.

        ``workdir`` defaults to a new temporary directory; an existing ``flash.bin`` in
        it is kept (like a device powered on again) unless ``erase`` or ``preload``.
        ``extra_args`` are appended to the QEMU command line (e.g. ``["-icount", "shift=0"]``).
        """
        profile = load_board(board) if isinstance(board, str) else board
        check_emulated(profile)
        qemu = find_qemu()
        elf = ensure_firmware(profile) if firmware is None else _existing(firmware)
        directory = workdir or Path(tempfile.mkdtemp(prefix=f"wamr-agent-{profile.name}-"))
        directory.mkdir(parents=True, exist_ok=True)
        instance = cls(profile, elf, directory, name=name, qemu=qemu, detach=detach,
                       extra_args=extra_args)
        if erase:
            instance.flash_path.unlink(missing_ok=True)
        if preload:
            write_preload(instance.flash_path, profile, preload)
        for stale in (instance.log_path, instance.qemu_log_path):
            stale.write_bytes(b"")
        instance.boot(boot_timeout)
        return instance

    # -- what tests and clients use ------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.console.log_path

    @property
    def flash_path(self) -> Path:
        return self.workdir / "flash.bin"

    @property
    def qemu_log_path(self) -> Path:
        return self.workdir / "qemu.log"

    @property
    def ports(self) -> Ports:
        if self._ports is None:
            raise EmulatorError(f"{self.name} has not been started")
        return self._ports

    @property
    def mgmt_address(self) -> str:
        """Where an SMP client reaches UART1: ``socket://127.0.0.1:PORT``."""
        return f"socket://127.0.0.1:{self.ports.mgmt}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def exit_status(self) -> int | None:
        """QEMU's exit status when the firmware ended it (semihosting exit), else None."""
        if self._proc is None or self._killed:
            return None
        return self._proc.poll()

    def wait_exit(self, timeout: float = BOOT_TIMEOUT) -> int:
        """Waits for the firmware to exit QEMU via semihosting; returns the status."""
        if self._proc is None:
            raise EmulatorError(f"{self.name} has not been started")
        try:
            status = self._proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise EmulatorError(self.console.failure(
                f"{self.name} did not exit within {timeout:g} s")) from exc
        return status

    # -- power and reset ----------------------------------------------------------

    def boot(self, timeout: float = BOOT_TIMEOUT) -> str:
        """Launches QEMU (same ports when free) and waits for the firmware banner."""
        if self.running:
            raise EmulatorError(f"{self.name} is already running (pid {self.pid})")
        self.console.skip()
        for _ in range(_LAUNCH_ATTEMPTS):
            self._launch(self._ports or Ports.pick())
            try:
                return self._await_banner(timeout)
            except EmulatorError:
                if not self._port_clash():
                    self.stop()
                    raise
                self._ports = None
        raise EmulatorError(f"QEMU could not bind its TCP ports after {_LAUNCH_ATTEMPTS} "
                            f"attempts; see {self.qemu_log_path}")

    def reset(self, timeout: float = BOOT_TIMEOUT) -> str:
        """Resets the machine (QMP system_reset) and waits for the banner again."""
        if not self.running:
            raise EmulatorError(f"{self.name} is not running; use restart()")
        self.console.skip()
        qmp_command(self.ports.qmp, "system_reset")
        return self._await_banner(timeout)

    def power_cut(self) -> None:
        """Kills QEMU at once (SIGKILL): nothing is flushed beyond what the firmware wrote."""
        self._signal(signal.SIGKILL, STOP_TIMEOUT)

    def restart(self, timeout: float = BOOT_TIMEOUT) -> str:
        """Boots again with the same flash and directory (cutting the power if running)."""
        if self.running:
            self.power_cut()
        return self.boot(timeout)

    def stop(self) -> None:
        """Stops QEMU (SIGTERM, then SIGKILL); idempotent."""
        if self.running:
            try:
                self._signal(signal.SIGTERM, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL, STOP_TIMEOUT)

    def __enter__(self) -> EmulatedBoard:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<EmulatedBoard {self.name} ({self.board.name}) {state}, log {self.log_path}>"

    # -- internals ----------------------------------------------------------------

    def _launch(self, ports: Ports) -> None:
        self._ports = ports
        self._killed = False
        command = qemu_command(self._qemu, self.machine, self.firmware, ports,
                               self._extra_args)
        with self.qemu_log_path.open("ab") as log:
            self._proc = subprocess.Popen(command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=self._detach)

    def _await_banner(self, timeout: float) -> str:
        try:
            match = self.console.expect(BANNER, timeout)
        except EmulatorError as exc:
            raise EmulatorError(f"{self.name} ({self.board.name}) did not boot: the firmware "
                                f"banner 'wamr-agent firmware ...' did not appear.\n{exc}\n"
                                f"QEMU log: {self.qemu_log_path}") from exc
        self.banner = match.group(0)
        return self.banner

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._killed = True
        self._proc.send_signal(sig)
        self._proc.wait(timeout)

    def _port_clash(self) -> bool:
        return not self.running and _PORT_CLASH in self._qemu_output()

    def _qemu_output(self) -> str:
        try:
            return self.qemu_log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _stopped_reason(self) -> str | None:
        if self._proc is None:
            return "QEMU is not running"
        status = self._proc.poll()
        if status is None:
            return None
        if self._killed:
            return "QEMU was stopped by the harness"
        last = self._qemu_output().strip().splitlines()[-3:]
        detail = f" ({' / '.join(last)})" if last else ""
        return f"QEMU exited with status {status}{detail}"


def _existing(firmware: Path) -> Path:
    if not firmware.is_file():
        raise EmulatorError(f"firmware {firmware} does not exist")
    return firmware
