"""Recovery from a fault while loading an app, on the real Cortex-M firmware (QEMU
mps2-an386, 16 KiB C stack). wasm3 compiles nested blocks recursively, so a module
of 200 nested `block`s used to overflow the C stack while it was compiled, outside
any app call, and the board boot-looped for good; the runtime's validator now
refuses such nesting up front (tests/qemu/test_validation.py). The recovery rule
must hold for any fault while loading, so these tests fault on purpose: the fault
image's test hook (WA_TEST_HOOKS) makes an app whose name begins `crash-on-load`
execute an undefined instruction while it loads. The agent marks in the boot log
which app it is loading before it loads it; the reset that follows disables that
app at the next boot, and after 3 boots in a row that reset before serving SMP the
device boots into safe mode (SMP served, no app started) until an operator acts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from wamr_agent.boards import load_board
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.emulator.faults import ensure_fault_firmware
from wamr_agent.emulator.flashimage import PreloadApp
from wamr_agent.emulator.preload import Preload
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink
from wamr_agent.smp.streams import SmpLinkError

BOARD = "mps2-an386"
Example = Callable[[str], Path]
DISABLED = "the device reset while loading it (fault)"
Booted = Callable[[Preload], AbstractContextManager[EmulatedBoard]]


def crashing(example: Example, name: str) -> tuple[str, bytes]:
    """A valid app the fault image's hook faults while it loads (by its name)."""
    return (f"crash-on-load-{name}", example("sensor").read_bytes())


@pytest.fixture
def booted(tmp_path: Path) -> Callable[[Preload], AbstractContextManager[EmulatedBoard]]:
    """Boots the fault image (its test hooks) with apps preloaded."""
    program = ensure_fault_firmware(load_board(BOARD))

    def boot(preload: Preload) -> AbstractContextManager[EmulatedBoard]:
        return EmulatedBoard.start(BOARD, program, workdir=tmp_path / "board", preload=preload)
    return boot


@contextmanager
def smp(board: EmulatedBoard) -> Iterator[AppClient]:
    with SmpLink(board.mgmt_address) as link:
        yield AppClient(link)


def test_an_app_that_faults_while_loading_is_disabled_at_the_next_boot(
        booted: Booted, example: Example) -> None:
    nested = crashing(example, "n")[0]
    with booted([crashing(example, "n"), example("sensor")]) as board:
        board.console.expect(r"FAULT pc=")
        board.console.expect(r"boot 2 reset=fault")
        board.console.expect(rf"app {nested} disabled: {re.escape(DISABLED)}")
        board.console.expect(rf"app {nested} not started: disabled after a reset while loading")
        board.console.expect(r"telemetry sensor temp_c=")
        with smp(board) as client:
            listed = {app.name: app for app in client.list()}
            crashed = listed[nested]
            assert (crashed.state, crashed.life) == ("disabled", "confirmed")
            assert crashed.reason is not None
            assert (crashed.reason.code, crashed.reason.msg) == ("load", DISABLED)
            assert listed["sensor"].state == "running"
            status = client.status()
            assert (status.boot, status.reset, status.safe_mode) == (2, "fault", None)
            client.remove(nested)
            assert [app.name for app in client.list()] == ["sensor"]
        assert "boot 3 " not in board.console.text


def test_boots_that_keep_resetting_before_smp_end_in_safe_mode_until_an_operator_acts(
        booted: Booted, example: Example) -> None:
    with booted([crashing(example, name) for name in ("a", "b", "c")]) as board:
        for boot, name in ((2, "a"), (3, "b")):
            board.console.expect(rf"boot {boot} reset=fault")
            board.console.expect(rf"app crash-on-load-{name} disabled: {re.escape(DISABLED)}")
        board.console.expect(r"boot 4 reset=fault")
        board.console.expect(r"safe mode: 3 boots in a row reset before serving SMP "
                             r"\(last reset: fault\); SMP served, no app started")
        board.console.expect(rf"app crash-on-load-c disabled: {re.escape(DISABLED)}")
        board.console.expect(r"agent ready .*\(safe mode\)")
        with smp(board) as client:
            status = client.status()
            assert status.boot == 4 and status.safe_mode is not None
            assert status.safe_mode.startswith("3 boots in a row reset before serving SMP")
            assert {a.name: a.state for a in client.list()} == {
                f"crash-on-load-{n}": "disabled" for n in ("a", "b", "c")}
            client.remove("crash-on-load-c")  # an operator acts: it works, ends safe mode
            board.console.expect(r"safe mode over: an operator acted")
            assert client.status().safe_mode is None
            client.upload("sensor", example("sensor").read_bytes())
            board.console.expect(r"app sensor confirmed")
        board.reset()
        board.console.expect(r"boot 5 reset=")
        board.console.expect(r"telemetry sensor temp_c=")
        after = board.console.text.split("boot 5 reset=")[1]
        assert "safe mode" not in after
        assert "app crash-on-load-a not started: disabled" in after
        with smp(board) as client:
            assert client.status().safe_mode is None


def test_safe_mode_is_kept_across_resets_until_an_operator_acts(booted: Booted,
                                                                example: Example) -> None:
    with booted([crashing(example, name) for name in ("a", "b", "c")]) as board:
        board.console.expect(r"safe mode: 3 boots in a row", timeout=120)
        board.console.expect(r"agent ready")
        board.reset()
        board.console.expect(r"boot 5 reset=")
        board.console.expect(r"safe mode: kept from an earlier boot until an operator acts")
        with smp(board) as client:
            assert client.status().safe_mode is not None
            with pytest.raises(SmpLinkError):  # no answer: the device faults loading it
                client.start("crash-on-load-a")  # disabled by a fault: start tries again
        board.console.expect(r"boot 6 reset=fault")
        board.console.expect(rf"app crash-on-load-a disabled: {re.escape(DISABLED)}")
        board.console.expect(r"idle: no app running")
        after = board.console.text.split("boot 6 reset=")[1]
        assert "safe mode" not in after
        with smp(board) as client:
            assert client.status().safe_mode is None


def test_the_fault_image_hook_faults_while_loading_whatever_the_engine_does(
        tmp_path: Path, example: Example) -> None:
    """The fault image's test hook (WA_TEST_HOOKS): an app named crash-on-load
    executes an undefined instruction while it loads, so the recovery rule is
    tested on Cortex-M even once the runtime refuses deep nesting up front."""
    program = ensure_fault_firmware(load_board(BOARD))
    preload: Preload = [PreloadApp("crash-on-load", example("sensor").read_bytes())]
    with EmulatedBoard.start(BOARD, program, workdir=tmp_path / "board",
                             preload=preload) as board:
        board.console.expect(r"FAULT pc=.*\((UsageFault|HardFault)\)")
        board.console.expect(r"boot 2 reset=fault")
        board.console.expect(rf"app crash-on-load disabled: {re.escape(DISABLED)}")
        board.console.expect(r"idle: no app running")
        with smp(board) as client:
            assert client.status("crash-on-load").state == "disabled"
