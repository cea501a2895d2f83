"""Runaway apps on every kind of board (issue: hardening): an endless loop, deep
recursion, an out-of-bounds access, a memory bomb, a start function that traps
or hangs, a `setup` that hangs. Each ends with a clear error (or, for the memory
bomb, a memory.grow the budget refuses), and the device stays manageable over
SMP: it answers `status`, it did not reset, and the next case installs.

The start-function cases never reach a device through `deploy` (the host runs
the module first and refuses it); they are also uploaded raw, as any SMP peer
could, to show the device refuses them by itself.

Boards: the four QEMU mps2 boards (Cortex-M3, M4, M7, M33) and two simulated
boards (esp32, nrf52840) under `make sweep`; an M3, an M33 and the esp32 in `make
test`; one boot each for every case."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

from tests.conftest import board_cli as cli
from tests.conftest import need
from tests.hostport.powercut_cases import FULL
from wamr_agent.emulator import EmulatedBoard, QemuNotFound, SimulatedBoard, find_qemu
from wamr_agent.smp.app_results import AppStatus
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink, SmpLinkError

ALL_BOARDS = ["mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "esp32", "nrf52840"]
# `make test`: a Cortex-M3, a Cortex-M33 and a simulated board; `make sweep`
# (WAMR_SWEEP=full): every board
BOARDS = ALL_BOARDS if FULL else ["mps2-an385", "mps2-an505", "esp32"]
SIMULATED = {"esp32", "nrf52840"}
LOOP = '(func (export "loop") (result i32) (i32.const 0))'
WATCHDOG = "the watchdog reset the device while it was on trial"
HANGS = ("endless_loop", "setup_hangs")  # the CPU budget ends them, or on a slow
# emulator the watchdog first (8 s): either is a verdict the deploy reports
CASES: dict[str, tuple[str, int, str]] = {  # wat, deploy's exit code, its message
    "endless_loop": ('(module (func (export "loop") (loop $l (br $l))))', 15,
                     "loop trapped 1 time: CPU budget of"),
    "deep_recursion": ('(module (func $f (export "loop") (call $f)))', 15,
                       "loop trapped 1 time: stack overflow"),
    "out_of_bounds": ('(module (memory 1) (func (export "loop") '
                      '(drop (i32.load (i32.const 0xfffffff0)))))', 15,
                      "loop trapped 1 time: out of bounds memory access"),
    # shrunk to __heap_base (4096 B): setup's load just below the end works, loop's at it traps
    "past_shrunk_end": ('(module (memory 1) (global (export "__heap_base") i32 (i32.const 4096)) '
                        '(func (export "setup") (result i32) (i32.load (i32.const 4092))) '
                        '(func (export "loop") (drop (i32.load (i32.const 4096)))))', 15,
                        "loop trapped 1 time: out of bounds memory access"),
    "setup_hangs": ('(module (func (export "setup") (result i32) (loop $l (br $l)) '
                    f'(i32.const 0)) {LOOP})', 15, "setup trapped 1 time: CPU budget of"),
    "start_traps": (f'(module (func $s unreachable) (start $s) {LOOP})', 9,
                    "start function: [trap] unreachable executed"),
    "start_hangs": (f'(module (func $s (loop $l (br $l))) (start $s) {LOOP})', 10,
                    "start function: CPU budget of"),
}
MEMORY_BOMB = ('(module (memory 1) (func (export "loop") (result i32) (loop $grow '
               '(br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) '
               '(i32.const 0)))')


@pytest.fixture(scope="module", params=BOARDS)
def board(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          ) -> Iterator[EmulatedBoard | SimulatedBoard]:
    name: str = request.param
    if name not in SIMULATED:
        try:
            find_qemu()
        except QemuNotFound as exc:
            need(False, "qemu-system-arm", str(exc))
    kind = SimulatedBoard if name in SIMULATED else EmulatedBoard
    with kind.start(name, workdir=tmp_path_factory.mktemp(name)) as started:
        yield started


def _module(tmp_path: Path, name: str, wat: str) -> Path:
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm(wat)))
    return path


def _boot(board: EmulatedBoard | SimulatedBoard) -> int:
    return int(cli(board, "status")["boot"])


def _manageable(board: EmulatedBoard | SimulatedBoard, boot: int,
                watchdog: bool = False) -> None:
    """The device answers, did not reset since boot ``boot`` (but by its watchdog
    when ``watchdog``), and keeps no app of the case's."""
    status = cli(board, "status")
    if status["boot"] != boot:  # no reset but the watchdog's, on a slow emulator
        assert watchdog and status["reset"] == "watchdog", status
    for listed in cli(board, "ps")["apps"]:
        cli(board, "rm", listed["name"])
    assert cli(board, "ps") == {"apps": []}


@pytest.mark.parametrize("case", list(CASES))
def test_a_runaway_app_ends_with_a_clear_error(board: EmulatedBoard | SimulatedBoard,
                                               tmp_path: Path, case: str) -> None:
    wat, code, message = CASES[case]
    boot = _boot(board)
    failed = cli(board, "deploy", str(_module(tmp_path, case, wat)), "--timeout", "60",
                 code=code)
    said = failed["error"]["message"]
    assert message in said or (case in HANGS and WATCHDOG in said), failed
    _manageable(board, boot, watchdog=case in HANGS)


def _settled(link: SmpLink, name: str) -> AppStatus:
    """The slot's status once the device decided (a device busy in the app's start
    function, or resetting, answers late: the link is opened again)."""
    client = AppClient(link)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            status = client.status(name)
        except SmpLinkError:
            link.reopen()
            continue
        if status.life in ("failed", "confirmed", "reverted"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"{name} has no verdict after 120 s")


@pytest.mark.parametrize("case", ["start_traps", "start_hangs"])
def test_the_device_refuses_a_bad_start_function_by_itself(
        board: EmulatedBoard | SimulatedBoard, case: str) -> None:
    module = bytes(wasmtime.wat2wasm(CASES[case][0]))
    boot = _boot(board)
    with SmpLink(board.mgmt_address, timeout=30) as link:
        try:  # no host checks: what any SMP peer could send
            AppClient(link).upload(case, module)
        except SmpLinkError:  # the last chunk's answer waits for the start function;
            link.reopen()  # on a slow emulator the watchdog may end it first
        status = _settled(link, case)
    assert status.life == "failed" and status.state != "running", status
    assert status.reason is not None
    if case == "start_traps":
        assert "unreachable" in status.reason.msg, status.reason
    else:  # the CPU budget, or the watchdog on a slow emulator
        assert "CPU budget" in status.reason.msg or "watchdog" in status.reason.msg, status
    _manageable(board, boot, watchdog=case == "start_hangs")


def test_a_memory_bomb_gets_no_more_than_its_budget(board: EmulatedBoard | SimulatedBoard,
                                                    tmp_path: Path) -> None:
    boot = _boot(board)
    confirmed = cli(board, "deploy", str(_module(tmp_path, "bomb", MEMORY_BOMB)))
    assert confirmed["life"] == "confirmed"  # memory.grow said -1; the app goes on
    status = cli(board, "status", "bomb")
    assert 0 < status["mem_hw"] <= status["mem_budget"], status
    _manageable(board, boot)
