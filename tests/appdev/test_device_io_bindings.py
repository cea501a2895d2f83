"""The GPIO and I2C wrappers of every language's generated binding compile and work:
an app in C, Rust, Zig and AssemblyScript drives pin 1, reads it back and reads the
TMP105 (byte slices in and out), under pywamr with our TMP105 model at 23.5 degC."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.appdev.conftest import build_probe
from tests.device_io import CELSIUS, RAW_23_5
from wamr_agent.appdev import toolchains
from wamr_agent.pywamr import Host, Module, Runtime, Tmp105

PROBES = {
    "c": """
WA_EXPORT(probe)
int32_t probe(void)
{
    uint8_t wr[1] = {0}, rd[2] = {0, 0};
    int32_t level = 0, rc = wa_gpio_config(1, 1);
    rc = rc != WA_OK ? rc : wa_gpio_write(1, 1);
    rc = rc != WA_OK ? rc : wa_gpio_read(1, &level);
    rc = rc != WA_OK ? rc : wa_i2c_transfer(0, 0x48, wr, 1, rd, 2);
    return rc != WA_OK ? rc : (level << 16) | (rd[0] << 8) | rd[1];
}
""",
    "rust": """
#[no_mangle]
pub extern "C" fn probe() -> i32 {
    let mut rd = [0u8; 2];
    let level = match wa::gpio_config(1, 1).and_then(|_| wa::gpio_write(1, 1))
        .and_then(|_| wa::gpio_read(1)) {
        Ok(level) => level,
        Err(wa::Error(code)) => return code,
    };
    match wa::i2c_transfer(0, 0x48, &[0u8], &mut rd) {
        Ok(()) => (level << 16) | ((rd[0] as i32) << 8) | rd[1] as i32,
        Err(wa::Error(code)) => code,
    }
}
""",
    "zig": """
export fn probe() i32 {
    var rd = [_]u8{ 0, 0 };
    const wr = [_]u8{0};
    wa.gpioConfig(1, 1) catch |err| return wa.errorCode(err);
    wa.gpioWrite(1, 1) catch |err| return wa.errorCode(err);
    const level = wa.gpioRead(1) catch |err| return wa.errorCode(err);
    wa.i2cTransfer(0, 0x48, &wr, &rd) catch |err| return wa.errorCode(err);
    return (level << 16) | (@as(i32, rd[0]) << 8) | @as(i32, rd[1]);
}
""",
    "assemblyscript": """
export function probe(): i32 {
  wamr_agent.gpioConfig(1, 1);
  wamr_agent.gpioWrite(1, 1);
  const level = wamr_agent.gpioRead(1);
  if (wamr_agent.lastStatus() != wamr_agent.OK) return wamr_agent.lastStatus();
  const wr = new Uint8Array(1);
  const rd = new Uint8Array(2);
  const rc = wamr_agent.i2cTransfer(0, 0x48, wr, rd);
  if (rc != wamr_agent.OK) return rc;
  return (level << 16) | (<i32>rd[0] << 8) | <i32>rd[1];
}
""",
}


@pytest.mark.parametrize("lang", toolchains.LANGUAGES)
def test_gpio_and_i2c_wrappers_work(lang: str, tmp_path: Path) -> None:
    out = build_probe(lang, tmp_path, PROBES[lang])
    host = Host()
    host.i2c_devices[(0, Tmp105.ADDRESS)] = Tmp105(CELSIUS)
    with Runtime("esp32").instantiate(Module.from_file(out), host) as app:
        assert app.call("probe") == (1 << 16) | RAW_23_5
    assert host.pins.output(1) == 1
