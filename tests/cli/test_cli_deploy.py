"""`wamr-agent deploy`'s outcomes and exit codes, `confirm`, `rollback`, and the
lifecycle in `ps` and `status`, through the CLI against a fake device with the app
lifecycle (tests/fake_device.py) in place of the SMP link."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.fake_device import FakeDevice, Plan, Slot
from wamr_agent import access
from wamr_agent.cli import app
from wamr_agent.smp import lifecycle

Example = Callable[[str], Path]
PORT = "socket://fake:1"
runner = CliRunner()


@pytest.fixture
def device(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDevice]:
    fake = FakeDevice()
    monkeypatch.setattr(access, "smp_link", lambda address, baudrate: fake)
    monkeypatch.setattr(lifecycle, "POLL_SECONDS", 0.0)  # the fake's trial moves per poll
    yield fake


def invoke(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--board", "esp32", "--port", PORT])
    assert result.exit_code == code, result.output
    return result


def error_line(result: Any) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def keep(device: FakeDevice, version: str = "1.1") -> None:
    """Another module of the same name, confirmed and running (the kept version)."""
    device.table[3] = Slot("sensor", hashlib.sha256(b"old").digest(), 9, version, None, 0,
                           life="confirmed", state="running", mem=device.mem)


def test_confirmed(device: FakeDevice, example: Example) -> None:
    size = example("sensor").stat().st_size
    result = invoke("deploy", str(example("sensor")))
    assert re.fullmatch(rf"deployed sensor to socket://fake:1 \(--port\): {size} bytes in \S+ s "
                        r"\(\d+ B/s, raw framing\); confirmed after \d+\.\d s \(10 loop rounds, "
                        r"0 traps\)\n", result.stdout), result.stdout
    assert "trial: " in result.stderr  # the progress line

    again = invoke("deploy", str(example("sensor")))
    assert again.stdout.endswith(": already installed; nothing to do\n")


def test_confirmed_without_loop_says_the_rounds_it_had(device: FakeDevice,
                                                      example: Example) -> None:
    """An app that exports no loop (a module with no entry point, a WASI command) is
    confirmed without its rounds: the line says how many the device counted, not the
    policy's 10 (found deploying a module with no exports: "10 loop rounds")."""
    device.plans["sensor"] = Plan(loop=False, window_ms=0)
    result = invoke("deploy", str(example("sensor")))
    assert result.stdout.endswith("; confirmed after 0.0 s (0 of 10 loop rounds: it exports "
                                  "no loop; 0 traps)\n"), result.stdout


