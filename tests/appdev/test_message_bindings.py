"""msg_read in every language's generated binding: an app in C, Rust, Zig and
AssemblyScript takes a message sent to it (its length, then -4 once the inbox is
empty; in Rust and Zig the wrapper's Ok/Err, turned back into the code), under
pywamr."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.appdev.conftest import build_probe
from wamr_agent.agent_err import AgentErr
from wamr_agent.appdev import toolchains
from wamr_agent.pywamr import Module, Runtime

PROBES = {
    "c": """
WA_EXPORT(on_message)
void on_message(int32_t len) { (void)len; }

WA_EXPORT(take)
int32_t take(void)
{
    uint8_t buf[4];
    int32_t n = wa_msg_read(buf, 4);
    return n < 0 ? n : n * 256 + buf[0];
}
""",
    "rust": """
#[no_mangle]
pub extern "C" fn on_message(_len: i32) {}

#[no_mangle]
pub extern "C" fn take() -> i32 {
    let mut buf = [0u8; 4];
    match wa::msg_read(&mut buf) {
        Ok(n) => n as i32 * 256 + buf[0] as i32,
        Err(wa::Error(code)) => code,
    }
}
""",
    "zig": """
export fn on_message(len: i32) void {
    _ = len;
}

export fn take() i32 {
    var buf = [_]u8{ 0, 0, 0, 0 };
    const n = wa.msgRead(&buf) catch |err| return wa.errorCode(err);
    return @as(i32, @intCast(n)) * 256 + @as(i32, buf[0]);
}
""",
    "assemblyscript": """
export function on_message(len: i32): void {}

export function take(): i32 {
  const buf = new Uint8Array(4);
  const n = wamr_agent.msgRead(buf);
  return n < 0 ? n : n * 256 + <i32>buf[0];
}
""",
}


@pytest.mark.parametrize("lang", toolchains.LANGUAGES)
def test_msg_read_wrappers_work(lang: str, tmp_path: Path) -> None:
    out = build_probe(lang, tmp_path, PROBES[lang])
    with Runtime("esp32").instantiate(Module.from_file(out)) as app:
        app.send(b"hello")
        assert app.call("take") == 5 * 256 + ord("h")  # cut to 4 bytes: its length
        assert app.call("take") == -AgentErr.NOT_FOUND
