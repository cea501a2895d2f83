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
- Flash faults and the flash op trace (power-cut tests): ``extra_args`` of ``start`` or
  ``restart`` from :func:`wamr_agent.emulator.faults.sim_args`; a planned cut ends the
  process with :data:`~wamr_agent.emulator.faults.POWER_CUT_STATUS`.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Sequence
from pathlib import Path

from ..boards import Board
from ..errors import BoardError
from .errors import EmulatorError
from .firmware import ensure_built, repo_root
from .process import BoardProcess, existing_file

__all__ = ["SimulatedBoard", "check_simulated", "ensure_sim", "sim_command", "sim_path"]

_MGMT_PORT = re.compile(r"mgmt port (\d+)")


def check_simulated(board: Board) -> None:
    """BoardError unless ``board`` is a supported simulated (host-emulated) board."""
    if board.unsupported_reason is not None:
        raise BoardError(board.unsupported_reason)
    if board.emulation != "host":
        raise BoardError(f"{board.name} is a QEMU board (emulation = {board.emulation!r}), "
                         "not a simulated one; QEMU boards come with the `board` command: "
                         f"`wamr-agent board up {board.name}` (EmulatedBoard)")


def sim_path(board: str, root: Path) -> Path:
    return root / "build" / "sim" / board / "wamr-agent-sim"


def ensure_sim(board: Board) -> Path:
    """The board's simulator program, (re)built first when missing or out of date."""
    return ensure_built(board, sim_path(board.name, repo_root()), "sim")


def sim_command(program: Path, board: str, mgmt_port: int) -> list[str]:
    """The command line; run it with the instance directory as cwd."""
    return [str(program), "--board", board, "--flash", "flash.bin",
            "--mgmt-port", str(mgmt_port)]


class SimulatedBoard(BoardProcess):
    """One simulator process running the firmware; see the module docstring."""

    PROCESS = "the simulator"
    PROCESS_LOG = "sim.log"
    sim_log_path = BoardProcess.process_log_path

    def __init__(self, board: Board, firmware: Path, workdir: Path, *, name: str | None = None,
                 detach: bool = False, extra_args: Sequence[str] = ()) -> None:
        check_simulated(board)
        super().__init__(board, firmware, workdir, name=name, detach=detach,
                         extra_args=extra_args)
        self._mgmt_port: int | None = None

    @classmethod
    def _program(cls, board: Board, firmware: Path | None) -> Path:
        check_simulated(board)
        return ensure_sim(board) if firmware is None else existing_file(firmware,
                                                                         "simulator program")

    @property
    def mgmt_port(self) -> int:
        return self._started(self._mgmt_port)

    def _boot(self, timeout: float) -> str:
        self._launch(self._mgmt_port or 0)
        try:
            port = self.console.expect(_MGMT_PORT, timeout)
        except EmulatorError as exc:
            if self._mgmt_port is None or self.running:
                raise self._boot_failure(timeout, str(exc)) from None
            self.console.skip()  # the old port is taken now: let the process pick one
            self._launch(0)
            port = self.console.expect(_MGMT_PORT, timeout)
        self._mgmt_port = int(port[1])
        return self._await_banner(timeout)

    def _launch(self, mgmt_port: int) -> None:
        command = sim_command(self.firmware, self.board.name, mgmt_port)
        self._spawn([*command, *self._extra_args], self.log_path)

    def _pull_reset(self) -> None:
        """SIGUSR1: the process re-executes itself (same pid)."""
        assert self._proc is not None
        self._proc.send_signal(signal.SIGUSR1)