def test_ctrl_c_says_where_the_deploy_was_left(device: FakeDevice, example: Example,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in the upload or in the trial exits 130 with one line saying what the
    device has and what to run (was: a blank line, then nothing)."""
    def ctrl_c(*_args: Any) -> Any:
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(FakeDevice, "upload", ctrl_c)
        upload = invoke("deploy", str(example("sensor")), code=130)
    assert upload.stderr.splitlines()[-1] == (
        "interrupted: the device keeps running what it ran; run the same command again to "
        "continue the upload where it stopped")
    monkeypatch.setattr(FakeDevice, "advance", ctrl_c)
    trial = invoke("deploy", str(example("sensor")), code=130)
    assert trial.stderr.splitlines()[-1] == (
        "interrupted: the new version stays on trial; the device decides by itself whether "
        "it stays (`wamr-agent ps` shows the verdict)")


def test_an_error_before_the_upload_is_one_line(device: FakeDevice, tmp_path: Path) -> None:
    """Refused before a byte is sent: stderr is the one error line (it was preceded by a
    blank line, the empty progress display, when stderr is not a terminal)."""
    bad = tmp_path / "notwasm.wasm"
    bad.write_text("hello, not wasm\n")
    result = invoke("deploy", str(bad), code=3)
    assert result.stderr == (f"error: {bad}: not a WebAssembly module (starts with "
                             "b'hell', expected b'\\x00asm')\n")


def test_a_device_of_another_board_is_refused_before_the_upload(device: FakeDevice,
                                                                example: Example) -> None:
    """The module was checked for --board; the device at --port is another board:
    refused, nothing sent (it was installed on an esp32 after nrf52840's checks)."""
    result = runner.invoke(app, ["deploy", str(example("sensor")), "--board", "nrf52840",
                                 "--port", PORT])
    assert result.exit_code == 2, result.output
    assert error_line(result) == ("error: sensor: not sent: checked for nrf52840, but "
                                  "socket://fake:1 (--port) is esp32 (--board esp32)")
    assert not device.table


def test_redeploy_starts_the_identical_module_when_it_is_stopped(
        device: FakeDevice, example: Example) -> None:
    invoke("deploy", str(example("sensor")))
    invoke("stop", "sensor")
    kept = invoke("deploy", str(example("sensor")), "--no-start")
    assert kept.stdout.endswith(": already installed; nothing to do\n")
    assert [s.state for s in device.table.values()] == ["stopped"]
    again = invoke("deploy", str(example("sensor")))
    assert again.stdout.endswith(": already installed; it was stopped: started\n")
    assert [s.state for s in device.table.values()] == ["running"]
    report = json.loads(invoke("deploy", str(example("sensor")), "--json").stdout)
    assert (report["already_installed"], report["restarted"]) == (True, False)


def test_device_text_is_shown_without_control_characters(device: FakeDevice) -> None:
    device.table[0] = Slot("\x1b[2Jevil", hashlib.sha256(b"x").digest(), 9, "1.\ufffd", None,
                           1, life="confirmed", state="stopped",
                           reason={"code": "traps", "rc": 34, "msg": "bell\x07"})
    shown = invoke("ps").stdout
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b[2Jevil" in shown and "1.\ufffd" in shown and "bell\\x07" in shown
    assert json.loads(invoke("ps", "--json").stdout)["apps"][0]["name"] == "\x1b[2Jevil"


def test_confirmed_json(device: FakeDevice, example: Example) -> None:
    report = json.loads(invoke("deploy", str(example("sensor")), "--json").stdout)
    assert (report["life"], report["reason"], report["version"]) == ("confirmed", None, None)
    assert report["verdict_seconds"] >= 0 and report["already_installed"] is False
    assert report["trial"]["need_loops"] == 10 and report["ram_estimate"] > 20_000


def test_reverted_exits_14(device: FakeDevice, example: Example) -> None:
    keep(device)
    device.plans["sensor"] = Plan(end="revert", at=4)
    result = invoke("deploy", str(example("sensor")), code=14)
    assert error_line(result) == ("error: sensor reverted on the device: loop trapped 1 time: "
                                  "integer divide by zero; 1.1 runs again")
    report = json.loads(invoke("deploy", str(example("sensor")), "--json", code=14).stdout)
    assert report["error"]["type"] == "Reverted"
    assert report["error"]["code"] == "TRAP_DIV_BY_ZERO"
    assert report["report"]["life"] == "reverted"
    assert report["report"]["reason"]["code"] == "traps"


def test_failed_first_install_exits_15(device: FakeDevice, example: Example) -> None:
    device.plans["sensor"] = Plan(end="fail", at=2, reason={
        "code": "health", "rc": 3, "msg": "health returned 3"})
    result = invoke("deploy", str(example("sensor")), code=15)
    assert error_line(result) == ("error: sensor failed on the device: health returned 3; "
                                  "nothing of that name runs")


def test_no_verdict_in_time_exits_16(device: FakeDevice, example: Example) -> None:
    device.plans["sensor"] = Plan(end="never")
    result = invoke("deploy", str(example("sensor")), "--timeout", "0", code=16)
    assert error_line(result) == ("error: sensor: no verdict from the device within 0 s; "
                                  "last seen on trial: 2/10 loop rounds, 0/0 traps, 0.2/1.0 s")


def test_manual_confirm_policy(device: FakeDevice, example: Example) -> None:
    device.plans["sensor"] = Plan(end="manual")
    result = invoke("deploy", str(example("sensor")))
    assert result.stdout.endswith(
        "; on trial and healthy (10/10 loop rounds, 0/0 traps, 1.0/1.0 s), awaiting an "
        "operator: confirm it with `wamr-agent confirm sensor` (or `wamr-agent rollback "
        "sensor`)\n")
    assert invoke("confirm", "sensor").stdout == "sensor confirmed\n"
    [listed] = json.loads(invoke("ps", "--json").stdout)["apps"]
    assert (listed["life"], listed["state"]) == ("confirmed", "running")


def test_no_wait_and_no_start(device: FakeDevice, example: Example) -> None:
    result = invoke("deploy", str(example("sensor")), "--no-wait")
    assert result.stdout.endswith("; on trial (not waited for; see `wamr-agent status "
                                  "sensor`)\n")
    assert "trial: " not in result.stderr
    quiet = invoke("deploy", str(example("sensor")), "--name", "quiet", "--no-start")
    assert quiet.stdout.endswith("; not started\n")


@pytest.mark.parametrize("life", ["staged", "reverted", "failed"])
def test_redeploy_of_a_module_not_running_is_not_already_installed(
        device: FakeDevice, example: Example, life: str) -> None:
    invoke("deploy", str(example("sensor")), "--no-start")
    device.table[0].life = life
    report = json.loads(invoke("deploy", str(example("sensor")), "--json").stdout)
    assert (report["already_installed"], report["life"]) == (False, "confirmed")


def test_preflight_refuses_an_app_that_does_not_fit_beside_what_runs(
        device: FakeDevice, example: Example) -> None:
    device.heap_total, device.mem = 110_000, 93_403
    keep(device)
    device.table[3].name = "other"
    result = invoke("deploy", str(example("sensor")), code=5)
    line = error_line(result)
    assert re.fullmatch(r"error: sensor: not sent: it needs about [2-4][0-9],[0-9]{3} bytes of RAM "
                        r"and esp32 has 16,597 free beside other \(running, 93,403 bytes\) "
                        r"\(--no-ram-check sends it anyway\)", line), line
    assert device.uploads == 0
    invoke("deploy", str(example("sensor")), "--no-ram-check")
    assert device.uploads == 1


@pytest.mark.parametrize(("verb", "done"), [("confirm", "confirmed"),
                                            ("rollback", "rolled back")])
def test_confirm_and_rollback(device: FakeDevice, example: Example, verb: str,
                              done: str) -> None:
    device.plans["sensor"] = Plan(end="manual")
    invoke("deploy", str(example("sensor")))
    assert json.loads(invoke(verb, "sensor", "--json").stdout) == {"name": "sensor",
                                                                  "result": done}
    refused = invoke(verb, "sensor", code=1)
    assert error_line(refused).endswith("it has no version on trial (WA_ERR_BAD_STATE, 6)")
    missing = json.loads(invoke(verb, "nope", "--json", code=2).stdout)
    assert missing["error"]["code"] == "NOT_FOUND"


def test_ps_and_status_show_the_lifecycle(device: FakeDevice, example: Example) -> None:
    keep(device)
    device.plans["sensor"] = Plan(end="revert", at=2)
    invoke("deploy", str(example("sensor")), code=14)
    rows = invoke("ps").stdout.splitlines()
    assert rows[0].split() == ["name", "version", "state", "life", "slot", "size", "sha256"]
    assert rows[1].split()[:5] == ["sensor", "-", "stopped", "reverted", "0"]
    assert rows[1].endswith("  reverted: loop trapped 1 time: integer divide by zero (traps)")
    assert rows[2].split()[:5] == ["sensor", "1.1", "running", "confirmed", "3"]
    status = {line[:11].strip(): line[12:]
              for line in invoke("status", "sensor").stdout.splitlines()}
    assert (status["life"], status["version"], status["trial"]) == ("confirmed", "1.1", "-")
    assert re.fullmatch(r"sensor \([0-9a-f]{16}\) reverted: loop trapped 1 time: integer "
                        r"divide by zero \(traps\)", status["last update"]), status



def test_a_device_without_the_lifecycle(device: FakeDevice, example: Example) -> None:
    device.lifecycle = False
    result = invoke("deploy", str(example("sensor")))
    assert result.stdout.endswith("; started (the device does not report a trial)\n")
    assert "trial: " not in result.stderr
    status = invoke("status", "sensor").stdout
    assert "life        - (the device does not report the app lifecycle)\n" in status
    assert "\ntrial " not in status
    device.plans["quiet"] = Plan(end="refuse", reason={"msg": "memory allocation failed"})
    refused = invoke("deploy", str(example("sensor")), "--name", "quiet", code=15)
    assert error_line(refused) == ("error: quiet could not start on the device: memory "
                                   "allocation failed; nothing of that name runs")


def test_preflight_refuses_nesting_past_the_devices_limit_before_sending(
        device: FakeDevice, tmp_path: Path) -> None:
    import wasmtime

    path = tmp_path / "deep.wasm"
    body = "(block " * 130 + ")" * 130
    path.write_bytes(bytes(wasmtime.wat2wasm(f'(module (func (export "loop") {body}))')))
    line = error_line(invoke("deploy", str(path), code=3))
    assert "nesting depth 130 is past the device's limit of 64 (WA_MAX_NESTING)" in line, line
    assert device.uploads == 0


def test_a_bundle_the_device_would_refuse_for_its_key_is_not_sent(
        device: FakeDevice, tmp_path: Path) -> None:
    from tests.tamper import OTHER_KEY, TEST_KEY, bundle

    device.kids = [TEST_KEY.kid]
    path = tmp_path / "tamper.wab"
    path.write_bytes(bundle("esp32", 1, 1, key=OTHER_KEY))
    line = error_line(invoke("deploy", str(path), code=13))
    assert line.startswith(f"error: tamper: not sent: the bundle is signed by key "
                           f"{OTHER_KEY.kid.hex()}, which the device does not trust"), line
    refused = json.loads(invoke("deploy", str(path), "--json", code=13).stdout)["error"]
    assert (refused["type"], refused["code"]) == ("SignatureError", "UNTRUSTED_KEY")
    assert device.uploads == 0
    device.kids = None  # older firmware does not say: sent (the device refuses it itself)
    assert invoke("deploy", str(path)).stdout.startswith("deployed tamper")
    assert device.uploads == 1


def test_status_shows_the_trusted_keys_and_the_aot_code(device: FakeDevice) -> None:
    from tests.tamper import OTHER_KEY, TEST_KEY

    rows = {line[:11].strip(): line[12:] for line in invoke("status").stdout.splitlines()}
    assert "bundle keys" not in rows and "AOT code" not in rows  # older firmware says neither
    device.kids, device.aot_abi = [TEST_KEY.kid, OTHER_KEY.kid], 0
    rows = {line[:11].strip(): line[12:] for line in invoke("status").stdout.splitlines()}
    assert rows["bundle keys"] == (f"{TEST_KEY.kid.hex()}, {OTHER_KEY.kid.hex()} (installs "
                                   "bundles signed by these)")
    assert rows["AOT code"] == "none: every module is interpreted"
    device.aot_abi = 2
    said = json.loads(invoke("status", "--json").stdout)
    assert (said["kids"], said["aot_abi"]) == ([TEST_KEY.kid.hex(), OTHER_KEY.kid.hex()], 2)
    rows = {line[:11].strip(): line[12:] for line in invoke("status").stdout.splitlines()}
    assert rows["AOT code"] == "ABI 2"
