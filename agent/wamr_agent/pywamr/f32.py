"""f32 values as Python floats, bit for bit.

A Python float is an f64. Converting an f32 to it in C (or with ``struct``)
quiets a signalling NaN: 0x7fa00000 comes back as 0x7fe00000. These helpers
widen and narrow NaNs by moving their bits instead (sign, quiet bit and the
upper 22 payload bits), so an f32 NaN passed into or out of a wasm function
keeps its exact pattern. Other values convert as C does.
"""

from __future__ import annotations

import struct

_F32_EXP = 0x7F800000
_F64_EXP = 0x7FF << 52
_SHIFT = 52 - 23  # payload bits an f32 NaN lacks
_QUIET = 0x00400000


def float_from_f32_bits(bits: int) -> float:
    """The Python float holding the f32 whose IEEE bits are ``bits``."""
    bits &= 0xFFFFFFFF
    payload = bits & 0x7FFFFF
    if bits & _F32_EXP == _F32_EXP and payload:
        wide = (bits >> 31) << 63 | _F64_EXP | payload << _SHIFT
        return struct.unpack("<d", struct.pack("<Q", wide))[0]  # type: ignore[no-any-return]
    return struct.unpack("<f", struct.pack("<I", bits))[0]  # type: ignore[no-any-return]


def f32_bits_of_nan(value: float) -> int:
    """The f32 bits of a NaN float: its sign and upper payload; a payload that
    does not reach the f32's 23 bits becomes the quiet NaN."""
    wide: int = struct.unpack("<Q", struct.pack("<d", value))[0]
    payload = (wide >> _SHIFT) & 0x7FFFFF
    return (wide >> 63) << 31 | _F32_EXP | (payload or _QUIET)
