"""The CoreMark-like workload (bench/kernels/coremark_like.c; not EEMBC
CoreMark): its self-check holds in the interpreter, metered and not, and the
wasm and the host-native builds of the one source agree. `make bench` runs it
on the emulated Cortex-M4 (bench/qemu_bench.py)."""

from __future__ import annotations

import ctypes
from dataclasses import replace

import pytest

from tests.conftest import BUILD, need
from wamr_agent.boards import load_board
from wamr_agent.pywamr import Module, Runtime

WASM = BUILD / "bench" / "coremark_like.wasm"
NATIVE = BUILD / "bench" / "libcoremark_like.so"
SEED = 0x5EED2026  # COREMARK_LIKE_SEED
TWO_ITERATIONS = 26986  # what bench_coremark_like(2) returns when every part checks out


def wasm_results(cpu_ticks: int) -> list[int]:
    need(WASM.exists(), str(WASM), "run `make examples`")
    board = load_board("esp32")
    board = replace(board, budget=replace(board.budget, cpu_ticks=cpu_ticks))
    with Runtime(board).instantiate(Module.from_file(WASM)) as app:
        return [app.call("bench_coremark_like", 2), app.call("coremark_like_seeded", 1, SEED + 1),
                app.call("coremark_like_seeded", 1, SEED)]


def native_results() -> list[int]:
    need(NATIVE.exists(), str(NATIVE), "run `make examples`")
    lib = ctypes.CDLL(str(NATIVE))
    for name in ("bench_coremark_like", "coremark_like_seeded"):
        getattr(lib, name).restype = ctypes.c_int32
    return [lib.bench_coremark_like(2), lib.coremark_like_seeded(1, SEED + 1),
            lib.coremark_like_seeded(1, SEED)]


@pytest.mark.parametrize("cpu_ticks", [0, 20_000_000], ids=["unmetered", "metered"])
def test_self_check_holds_in_the_interpreter(cpu_ticks: int) -> None:
    """The known seed passes (the chained CRC, not -1), another seed fails
    the check, and going back to the known seed passes again."""
    two, other_seed, back = wasm_results(cpu_ticks)
    assert two == TWO_ITERATIONS
    assert other_seed == -1
    assert back not in (-1, 0)


def test_wasm_and_native_builds_agree() -> None:
    assert wasm_results(0) == native_results()
