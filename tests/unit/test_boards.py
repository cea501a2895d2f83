"""Board profiles in boards/ and their loader, wamr_agent.boards."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import load_tool
from wamr_agent import boards
from wamr_agent.boards import (
    FIRMWARE_RESERVE_BYTES,
    WASM_PAGE_BYTES,
    Board,
    BoardError,
    list_boards,
    load_board,
)
from wamr_agent.errors import WamrAgentError

EXPECTED = {
    "esp32",
    "esp32-c3",
    "nrf52840",
    "stm32f4",
    "mps2-an385",
    "mps2-an386",
    "mps2-an500",
    "mps2-an505",
    "lm3s6965evb",
}

VALID = """\
name = "demo"
description = "A demo board"
cpu = "cortex-m3"
ram_bytes = 262144
flash_bytes = 4194304
emulation = "qemu"

[qemu]
machine = "mps2-an385"
cpu = "cortex-m3"
uart_base = 0x40004000
flash_base = 0x00000000
ram_base = 0x20000000

[budget]
module_bytes = 131072
linear_memory_bytes = 131072
stack_bytes = 16384
heap_bytes = 65536
cpu_ticks = 20000000
"""


@pytest.fixture(autouse=True)
def _default_boards_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(boards.BOARDS_ENV, raising=False)


@pytest.fixture
def board_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(boards.BOARDS_ENV, str(tmp_path))
    return tmp_path


def _write(directory: Path, text: str, name: str = "demo") -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def real_boards() -> list[Board]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(boards.BOARDS_ENV, raising=False)
        return list_boards()


def test_default_dir_is_the_repositorys_boards() -> None:
    assert (boards.boards_dir() / "esp32.toml").is_file()


def test_every_profile_loads_sorted(real_boards: list[Board]) -> None:
    names = [board.name for board in real_boards]
    assert set(names) == EXPECTED
    assert names == sorted(names)


def test_names_match_file_stems(real_boards: list[Board]) -> None:
    for board in real_boards:
        assert board.path.stem == board.name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_budget_invariants(name: str) -> None:
    board = load_board(name)
    budget = board.budget
    used = budget.linear_memory_bytes + budget.stack_bytes + budget.heap_bytes
    assert used <= board.ram_bytes - FIRMWARE_RESERVE_BYTES
    assert budget.linear_memory_bytes % WASM_PAGE_BYTES == 0
    assert 0 < budget.module_bytes <= board.flash_bytes
    assert budget.stack_bytes > 0 and budget.heap_bytes > 0 and budget.cpu_ticks > 0


def test_qemu_section_only_for_emulated_boards(real_boards: list[Board]) -> None:
    for board in real_boards:
        assert (board.qemu is not None) == (board.emulation == "qemu"), board.name
        if board.qemu is not None:
            assert board.qemu.machine == board.name


def test_only_lm3s6965evb_is_unsupported(real_boards: list[Board]) -> None:
    unsupported = {
        board.name: board.unsupported_reason for board in real_boards if not board.supported
    }
    assert unsupported == {
        "lm3s6965evb": "lm3s6965evb has 64 KiB of RAM, below the 256 KiB wamr-agent needs",
    }
    assert all(board.unsupported_reason is None for board in real_boards if board.supported)


def test_unsupported_board_still_has_honest_budget() -> None:
    board = load_board("lm3s6965evb")
    assert board.budget.linear_memory_bytes == 0
    assert board.budget.ram_bytes <= board.ram_bytes - FIRMWARE_RESERVE_BYTES


def test_board_error_is_a_package_error() -> None:
    assert issubclass(BoardError, WamrAgentError)


def test_unknown_board_suggests_close_names() -> None:
    with pytest.raises(BoardError) as info:
        load_board("esp23")
    assert str(info.value) == "unknown board 'esp23'; did you mean: esp32, esp32-c3?"


def test_unknown_board_without_close_match_lists_all(real_boards: list[Board]) -> None:
    with pytest.raises(BoardError) as info:
        load_board("raspberry")
    names = ", ".join(board.name for board in real_boards)
    assert str(info.value) == f"unknown board 'raspberry'; known boards: {names}"


def test_path_like_name_is_unknown(board_dir: Path) -> None:
    _write(board_dir, VALID)
    with pytest.raises(BoardError, match="unknown board"):
        load_board("../demo")


def test_env_dir_profile_loads(board_dir: Path) -> None:
    _write(board_dir, VALID)
    board = load_board("demo")
    assert board.qemu is not None and board.qemu.uart_base == 0x40004000
    assert board.budget.linear_memory_pages == 2
    assert board.supported


def test_small_board_reason_uses_its_own_ram(board_dir: Path) -> None:
    text = VALID.replace("ram_bytes = 262144", "ram_bytes = 131072")
    text = text.replace("linear_memory_bytes = 131072", "linear_memory_bytes = 0")
    _write(board_dir, text)
    board = load_board("demo")
    assert board.unsupported_reason == (
        "demo has 128 KiB of RAM, below the 256 KiB wamr-agent needs"
    )


def test_missing_directory_is_a_board_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(boards.BOARDS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(BoardError, match="nowhere"):
        list_boards()


MALFORMED = [
    ("heap_bytes = 65536\n", "", "budget.heap_bytes", "missing"),
    ('description = "A demo board"\n', "", "description", "missing"),
    ("ram_bytes = 262144", 'ram_bytes = "256K"', "ram_bytes", "integer"),
    ("cpu_ticks = 20000000", "cpu_ticks = true", "budget.cpu_ticks", "integer"),
    ("stack_bytes = 16384", "stack_bytes = 0", "budget.stack_bytes", "at least 1"),
    ('cpu = "cortex-m3"\nram', "cpu = 3\nram", "cpu", "string"),
    ('emulation = "qemu"', 'emulation = "renode"', "emulation", "must be one of"),
    ('name = "demo"', 'name = "other"', "name", "file name"),
    (
        "linear_memory_bytes = 131072",
        "linear_memory_bytes = 100000",
        "budget.linear_memory_bytes",
        "whole number",
    ),
    (
        "heap_bytes = 65536",
        "heap_bytes = 98304",
        "budget.linear_memory_bytes + stack_bytes + heap_bytes",
        "firmware reserve",
    ),
    ("module_bytes = 131072", "module_bytes = 8388608", "budget.module_bytes", "flash_bytes"),
    ("uart_base = 0x40004000", "uart_base = 0x100000000", "qemu.uart_base", "below"),
    ('machine = "mps2-an385"\n', "", "qemu.machine", "missing"),
    ("cpu_ticks = 20000000", "cpu_ticks = 20000000\nticks = 1", "budget.ticks", "unknown key"),
    ('emulation = "qemu"', 'emulation = "host"', "qemu", "only allowed"),
    ("[budget]", "[gpio]\npins = [32]\n[budget]", "gpio.pins.0", "below 0x20"),
    ("[budget]", "[gpio]\npins = 3\n[budget]", "gpio.pins", "list of integers"),
    ("[budget]", "[gpio]\npin = [3]\n[budget]", "gpio.pin", "unknown key"),
    ("[budget]", "[i2c]\nbus0 = [0x80]\n[budget]", "i2c.bus0.0", "below 0x80"),
    ("[budget]", "[i2c]\nbus0 = [0]\n[budget]", "i2c.bus0.0", "at least 1"),
    ("[budget]", "[i2c]\nbusA = [0x48]\n[budget]", "i2c.busA", "expected busN"),
    ("[budget]", "[i2c]\nbus0 = [1, 2, 3, 4, 5, 6, 7, 8, 9]\n[budget]", "i2c", "at most 8"),
    ("ram_base = 0x20000000", 'ram_base = 0x20000000\ndevices = "tmp105"', "qemu.devices",
     "array of non-empty strings"),
]


def test_device_io_tables_are_read(board_dir: Path) -> None:
    text = VALID.replace("[budget]", "[gpio]\npins = [9, 0, 9]\n[i2c]\nbus1 = [0x50]\n"
                         "bus0 = [0x48, 0x49]\n[budget]").replace(
        "ram_base = 0x20000000", 'ram_base = 0x20000000\ni2c0_base = 0x4002a000\n'
        'devices = ["tmp105,address=0x48"]')
    _write(board_dir, text)
    board = load_board("demo")
    assert board.gpio_pins == (0, 9)
    assert board.i2c == ((0, 0x48), (0, 0x49), (1, 0x50))
    assert board.qemu is not None and board.qemu.devices == ("tmp105,address=0x48",)
    assert board.qemu.i2c0_base == 0x4002A000


def test_profiles_with_device_io_match_the_firmwares_view() -> None:
    gen = load_tool("gen_board")
    for board in list_boards():
        profile = gen.load_profile(board.path) if board.supported else None
        if profile is None:
            continue
        assert profile.gpio_pins == sum(1 << pin for pin in board.gpio_pins)
        assert profile.i2c == tuple(bus << 8 | addr for bus, addr in board.i2c)
    an386 = gen.render_header(gen.load_profile(load_board("mps2-an386").path), "x")
    assert "#define WA_BOARD_GPIO_PINS 0x00000303u" in an386
    assert "#define WA_BOARD_I2C_ALLOW {0x0048u, 0x0049u}" in an386
    assert "#define WA_BOARD_I2C0_BASE 0x4002a000u" in an386


@pytest.mark.parametrize(("old", "new", "key", "problem"), MALFORMED)
def test_malformed_profile_names_file_and_key(
    board_dir: Path, old: str, new: str, key: str, problem: str
) -> None:
    assert old in VALID
    _write(board_dir, VALID.replace(old, new, 1))
    with pytest.raises(BoardError) as info:
        load_board("demo")
    message = str(info.value)
    assert f"demo.toml: {key}: " in message
    assert problem in message
    assert "\n" not in message


def test_qemu_section_required_for_qemu_emulation(board_dir: Path) -> None:
    qemu_table = VALID[VALID.index("[qemu]") : VALID.index("[budget]")]
    _write(board_dir, VALID.replace(qemu_table, ""))
    with pytest.raises(BoardError, match=r"demo\.toml: qemu: missing"):
        load_board("demo")


def test_budget_must_be_a_table(board_dir: Path) -> None:
    text = VALID[: VALID.index("[budget]")].replace('name = "demo"', 'name = "demo"\nbudget = 3')
    _write(board_dir, text)
    with pytest.raises(BoardError, match=r"demo\.toml: budget: must be a table"):
        load_board("demo")


def test_invalid_toml_names_file(board_dir: Path) -> None:
    _write(board_dir, VALID.replace("ram_bytes = 262144", "ram_bytes = = 1"))
    with pytest.raises(BoardError, match=r"demo\.toml: not valid TOML"):
        load_board("demo")


def test_list_boards_fails_on_any_malformed_profile(board_dir: Path) -> None:
    _write(board_dir, VALID)
    _write(board_dir, VALID.replace('name = "demo"', 'name = "nope"'), name="broken")
    with pytest.raises(BoardError, match=r"broken\.toml: name: "):
        list_boards()
