"""Loads that fail, on a simulated esp32: a module the engine cannot compile may be
started again and again without the device losing heap; a reset while an app loads
disables it (a fault at once, a power cut the second time in a row); boots that
keep resetting before serving SMP end in safe mode."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.faults import POWER_CUT_STATUS, Fault, sim_args
from wamr_agent.emulator.flashimage import PreloadApp
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

BOARD = "esp32"
Wat = Callable[[str], bytes]
Example = Callable[[str], Path]


@pytest.fixture
def client(esp32: SimulatedBoard) -> Iterator[AppClient]:
    with SmpLink(esp32.mgmt_address) as link:
        yield AppClient(link)


def test_failed_loads_leave_the_device_heap_as_it_was(esp32: SimulatedBoard, client: AppClient,
                                                      wat: Wat) -> None:
    client.upload("broken", wat("compile_fails_in_else"))
    esp32.console.expect(r"app broken failed its trial \(slot 0\): engine could not compile")
    before = client.status().heap_free
    for _ in range(20):
        client.start("broken")  # a new trial each time, and the same failure
    status = client.status("broken")
    assert (status.life, status.state) == ("failed", "stopped")
    assert status.reason is not None and "could not compile" in status.reason.msg
    assert esp32.console.text.count("app broken failed its trial") == 21
    assert client.status().heap_free == before


def test_an_app_that_faults_while_loading_is_disabled_at_the_next_boot(
        tmp_path: Path, example: Example) -> None:
    """The test hook (WA_TEST_HOOKS) faults an app whose name begins crash-on-load
    while it loads (a module of 1000 nested blocks did it on a 64 KiB C stack before
    the runtime's validator refused such nesting); the other app runs on."""
    sensor = example("sensor").read_bytes()
    preload = [("crash-on-load-n", sensor), example("sensor")]
    with SimulatedBoard.start(BOARD, workdir=tmp_path / "board", preload=preload) as board:
        board.console.expect(r"FAULT pc=.*\(SIGILL\)")
        board.console.expect(r"boot 2 reset=fault")
        board.console.expect(r"app crash-on-load-n disabled: the device reset while loading "
                             r"it \(fault\)")
        board.console.expect(r"telemetry sensor temp_c=")
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            crashed = client.status("crash-on-load-n")
            assert (crashed.state, crashed.life) == ("disabled", "confirmed")
            assert crashed.reason is not None
            assert (crashed.reason.code, crashed.reason.msg) == (
                "load", "the device reset while loading it (fault)")
            assert client.status().safe_mode is None


def test_a_power_cut_while_loading_disables_the_app_only_the_second_time_in_a_row(
        tmp_path: Path, example: Example) -> None:
    # boot 1: its boot record, the journal's format (erase, page record), then the
    # mark that app 0 is loading (op 3): cut right after it
    with SimulatedBoard.start(BOARD, workdir=tmp_path / "board", preload=[example("sensor")],
                              extra_args=sim_args([Fault.cut("after", 3)])) as board:
        assert board.wait_exit(timeout=30) == POWER_CUT_STATUS
        assert "app sensor started" not in board.console.text
        # boot 2 (a new process counts from 0): its boot record, then the mark
        board.restart(extra_args=sim_args([Fault.cut("after", 1)]))
        board.console.expect(r"app sensor: the device reset while loading it \(power-on\); "
                             r"disabled if that happens again")
        assert board.wait_exit(timeout=30) == POWER_CUT_STATUS
        board.restart(extra_args=[])
        board.console.expect(r"boot 3 reset=power-on")
        board.console.expect(r"app sensor disabled: the device reset while loading it "
                             r"\(power-on\)")
        board.console.expect(r"idle: no app running")
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            assert client.status("sensor").state == "disabled"
            client.start("sensor")  # an operator tries it again
            board.console.expect(r"telemetry sensor temp_c=")
            assert client.status("sensor").state == "running"


def test_three_boots_cut_before_serving_smp_end_in_safe_mode(tmp_path: Path,
                                                            example: Example) -> None:
    with SimulatedBoard.start(BOARD, workdir=tmp_path / "board", preload=[example("sensor")],
                              extra_args=sim_args([Fault.cut("after", 0)])) as board:
        for boot in (1, 2, 3):  # cut right after each boot's boot record
            assert board.wait_exit(timeout=30) == POWER_CUT_STATUS
            board.restart(extra_args=sim_args([Fault.cut("after", 0)]) if boot < 3 else [])
        board.console.expect(r"boot 4 reset=power-on")
        board.console.expect(r"safe mode: 3 boots in a row reset before serving SMP "
                             r"\(last reset: power-on\); SMP served, no app started")
        board.console.expect(r"app sensor not started: safe mode")
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            assert client.status().safe_mode is not None
            assert client.status("sensor").state == "stopped"
        board.reset()
        board.console.expect(r"boot 5 reset=")
        board.console.expect(r"safe mode: kept from an earlier boot")
        with SmpLink(board.mgmt_address) as link:
            AppClient(link).start("sensor")
        board.console.expect(r"safe mode over: an operator acted")
        board.console.expect(r"telemetry sensor temp_c=")
        board.reset()
        board.console.expect(r"boot 6 reset=")
        board.console.expect(r"telemetry sensor temp_c=")
        assert "safe mode" not in board.console.text.split("boot 6 reset=")[1]


@pytest.mark.parametrize(("name", "cause", "incident"), [
    ("crash-on-load", "fault", r"FAULT pc=.*\(SIGILL\)"),
    ("hang-on-load", "watchdog", r"watchdog expired while running slot -1"),
])
def test_any_fault_or_watchdog_reset_while_loading_disables_the_app(
        tmp_path: Path, example: Example, name: str, cause: str, incident: str) -> None:
    """The simulated boards' test hook (WA_TEST_HOOKS): an app of that name faults
    or hangs while it loads, whatever the engine does with its module."""
    preload = [PreloadApp(name, example("sensor").read_bytes()), example("hello_wasi")]
    with SimulatedBoard.start(BOARD, workdir=tmp_path / "board", preload=preload) as board:
        board.console.expect(incident, timeout=30)
        board.console.expect(rf"boot 2 reset={cause}")
        board.console.expect(rf"app {name} disabled: the device reset while loading it "
                             rf"\({cause}\)")
        board.console.expect(r"agent ready")
        with SmpLink(board.mgmt_address) as link:
            status = AppClient(link).status(name)
            assert (status.state, status.reason and status.reason.msg) == (
                "disabled", f"the device reset while loading it ({cause})")
