"""Board profiles: what a target board has, and what one wasm app may use on it.

Each board is one TOML file in the boards directory (``boards/<name>.toml``; the
schema is in ``boards/README.md``). Profiles are validated completely when they
are loaded, so a malformed one fails here with the file and key named, never
later inside the firmware build or the runtime.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .errors import BoardError
from .tomltable import TomlTable, load_toml

__all__ = [
    "BOARDS_ENV",
    "FIRMWARE_FLASH_BYTES",
    "FIRMWARE_RESERVE_BYTES",
    "MIN_RAM_BYTES",
    "WASM_PAGE_BYTES",
    "Board",
    "BoardError",
    "Budget",
    "QemuMachine",
    "boards_dir",
    "list_boards",
    "load_board",
]

KIB = 1024
WASM_PAGE_BYTES = 64 * KIB
MIN_RAM_BYTES = 256 * KIB
# RAM kept out of every budget: the firmware's static data (agent state, SMP
# buffers, flash-area bookkeeping) and the C stack the interpreter runs on.
FIRMWARE_RESERVE_BYTES = 32 * KIB
# Flash of a board without a flash window ([qemu] flash_window_base) kept for the
# firmware image (and a bootloader); the rest holds the apps (gen_board.py mirrors it).
FIRMWARE_FLASH_BYTES = 256 * KIB
BOARDS_ENV = "WAMR_AGENT_BOARDS"

Emulation = Literal["qemu", "host"]
_EMULATIONS: tuple[Emulation, ...] = ("qemu", "host")
_ADDRESS_LIMIT = 1 << 32
_TOP_KEYS = frozenset(
    {"name", "description", "cpu", "ram_bytes", "flash_bytes", "emulation", "qemu", "budget",
     "gpio", "i2c", "storage"}
)
_QEMU_KEYS = frozenset({"machine", "cpu", "uart_base", "flash_base", "ram_base"})
# Optional [qemu] keys the Cortex-M firmware port reads (firmware/tools/gen_board.py).
_QEMU_PORT_KEYS = frozenset({"mgmt_uart_base", "mgmt_uart_rx_irq", "watchdog_base",
                             "flash_window_base", "sysclk_hz", "fpgaio_base", "i2c0_base"})
GPIO_PINS = 32  # pins 0-31 (WA_IO_PINS)
# [storage] default_quota when absent: key-value bytes an app may hold (gen_board.py mirrors it)
DEFAULT_KV_QUOTA = 1024
KV_QUOTA_MAX = 8192  # no quota above what the store's pages hold (wa_kv.h)
I2C_ALLOW_MAX = 8  # (bus, address) pairs (WA_IO_I2C_MAX)
_BUDGET_KEYS = frozenset(
    {"module_bytes", "linear_memory_bytes", "stack_bytes", "heap_bytes", "cpu_ticks"}
)


@dataclass(frozen=True)
class Budget:
    """What one wasm app may use on a board."""

    module_bytes: int
    linear_memory_bytes: int
    stack_bytes: int
    heap_bytes: int
    cpu_ticks: int

    @property
    def linear_memory_pages(self) -> int:
        return self.linear_memory_bytes // WASM_PAGE_BYTES

    @property
    def ram_bytes(self) -> int:
        """RAM the app costs the firmware: linear memory, operand stack, engine heap."""
        return self.linear_memory_bytes + self.stack_bytes + self.heap_bytes


@dataclass(frozen=True)
class QemuMachine:
    """How to start the board under qemu-system-arm, and where its memory sits."""

    machine: str
    cpu: str
    uart_base: int
    flash_base: int
    ram_base: int
    mgmt_uart_base: int | None = None
    mgmt_uart_rx_irq: int | None = None
    watchdog_base: int | None = None
    flash_window_base: int | None = None
    sysclk_hz: int | None = None
    fpgaio_base: int | None = None
    i2c0_base: int | None = None
    devices: tuple[str, ...] = ()  # extra `-device` arguments (I2C parts)


@dataclass(frozen=True)
class Board:
    """One validated board profile."""

    name: str
    description: str
    cpu: str
    ram_bytes: int
    flash_bytes: int
    emulation: Emulation
    qemu: QemuMachine | None
    budget: Budget
    path: Path
    gpio_pins: tuple[int, ...] = ()  # [gpio] pins an app may use
    i2c: tuple[tuple[int, int], ...] = ()  # [i2c] (bus, address) pairs an app may address
    kv_quota: int = DEFAULT_KV_QUOTA  # [storage] default_quota: an app's key-value bytes

    @property
    def supported(self) -> bool:
        return self.ram_bytes >= MIN_RAM_BYTES

    @property
    def app_flash_bytes(self) -> int:
        """Flash for the apps' area (slots, journal, key-value store): a QEMU board's
        flash window, or the flash less FIRMWARE_FLASH_BYTES."""
        if self.qemu is not None and self.qemu.flash_window_base is not None:
            return self.qemu.flash_base + self.flash_bytes - self.qemu.flash_window_base
        return max(0, self.flash_bytes - FIRMWARE_FLASH_BYTES)

    @property
    def unsupported_reason(self) -> str | None:
        if self.supported:
            return None
        return (
            f"{self.name} has {_kib(self.ram_bytes)} of RAM, "
            f"below the {_kib(MIN_RAM_BYTES)} wamr-agent needs"
        )


def boards_dir() -> Path:
    """The directory of board profiles: $WAMR_AGENT_BOARDS, else the repository's boards/."""
    override = os.environ.get(BOARDS_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "boards"


def list_boards() -> list[Board]:
    """Every profile in the boards directory, validated, sorted by name."""
    return [_load_path(path) for path in _profile_paths()]


def load_board(name: str) -> Board:
    """The profile called ``name``; BoardError with close names if there is none."""
    paths = {path.stem: path for path in _profile_paths()}
    if name not in paths:
        raise BoardError(_unknown_board_message(name, sorted(paths)))
    return _load_path(paths[name])


def _profile_paths() -> list[Path]:
    directory = boards_dir()
    if not directory.is_dir():
        raise BoardError(f"board directory {directory} does not exist (set {BOARDS_ENV})")
    return sorted(directory.glob("*.toml"), key=lambda path: path.stem)


def _unknown_board_message(name: str, known: list[str]) -> str:
    if not known:
        return f"unknown board {name!r}; no board profiles in {boards_dir()}"
    close = difflib.get_close_matches(name, known, n=3)
    if close:
        return f"unknown board {name!r}; did you mean: {', '.join(close)}?"
    return f"unknown board {name!r}; known boards: {', '.join(known)}"


def _kib(size: int) -> str:
    return f"{size // KIB} KiB" if size % KIB == 0 else f"{size} bytes"


class _Table(TomlTable):
    error = BoardError


def _load_path(path: Path) -> Board:
    return _parse_board(_Table(path, load_toml(path, "board profile", BoardError)))


def _parse_board(top: _Table) -> Board:
    top.only(_TOP_KEYS)
    name = top.text("name")
    if name != top.path.stem:
        top.fail("name", f"{name!r} does not match the file name {top.path.stem!r}")
    emulation = _parse_emulation(top)
    ram_bytes = top.integer("ram_bytes", minimum=1)
    flash_bytes = top.integer("flash_bytes", minimum=1)
    budget = _parse_budget(top, ram_bytes, flash_bytes)
    return Board(
        name=name,
        description=top.text("description"),
        cpu=top.text("cpu"),
        ram_bytes=ram_bytes,
        flash_bytes=flash_bytes,
        emulation=emulation,
        qemu=_parse_qemu(top, emulation),
        budget=budget,
        path=top.path,
        gpio_pins=_parse_gpio(top),
        i2c=_parse_i2c(top),
        kv_quota=_parse_storage(top),
    )


def _parse_storage(top: _Table) -> int:
    table = top.table("storage")
    if table is None:
        return DEFAULT_KV_QUOTA
    table.only(frozenset({"default_quota"}))
    return table.integer("default_quota", minimum=1, limit=KV_QUOTA_MAX + 1)


def _parse_gpio(top: _Table) -> tuple[int, ...]:
    table = top.table("gpio")
    if table is None:
        return ()
    table.only(frozenset({"pins"}))
    return tuple(sorted(set(table.integers("pins", limit=GPIO_PINS))))


def _parse_i2c(top: _Table) -> tuple[tuple[int, int], ...]:
    table = top.table("i2c")
    if table is None:
        return ()
    pairs: list[tuple[int, int]] = []
    for key in sorted(table.data):
        if not (key.startswith("bus") and key[3:].isdigit() and int(key[3:]) < 256):
            table.fail(key, "unknown key (expected busN, N = 0-255)")
        pairs += [(int(key[3:]), addr) for addr in table.integers(key, minimum=1, limit=0x80)]
    if len(pairs) > I2C_ALLOW_MAX:
        top.fail("i2c", f"lists {len(pairs)} addresses; at most {I2C_ALLOW_MAX}")
    return tuple(pairs)


def _parse_emulation(top: _Table) -> Emulation:
    value = top.text("emulation")
    for emulation in _EMULATIONS:
        if value == emulation:
            return emulation
    top.fail("emulation", f"must be one of {', '.join(_EMULATIONS)}, got {value!r}")


def _parse_qemu(top: _Table, emulation: Emulation) -> QemuMachine | None:
    table = top.table("qemu")
    if emulation != "qemu":
        if table is not None:
            top.fail("qemu", f'only allowed with emulation = "qemu", not {emulation!r}')
        return None
    if table is None:
        top.fail("qemu", 'missing (required with emulation = "qemu")')
    table.only(_QEMU_KEYS | _QEMU_PORT_KEYS | {"devices"})
    port = {
        key: table.integer(key, limit=_ADDRESS_LIMIT)
        for key in sorted(_QEMU_PORT_KEYS)
        if key in table.data
    }
    return QemuMachine(
        machine=table.text("machine"),
        cpu=table.text("cpu"),
        uart_base=table.integer("uart_base", limit=_ADDRESS_LIMIT),
        flash_base=table.integer("flash_base", limit=_ADDRESS_LIMIT),
        ram_base=table.integer("ram_base", limit=_ADDRESS_LIMIT),
        devices=tuple(table.texts("devices")) if table.has("devices") else (),
        **port,
    )


def _parse_budget(top: _Table, ram_bytes: int, flash_bytes: int) -> Budget:
    table = top.table("budget")
    if table is None:
        top.fail("budget", "missing")
    table.only(_BUDGET_KEYS)
    budget = Budget(
        module_bytes=table.integer("module_bytes", minimum=1),
        linear_memory_bytes=table.integer("linear_memory_bytes"),
        stack_bytes=table.integer("stack_bytes", minimum=1),
        heap_bytes=table.integer("heap_bytes", minimum=1),
        cpu_ticks=table.integer("cpu_ticks", minimum=1),
    )
    _check_budget(table, budget, ram_bytes, flash_bytes)
    return budget


def _check_budget(table: _Table, budget: Budget, ram_bytes: int, flash_bytes: int) -> None:
    if budget.linear_memory_bytes % WASM_PAGE_BYTES:
        table.fail(
            "linear_memory_bytes",
            f"{budget.linear_memory_bytes} is not a whole number of 64 KiB wasm pages",
        )
    if budget.module_bytes > flash_bytes:
        table.fail("module_bytes", f"{budget.module_bytes} exceeds flash_bytes = {flash_bytes}")
    available = ram_bytes - FIRMWARE_RESERVE_BYTES
    if budget.ram_bytes > available:
        table.fail(
            "linear_memory_bytes + stack_bytes + heap_bytes",
            f"{budget.ram_bytes} exceeds ram_bytes - {_kib(FIRMWARE_RESERVE_BYTES)} "
            f"firmware reserve = {available}",
        )
