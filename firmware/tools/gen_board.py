#!/usr/bin/env python3
"""Generate a board's firmware build files from its profile (boards/<name>.toml).

Writes build/firmware/<name>/wa_board.h (the profile as C macros, with the board
invariants as _Static_asserts) and, for QEMU boards, build/firmware/<name>/board.ld:
a linker script that hands the firmware exactly ``ram_bytes`` of RAM, so that
"fits in 256 KiB" is checked by the link, not assumed.

A board below 256 KiB of RAM is refused (exit code 2). Standard library only: it
runs before the Python environment exists. The rules mirror agent/wamr_agent/boards.py.

    python3 firmware/tools/gen_board.py mps2-an386 [--out build/firmware/mps2-an386]
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIB = 1024
MIN_RAM_BYTES = 256 * KIB
FIRMWARE_RESERVE_BYTES = 32 * KIB
WASM_PAGE_BYTES = 64 * KIB
C_STACK_BYTES = 16 * KIB
FIRMWARE_FLASH_BYTES = 256 * KIB  # host boards: flash kept for the firmware image
BUDGET_KEYS = ("module_bytes", "linear_memory_bytes", "stack_bytes", "heap_bytes", "cpu_ticks")
# [qemu] keys the Cortex-M port needs on top of the ones every QEMU profile has.
PORT_KEYS = ("mgmt_uart_base", "mgmt_uart_rx_irq", "watchdog_base", "flash_window_base",
             "sysclk_hz")
# Optional [qemu] keys of the device I/O drivers (FPGA I/O block, SBCon I2C bus 0).
IO_KEYS = ("fpgaio_base", "i2c0_base")
I2C_ALLOW_MAX = 8  # WA_IO_I2C_MAX in wa_runtime.h
EXIT_REFUSED = 2
EXIT_BAD_PROFILE = 3


DEFAULT_KV_QUOTA = 1024  # [storage] default_quota when absent (agent/wamr_agent/boards.py)


class BoardRefused(Exception):
    """The board cannot run wamr-agent (too little RAM)."""


class ProfileError(Exception):
    """The profile lacks something the firmware build needs."""


@dataclass(frozen=True)
class Profile:
    name: str
    cpu: str
    ram_bytes: int
    flash_bytes: int
    budget: dict[str, int]
    qemu: dict[str, int | str] | None
    gpio_pins: int = 0  # bit n: pin n ([gpio] pins)
    i2c: tuple[int, ...] = ()  # bus << 8 | address ([i2c] busN)
    kv_quota: int = DEFAULT_KV_QUOTA  # [storage] default_quota: an app's key-value bytes

    def addr(self, key: str) -> int:
        assert self.qemu is not None
        value = self.qemu.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProfileError(f"{self.name}: [qemu] {key} missing or not an integer")
        return value

    @property
    def app_pool_bytes(self) -> int:
        """RAM one app may use: linear memory + operand stack + engine heap."""
        return sum(self.budget[k] for k in ("linear_memory_bytes", "stack_bytes", "heap_bytes"))


def kib(size: int) -> str:
    return f"{size // KIB} KiB" if size % KIB == 0 else f"{size} bytes"


def load_profile(path: Path) -> Profile:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    try:
        budget = {key: int(data["budget"][key]) for key in BUDGET_KEYS}
        profile = Profile(
            name=str(data["name"]),
            cpu=str(data["cpu"]),
            ram_bytes=int(data["ram_bytes"]),
            flash_bytes=int(data["flash_bytes"]),
            budget=budget,
            qemu=data.get("qemu"),
            gpio_pins=sum(1 << int(pin) for pin in set(data.get("gpio", {}).get("pins", []))),
            i2c=_i2c_allow(data.get("i2c", {})),
            kv_quota=int(data.get("storage", {}).get("default_quota", DEFAULT_KV_QUOTA)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"{path}: missing or malformed key {exc}") from exc
    if profile.ram_bytes < MIN_RAM_BYTES:
        raise BoardRefused(
            f"{profile.name} has {kib(profile.ram_bytes)} of RAM, below the "
            f"{kib(MIN_RAM_BYTES)} wamr-agent needs; not building firmware for it"
        )
    return profile


def _i2c_allow(table: dict[str, list[int]]) -> tuple[int, ...]:
    """[i2c] busN = [addresses] as bus << 8 | address (the runtime's wa_io_allow_t)."""
    pairs = [int(key[3:]) << 8 | int(addr) for key, addrs in table.items() for addr in addrs]
    if len(pairs) > I2C_ALLOW_MAX:
        raise ValueError(f"[i2c] lists {len(pairs)} addresses; at most {I2C_ALLOW_MAX}")
    return tuple(pairs)


def _define(name: str, value: int | str) -> str:
    """Strings quoted, addresses in hex, sizes and counts in decimal."""
    if isinstance(value, str):
        return f'#define {name} "{value}"'
    text = f"{value:#010x}" if name.endswith("_BASE") else str(value)
    return f"#define {name} {text}u"


def _board_macros(p: Profile) -> list[str]:
    lines = [
        _define("WA_BOARD_NAME", p.name),
        _define("WA_BOARD_CPU", p.cpu),
        _define("WA_BOARD_RAM_BYTES", p.ram_bytes),
        _define("WA_BOARD_FLASH_BYTES", p.flash_bytes),
        _define("WA_BOARD_APP_FLASH_BYTES", _app_flash_bytes(p)),
        _define("WA_BOARD_MIN_RAM_BYTES", MIN_RAM_BYTES),
        _define("WA_BOARD_FIRMWARE_RESERVE_BYTES", FIRMWARE_RESERVE_BYTES),
        _define("WA_BOARD_C_STACK_BYTES", C_STACK_BYTES),
    ]
    lines += [_define(f"WA_BOARD_BUDGET_{key.upper()}", p.budget[key]) for key in BUDGET_KEYS]
    allow = ", ".join(f"{pair:#06x}u" for pair in p.i2c) or "0"
    lines += [
        f"#define WA_BOARD_GPIO_PINS {p.gpio_pins:#010x}u",
        f"#define WA_BOARD_I2C_ALLOW_COUNT {len(p.i2c)}u",
        f"#define WA_BOARD_I2C_ALLOW {{{allow}}}",
        _define("WA_BOARD_KV_QUOTA", p.kv_quota),
    ]
    if p.qemu is not None:
        lines += [
            _define("WA_BOARD_QEMU_MACHINE", str(p.qemu.get("machine", ""))),
            _define("WA_BOARD_RAM_BASE", p.addr("ram_base")),
            _define("WA_BOARD_FLASH_BASE", p.addr("flash_base")),
            _define("WA_BOARD_FLASH_WINDOW_BASE", p.addr("flash_window_base")),
            _define("WA_BOARD_FLASH_WINDOW_BYTES", _window_bytes(p)),
            _define("WA_BOARD_CONSOLE_UART_BASE", p.addr("uart_base")),
            _define("WA_BOARD_MGMT_UART_BASE", p.addr("mgmt_uart_base")),
            _define("WA_BOARD_MGMT_UART_RX_IRQ", p.addr("mgmt_uart_rx_irq")),
            _define("WA_BOARD_WATCHDOG_BASE", p.addr("watchdog_base")),
            _define("WA_BOARD_SYSCLK_HZ", p.addr("sysclk_hz")),
        ]
        lines += [_define(f"WA_BOARD_{k.upper()}", p.addr(k)) for k in IO_KEYS if k in p.qemu]
    return lines


def _app_flash_bytes(p: Profile) -> int:
    """Flash for the apps' area (wa_store_layout.h sizes its slots from it): a QEMU
    board's flash window, else the flash less FIRMWARE_FLASH_BYTES
    (agent/wamr_agent/boards.py, Board.app_flash_bytes)."""
    if p.qemu is not None:
        return _window_bytes(p)
    return max(0, p.flash_bytes - FIRMWARE_FLASH_BYTES)


def _window_bytes(p: Profile) -> int:
    """The flash window runs from flash_window_base to the end of the code memory."""
    start, window = p.addr("flash_base"), p.addr("flash_window_base")
    if not start < window < start + p.flash_bytes:
        raise ProfileError(f"{p.name}: flash_window_base must lie inside the code memory")
    return start + p.flash_bytes - window


_ASSERTS = """\
_Static_assert(WA_BOARD_RAM_BYTES >= WA_BOARD_MIN_RAM_BYTES, "board below 256 KiB of RAM");
_Static_assert(WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES % 65536u == 0,
               "linear memory budget is not whole 64 KiB wasm pages");
_Static_assert(WA_BOARD_BUDGET_LINEAR_MEMORY_BYTES + WA_BOARD_BUDGET_STACK_BYTES +
                       WA_BOARD_BUDGET_HEAP_BYTES <=
                   WA_BOARD_RAM_BYTES - WA_BOARD_FIRMWARE_RESERVE_BYTES,
               "app budget exceeds RAM minus the firmware reserve");
_Static_assert(WA_BOARD_BUDGET_MODULE_BYTES <= WA_BOARD_FLASH_BYTES,
               "module budget exceeds the flash");
_Static_assert(WA_BOARD_C_STACK_BYTES < WA_BOARD_FIRMWARE_RESERVE_BYTES,
               "C stack does not fit the firmware reserve");
"""


def render_header(p: Profile, source: str) -> str:
    body = "\n".join(_board_macros(p))
    return (
        f"/* Generated by firmware/tools/gen_board.py from {source}. Do not edit. */\n"
        "#ifndef WA_BOARD_H\n#define WA_BOARD_H\n\n"
        f"{body}\n\n{_ASSERTS}\n#endif /* WA_BOARD_H */\n"
    )


def render_linker_script(p: Profile, source: str) -> str:
    code, window, ram = p.addr("flash_base"), p.addr("flash_window_base"), p.addr("ram_base")
    pool = p.app_pool_bytes
    overflow = (
        f"{p.name}: static data + {kib(C_STACK_BYTES)} C stack leave less than the "
        f"{kib(pool)} app budget (linear + stack + heap) of heap in {kib(p.ram_bytes)} of RAM"
    )
    return f"""\
/* Generated by firmware/tools/gen_board.py from {source}. Do not edit.
 * {p.name}: the firmware gets exactly {kib(p.ram_bytes)} of RAM. */
MEMORY
{{
    CODE (rx)      : ORIGIN = {code:#010x}, LENGTH = {window - code:#x}
    FLASHWIN (r)   : ORIGIN = {window:#010x}, LENGTH = {_window_bytes(p):#x}
    RAM (rwx)      : ORIGIN = {ram:#010x}, LENGTH = {p.ram_bytes:#x}
}}

__wa_c_stack_bytes = {C_STACK_BYTES:#x};
__wa_app_pool_bytes = {pool:#x};

INCLUDE wa_sections.ld

ASSERT(__heap_end - __heap_start >= __wa_app_pool_bytes,
       "{overflow}")
"""


def generate(name: str, boards: Path, out: Path) -> list[Path]:
    path = boards / f"{name}.toml"
    if not path.is_file():
        raise ProfileError(f"no board profile {path}")
    profile = load_profile(path)
    source = f"boards/{name}.toml"
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "wa_board.h"]
    _write_if_changed(written[0], render_header(profile, source))
    if profile.qemu is not None:
        written.append(out / "board.ld")
        _write_if_changed(written[1], render_linker_script(profile, source))
    return written


def _write_if_changed(path: Path, text: str) -> None:
    """Keeps the timestamp (and so make's view) when nothing changed."""
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("board")
    parser.add_argument("--boards", type=Path, default=ROOT / "boards")
    parser.add_argument("--out", type=Path, help="default: build/firmware/<board>")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "build" / "firmware" / args.board
    try:
        generate(args.board, args.boards, out)
    except BoardRefused as exc:
        print(exc, file=sys.stderr)
        return EXIT_REFUSED
    except ProfileError as exc:
        print(f"gen_board: error: {exc}", file=sys.stderr)
        return EXIT_BAD_PROFILE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
