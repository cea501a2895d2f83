"""A configuration test app, written as WAT (tests of issue 12's configuration from
the fleet, docs/config.md, on every port). on_config(version) reads key "mode" with
config_get and logs "config V mode=VALUE" (V: the version's last digit; VALUE empty
when the key has none); it rejects a value starting with "b" (returns 7) and traps
on one starting with "t". setup logs "setup", loop returns 0. get(key, key_len,
buf, cap) exports config_get itself, peek(addr) and poke(addr, byte) the linear
memory, for the error-code tests."""

from __future__ import annotations

from pathlib import Path

import wasmtime

from tests.conftest import board_cli as cli
from tests.device_io import refused_without
from tests.timer_app import app_log
from wamr_agent.capabilities import grant_mask
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

REJECT = 7  # what on_config returns for a value starting with "b"
CONFIG_REJECTED = 24  # exit codes of `config set` (wamr_agent.errors)
CONFIG_PENDING = 25
NOT_GRANTED = 6  # LinkError
NO_SUCH_APP = 2  # UsageError

CONFIG_WAT = """
(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (import "wamr_agent" "config_get" (func $get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "config 0 mode=")
  (data (i32.const 64) "mode")
  (data (i32.const 80) "setup")
  (func (export "setup") (drop (call $log (i32.const 80) (i32.const 5))))
  (func (export "loop") (result i32) (i32.const 0))
  (func (export "on_config") (param $v i32) (result i32) (local $n i32)
    (i32.store8 (i32.const 7) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
    (local.set $n (call $get (i32.const 64) (i32.const 4) (i32.const 14) (i32.const 32)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (local.set $n (i32.const 0))))
    (if (i32.gt_s (local.get $n) (i32.const 32)) (then (local.set $n (i32.const 32))))
    (drop (call $log (i32.const 0) (i32.add (i32.const 14) (local.get $n))))
    (if (i32.and (i32.gt_s (local.get $n) (i32.const 0))
                 (i32.eq (i32.load8_u (i32.const 14)) (i32.const 116)))
      (then unreachable))
    (if (result i32) (i32.and (i32.gt_s (local.get $n) (i32.const 0))
                              (i32.eq (i32.load8_u (i32.const 14)) (i32.const 98)))
      (then (i32.const 7)) (else (i32.const 0))))
  (func (export "get") (param i32 i32 i32 i32) (result i32)
    (call $get (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))
"""


PLAIN_WAT = """
(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (func (export "loop") (result i32) (i32.const 0)))
"""


def config_app(path: Path, wat: str = CONFIG_WAT) -> Path:
    """wat (the config app) compiled into path."""
    path.write_bytes(bytes(wasmtime.wat2wasm(wat)))  # type: ignore[arg-type]
    return path


def check_set_get_and_reject(board: EmulatedBoard | SimulatedBoard, tmp_path: Path) -> None:
    """config set is delivered to the app (on_config reads the new value with
    config_get), config get shows desired vs reported, a rejected version is
    reported as such (exit 24) and the next good one applies."""
    cli(board, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg")
    board.console.expect(r"\[cfg\] setup")
    got = cli(board, "config", "set", "cfg", "mode=fast", "rate=10")
    assert (got["desired"], got["applied"], got["status"]) == (1, 1, "applied")
    board.console.expect(r"\[cfg\] config 1 mode=fast")
    shown = cli(board, "config", "get", "cfg")
    assert shown["values"] == {"mode": "fast", "rate": "10"}
    assert (shown["desired"], shown["applied"], shown["status"]) == (1, 1, "applied")
    cli(board, "config", "set", "cfg", "mode=bad", code=CONFIG_REJECTED)
    board.console.expect(r"\[cfg\] config 2 mode=bad")
    shown = cli(board, "config", "get", "cfg")
    assert (shown["desired"], shown["applied"], shown["status"], shown["code"]) == (
        2, 1, "rejected", REJECT)
    got = cli(board, "config", "set", "cfg", "mode=slow", "--unset", "rate")
    assert (got["desired"], got["applied"], got["status"]) == (3, 3, "applied")
    assert cli(board, "config", "get", "cfg")["values"] == {"mode": "slow"}
    board.console.expect(r"\[cfg\] config 3 mode=slow")  # the console may lag the SMP answer
    assert app_log(board.console.lines(), "cfg") == [
        "setup", "config 1 mode=fast", "config 2 mode=bad", "config 3 mode=slow"]


def check_a_retried_set_is_delivered_once(board: EmulatedBoard | SimulatedBoard,
                                          tmp_path: Path) -> None:
    """The same version sent twice, as a client retries a request whose answer was
    late: the app's on_config runs once for it, whether it applied or rejected it."""
    cli(board, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg")
    board.console.expect(r"\[cfg\] setup")
    with SmpLink(board.mgmt_address) as link:
        client = AppClient(link)
        for version, mode in ((1, "fast"), (2, "bad")):
            for _ in range(2):
                state = client.config_set("cfg", version, {"mode": mode}, [])
                assert (state.desired, state.applied) == (version, 1)
        client.config_set("cfg", 3, {"mode": "slow"}, [])
    board.console.expect(r"\[cfg\] config 3 mode=slow")
    assert app_log(board.console.lines(), "cfg") == [
        "setup", "config 1 mode=fast", "config 2 mode=bad", "config 3 mode=slow"]


def check_refusals(board: EmulatedBoard | SimulatedBoard, tmp_path: Path) -> None:
    """No such app, an app not granted config, an app that does not run."""
    path = config_app(tmp_path / "cfg.wasm")
    cli(board, "config", "set", "nope", "mode=x", code=NO_SUCH_APP)
    refused_without(board, path, ["log"], "config", "config_get")
    with SmpLink(board.mgmt_address) as link:
        plain = config_app(tmp_path / "plain.wasm", PLAIN_WAT).read_bytes()
        AppClient(link).upload("plain", plain, grants=grant_mask(["log"]))
    cli(board, "config", "set", "plain", "mode=x", code=NOT_GRANTED)
    cli(board, "config", "get", "plain", code=NOT_GRANTED)
    cli(board, "deploy", str(path), "--name", "idle")
    cli(board, "config", "set", "idle", "mode=bad", code=CONFIG_REJECTED)  # then stopped:
    cli(board, "stop", "idle")  # the next version is pending, not that rejection
    cli(board, "config", "set", "idle", "mode=later", code=CONFIG_PENDING)
    assert cli(board, "config", "get", "idle")["status"] == "pending"
    cli(board, "start", "idle")
    board.console.expect(r"\[idle\] config 2 mode=later")
    assert cli(board, "config", "get", "idle")["status"] == "applied"


def check_persists_across_a_reset(board: EmulatedBoard | SimulatedBoard,
                                  tmp_path: Path) -> None:
    """The configuration is in flash: after a reset the app gets on_config once at
    start, after setup, and config_get reads the values stored before."""
    cli(board, "deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "keep")
    cli(board, "config", "set", "keep", "mode=kept", "other=1")
    board.reset()
    board.console.expect(r"\[keep\] config 1 mode=kept")
    assert app_log(board.console.lines(), "keep")[-2:] == ["setup", "config 1 mode=kept"]
    shown = cli(board, "config", "get", "keep")
    assert (shown["desired"], shown["applied"], shown["status"]) == (1, 1, "applied")
    assert shown["values"] == {"mode": "kept", "other": "1"}
