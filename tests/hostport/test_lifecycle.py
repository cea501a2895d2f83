"""The app lifecycle on a simulated esp32, through `wamr-agent deploy` and its exit
codes: a new version runs on trial and the device itself confirms it, or reverts it
(traps, CPU budget, a `health` export that returns non-zero, a reset while on
trial) and runs the previous version again; a first install that cannot start
fails and is not left running; a re-deploy of a reverted module tries again; the
journal keeps stop/start across hundreds of cycles and a power cut; a signed
bundle's own policy (loops, window, manual confirm); anti-rollback that survives
`rm` and power cuts, and a signed app never replaced by a bare module."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from typer.testing import CliRunner

from wamr_agent.cli import app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.errors import WamrAgentError
from wamr_agent.ota import build_bundle, load_secret_key
from wamr_agent.ota.bundle import Health
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

BOARD = "esp32"
Example = Callable[[str], Path]
runner = CliRunner()


@pytest.fixture
def board(esp32: SimulatedBoard) -> SimulatedBoard:
    return esp32


class Client:
    """AppClient's commands, each over a link of its own: the board's management
    UART serves one client at a time, and the CLI needs it between two calls."""

    def __init__(self, address: str) -> None:
        self.address = address

    def __getattr__(self, command: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            with SmpLink(self.address) as link:
                return getattr(AppClient(link), command)(*args)
        return call


@pytest.fixture
def client(board: SimulatedBoard) -> Client:
    return Client(board.mgmt_address)


def cli(board: SimulatedBoard, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, [*args, "--board", BOARD, "--port", board.mgmt_address,
                                 "--json"])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def module(tmp_path: Path, name: str, wat: str) -> Path:
    """A reactor written as WAT, saved as NAME.wasm."""
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm(wat)))
    return path


def logging_app(tmp_path: Path, tag: str, extra: str = "") -> Path:
    """A reactor whose loop logs `tag`; `extra` adds functions (WAT)."""
    return module(tmp_path, tag.replace(" ", "_"), f"""
        (module
          (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "{tag}")
          (func (export "loop") (drop (call $log (i32.const 0) (i32.const {len(tag)}))))
          {extra})""")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def running(client: Client, name: str) -> list[str]:
    """The sha256 of every running version of app `name`."""
    return [a.sha or "" for a in client.list() if a.name == name and a.state == "running"]


def test_a_healthy_update_is_confirmed_and_the_old_slot_freed(
        board: SimulatedBoard, client: Client, tmp_path: Path) -> None:
    v1, v2 = logging_app(tmp_path, "app v1"), logging_app(tmp_path, "app v2")
    first = cli(board, "deploy", str(v1), "--name", "app")
    assert (first["life"], first["already_installed"]) == ("confirmed", False)
    assert first["verdict_seconds"] > 0
    board.console.expect(r"app app confirmed \(slot 0, 10 loop rounds, 0 traps")
    second = cli(board, "deploy", str(v2), "--name", "app")
    assert second["life"] == "confirmed"
    board.console.expect(r"app app on trial \(slot 1\)")
    board.console.expect(r"app app confirmed \(slot 1")
    board.console.expect(r"slot 0 retired: its app was updated in slot 1")
    [listed] = client.list()
    assert (listed.sha, listed.state, listed.life) == (sha(v2), "running", "confirmed")
    again = cli(board, "deploy", str(v2), "--name", "app")
    assert again["already_installed"] is True


@pytest.mark.parametrize(("loop", "code", "reason"), [
    ("(i32.div_s (i32.const 1) (i32.const 0)) drop",
     "traps", "loop trapped 1 time: integer divide by zero"),
    ("(loop $spin (br $spin))", "cpu_budget", "loop trapped 1 time: CPU budget of "),
])
def test_an_update_that_traps_is_reverted_and_the_old_version_runs_again(
        board: SimulatedBoard, client: Client, tmp_path: Path, loop: str, code: str,
        reason: str) -> None:
    v1 = logging_app(tmp_path, "app v1")
    cli(board, "deploy", str(v1), "--name", "app")
    bad = module(tmp_path, "bad", f'(module (func (export "loop") {loop}))')
    failed = cli(board, "deploy", str(bad), "--name", "app", code=14)
    assert failed["error"]["type"] == "Reverted"
    assert reason in failed["error"]["message"], failed
    assert failed["report"]["life"] == "reverted"
    assert failed["report"]["reason"]["code"] == code
    board.console.expect(r"app app reverted \(slot 1\): .*; slot 0 runs again")
    board.console.expect(r"\[app\] app v1")
    assert running(client, "app") == [sha(v1)]
    status = client.status("app")
    assert (status.life, status.sha) == ("confirmed", sha(v1))
    assert status.update is not None and status.update.life == "reverted"
    # the reverted slot is kept as evidence, and listed with its reason
    [kept] = [a for a in client.list() if a.sha == sha(bad)]
    assert (kept.state, kept.life) == ("stopped", "reverted")
    assert kept.reason is not None and kept.reason.code == code


def test_a_health_export_that_returns_non_zero_reverts(
        board: SimulatedBoard, client: Client, tmp_path: Path) -> None:
    v1 = logging_app(tmp_path, "app v1")
    cli(board, "deploy", str(v1), "--name", "app")
    sick = logging_app(tmp_path, "app v2", '(func (export "health") (result i32) i32.const 3)')
    failed = cli(board, "deploy", str(sick), "--name", "app", code=14)
    assert "health returned 3" in failed["error"]["message"]
    assert failed["report"]["reason"] == {"code": "health", "rc": 3, "msg": "health returned 3"}
    assert running(client, "app") == [sha(v1)]
    healthy = logging_app(tmp_path, "app v3", '(func (export "health") (result i32) i32.const 0)')
    assert cli(board, "deploy", str(healthy), "--name", "app")["life"] == "confirmed"
    assert running(client, "app") == [sha(healthy)]


def test_a_first_install_that_cannot_start_fails_and_is_not_left_running(
        board: SimulatedBoard, client: Client, example: Example, tmp_path: Path) -> None:
    big = module(tmp_path, "big", '(module (memory 3) (func (export "loop")))')  # 192 KiB
    cli(board, "deploy", str(big))
    more = module(tmp_path, "more", '(module (memory 1) (func (export "loop")))')  # 64 KiB
    cli(board, "deploy", str(more))
    # hello_wasi fits the esp32 alone, not beside big and more: the host's pre-flight
    # says so; sent anyway, the device fails it when it cannot allocate its memory
    refused = cli(board, "deploy", str(example("hello_wasi")), code=5)
    assert "not sent" in refused["error"]["message"]
    failed = cli(board, "deploy", str(example("hello_wasi")), "--no-ram-check", code=15)
    assert failed["error"]["type"] == "InstallFailed"
    assert failed["report"]["reason"]["code"] == "load"
    board.console.expect(r"app hello_wasi failed its trial \(slot \d\): ")
    [hello] = [a for a in client.list() if a.name == "hello_wasi"]
    assert (hello.state, hello.life) == ("stopped", "failed")
    assert running(client, "big") == [sha(big)]
    # once there is room, a re-deploy of the failed module tries again (not "installed")
    cli(board, "rm", "big")
    cli(board, "rm", "more")
    again = cli(board, "deploy", str(example("hello_wasi")))
    assert (again["life"], again["already_installed"]) == ("confirmed", False)


def test_a_reset_while_on_trial_reverts_at_boot(board: SimulatedBoard, client: Client,
                                                 tmp_path: Path) -> None:
    v1, v2 = logging_app(tmp_path, "app v1"), logging_app(tmp_path, "app v2")
    cli(board, "deploy", str(v1), "--name", "app")
    on_trial = cli(board, "deploy", str(v2), "--name", "app", "--no-wait")
    assert on_trial["life"] == "trial"
    board.reset()
    board.console.expect(r"boot 2 reset=")
    board.console.expect(r"app app reverted \(slot 1\): the device reset while it was on trial; "
                         r"slot 0 runs again")
    board.console.expect(r"\[app\] app v1")
    assert running(client, "app") == [sha(v1)]
    update = client.status("app").update
    assert update is not None and update.life == "reverted"
    assert update.reason is not None and update.reason.code == "reset"
    # power cut during the first install's trial: failed, nothing runs
    solo = logging_app(tmp_path, "solo v1")
    cli(board, "deploy", str(solo), "--name", "solo", "--no-wait")
    board.power_cut()
    board.restart()
    board.console.expect(r"app solo failed its trial \(slot \d\): the device reset")
    assert running(client, "solo") == []


def test_rollback_and_confirm_by_hand(board: SimulatedBoard, client: Client,
                                      tmp_path: Path) -> None:
    v1, v2 = logging_app(tmp_path, "app v1"), logging_app(tmp_path, "app v2")
    cli(board, "deploy", str(v1), "--name", "app")
    cli(board, "deploy", str(v2), "--name", "app", "--no-wait")
    assert cli(board, "rollback", "app")["result"]
    board.console.expect(r"app app reverted \(slot 1\): rolled back by an operator")
    assert running(client, "app") == [sha(v1)]
    assert cli(board, "confirm", "app", code=1)["error"]["code"] == "BAD_STATE"
    # the same module again: a new trial (a reverted version is not "installed")
    cli(board, "deploy", str(v2), "--name", "app", "--no-wait")
    assert cli(board, "confirm", "app")["result"]
    board.console.expect(r"app app confirmed \(slot 1")
    assert running(client, "app") == [sha(v2)]
    assert cli(board, "rollback", "app", code=1)["error"]["code"] == "BAD_STATE"


def test_stop_and_start_never_run_out_of_journal(board: SimulatedBoard, client: Client,
                                                 tmp_path: Path) -> None:
    v1 = logging_app(tmp_path, "app v1")
    cli(board, "deploy", str(v1), "--name", "app")
    for _ in range(150):  # 300 records: past a page of the journal, so it compacts
        client.stop("app")
        client.start("app")
    client.stop("app")
    board.power_cut()
    board.restart()
    board.console.expect(r"idle: no app running")
    [listed] = client.list()
    assert (listed.state, listed.life) == ("stopped", "confirmed")
    client.start("app")
    board.console.expect(r"\[app\] app v1")


# ---- signed bundles: the manifest's policy, anti-rollback -----------------------------

TEST_KEY = Path(__file__).resolve().parents[2] / "ota" / "vectors" / "test.key"


def signed(tmp_path: Path, tag: str, seq: int, health: Health | None = None) -> Path:
    """A bundle of app `app` whose loop logs `tag`, signed by the test key the
    simulated boards trust."""
    data = build_bundle(logging_app(tmp_path, tag).read_bytes(), name="app",
                        version=tag.split()[-1], seq=seq, boards=[BOARD], caps=["log"],
                        key=load_secret_key(TEST_KEY), health=health)
    path = tmp_path / f"app-{seq}-{tag.replace(' ', '_')}.wab"
    path.write_bytes(data)
    return path


def test_a_manual_policy_waits_for_an_operator(board: SimulatedBoard, client: Client,
                                               tmp_path: Path) -> None:
    v1 = signed(tmp_path, "app 1.0", 1, Health(loops=2))
    assert cli(board, "deploy", str(v1))["life"] == "confirmed"
    board.console.expect(r"app app confirmed \(slot 0, 2 loop rounds")
    manual = Health(loops=3, window_ms=700, confirm="manual")
    v2 = signed(tmp_path, "app 2.0", 2, manual)
    waiting = cli(board, "deploy", str(v2))
    assert waiting["life"] == "trial"  # healthy, and waiting for `confirm`
    status = client.status("app")
    assert status.life == "trial" and status.trial is not None
    assert (status.trial.manual, status.trial.need_loops, status.trial.window_ms) == (
        True, 3, 700)
    assert status.trial.loops >= 3 and status.trial.elapsed_ms >= 700
    assert cli(board, "confirm", "app")["result"]
    board.console.expect(r"app app confirmed \(slot 1")
    assert running(client, "app") == [sha(v2)]


def test_anti_rollback_survives_removal_and_power_cuts(board: SimulatedBoard, client: Client,
                                                       tmp_path: Path) -> None:
    fast = Health(loops=1)
    cli(board, "deploy", str(signed(tmp_path, "app 5.0", 5, fast)))
    older = signed(tmp_path, "app 3.0", 3, fast)
    refused = cli(board, "deploy", str(older), code=13)
    assert refused["error"]["code"] == "ROLLBACK"
    cli(board, "rm", "app")
    assert client.list() == []
    board.power_cut()
    board.restart()
    board.console.expect(r"idle: no app running")
    refused = cli(board, "deploy", str(older), code=13)
    assert refused["error"]["code"] == "ROLLBACK"
    board.console.expect(r"app app refused: security counter 3 is below one installed before")
    # a bare module may not take the name of an app that was signed: not even after rm
    bare = logging_app(tmp_path, "app bare")
    unsigned = cli(board, "deploy", str(bare), "--name", "app", code=13)
    assert unsigned["error"]["code"] == "UNSIGNED"
    assert client.list() == []
    # the same counter, or a higher one, installs
    assert cli(board, "deploy", str(signed(tmp_path, "app 5.1", 5, fast)))["life"] == "confirmed"


def test_no_verdict_within_the_timeout_leaves_the_trial_running(
        board: SimulatedBoard, client: Client, tmp_path: Path) -> None:
    cli(board, "deploy", str(signed(tmp_path, "app 1.0", 1, Health(loops=1))))
    slow = signed(tmp_path, "app 2.0", 2, Health(loops=1, window_ms=60_000))
    timed_out = cli(board, "deploy", str(slow), "--timeout", "1", code=16)
    assert timed_out["error"]["type"] == "VerdictTimeout"
    status = client.status("app")
    assert (status.life, status.sha) == ("trial", sha(slow))
    assert status.trial is not None and status.trial.window_ms == 60_000
    cli(board, "rollback", "app")
    assert client.status("app").life == "confirmed"


def test_a_staged_version_never_runs_until_started(board: SimulatedBoard, client: Client,
                                                   tmp_path: Path) -> None:
    v1, v2 = logging_app(tmp_path, "app v1"), logging_app(tmp_path, "app v2")
    staged = cli(board, "deploy", str(v1), "--name", "app", "--no-start")
    assert staged["life"] == "staged"
    board.power_cut()
    board.restart()
    board.console.expect(r"idle: no app running")
    [listed] = client.list()
    assert (listed.state, listed.life) == ("stopped", "staged")
    client.start("app")
    board.console.expect(r"app app confirmed \(slot 0")
    # an update staged beside the running version waits too; start begins its trial
    cli(board, "deploy", str(v2), "--name", "app", "--no-start")
    board.power_cut()
    board.restart()
    board.console.expect(r"\[app\] app v1")
    assert running(client, "app") == [sha(v1)]
    client.start("app")
    board.console.expect(r"app app confirmed \(slot 1")
    assert running(client, "app") == [sha(v2)]


@pytest.mark.parametrize(("bad", "refused"), [
    ('(module (import "wamr_agent" "no_such_call" (func)) (func (export "loop")))',
     "device refused to upload app 'app': unknown import"),
    ('(module (func $boom unreachable) (start $boom) (func (export "loop")))', None),
])
def test_a_failed_bare_update_leaves_the_running_version(
        board: SimulatedBoard, client: Client, tmp_path: Path, bad: str,
        refused: str | None) -> None:
    v1 = logging_app(tmp_path, "app v1")
    cli(board, "deploy", str(v1), "--name", "app")
    # a raw SMP peer: no host pre-flight stands between this module and the device
    data = bytes(wasmtime.wat2wasm(bad))
    if refused is not None:
        with pytest.raises(WamrAgentError, match=refused):
            client.upload("app", data)
    else:
        assert client.upload("app", data).trial
        board.console.expect(r"app app reverted \(slot 1\): .*; slot 0 runs again")
    board.console.skip()
    board.console.expect(r"\[app\] app v1")  # printed after the failed update
    assert running(client, "app") == [sha(v1)]
    status = client.status("app")
    assert (status.life, status.sha, status.state) == ("confirmed", sha(v1), "running")
    if refused is None:
        assert status.update is not None and status.update.life == "reverted"
        assert status.update.sha == hashlib.sha256(data).hexdigest()
