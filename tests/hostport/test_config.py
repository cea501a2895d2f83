"""Configuration from the fleet on a simulated esp32 (issue 12, item 5;
docs/config.md): config set delivered to the app's on_config, which reads the value
with config_get; config get's desired vs reported; a rejected version; no such app,
not granted, an app that does not run; the values and version across a reset, and
a power cut between the values and the version."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config_app import (
    CONFIG_REJECTED,
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


def test_no_such_app_not_granted_and_not_running(esp32: SimulatedBoard, tmp_path: Path) -> None:
    check_refusals(esp32, tmp_path)


def test_the_configuration_persists_across_a_reset(esp32: SimulatedBoard,
                                                   tmp_path: Path) -> None:
    check_persists_across_a_reset(esp32, tmp_path)


TRANSPORT_ERROR = 12  # the device went away mid-request
RECORD_OPS = 4  # flash ops of one key-value record (wa_kv.c: header, key, value, commit)


def test_a_power_cut_before_the_version_is_written_leaves_the_old_one_and_a_retry_applies(
        tmp_path: Path) -> None:
    """config set writes the values, then the version: cut before the version's
    record, the device reports the old version after the reset (its app gets it
    again at start), and the host's retry stores and applies the new one."""
    with SimulatedBoard.start("esp32", workdir=tmp_path / "board") as board:
        cli(board, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg")
        cli(board, "config", "set", "cfg", "mode=a")
        board.restart(extra_args=sim_args([], "boot.txt"))  # how many ops a boot makes
        board.console.expect(r"\[cfg\] config 1 mode=a")
        booted = len(read_trace(board.workdir / "boot.txt"))
        version_record = booted + 2 * RECORD_OPS  # after the two values' records
        board.restart(extra_args=sim_args([Fault.cut("before", version_record)], "cut.txt"))
        board.console.expect(r"\[cfg\] config 1 mode=a")
        cli(board, "config", "set", "cfg", "mode=c", "rate=2", code=TRANSPORT_ERROR)
        assert board.wait_exit() == POWER_CUT_STATUS and ended_by_power_cut(board)
        ops = read_trace(board.workdir / "cut.txt")[booted:]
        assert [op.length for op in ops] == [16, 3, 4, 1, 16, 3, 4, 1, 16]  # the values'
        assert ops[-1].index == version_record  # records; the version's, cut before it
        board.restart(extra_args=[])
        board.console.expect(r"\[cfg\] config 1 mode=c")  # the old version, with the values
        shown = cli(board, "config", "get", "cfg")
        assert (shown["desired"], shown["applied"]) == (1, 1)
        got = cli(board, "config", "set", "cfg", "mode=c", "rate=2")
        assert (got["desired"], got["applied"], got["status"]) == (2, 2, "applied")
        board.console.expect(r"\[cfg\] config 2 mode=c")
        assert cli(board, "config", "get", "cfg")["values"] == {"mode": "c", "rate": "2"}


def test_the_device_refuses_what_the_host_would_not_send(esp32: SimulatedBoard,
                                                         tmp_path: Path) -> None:
    """A value above 256 bytes, or more than 512 bytes of keys and values, sent past
    the host's own checks: refused (WA_ERR_INVALID_ARG, WA_ERR_NO_SPACE) before the
    version, which stays; the entries before a refused one are stored, as a cut would
    leave them."""
    cli(esp32, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg")
    with SmpLink(esp32.mgmt_address) as link:
        client = AppClient(link)
        with pytest.raises(UsageError, match="WA_ERR_INVALID_ARG"):
            client.config_set("cfg", 1, {"mode": "x" * 257}, [])
        big = {f"k{i}": "v" * 200 for i in range(3)}  # 3 x 202 bytes: the third is refused
        with pytest.raises(WamrAgentError, match="WA_ERR_NO_SPACE"):
            client.config_set("cfg", 1, big, [])
        state = client.config_get("cfg")
    assert (state.desired, state.status) == (0, "none")
    assert state.values == {"k0": "v" * 200, "k1": "v" * 200}


def test_a_trapping_on_config_is_reported_and_counted_like_a_trapping_loop(
        esp32: SimulatedBoard, tmp_path: Path) -> None:
    cli(esp32, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg")
    cli(esp32, "config", "set", "cfg", "mode=trap", code=CONFIG_REJECTED)
    esp32.console.expect(r"app cfg trap: .*unreachable")
    shown = cli(esp32, "config", "get", "cfg")
    assert (shown["desired"], shown["applied"], shown["status"], shown["code"]) == (
        1, 0, "trapped", AgentErr.TRAP_UNREACHABLE)
    assert cli(esp32, "status", "cfg")["traps"] == 1  # counted as a call's trap
