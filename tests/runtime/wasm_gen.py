"""Hypothesis strategies that build wasm modules for differential validation.

Function bodies are generated type-directed (an operand-stack model picks
instructions whose operands are on the stack, so many bodies are valid) with
a chance of a random instruction at every step (so many are nearly valid).
The opcode facts below are the specification's, written out independently of
the C validator they test.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from hypothesis import strategies as st

I32, I64, F32, F64 = 0x7F, 0x7E, 0x7D, 0x7C
NUM = (I32, I64, F32, F64)


def uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b | (0 if done else 0x80))
        if done:
            return bytes(out)


def vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + uleb(len(payload)) + payload


def functype(params: tuple[int, ...], results: tuple[int, ...]) -> bytes:
    return b"\x60" + vec([bytes([t]) for t in params]) + vec([bytes([t]) for t in results])


# (opcode, operands, result or None), from the spec's instruction index
SIGS: list[tuple[bytes, tuple[int, ...], int | None]] = []


def _ops(first: int, last: int, ins: tuple[int, ...], out: int) -> None:
    SIGS.extend((bytes([op]), ins, out) for op in range(first, last + 1))


for _t, _eqz, _cmp, _un, _bin in ((I32, 0x45, (0x46, 0x4F), (0x67, 0x69), (0x6A, 0x78)),
                                  (I64, 0x50, (0x51, 0x5A), (0x79, 0x7B), (0x7C, 0x8A))):
    _ops(_eqz, _eqz, (_t,), I32)
    _ops(*_cmp, (_t, _t), I32)
    _ops(*_un, (_t,), _t)
    _ops(*_bin, (_t, _t), _t)
for _t, _cmp, _un, _bin in ((F32, (0x5B, 0x60), (0x8B, 0x91), (0x92, 0x98)),
                            (F64, (0x61, 0x66), (0x99, 0x9F), (0xA0, 0xA6))):
    _ops(*_cmp, (_t, _t), I32)
    _ops(*_un, (_t,), _t)
    _ops(*_bin, (_t, _t), _t)
_CONV = [(I64, I32), (F32, I32), (F32, I32), (F64, I32), (F64, I32), (I32, I64), (I32, I64),
         (F32, I64), (F32, I64), (F64, I64), (F64, I64), (I32, F32), (I32, F32), (I64, F32),
         (I64, F32), (F64, F32), (I32, F64), (I32, F64), (I64, F64), (I64, F64), (F32, F64),
         (F32, I32), (F64, I64), (I32, F32), (I64, F64)]
SIGS.extend((bytes([0xA7 + i]), (a,), b) for i, (a, b) in enumerate(_CONV))
_ops(0xC0, 0xC1, (I32,), I32)
_ops(0xC2, 0xC4, (I64,), I64)
SIGS.extend((b"\xfc" + bytes([i]), ((F32, F32, F64, F64)[i % 4],), I32 if i < 4 else I64)
            for i in range(8))
# loads/stores: opcode, natural alignment (log2), type
MEM = [(0x28, 2, I32), (0x29, 3, I64), (0x2A, 2, F32), (0x2B, 3, F64), (0x2C, 0, I32),
       (0x2D, 0, I32), (0x2E, 1, I32), (0x2F, 1, I32), (0x30, 0, I64), (0x31, 0, I64),
       (0x32, 1, I64), (0x33, 1, I64), (0x34, 2, I64), (0x35, 2, I64), (0x36, 2, I32),
       (0x37, 3, I64), (0x38, 2, F32), (0x39, 3, F64), (0x3A, 0, I32), (0x3B, 1, I32),
       (0x3C, 0, I64), (0x3D, 1, I64), (0x3E, 2, I64)]
CONST = {I32: b"\x41\x07", I64: b"\x42\x7f", F32: b"\x43" + struct.pack("<f", 1.5),
         F64: b"\x44" + struct.pack("<d", 2.5)}
# instructions of other features and odd encodings, for the random steps
ODD = [b"\xfc\x08\x00\x00", b"\xfc\x09\x00", b"\xfc\x0a\x00\x00", b"\xfc\x0b\x00",
       b"\xfc\x0c\x00\x00", b"\xfc\x0e\x00\x00", b"\xfc\x0f\x00", b"\xfc\x10\x00",
       b"\xfc\x11\x00", b"\x1c\x01\x7f",
       b"\xd0\x70", b"\xd1", b"\xd2\x00", b"\x25\x00", b"\x26\x00", b"\xfd\x0c", b"\x12\x00",
       b"\x06\x40", b"\x11\x00\x01", b"\x11\x00\x80\x00", b"\x3f\x01", b"\x40\x00", b"\x05",
       b"\x0b", b"\x0f", b"\x00", b"\x1a", b"\x1b", b"\x0c\x05", b"\x0e\x00\x00", b"\xff"]

TYPES = [((), ()), ((I32,), (I32,)), ((I32, I32), (I32,)), ((I64,), (I64,)),
         ((F32, F64), (I32, I64)), ((), (I32,)), ((I32,), ()), ((), (F64, F64))]


@dataclass
class Ctx:
    """The module around the generated bodies."""

    funcs: list[int]  # type index per function (imports first)
    globals: list[tuple[int, bool]]  # type, mutable
    memory: bool
    table: bool
    locals: list[int] = field(default_factory=list)
    results: tuple[int, ...] = ()


@dataclass
class Frame:
    op: int
    params: tuple[int, ...]
    results: tuple[int, ...]
    height: int
    dead: bool = False


class Body:
    """A body under construction and the operand-stack model."""

    def __init__(self, draw: st.DrawFn, ctx: Ctx) -> None:
        self.draw, self.ctx = draw, ctx
        self.out = bytearray()
        self.stack: list[int] = []
        self.frames = [Frame(0, (), ctx.results, 0)]

    def top(self, n: int) -> tuple[int, ...]:
        base = self.frames[-1].height
        return tuple(self.stack[-n:]) if len(self.stack) - base >= n and n else ()

    def fits(self, ins: tuple[int, ...]) -> bool:
        return not ins or self.top(len(ins)) == ins

    def emit(self, code: bytes, ins: tuple[int, ...], outs: tuple[int, ...]) -> None:
        self.out += code
        del self.stack[len(self.stack) - len(ins):]
        self.stack += outs

    def candidates(self) -> list[tuple[bytes, tuple[int, ...], tuple[int, ...]]]:
        c = self.ctx
        out = [(code, ins, (o,) if o else ()) for code, ins, o in SIGS if self.fits(ins)]
        out += [(CONST[t], (), (t,)) for t in NUM]
        out += [(b"\x20" + uleb(i), (), (t,)) for i, t in enumerate(c.locals)]
        out += [(b"\x21" + uleb(i), (t,), ()) for i, t in enumerate(c.locals) if self.fits((t,))]
        out += [(b"\x23" + uleb(i), (), (t,)) for i, (t, _) in enumerate(c.globals)]
        out += [(b"\x24" + uleb(i), (t,), ()) for i, (t, m) in enumerate(c.globals)
                if m and self.fits((t,))]
        for f, ti in enumerate(c.funcs):
            p, r = TYPES[ti]
            if self.fits(p):
                out.append((b"\x10" + uleb(f), p, r))
        if c.memory:
            for op, align, t in MEM:
                if op <= 0x35 and self.fits((I32,)):
                    out.append((bytes([op, align, 0]), (I32,), (t,)))
                elif op > 0x35 and self.fits((I32, t)):
                    out.append((bytes([op, align, 4]), (I32, t), ()))
            out.append((b"\x3f\x00", (), (I32,)))
            if self.fits((I32, I32, I32)):
                out += [(b"\xfc\x0a\x00\x00", (I32,) * 3, ()), (b"\xfc\x0b\x00", (I32,) * 3, ())]
        if self.stack[self.frames[-1].height:]:
            out.append((b"\x1a", self.top(1), ()))
        return out

    def step(self) -> None:
        draw = self.draw
        kind = draw(st.integers(0, 19))
        if kind == 0:  # anything, type or not
            self.out += draw(st.sampled_from(ODD)) if draw(st.booleans()) else \
                bytes([draw(st.integers(0, 255))])
        elif kind <= 2 and len(self.frames) < 8:
            self.open_block(draw(st.sampled_from([0x02, 0x03, 0x04])))
        elif kind == 3 and len(self.frames) > 1:
            self.close()
        elif kind == 4:
            self.branch()
        else:
            code, ins, outs = draw(st.sampled_from(self.candidates()))
            self.emit(code, ins, outs)

    def open_block(self, op: int) -> None:
        choice = self.draw(st.integers(0, 2 + len(TYPES)))
        if choice == 0:
            bt, params, results = b"\x40", (), ()
        elif choice <= 2:
            t = self.draw(st.sampled_from(NUM))
            bt, params, results = bytes([t]), (), (t,)
        else:
            params, results = TYPES[choice - 3]
            bt = sleb(choice - 3)
        for t in params:  # make the params (may break earlier values: fine)
            self.emit(CONST[t], (), (t,))
        if op == 0x04:
            self.emit(CONST[I32], (), (I32,))
        self.emit(bytes([op]) + bt, (I32,) if op == 0x04 else (), ())
        height = len(self.stack) - len(params)
        self.frames.append(Frame(op, params, results, height))

    def settle(self, want: tuple[int, ...]) -> None:
        """Drops and pushes until the frame's values are exactly want."""
        base = self.frames[-1].height
        while len(self.stack) > base:
            self.emit(b"\x1a", (self.stack[-1],), ())
        for t in want:
            self.emit(CONST[t], (), (t,))

    def close(self) -> None:
        f = self.frames[-1]
        if f.op == 0x04 and (f.params != f.results or self.draw(st.booleans())):
            self.settle(f.results)
            self.out += b"\x05"
            self.stack[f.height:] = list(f.params)
            f.op = 0x05
        self.settle(f.results)
        self.out += b"\x0b"
        self.frames.pop()
        self.stack[f.height:] = list(f.results)

    def branch(self) -> None:
        depth = self.draw(st.integers(0, len(self.frames) - 1))
        f = self.frames[-1 - depth]
        want = f.params if f.op == 0x03 else f.results
        op = self.draw(st.sampled_from([0x0C, 0x0D, 0x0E, 0x0F]))
        if op == 0x0F:
            want = self.ctx.results
        self.settle(want)
        if op == 0x0C:
            self.out += b"\x0c" + uleb(depth)
        elif op == 0x0F:
            self.out += b"\x0f"
        elif op == 0x0D:
            self.emit(CONST[I32] + b"\x0d" + uleb(depth), (), ())
            return
        else:
            self.out += CONST[I32] + b"\x0e\x01" + uleb(depth) + uleb(depth)
        self.frames[-1].dead = True
        self.stack[self.frames[-1].height:] = []

    def finish(self) -> bytes:
        while len(self.frames) > 1:
            self.close()
        self.settle(self.ctx.results)
        return bytes(self.out) + b"\x0b"


