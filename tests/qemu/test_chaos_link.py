"""Deploys through a chaotic link (tests/chaoslink.py) to a QEMU board's
management UART: a module and a signed bundle either complete or fail with one
clear line and complete on a re-run, the board never holds a module other than
the ones sent, and the app's confirmed version keeps running (as
tests/hostport/test_chaos_link.py does on a simulated board)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.chaos_deploy import (
    CHAOS,
    deploy_until_done,
    kept_and_staged,
    sha_hex,
    signed,
    sized_module,
)
from tests.chaoslink import ChaosLink
from tests.hostport.powercut_cases import FULL
from tests.qemu.conftest import BOARD
from wamr_agent import deploy as deploying
from wamr_agent.emulator import EmulatedBoard


@pytest.mark.parametrize("bundle", [False, True] if FULL else [True],  # make sweep: both
                         ids=["module", "bundle"] if FULL else ["bundle"])
def test_a_deploy_through_a_chaotic_link_completes_without_corruption(
        example: Callable[[str], Path], tmp_path: Path, bundle: bool) -> None:
    good = example("sensor")
    with EmulatedBoard.start(BOARD, workdir=tmp_path / "board") as board:
        deploying.deploy(good, BOARD, port=board.mgmt_address, name="app")
        new = sized_module(tmp_path / "new.wasm", 16384, salt=int(bundle))
        sent = signed(new, tmp_path / "new.wab", "app", BOARD) if bundle else new
        with ChaosLink(board.mgmt_address, CHAOS, seed=100 + bundle) as link:
            outcome = deploy_until_done(sent, BOARD, link, "app", {sha_hex(good), sha_hex(sent)})
        apps = deploying.list_apps(BOARD, board.mgmt_address)
        assert kept_and_staged(apps, "app") == {sha_hex(good): "confirmed",
                                                sha_hex(sent): "staged"}, outcome
        board.console.skip()
        board.console.expect(r"telemetry app temp_c=")
