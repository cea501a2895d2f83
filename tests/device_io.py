"""What the device I/O probe (tests/fixtures/apps/io_probe.c) must log on every port:
QEMU's mps2 boards, the simulated boards and pywamr give an app the same results
and the same error codes (docs/device-api.md)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from wamr_agent.agent_err import AgentErr
from wamr_agent.capabilities import grant_mask
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.errors import LinkError
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

DENIED, NACK, BAD_STATE, INVALID = (-AgentErr.DENIED, -AgentErr.NACK, -AgentErr.BAD_STATE,
                                    -AgentErr.INVALID_ARG)
CELSIUS = 23.5
RAW_23_5 = 0x1780  # 23.5 degC: 12-bit two's complement 376 (1/16 degC) in the top bits

PROBE_EXPECTED = {
    "config_denied_pin": DENIED, "write_denied_pin": DENIED,
    "write_unconfigured": BAD_STATE, "config_bad_mode": INVALID, "config_out": 0,
    "write_high": 0, "read_out": 1, "write_low": 0, "read_out_low": 0,
    "edges_unconfigured": BAD_STATE, "config_in_edges": 0, "read_in": 0, "edges": 0,
    "write_input": BAD_STATE,
    "i2c_denied_bus": DENIED, "i2c_denied_addr": DENIED, "i2c_bad_addr": INVALID,
    "i2c_nack_probe": NACK, "i2c_nack_read": NACK, "i2c_probe": 0, "i2c_write_config": 0,
    "i2c_read_config": 0, "config": 0x60, "i2c_restore_config": 0, "i2c_read_temp": 0,
    "temp_raw": RAW_23_5, "i2c_read_only": 0, "temp_raw_again": RAW_23_5,
}

NOT_FOUND, NO_SPACE = -AgentErr.NOT_FOUND, -AgentErr.NO_SPACE
# What the storage probe (tests/fixtures/apps/kv_probe.c) logs on every port, but its
# start count ("boots"): the board default quota (1024 bytes) holds "boots" (9 bytes)
# and five 202-byte keys.
KV_EXPECTED = {
    "boots_set": 0, "get_missing": NOT_FOUND, "set_empty_key": INVALID,
    "set_long_key": INVALID, "set_long_value": INVALID, "get_empty_key": INVALID,
    "delete_long_key": INVALID, "set": 0, "get_cut": 5, "get_cut_bytes": ord("p") << 8 | ord("r"),
    "get": 5, "set_empty_value": 0, "get_empty_value": 0, "delete": 0,
    "delete_again": NOT_FOUND, "get_deleted": NOT_FOUND, "quota_full": NO_SPACE,
    "quota_stored": 5, "quota_after_delete": 0, "quota_cleanup": 0,
}

_PROBE = re.compile(r"probe (\w+) = (-?\d+)")
_KV = re.compile(r"kv (\w+) = (-?\d+)")
THERMOSTAT_LINE = "tmp105 raw=0x1780 temp=23.500 C"


def probe_results(lines: Iterable[str]) -> dict[str, int]:
    """{name: result} of the probe's log lines."""
    return {m[1]: int(m[2]) for m in map(_PROBE.search, lines) if m}


def kv_results(lines: Iterable[str]) -> dict[str, int]:
    """{name: result} of the storage probe's log lines, its start count apart."""
    got = {m[1]: int(m[2]) for m in map(_KV.search, lines) if m}
    got.pop("boots", None)
    return got


def kv_boots(lines: Iterable[str]) -> list[int]:
    """The start counts the storage probe logged, in order."""
    return [int(m[2]) for m in map(_KV.search, lines) if m and m[1] == "boots"]


def refused_without(board: EmulatedBoard | SimulatedBoard, module: Path, grants: list[str],
                    needed: str, name: str) -> None:
    """Uploading module with grants lacking ``needed`` is refused, the import named."""
    with SmpLink(board.mgmt_address) as link, pytest.raises(LinkError, match="NOT_GRANTED"):
        AppClient(link).upload("probe", module.read_bytes(), grants=grant_mask(grants))
    board.console.expect(rf"import wamr_agent\.{name} needs capability '{needed}', "
                         r"which is not granted")
    assert "probe config_out" not in board.console.text


CONFIG_REJECTED_EXIT = 24  # config set: the app's on_config refused the version


def check_thermostat_takes_its_threshold_from_config_and_keeps_its_calibration(
        board: EmulatedBoard | SimulatedBoard, thermostat: Path,
        set_temperature: Callable[[float], None], alarm_led: Callable[[], int]) -> None:
    """Issue 12, item 6, on a device: the thermostat example (examples/thermostat)
    reads the TMP105 over I2C and drives the alarm pin; the host moves its alert
    threshold with `config set` and sees the alarm follow, a value that is not a
    number is rejected (the old one stays in force and is reported), and a
    calibration sent as a message is kept in the app's storage across a reset."""
    from tests.conftest import board_cli as cli

    set_temperature(27.0)
    cli(board, "deploy", str(thermostat))
    board.console.expect(r"thermostat: alarm pin 0 \(0\), button pin 8 \(0\), above 30\.000 C,"
                         r" calibration 0\.000 C")
    board.console.expect(r"tmp105 raw=0x1b00 temp=27\.000 C")
    assert alarm_led() == 0

    got = cli(board, "config", "set", "thermostat", "alert_above_c=25")
    assert (got["desired"], got["applied"], got["status"]) == (1, 1, "applied")
    board.console.expect(r"config v1: applied, alarm above 25\.000 C")
    board.console.expect(r"\[thermostat\] ALARM on")
    assert alarm_led() == 1

    cli(board, "config", "set", "thermostat", "alert_above_c=warm", code=CONFIG_REJECTED_EXIT)
    board.console.expect(r"config v2: rejected \(alert_above_c is not a number\), "
                         r"alarm above 25\.000 C")
    shown = cli(board, "config", "get", "thermostat")
    assert (shown["desired"], shown["applied"], shown["status"]) == (2, 1, "rejected")
    assert alarm_led() == 1

    got = cli(board, "config", "set", "thermostat", "alert_above_c=28.5")
    assert (got["desired"], got["applied"]) == (3, 3)
    board.console.expect(r"config v3: applied, alarm above 28\.500 C")
    board.console.expect(r"\[thermostat\] alarm off")
    assert alarm_led() == 0

    cli(board, "send", "thermostat", "cal 29")  # the true temperature is 29.0 C
    board.console.expect(r"calibrated: offset 2\.000 C \(stored\)")
    board.console.expect(r"tmp105 raw=0x1b00 temp=29\.000 C")
    board.console.expect(r"\[thermostat\] ALARM on")
    assert alarm_led() == 1

    board.reset()  # the calibration comes back from flash, the threshold from config
    board.console.expect(r"thermostat: alarm pin 0 \(0\), button pin 8 \(0\), above 28\.500 C,"
                         r" calibration 2\.000 C")
    board.console.expect(r"\[thermostat\] ALARM on")
