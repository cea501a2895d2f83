"""config_get's wrapper in every language's generated binding compiles and works
(docs/config.md): an app in C, Rust, Zig and AssemblyScript reads key "mode" (its
length, a count result, and its first byte) and a key with no value (-4), under
pywamr with Host.config set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.appdev.conftest import APP_NAME, need_toolchain
from wamr_agent.agent_err import AgentErr
from wamr_agent.appdev import toolchains
from wamr_agent.pywamr import Host, Module, Runtime

PROBES = {
    "c": """
WA_EXPORT(probe)
int32_t probe(void)
{
    uint8_t buf[16] = {0};
    int32_t n = wa_config_get("mode", 4, buf, sizeof buf);
    int32_t missing = wa_config_get("nope", 4, buf, sizeof buf);
    return n < 0 ? n : (n << 16) | (buf[0] << 8) | -missing;
}
""",
    "rust": """
#[no_mangle]
pub extern "C" fn probe() -> i32 {
    let mut buf = [0u8; 16];
    let n = match wa::config_get("mode", &mut buf) {
        Ok(n) => n as i32,
        Err(wa::Error(code)) => return code,
    };
    let missing = match wa::config_get("nope", &mut buf) {
        Ok(_) => 0,
        Err(wa::Error(code)) => code,
    };
    (n << 16) | ((buf[0] as i32) << 8) | -missing
}
""",
    "zig": """
export fn probe() i32 {
    var buf = [_]u8{0} ** 16;
    const n = wa.configGet("mode", &buf) catch |err| return wa.errorCode(err);
    const missing: i32 = if (wa.configGet("nope", &buf)) |_| 0 else |err| wa.errorCode(err);
    return (@as(i32, @intCast(n)) << 16) | (@as(i32, buf[0]) << 8) | -missing;
}
""",
    "assemblyscript": """
export function probe(): i32 {
  const buf = new Uint8Array(16);
  const n = wamr_agent.configGet("mode", buf);
  if (n < 0) return n;
  const missing = wamr_agent.configGet("nope", buf);
  return (n << 16) | (<i32>buf[0] << 8) | -missing;
}
""",
}


@pytest.mark.parametrize("lang", toolchains.LANGUAGES)
def test_config_get_wrappers_work(lang: str, tmp_path: Path) -> None:
    need_toolchain(lang)
    info = toolchains.write_template(lang, "sensor", tmp_path, APP_NAME)
    source = next(p for pattern in info.sources for p in sorted(tmp_path.glob(pattern)))
    source.write_text(source.read_text(encoding="utf-8") + PROBES[lang], encoding="utf-8")
    out = tmp_path / "probe.wasm"
    toolchains.build(lang, tmp_path, info.sources, out, kind=info.kind)
    host = Host()
    host.config["mode"] = "eco"
    with Runtime("esp32").instantiate(Module.from_file(out), host) as app:
        assert app.call("probe") == (3 << 16) | (ord("e") << 8) | AgentErr.NOT_FOUND
