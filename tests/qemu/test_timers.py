"""Timers on the Cortex-M firmware under QEMU mps2-an386 (issue 12, item 3): a
periodic timer's callbacks in order until timer_stop, and a trapping on_timer
handled as a trapping loop. QEMU cannot drive the inputs: on_gpio is tested on the
simulated board and in pywamr."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.timer_app import check_periodic_timer, check_trapping_callback
from wamr_agent.emulator import EmulatedBoard


@pytest.fixture
def an386(tmp_path: Path) -> Iterator[EmulatedBoard]:
    with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "board") as started:
        yield started


def test_a_periodic_timer_calls_on_timer_in_order_until_stopped(an386: EmulatedBoard,
                                                                tmp_path: Path) -> None:
    check_periodic_timer(an386, tmp_path)


def test_a_trapping_on_timer_fails_the_trial_like_a_trapping_loop(an386: EmulatedBoard,
                                                                  tmp_path: Path) -> None:
    check_trapping_callback(an386, tmp_path)
