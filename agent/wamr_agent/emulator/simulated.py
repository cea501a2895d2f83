"""A board QEMU cannot emulate (``emulation = "host"``: esp32, esp32-c3, nrf52840,
stm32f4), run as the same firmware core built as a host process.

The program is ``build/sim/<board>/wamr-agent-sim`` (``make sim BOARD=<board>``, built
on demand), the agent core, runtime and wasm3 of the device firmware on the host port
(``firmware/ports/host``): the board's RAM is a hard limit on its C heap, its flash a
file with NOR rules. Same interface as :class:`~wamr_agent.emulator.EmulatedBoard`.

Files of one instance, all in its working directory (the process's cwd):

- ``console.log``: the console (the process's stdout, appended to)
- ``flash.bin``: the flash, a file the process maps
- ``sim.log``: the process's stderr

The management UART is a TCP server on 127.0.0.1 (``mgmt_address``); the process
prints ``mgmt port N`` before the banner, and keeps that port across restarts when
it is still free.

- ``reset()``: SIGUSR1, the reset line: the process re-executes itself (same pid):
  RAM and time start over, flash and the management connection are kept.
- ``power_cut()``: SIGKILL: what the firmware wrote to flash (the mapped file)
  survives. ``restart()`` then boots the same flash in the same directory.
- The watchdog and CPU faults reset the board the same way as ``reset()``.
- ``stop()``: SIGTERM (SIGKILL after a grace period).
"""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from ..boards import Board, load_board
from ..errors import BoardError
from .console import Console
from .errors import EmulatorError, FirmwareBuildError
from .firmware import _build_lock, _make, needs_build, repo_root, source_files
from .preload import Preload, write_preload
from .qemu import BANNER, BOOT_TIMEOUT, STOP_TIMEOUT

__all__ = ["SimulatedBoard", "check_simulated", "ensure_sim", "sim_command", "sim_path"]

_MGMT_PORT = re.compile(r"mgmt port (\d+)")


def check_simulated(board: Board) -> None:
    """BoardError unless ``board`` is a supported simulated (host-emulated) board."""
    if board.unsupported_reason is not None:
        raise BoardError(board.unsupported_reason)
    if board.emulation != "host":
        raise BoardError(f"{board.name} is a QEMU board (emulation = {board.emulation!r}), "
                         "not a simulated one; run it with EmulatedBoard")


def sim_path(board: str, root: Path) -> Path:
    return root / "build" / "sim" / board / "wamr-agent-sim"


def ensure_sim(board: Board) -> Path:
    """The board's simulator program, (re)built first when missing or out of date."""
    root = repo_root()
    program = sim_path(board.name, root)
    program.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(program.parent.parent / ".build.lock"):
        if needs_build(program, source_files(board, root)):
            _make(root, board.name, "sim")
    if not program.exists():
        raise FirmwareBuildError(f"`make sim BOARD={board.name}` succeeded but did not "
                                 f"produce {program}")
    return program


def sim_command(program: Path, board: str, mgmt_port: int) -> list[str]:
    """The command line; run it with the instance directory as cwd."""
    return [str(program), "--board", board, "--flash", "flash.bin",
            "--mgmt-port", str(mgmt_port)]


