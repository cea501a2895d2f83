"""Install once, load at every boot (docs/architecture.md, "Cold start"):
wa_check_image checks a metered image once, wa_app_load_installed trusts
that check (the caller checked the bytes' CRC-32) unless the word it kept
comes from another firmware's checks, and wa_crc32 is zlib's CRC-32."""

from __future__ import annotations

import random
import zlib
from typing import Any

import pytest
import wasmtime

from tests.runtime.test_metering import meter
from wamr_agent.agent_err import AgentErr
from wamr_agent.pywamr import Runtime
from wamr_agent.pywamr._loader import ffi, lib

BOARD = "nrf52840"
MEMORY_OPS = 1  # WA_CHECKED_MEMORY_OPS

SPIN = """(module (memory 1) (global (export "__heap_base") i32 (i32.const 1024))
  (func (export "spin") (param $n i32) (result i32) (local $i i32)
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)) %s)"""
GROW = """(func (export "pages") (result i32) (memory.size))"""
# Invalid (two exports of one name) but harmless to the engine: whether a
# load validates shows in whether it refuses it.
TWICE = """(func (export "twice")) (func (export "twice"))"""


def wasm(extra: str = "") -> bytes:
    return bytes(wasmtime.wat2wasm(SPIN % extra))


def check(image: bytes) -> tuple[int, int, str]:
    """wa_check_image: (rc, checked word, message)."""
    rt = Runtime(BOARD, cpu_ticks=1000)
    checked = ffi.new("uint32_t *", 0xFFFF)
    err = ffi.new("wa_error_t *")
    rc = lib.wa_check_image(rt.budget, image, len(image), checked, err)
    return rc, checked[0], ffi.string(err.message).decode() if rc else ""


def load(image: bytes, checked: int) -> tuple[Any, str]:
    """wa_app_load_installed under a budget of 1000 ticks: (handle or NULL, message)."""
    rt = Runtime(BOARD, cpu_ticks=1000)
    ops = ffi.new("wa_host_ops_t *")
    err = ffi.new("wa_error_t *")
    handle = lib.wa_app_load_installed(rt.budget, 0, ops, image, len(image), checked, err)
    return handle, ffi.string(err.message).decode()


def call(handle: Any, name: bytes, *args: int) -> tuple[int, int]:
    """(rc, result) of an i32 export."""
    argv = ffi.new("wa_value_t[]", [{"type": b"i", "of": {"i32": a}} for a in args] or 1)
    res = ffi.new("wa_value_t *")
    n = ffi.new("uint32_t *")
    err = ffi.new("wa_error_t *")
    rc = lib.wa_app_call(handle, name, argv, len(args), res, 1, n, err)
    return rc, res.of.i32


def stamp() -> int:
    """This firmware's WA_CHECKED_STAMP, as wa_check_image reports it."""
    rc, checked, _ = check(meter(wasm()))
    assert rc == 0 and checked >> 1 != 0
    return checked >> 1


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 255, 4096, 40_001])
def test_crc32_is_zlibs(length: int) -> None:
    data = random.Random(length).randbytes(length)
    assert lib.wa_crc32(data, length) == zlib.crc32(data)


def test_an_installed_image_runs_as_the_metered_one() -> None:
    image = meter(wasm())
    rc, checked, _ = check(image)
    assert rc == 0 and checked & MEMORY_OPS == 0
    handle, message = load(image, checked)
    assert handle != ffi.NULL, message
    try:
        assert call(handle, b"spin", 999) == (0, 999)
        assert call(handle, b"spin", 1000)[0] == AgentErr.TRAP_CPU_BUDGET
        stats = ffi.new("wa_stats_t *")
        lib.wa_app_stats(handle, stats)
        assert (stats.linear_memory_bytes, stats.module_ram_bytes) == (1024, 0)  # shrunk
    finally:
        lib.wa_app_free(handle)


def test_memory_ops_found_at_install_keep_the_memory_whole() -> None:
    """The bodies are not read at load: the check's word says there is a
    memory.size, so the memory is not shrunk to __heap_base."""
    image = meter(wasm(GROW))
    rc, checked, _ = check(image)
    assert rc == 0 and checked & MEMORY_OPS
    handle, message = load(image, checked)
    assert handle != ffi.NULL, message
    try:
        assert call(handle, b"pages") == (0, 1)
        stats = ffi.new("wa_stats_t *")
        lib.wa_app_stats(handle, stats)
        assert stats.linear_memory_bytes == 65536
    finally:
        lib.wa_app_free(handle)


def test_the_install_check_refuses_an_invalid_image() -> None:
    rc, checked, message = check(meter(wasm(TWICE)))
    assert (rc, checked) == (AgentErr.MALFORMED, 0)
    assert "duplicate export" in message


@pytest.mark.parametrize("word", ["none", "other firmware"])
def test_an_image_not_checked_by_this_firmware_is_validated_at_load(word: str) -> None:
    image = meter(wasm(TWICE))
    checked = 0 if word == "none" else ((stamp() % 127) + 1) << 1
    handle, message = load(image, checked)
    assert handle == ffi.NULL and "duplicate export" in message


def test_an_image_checked_by_this_firmware_is_not_validated_again() -> None:
    """What the CRC-32 of the slot then guards (the check's word cannot be
    forged by bit rot alone: the header has its own CRC)."""
    image = meter(wasm(TWICE))
    handle, message = load(image, stamp() << 1)
    assert handle != ffi.NULL, message
    lib.wa_app_free(handle)
