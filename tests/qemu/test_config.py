"""Configuration from the fleet on the Cortex-M firmware under QEMU mps2-an386
(issue 12, item 5; docs/config.md): delivery to on_config, desired vs reported, a
rejection, the refusals, and the configuration across a reset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.config_app import check_persists_across_a_reset, check_refusals, check_set_get_and_reject
from wamr_agent.emulator import EmulatedBoard


@pytest.fixture
def an386(tmp_path: Path) -> Iterator[EmulatedBoard]:
    with EmulatedBoard.start("mps2-an386", workdir=tmp_path / "board") as started:
        yield started


def test_set_is_delivered_get_shows_desired_vs_reported_and_a_rejection(
        an386: EmulatedBoard, tmp_path: Path) -> None:
    check_set_get_and_reject(an386, tmp_path)


def test_no_such_app_not_granted_and_not_running(an386: EmulatedBoard, tmp_path: Path) -> None:
    check_refusals(an386, tmp_path)


def test_the_configuration_persists_across_a_reset(an386: EmulatedBoard,
                                                   tmp_path: Path) -> None:
    check_persists_across_a_reset(an386, tmp_path)
