"""The life cycle of a board that runs as one host process (QEMU, or the firmware
core built as a host program): start, boot and wait for the firmware banner,
reset, power cut, restart on the same flash, stop, exit status, console.

:class:`BoardProcess` holds what :class:`~wamr_agent.emulator.EmulatedBoard` and
:class:`~wamr_agent.emulator.SimulatedBoard` share; a subclass says how to launch its
process (``_boot``), how to pull the reset line (``_pull_reset``), where its
management UART listens (``mgmt_port``) and what it is called in messages.

Files of one instance, all in its working directory (the process's cwd):
``console.log`` (the firmware's console), ``flash.bin`` (the firmware's flash) and
the process's own log (``PROCESS_LOG``).
"""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, ClassVar, Self, TypeVar

from ..boards import Board, load_board
from .console import Console
from .errors import EmulatorError
from .preload import Preload, write_preload

__all__ = ["BANNER", "BOOT_TIMEOUT", "STOP_TIMEOUT", "BoardProcess", "existing_file",
           "profile_of", "workdir_for"]

BANNER = re.compile(r"wamr-agent firmware[^\r\n]*")
BOOT_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
_T = TypeVar("_T")


def profile_of(board: str | Board) -> Board:
    return load_board(board) if isinstance(board, str) else board


def workdir_for(profile: Board, workdir: Path | None) -> Path:
    """``workdir`` (created if missing), or a new temporary directory."""
    directory = workdir or Path(tempfile.mkdtemp(prefix=f"wamr-agent-{profile.name}-"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def existing_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise EmulatorError(f"{what} {path} does not exist")
    return path


class BoardProcess:
    """One board process running the firmware; see the module docstring."""

    #: What the process is called in messages ("QEMU", "the simulator").
    PROCESS: ClassVar[str]
    #: The process's own log (stderr), in the working directory.
    PROCESS_LOG: ClassVar[str]

    def __init__(self, board: Board, firmware: Path, workdir: Path, *, name: str | None = None,
                 detach: bool = False, extra_args: Sequence[str] = ()) -> None:
        self.board = board
        self.firmware = firmware.resolve()
        self.workdir = workdir.resolve()
        self.name = name or board.name
        self.banner = ""
        self._detach = detach
        self._extra_args = tuple(extra_args)
        self._proc: subprocess.Popen[bytes] | None = None
        self._killed = False
        self.console = Console(self.workdir / "console.log", self._stopped_reason)

    @classmethod
    def start(cls, board: str | Board, firmware: Path | None = None, name: str | None = None,
              preload: Preload = (), workdir: Path | None = None, *, erase: bool = False,
              detach: bool = False, boot_timeout: float = BOOT_TIMEOUT,
              extra_args: Sequence[str] = ()) -> Self:
        """Builds the firmware if needed, writes ``preload`` apps to a fresh flash, boots.

        ``firmware`` is a built program to run instead (for QEMU the firmware ELF, for
        a simulated board ``wamr-agent-sim``). ``workdir`` defaults to a new temporary
        directory; an existing ``flash.bin`` in it is kept (like a device powered on
        again) unless ``erase`` or ``preload``. ``extra_args`` are appended to the
        process's command line (e.g. ``["-icount", "shift=0"]`` for QEMU).
        ``detach`` starts the process in its own session, to outlive the caller.
        """
        profile = profile_of(board)
        program = cls._program(profile, firmware)
        instance = cls(profile, program, workdir_for(profile, workdir), name=name,
                       detach=detach, extra_args=extra_args)
        instance.power_on(preload, erase, boot_timeout)
        return instance

    # -- what subclasses provide ----------------------------------------------------

    @classmethod
    def _program(cls, board: Board, firmware: Path | None) -> Path:
        """Checks that ``board`` runs this way; ``firmware``, or the one built on demand."""
        raise NotImplementedError

    @property
    def mgmt_port(self) -> int:
        """The management UART's TCP port on 127.0.0.1."""
        raise NotImplementedError

    def _boot(self, timeout: float) -> str:
        """Launches the process (``_spawn``) and returns the banner (``_await_banner``)."""
        raise NotImplementedError

    def _pull_reset(self) -> None:
        """Resets the running firmware (CPU and RAM start over, flash is kept)."""
        raise NotImplementedError

    def _boot_failure(self, timeout: float, detail: str) -> EmulatorError:
        return EmulatorError(
            f"{self.name} ({self.board.name}) did not boot within {timeout:g} s: the firmware "
            f"banner 'wamr-agent firmware ...' did not appear.\n{detail}\n"
            f"{self.PROCESS} log: {self.process_log_path}")

    # -- what tests and clients use ------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.console.log_path

    @property
    def flash_path(self) -> Path:
        return self.workdir / "flash.bin"

    @property
    def process_log_path(self) -> Path:
        return self.workdir / self.PROCESS_LOG

    @property
    def mgmt_address(self) -> str:
        """Where an SMP client reaches the management UART: ``socket://127.0.0.1:PORT``."""
        return f"socket://127.0.0.1:{self.mgmt_port}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def exit_status(self) -> int | None:
        """The exit status when the firmware ended the process (wa_port_exit), else None."""
        if self._proc is None or self._killed:
            return None
        return self._proc.poll()

    def wait_exit(self, timeout: float = BOOT_TIMEOUT) -> int:
        """Waits for the firmware to end the process (wa_port_exit); returns the status."""
        if self._proc is None:
            raise EmulatorError(f"{self.name} has not been started")
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise EmulatorError(self.console.failure(
                f"{self.name} did not exit within {timeout:g} s")) from exc

    # -- power and reset ----------------------------------------------------------

    def power_on(self, preload: Preload = (), erase: bool = False,
                 timeout: float = BOOT_TIMEOUT) -> str:
        """First boot: erases the flash if asked, writes ``preload`` apps, empties the logs."""
        if erase:
            self.flash_path.unlink(missing_ok=True)
        if preload:
            write_preload(self.flash_path, self.board, preload)
        for stale in (self.log_path, self.process_log_path):
            stale.write_bytes(b"")
        return self.boot(timeout)

    def boot(self, timeout: float = BOOT_TIMEOUT) -> str:
        """Launches the process (same ports when free) and waits for the firmware banner."""
        if self.running:
            raise EmulatorError(f"{self.name} is already running (pid {self.pid})")
        self.console.skip()
        return self._boot(timeout)

    def reset(self, timeout: float = BOOT_TIMEOUT) -> str:
        """Pulls the reset line and waits for the banner again (flash and ports kept)."""
        if not self.running:
            raise EmulatorError(f"{self.name} is not running; use restart()")
        self.console.skip()
        self._pull_reset()
        return self._await_banner(timeout)

    def power_cut(self) -> None:
        """Kills the process at once (SIGKILL): only what the firmware wrote to flash stays."""
        self._signal(signal.SIGKILL, STOP_TIMEOUT)

    def restart(self, timeout: float = BOOT_TIMEOUT, *,
                extra_args: Sequence[str] | None = None) -> str:
        """Boots again with the same flash and directory (cutting the power if running).
        ``extra_args`` replaces the process's extra arguments from now on (None: keep)."""
        if self.running:
            self.power_cut()
        if extra_args is not None:
            self._extra_args = tuple(extra_args)
        return self.boot(timeout)

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL); idempotent."""
        if self.running:
            try:
                self._signal(signal.SIGTERM, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL, STOP_TIMEOUT)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (f"<{type(self).__name__} {self.name} ({self.board.name}) {state}, "
                f"log {self.log_path}>")

    # -- for subclasses -------------------------------------------------------------

    def _started(self, value: _T | None) -> _T:
        """``value`` (a port known once the process runs); EmulatorError before that."""
        if value is None:
            raise EmulatorError(f"{self.name} has not been started")
        return value

    def _spawn(self, command: list[str], stdout: Path | None = None) -> None:
        """Starts ``command`` in the working directory: stderr to the process log,
        stdout to ``stdout`` (default: the process log too)."""
        self._killed = False
        with self.process_log_path.open("ab") as log:
            if stdout is None:
                self._popen(command, log, log)
            else:
                with stdout.open("ab") as out:
                    self._popen(command, out, log)

    def _popen(self, command: list[str], stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self._proc = subprocess.Popen(command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                      stdout=stdout, stderr=stderr,
                                      start_new_session=self._detach)

    def _await_banner(self, timeout: float) -> str:
        try:
            match = self.console.expect(BANNER, timeout)
        except EmulatorError as exc:
            raise self._boot_failure(timeout, str(exc)) from None
        self.banner = match.group(0)
        return self.banner

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._killed = True
        self._proc.send_signal(sig)
        self._proc.wait(timeout)

    def _process_output(self) -> str:
        try:
            return self.process_log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _stopped_reason(self) -> str | None:
        if self._proc is None:
            return f"{self.PROCESS} is not running"
        status = self._proc.poll()
        if status is None:
            return None
        if self._killed:
            return f"{self.PROCESS} was stopped by the harness"
        last = self._process_output().strip().splitlines()[-3:]
        detail = f" ({' / '.join(last)})" if last else ""
        return f"{self.PROCESS} exited with status {status}{detail}"
