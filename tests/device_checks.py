"""Agent behaviour every kind of device must show, written once: the QEMU
tier (tests/qemu) and the host-port tier (tests/hostport) call these with
their own boards. ``start(workdir, preload)`` boots a board of that kind."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from wamr_agent.emulator.flashimage import PreloadApp
from wamr_agent.emulator.preload import Preload
from wamr_agent.emulator.process import BoardProcess

Start = Callable[[Path, Preload], BoardProcess]
Example = Callable[[str], Path]
Wat = Callable[[str], bytes]


def memory_budget_refusal(start: Start, workdir: Path, wat: Wat) -> None:
    with start(workdir, [("big", wat("big_memory"))]) as board:
        line = board.console.expect(r"app big refused: (.*)")
        assert "8 pages (512 KiB)" in line[1]
        board.console.expect(r"idle: no app running")


def wasi_command_output_after_main_is_kept(start: Start, workdir: Path, wat: Wat) -> None:
    """A WASI command's exported _start (wasm-ld's wrapper) runs, so what libc flushes
    at exit (the text of a last printf without a newline) reaches the console."""
    with start(workdir, [("tailer", wat("wasi_command_tail"))]) as board:
        board.console.expect(r"\[tailer\] main")
        board.console.expect(r"\[tailer\] tail")
        board.console.expect(r"idle: no app running")


def trapping_app_is_stopped(start: Start, workdir: Path, wat: Wat, example: Example) -> None:
    with start(workdir, [("trapper", wat("trap_in_loop")), example("sensor")]) as board:
        board.console.expect(r"app trapper trap: loop: \[trap\] unreachable executed")
        board.console.expect(r"app trapper stopped after 3 traps in a row")
        board.console.expect(r"telemetry sensor temp_c=")
        board.console.expect(r"telemetry sensor temp_c=")
        assert board.console.text.count("app trapper trap:") == 3


def cpu_budget_stops_endless_loop(start: Start, workdir: Path, wat: Wat,
                                  example: Example) -> None:
    preload: Preload = [PreloadApp("spinner", wat("loop_forever"), cpu_ticks=300_000),
                        example("sensor")]
    with start(workdir, preload) as board:
        board.console.expect(r"app spinner trap: loop: CPU budget of 300000 ticks exhausted")
        board.console.expect(r"app spinner stopped after 3 traps", timeout=60)
        board.console.expect(r"telemetry sensor temp_c=")


def watchdog_backstop(start: Start, workdir: Path, wat: Wat, example: Example) -> None:
    """With no CPU budget (cpu_ticks=0), only the watchdog stops the app; the next
    boot disables it, and it stays disabled across a later power cut."""
    preload: Preload = [PreloadApp("runaway", wat("loop_forever"), cpu_ticks=0),
                        example("sensor")]
    with start(workdir, preload) as board:
        board.console.expect(r"app runaway started")
        board.console.expect(r"watchdog expired while running slot 0", timeout=60)
        board.console.expect(r"boot 2 reset=watchdog", timeout=30)
        board.console.expect(r"app runaway disabled: the watchdog reset the device")
        board.console.expect(r"app runaway not started: disabled after a watchdog reset")
        board.console.expect(r"telemetry sensor temp_c=")
        board.power_cut()
        board.restart()
        board.console.expect(r"boot 3 reset=power-on")
        board.console.expect(r"app runaway not started: disabled after a watchdog reset")
        board.console.expect(r"telemetry sensor temp_c=")
        assert len(re.findall(r"app runaway started", board.console.text)) == 1


def port_selftest_passes(board: BoardProcess, fault_line: str) -> None:
    """The port self-test image (firmware/tests/wa_port_selftest.c) ran all its
    stages and exited 0; ``fault_line`` is the port's report of the planned fault."""
    status = board.wait_exit(timeout=60)
    text = board.console.text
    assert "selftest: write without erase refused ok" in text
    assert "selftest: refused write changed nothing ok" in text
    assert "selftest: flash kept across reset ok" in text
    assert re.search(fault_line, text), f"no fault report matching {fault_line!r}"
    assert "selftest: fault handler reset the device ok" in text
    assert "FAILED" not in text
    assert status == 0
