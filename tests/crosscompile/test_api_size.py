"""firmware/tools/api_size.py, the flash and RAM per device API that `make
bench` prints: the grouping rules (a native API's functions go to their API
by name, wherever they live; other code by its source file; a future API's
names into their own row), and on a built image that every group is found and
the rows add up to the image's flash and static RAM."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT, need
from tests.crosscompile.test_firmware_budget import BOARDS, flash_bytes


def api_size() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_size",
                                                  ROOT / "firmware" / "tools" / "api_size.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_size"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("symbol", "source", "row"), [
    ("wa_native_gpio_read", "firmware/core/runtime/wa_natives.c", "GPIO"),
    ("op_i2c.lto_priv.0", "firmware/core/agent/wa_runner.c", "I2C"),
    ("wa_native_timer_start", "firmware/core/runtime/wa_natives.c", "timers"),
    ("wa_native_kv_get", "firmware/core/runtime/wa_natives.c", "storage"),
    ("wa_kv_put.constprop.0", "firmware/core/agent/wa_kv.c", "storage"),
    ("msg_send", "firmware/core/agent/wa_msg.c", "messages"),
    ("config_get", None, "config"),
    ("op_f64_Add_rs.lto_priv.0", "build/deps/wasm3/m3_exec.h", "core runtime"),
    ("handle_packet", "firmware/core/smp/wa_smp.c", "SMP / management"),
    ("fe_mul", "build/deps/monocypher/monocypher.c", "OTA bundles + crypto"),
    ("app_upload.lto_priv.0", "firmware/core/agent/wa_apps_smp.c", "SMP / management"),
    ("wa_store_program", "firmware/core/agent/wa_store.c", "agent core"),
    ("memcpy", "firmware/ports/cortex-m/small_libc.c", "port"),
    ("__aeabi_dadd", None, "libc + libgcc"),
])
def test_a_symbol_goes_to_its_api(symbol: str, source: str | None, row: str) -> None:
    tool = api_size()
    assert tool.group(symbol, source) == row
    assert row in tool.rows()


@pytest.mark.parametrize("board", BOARDS)
def test_the_groups_add_up_to_the_image(board: str) -> None:
    elf = ROOT / "build" / "firmware" / board / "firmware.elf"
    need(elf.is_file(), str(elf), f"run `make firmware BOARD={board}`")
    sizes = api_size().measure(Path(elf))
    assert sum(f for f, _ in sizes.values()) == flash_bytes(str(elf))
    for api in ("log", "sensor", "telemetry", "GPIO", "I2C", "timers", "SMP / management",
                "OTA bundles + crypto", "agent core", "port", "libc + libgcc"):
        assert sizes[api][0] > 100, (api, sizes[api])
    assert sizes["core runtime"][0] > 50_000
    assert sizes["core runtime"][1] > 8_000  # the validator's tables
    assert sizes["log"][1] >= 2048  # its ring
    # What no rule places stays small: the rules cover the image.
    assert sizes["unplaced static"][0] + sizes["no symbol"][0] < 0.1 * flash_bytes(str(elf))
    assert sizes["unplaced static"][1] < 1024
