"""The rounding cases of the conformance tests (docs/architecture.md,
"Conformance"), and one module that checks them all on a device.

Each case is an operator, an input's IEEE bits and the result's bits the
WebAssembly spec wants, or QUIET where it wants a NaN with the quiet bit set
(an arithmetic NaN): the rounding of a signalling NaN, the case wasm3 got
wrong by calling libm. Expected values come from Python's own math (round()
ties to even, as f*.nearest does), written out independently of the runtime.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

QUIET = None
OPS = ("floor", "ceil", "trunc", "nearest")
_ROUND: dict[str, Callable[[float], int]] = {
    "floor": math.floor, "ceil": math.ceil, "trunc": math.trunc, "nearest": round}
_F64_NAN = (0x7FF4000000000000, 0xFFF4000000000000, 0x7FF0000000000001, 0x7FF8000000000000,
            0xFFFFFFFFFFFFFFFF)
_F32_NAN = (0x7FA00000, 0xFFA00000, 0x7F800001, 0x7FC00000)
_VALUES = (0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, -3.5, 0.49999997, -0.49999997,
           1.0000001, -1.0000001, 1e30, -1e30, math.inf, -math.inf)
_F64_ONLY = (0.49999999999999994, -0.49999999999999994, 4503599627370495.5,
             -4503599627370495.5, 2.0**52, 2.0**53 + 2, 1e300, 5e-324, -5e-324,
             1.0000000000000002, -1.0000000000000002)
_F32_ONLY = (8388607.5, -8388607.5, 2.0**23, 2.0**24 + 2, 1e-45, -1e-45)


@dataclass(frozen=True)
class Case:
    width: int  # 32 or 64
    op: str
    bits: int
    want: int | None  # QUIET: any NaN with the quiet bit

    @property
    def name(self) -> str:
        return f"f{self.width}.{self.op}({self.bits:#0{self.width // 4 + 2}x})"


def _bits(value: float, width: int) -> int:
    fmt = ("<f", "<I") if width == 32 else ("<d", "<Q")
    return struct.unpack(fmt[1], struct.pack(fmt[0], value))[0]  # type: ignore[no-any-return]


def _value(bits: int, width: int) -> float:
    fmt = ("<I", "<f") if width == 32 else ("<Q", "<d")
    return struct.unpack(fmt[1], struct.pack(fmt[0], bits))[0]  # type: ignore[no-any-return]


def _rounded(op: str, x: float) -> float:
    if math.isinf(x):
        return x
    return math.copysign(float(_ROUND[op](x)), x)  # a zero result keeps x's sign


def cases() -> list[Case]:
    out = []
    for width, nans, only in ((64, _F64_NAN, _F64_ONLY), (32, _F32_NAN, _F32_ONLY)):
        inputs = [_bits(v, width) for v in (*_VALUES, *only)]
        for op in OPS:
            out += [Case(width, op, b, QUIET) for b in nans]
            out += [Case(width, op, b, _bits(_rounded(op, _value(b, width)), width))
                    for b in inputs]
    return out


def _check(i: int, c: Case) -> str:
    t = "i64" if c.width == 64 else "i32"
    got = f"(call ${c.op}{c.width} ({t}.const {c.bits:#x}))"
    if c.want is QUIET:
        q = "0x7ff8000000000000" if c.width == 64 else "0x7fc00000"
        test = f"({t}.eq ({t}.and {got} ({t}.const {q})) ({t}.const {q}))"
    else:
        test = f"({t}.eq {got} ({t}.const {c.want:#x}))"
    return (f"    (if (i32.eqz {test}) (then "
            f"(drop (call $log (i32.const {i * 8}) (i32.const 8)))))")


def module_wat(all_cases: list[Case]) -> str:
    """A module whose setup logs "fail NNN" for each failing case (NNN: its
    index in all_cases), then "rounding done"; it also exports each op on bits
    (f64 ops on i64, f32 ops on i32)."""
    ops = []
    for width in (64, 32):
        t, f = ("i64", "f64") if width == 64 else ("i32", "f32")
        ops += [f'  (func ${op}{width} (export "{op}{width}") (param {t}) (result {t})\n'
                f"    local.get 0 {f}.reinterpret_{t} {f}.{op} {t}.reinterpret_{f})"
                for op in OPS]
    messages = "".join(f"fail {i:03d}" for i in range(len(all_cases)))
    done = len(all_cases) * 8
    checks = "\n".join(_check(i, c) for i, c in enumerate(all_cases))
    return f"""(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "{messages}rounding done")
{chr(10).join(ops)}
  (func (export "setup")
{checks}
    (drop (call $log (i32.const {done}) (i32.const 13)))))
"""