class SimulatedBoard:
    """One simulator process running the firmware; see the module docstring."""

    def __init__(self, board: Board, firmware: Path, workdir: Path, *, name: str | None = None,
                 detach: bool = False) -> None:
        check_simulated(board)
        self.board = board
        self.firmware = firmware.resolve()
        self.workdir = workdir.resolve()
        self.name = name or board.name
        self.banner = ""
        self._detach = detach
        self._proc: subprocess.Popen[bytes] | None = None
        self._mgmt_port: int | None = None
        self._killed = False
        self.console = Console(self.workdir / "console.log", self._stopped_reason)

    @classmethod
    def start(cls, board: str | Board, firmware: Path | None = None, name: str | None = None,
              preload: Preload = (), workdir: Path | None = None, *, erase: bool = False,
              detach: bool = False, boot_timeout: float = BOOT_TIMEOUT) -> SimulatedBoard:
        """Builds the simulator if needed, writes ``preload`` apps to a fresh flash, boots.

        ``firmware`` is a built ``wamr-agent-sim`` to run instead. ``workdir`` defaults
        to a new temporary directory; an existing ``flash.bin`` in it is kept (like a
        device powered on again) unless ``erase`` or ``preload``.
        """
        profile = load_board(board) if isinstance(board, str) else board
        check_simulated(profile)
        program = ensure_sim(profile) if firmware is None else _existing(firmware)
        directory = workdir or Path(tempfile.mkdtemp(prefix=f"wamr-agent-{profile.name}-"))
        directory.mkdir(parents=True, exist_ok=True)
        instance = cls(profile, program, directory, name=name, detach=detach)
        if erase:
            instance.flash_path.unlink(missing_ok=True)
        if preload:
            write_preload(instance.flash_path, profile, preload)
        for stale in (instance.log_path, instance.sim_log_path):
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
    def sim_log_path(self) -> Path:
        return self.workdir / "sim.log"

    @property
    def mgmt_port(self) -> int:
        if self._mgmt_port is None:
            raise EmulatorError(f"{self.name} has not been started")
        return self._mgmt_port

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
        """The process's exit status when the firmware ended it (wa_port_exit), else None."""
        if self._proc is None or self._killed:
            return None
        return self._proc.poll()

    def wait_exit(self, timeout: float = BOOT_TIMEOUT) -> int:
        """Waits for the firmware to exit (wa_port_exit); returns the status."""
        if self._proc is None:
            raise EmulatorError(f"{self.name} has not been started")
        try:
            return self._proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise EmulatorError(self.console.failure(
                f"{self.name} did not exit within {timeout:g} s")) from exc

    # -- power and reset ----------------------------------------------------------

    def boot(self, timeout: float = BOOT_TIMEOUT) -> str:
        """Launches the process (same management port when free) and waits for the banner."""
        if self.running:
            raise EmulatorError(f"{self.name} is already running (pid {self.pid})")
        self.console.skip()
        self._launch(self._mgmt_port or 0)
        try:
            port = self.console.expect(_MGMT_PORT, timeout)
        except EmulatorError:
            if self._mgmt_port is None or self.running:
                raise self._boot_failure(timeout) from None
            self.console.skip()  # the old port is taken now: let the process pick one
            self._launch(0)
            port = self.console.expect(_MGMT_PORT, timeout)
        self._mgmt_port = int(port[1])
        return self._await_banner(timeout)

    def reset(self, timeout: float = BOOT_TIMEOUT) -> str:
        """Resets the board (SIGUSR1: the process re-executes itself) and waits for the banner."""
        if not self.running or self._proc is None:
            raise EmulatorError(f"{self.name} is not running; use restart()")
        self.console.skip()
        self._proc.send_signal(signal.SIGUSR1)
        return self._await_banner(timeout)

    def power_cut(self) -> None:
        """Kills the process at once (SIGKILL): only what the firmware wrote to flash stays."""
        self._signal(signal.SIGKILL, STOP_TIMEOUT)

    def restart(self, timeout: float = BOOT_TIMEOUT) -> str:
        """Boots again with the same flash and directory (cutting the power if running)."""
        if self.running:
            self.power_cut()
        return self.boot(timeout)

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL); idempotent."""
        if self.running:
            try:
                self._signal(signal.SIGTERM, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL, STOP_TIMEOUT)

    def __enter__(self) -> SimulatedBoard:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<SimulatedBoard {self.name} ({self.board.name}) {state}, log {self.log_path}>"

    # -- internals ----------------------------------------------------------------

    def _launch(self, mgmt_port: int) -> None:
        self._killed = False
        command = sim_command(self.firmware, self.board.name, mgmt_port)
        with self.log_path.open("ab") as console, self.sim_log_path.open("ab") as log:
            self._proc = subprocess.Popen(command, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                          stdout=console, stderr=log,
                                          start_new_session=self._detach)

    def _await_banner(self, timeout: float) -> str:
        try:
            match = self.console.expect(BANNER, timeout)
        except EmulatorError:
            raise self._boot_failure(timeout) from None
        self.banner = match.group(0)
        return self.banner

    def _boot_failure(self, timeout: float) -> EmulatorError:
        return EmulatorError(
            f"{self.name} ({self.board.name}, simulated) did not boot within {timeout:g} s: "
            f"the firmware banner 'wamr-agent firmware ...' did not appear.\n"
            f"{self.console.failure(self._stopped_reason() or 'still running')}\n"
            f"simulator log: {self.sim_log_path}")

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._killed = True
        self._proc.send_signal(sig)
        self._proc.wait(timeout)

    def _sim_output(self) -> str:
        try:
            return self.sim_log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _stopped_reason(self) -> str | None:
        if self._proc is None:
            return "the simulator is not running"
        status = self._proc.poll()
        if status is None:
            return None
        if self._killed:
            return "the simulator was stopped by the harness"
        last = self._sim_output().strip().splitlines()[-3:]
        detail = f" ({' / '.join(last)})" if last else ""
        return f"the simulator exited with status {status}{detail}"


def _existing(program: Path) -> Path:
    if not program.is_file():
        raise EmulatorError(f"simulator program {program} does not exist")
    return program
