"""The blob's rounding and square root functions (agent/wamr_agent/aot/c/
wa_aot_math.c: floor, ceil, trunc, nearbyint, sqrt and their f32 versions,
which wasm2c's output calls and no C library provides in a blob), built for the
host under other names and called on bits (a shim, so no NaN passes through a
conversion): every rounding case of the conformance tests, and pseudo-random
bit patterns of both widths against Python's own rounding and square root
(correctly rounded). The device runs are tests/qemu/test_conformance.py and
tests/qemu/test_aot_diff.py."""

from __future__ import annotations

import ctypes
import math
import random
import struct

import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import WARN, host_cc, run
from tests.runtime.conformance_cases import OPS, QUIET, cases

SOURCE = ROOT / "agent" / "wamr_agent" / "aot" / "c" / "wa_aot_math.c"
C_NAME = {"floor": "floor", "ceil": "ceil", "trunc": "trunc", "nearest": "nearbyint",
          "sqrt": "sqrt"}
PY_ROUND = {"floor": math.floor, "ceil": math.ceil, "trunc": math.trunc, "nearest": round}
SHIM = """#include <stdint.h>
#include <string.h>
float t_{c}f(float); double t_{c}(double);
uint32_t b32_{op}(uint32_t u) {{ float x; memcpy(&x, &u, 4); x = t_{c}f(x); memcpy(&u, &x, 4);
    return u; }}
uint64_t b64_{op}(uint64_t u) {{ double x; memcpy(&x, &u, 8); x = t_{c}(x); memcpy(&u, &x, 8);
    return u; }}
"""


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    tmp = tmp_path_factory.mktemp("aot_math")
    shim = tmp / "shim.c"
    shim.write_text("".join(SHIM.format(op=op, c=c) for op, c in C_NAME.items()))
    out = tmp / "libaotmath.so"
    renames = [f"-D{c}{s}=t_{c}{s}" for c in C_NAME.values() for s in ("", "f")]
    built = run([host_cc(), *WARN, "-O2", "-fno-builtin", "-shared", "-fPIC", *renames,
                 "-o", out, SOURCE, shim])
    assert built.returncode == 0, built.stderr
    dll = ctypes.CDLL(str(out))
    for op in C_NAME:
        for width, t in ((32, ctypes.c_uint32), (64, ctypes.c_uint64)):
            fn = getattr(dll, f"b{width}_{op}")
            fn.argtypes, fn.restype = [t], t
    return dll


def rounded(lib: ctypes.CDLL, op: str, width: int, bits: int) -> int:
    return getattr(lib, f"b{width}_{op}")(bits)  # type: ignore[no-any-return]


def test_every_conformance_rounding_case(lib: ctypes.CDLL) -> None:
    failed = []
    for c in cases():
        got = rounded(lib, c.op, c.width, c.bits)
        quiet = 0x7FF8000000000000 if c.width == 64 else 0x7FC00000
        ok = got & quiet == quiet if c.want is QUIET else got == c.want
        if not ok:
            failed.append(f"{c.name} = {got:#x}")
    assert failed == []


def _expected(op: str, width: int, bits: int) -> int | None:
    fmt = ("<I", "<f") if width == 32 else ("<Q", "<d")
    x = struct.unpack(fmt[1], struct.pack(fmt[0], bits))[0]
    if math.isnan(x):
        return None
    if math.isinf(x):
        return bits
    y = math.copysign(float(PY_ROUND[op](x)), x)  # exact: |result| < 2^mantissa or x itself
    return struct.unpack(fmt[0], struct.pack(fmt[1], y))[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("width", [32, 64])
def test_random_bits_round_as_python_does(lib: ctypes.CDLL, width: int) -> None:
    rng = random.Random(width)
    top = 1 << width
    checked = 0
    for _ in range(20000):
        # values near 1 (every exponent of interest), and any bits at all
        bits = rng.randrange(top) if rng.random() < 0.3 else (
            rng.randrange(1 << (width - 12)) | (rng.randrange(2) << (width - 1))
            | ((rng.randrange(60) + (127 if width == 32 else 1023) - 5) << (23 if width == 32
                                                                          else 52)))
        for op in OPS:
            want = _expected(op, width, bits)
            got = rounded(lib, op, width, bits)
            if want is None:
                quiet = 1 << (22 if width == 32 else 51)
                assert got == bits | quiet, f"{op}{width}({bits:#x})"
            else:
                assert got == want, f"{op}{width}({bits:#x}) = {got:#x}, want {want:#x}"
            checked += 1
    assert checked == 80000


def _sqrt(width: int, bits: int) -> int | None:
    """Python's square root (IEEE, correctly rounded; an f32 through the double
    one, which rounds once more exactly), as bits; None for a NaN."""
    fmt = ("<I", "<f") if width == 32 else ("<Q", "<d")
    x = struct.unpack(fmt[1], struct.pack(fmt[0], bits))[0]
    if math.isnan(x) or x < 0:
        return None
    return struct.unpack(fmt[0], struct.pack(fmt[1], math.sqrt(x)))[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize("width", [32, 64])
def test_square_roots_are_correctly_rounded(lib: ctypes.CDLL, width: int) -> None:
    rng = random.Random(width + 1)
    m = 23 if width == 32 else 52
    inf, quiet = ((1 << (width - 1 - m)) - 1) << m, 1 << (m - 1)
    sign = 1 << (width - 1)
    edge = [0, sign, inf, inf | sign, inf | 1, 1, 2, 3, (1 << m) - 1, 1 << m, inf - 1,
            sign | 1, (1 << (width - 2 - m)) - 1 << m]  # ... and 1.0
    for bits in edge + [rng.randrange(1 << width) for _ in range(30000)]:
        got = rounded(lib, "sqrt", width, bits)
        want = _sqrt(width, bits)
        if want is not None:
            assert got == want, f"sqrt{width}({bits:#x}) = {got:#x}, want {want:#x}"
        elif bits & ~sign > inf:  # a NaN: quieted
            assert got == bits | quiet, f"sqrt{width}({bits:#x})"
        else:  # a negative number: the positive quiet NaN
            assert got == inf | quiet, f"sqrt{width}({bits:#x})"