@st.composite
def modules(draw: st.DrawFn) -> bytes:
    """A module with a few functions whose bodies are generated."""
    nfuncs = draw(st.integers(1, 3))
    funcs = [draw(st.integers(0, len(TYPES) - 1)) for _ in range(nfuncs)]
    glob = draw(st.lists(st.tuples(st.sampled_from(NUM), st.booleans()), max_size=3))
    memory, table = draw(st.booleans()), draw(st.booleans())
    bodies = []
    for ti in funcs:
        params, results = TYPES[ti]
        extra = draw(st.lists(st.sampled_from(NUM), max_size=3))
        ctx = Ctx(funcs, glob, memory, table, list(params) + extra, results)
        body = Body(draw, ctx)
        for _ in range(draw(st.integers(0, 25))):
            body.step()
        code = vec([b"\x01" + bytes([t]) for t in extra]) + body.finish()
        bodies.append(uleb(len(code)) + code)
    out = b"\0asm\x01\0\0\0" + section(1, vec([functype(*t) for t in TYPES]))
    out += section(3, vec([uleb(t) for t in funcs]))
    if table:
        out += section(4, vec([b"\x70\x00\x01"]))
    if memory:
        out += section(5, vec([b"\x00\x01"]))
    if glob:
        out += section(6, vec([bytes([t, m]) + CONST[t] + b"\x0b" for t, m in glob]))
    out += section(7, vec([b"\x01f\x00\x00"]))
    if table:
        out += section(9, vec([b"\x00\x41\x00\x0b" + vec([b"\x00"])]))
    return out + section(10, vec(bodies))


def mutate(draw: st.DrawFn, data: bytes) -> bytes:
    """data with a few bytes changed, inserted, removed or cut off."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not out:
            break
        i = draw(st.integers(8, max(8, len(out) - 1)))
        op = draw(st.integers(0, 3))
        b = draw(st.integers(0, 255))
        if op == 0 and i < len(out):
            out[i] = b
        elif op == 1:
            out.insert(i, b)
        elif op == 2 and i < len(out):
            del out[i]
        elif op == 3:
            del out[i:]
    return bytes(out)
