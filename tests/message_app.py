"""A message test app, written as WAT (tests of issue 12's incoming messages on every
port). Its on_message(len) takes the oldest message with msg_read and logs
"msg TEXT" (the bytes it read); a message whose first byte is "!" makes it execute
`unreachable` instead. With read=False, on_message reads nothing (its inbox fills
up); with loop=True it also exports an empty loop; `export` renames on_message (an
app that takes no messages). `read(cap)` is msg_read into the buffer, for calls
from the host."""

from __future__ import annotations

from pathlib import Path

import wasmtime

from tests.conftest import board_cli as cli
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard

INBOX_FULL, NOT_RUNNING, NO_EXPORT = 23, 22, 8  # exit codes of `send` (wamr_agent.errors)


def message_wat(read: bool = True, loop: bool = False, export: str = "on_message") -> str:
    body = """
    (local.set $n (call $msg_read (i32.const 64) (i32.const 256)))
    (if (i32.eq (i32.load8_u (i32.const 64)) (i32.const 33)) (then unreachable))
    (drop (call $log (i32.const 60) (i32.add (i32.const 4) (local.get $n))))""" if read else ""
    return f"""
(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (import "wamr_agent" "msg_read" (func $msg_read (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 60) "msg ")
  (func (export "{export}") (param $len i32) (local $n i32){body})
  {'(func (export "loop"))' if loop else ''}
  (func (export "read") (param $cap i32) (result i32)
    (call $msg_read (i32.const 64) (local.get $cap))))
"""


def message_app(path: Path, **kwargs: bool | str) -> Path:
    """message_wat(**kwargs) compiled into path."""
    path.write_bytes(bytes(wasmtime.wat2wasm(message_wat(**kwargs))))  # type: ignore[arg-type]
    return path


def check_send_logs_the_message(board: EmulatedBoard | SimulatedBoard, tmp_path: Path) -> None:
    """`send` returns once the message is queued; the app's on_message logs it."""
    cli(board, "deploy", str(message_app(tmp_path / "inbox.wasm")), "--name", "inbox")
    out = cli(board, "send", "inbox", "hello, app")
    assert out == {"name": "inbox", "result": "delivered", "bytes": 10}
    board.console.expect(r"\[inbox\] msg hello, app")


def check_refusals(board: EmulatedBoard | SimulatedBoard, tmp_path: Path) -> None:
    """Each refusal is one line with its own exit code: no such app (2), an app that
    exports no on_message (8), one installed stopped (22), a full inbox (23). Two apps
    run at once at most (an mps2 board's RAM)."""
    cli(board, "deploy", str(message_app(tmp_path / "full.wasm", read=False)), "--name", "full")
    cli(board, "deploy", str(message_app(tmp_path / "off.wasm")), "--name", "off", "--no-start")
    deaf = message_app(tmp_path / "deaf.wasm", loop=True, export="on_other")
    cli(board, "deploy", str(deaf), "--name", "deaf")
    cases = [("nope", "hi", 2, "no such app"), ("off", "hi", NOT_RUNNING, "it is not running"),
             ("deaf", "hi", NO_EXPORT, "it exports no on_message"),
             ("full", "x" * 256, 0, ""), ("full", "y" * 256, INBOX_FULL, "its inbox is full")]
    for app, text, code, why in cases:
        out = cli(board, "send", app, text, code=code)
        if code:
            assert why in out["error"]["message"], out
