"""Configuration from the fleet on a simulated esp32 (issue 12, item 5;
docs/config.md): config set delivered to the app's on_config, which reads the value
with config_get; config get's desired vs reported; a rejected version; no such app,
not granted, an app that does not run; the values and version across a reset, and
a power cut at any flash operation of a config set (all old or all new)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_app import (
    CONFIG_REJECTED,
    check_a_retried_set_is_delivered_once,
    check_persists_across_a_reset,
    check_refusals,
    check_set_get_and_reject,
    config_app,
)
from tests.conftest import board_cli as cli
from wamr_agent.agent_err import AgentErr
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.faults import (
    POWER_CUT_STATUS,
    Fault,
    ended_by_power_cut,
    read_trace,
    sim_args,
)
from wamr_agent.errors import UsageError, WamrAgentError
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink


def test_set_is_delivered_get_shows_desired_vs_reported_and_a_rejection(
        esp32: SimulatedBoard, tmp_path: Path) -> None:
    check_set_get_and_reject(esp32, tmp_path)


def test_a_retried_set_is_delivered_once(esp32: SimulatedBoard, tmp_path: Path) -> None:
    check_a_retried_set_is_delivered_once(esp32, tmp_path)


def test_no_such_app_not_granted_and_not_running(esp32: SimulatedBoard, tmp_path: Path) -> None:
    check_refusals(esp32, tmp_path)


def test_the_configuration_persists_across_a_reset(esp32: SimulatedBoard,
                                                   tmp_path: Path) -> None:
    check_persists_across_a_reset(esp32, tmp_path)


STATES = ({"mode": "a", "rate": "1", "x": "1"}, {"mode": "c", "rate": "2", "y": "2"})


def test_a_power_cut_at_any_flash_operation_of_a_config_set_leaves_all_old_or_all_new(
        tmp_path: Path) -> None:
    """A config set of 3 values and a delete, cut before each of its flash operations
    in turn (staging, the commit, the roll forward, the version): after the reset
    config get shows the old version with all the old values or the new version with
    all the new ones (never a mix), the app's on_config gets the same, and the host's
    retry applies the new one."""
    with SimulatedBoard.start("esp32", workdir=tmp_path / "board") as board:
        cli(board, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg")
        cli(board, "config", "set", "cfg", "mode=a", "rate=1", "x=1")
        board.restart(extra_args=sim_args([], "boot.txt"))  # how many ops a boot makes
        board.console.expect(r"\[cfg\] config 1 mode=a")
        booted = len(read_trace(board.workdir / "boot.txt"))
        version, cuts = 1, 0
        while True:
            old, new = STATES[(version + 1) % 2], STATES[version % 2]
            trace = f"cut{version}.txt"
            board.restart(extra_args=sim_args([Fault.cut("before", booted + cuts)], trace))
            board.console.expect(rf"\[cfg\] config {version % 10} mode={old['mode']}")
            unset = [k for k in old if k not in new]
            with SmpLink(board.mgmt_address) as link:
                try:
                    AppClient(link).config_set("cfg", version + 1, new, unset)
                except WamrAgentError:
                    pass
                else:
                    break  # the cut lies past the set: every op of it was cut
            assert board.wait_exit() == POWER_CUT_STATUS and ended_by_power_cut(board)
            assert len(read_trace(board.workdir / trace)) > booted  # cut in the set
            board.restart(extra_args=[])
            with SmpLink(board.mgmt_address) as link:
                client = AppClient(link)
                state = client.config_get("cfg")
                assert (state.desired, state.values) in ((version, old), (version + 1, new))
                shown = new if state.desired == version + 1 else old
                board.console.expect(
                    rf"\[cfg\] config {state.desired % 10} mode={shown['mode']}")
                got = client.config_set("cfg", version + 1, new, unset)  # the retry
                assert client.config_get("cfg").values == new
            assert (got.desired, got.applied, got.status) == (version + 1, version + 1,
                                                              "applied")
            version, cuts = version + 1, cuts + 1
        assert cuts > 20  # staging 4 entries, commit, applying them, the version


def test_the_device_refuses_what_the_host_would_not_send(esp32: SimulatedBoard,
                                                         tmp_path: Path) -> None:
    """A value above 256 bytes, or more than 512 bytes of keys and values (those
    stored and the request's, its deletes counted), sent past the host's own checks:
    refused (WA_ERR_INVALID_ARG, WA_ERR_NO_SPACE), the old version and values stay
    (none of the request's entries is stored, nor left for the next request)."""
    cli(esp32, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg")
    v200 = "v" * 200
    with SmpLink(esp32.mgmt_address) as link:
        client = AppClient(link)
        with pytest.raises(UsageError, match="WA_ERR_INVALID_ARG"):
            client.config_set("cfg", 1, {"mode": "x" * 257}, [])
        big = {f"k{i}": v200 for i in range(3)}  # 3 x 202 bytes, above 512 in all
        with pytest.raises(WamrAgentError, match="WA_ERR_NO_SPACE"):
            client.config_set("cfg", 1, big, [])
        state = client.config_get("cfg")
        assert (state.desired, state.status, state.values) == (0, "none", {})
        client.config_set("cfg", 1, {"mode": "a", "k0": v200}, [])
        assert client.config_get("cfg").values == {"mode": "a", "k0": v200}
        with pytest.raises(WamrAgentError, match="WA_ERR_NO_SPACE"):  # 207 + 404 stored
            client.config_set("cfg", 2, {"k1": v200, "k2": v200}, [])
        client.config_set("cfg", 2, {"k1": v200, "k2": v200}, ["mode", "k0"])  # fits
        state = client.config_get("cfg")
    assert (state.desired, state.values) == (2, {"k1": v200, "k2": v200})


def test_a_trapping_on_config_is_reported_and_counted_like_a_trapping_loop(
        esp32: SimulatedBoard, tmp_path: Path) -> None:
    cli(esp32, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg")
    cli(esp32, "config", "set", "cfg", "mode=trap", code=CONFIG_REJECTED)
    esp32.console.expect(r"app cfg trap: .*unreachable")
    shown = cli(esp32, "config", "get", "cfg")
    assert (shown["desired"], shown["applied"], shown["status"], shown["code"]) == (
        1, 0, "trapped", AgentErr.TRAP_UNREACHABLE)
    assert cli(esp32, "status", "cfg")["traps"] == 1  # counted as a call's trap
