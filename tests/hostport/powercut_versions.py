"""The versions of app ``app`` the power-cut sweep deploys: signed bundles (by the
test key the simulated and emulated boards trust) whose manifest asks for a short
trial (one loop round), so that the sweep covers the bundle path (signature check,
the security counter's record) and no case waits for the default 10 rounds.

Each is a reactor padded so that its bundle has an exact size (v2's is two 4 KiB
pages: its upload crosses a page and ends on one). ``setup`` logs
"<tag> setup"; ``loop`` sums the padding and logs "<tag> loop" only while the sum is
right ("<tag> CORRUPT" otherwise), so the line proves that the module's data as it
runs are the ones uploaded. v2bad's ``loop`` traps (integer divide by zero) instead.

With a CPU (the QEMU sweep), v1aot and v2aot are such modules with AOT code for that
CPU in their bundles (docs/aot.md): the device runs them as AOT code in place from
their slot, and the padding sum then proves the blob's code and data as they run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from tests.hostport.powercut_checks import Version
from wamr_agent.aot import compile_module
from wamr_agent.ota import build_bundle, load_secret_key
from wamr_agent.ota.bundle import Health

# Bundle sizes: v2 is exactly two 4 KiB pages (its upload crosses a page and ends on
# one), v2bad crosses a page, v1 fits one.
SIZES = {"v1": 1024, "v2": 8192, "v2bad": 6000}
SEQS = {"v1": 1, "v2": 2, "v2bad": 2, "v1aot": 1, "v2aot": 2}
AOT_MODULE = 4096  # v2aot's module bytes without its AOT section
TEST_KEY = Path(__file__).resolve().parents[2] / "ota" / "vectors" / "test.key"
BOARDS = ["esp32", "mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505"]  # the rigs' boards
PAD_AT = 1024  # the padding's address in linear memory

_REACTOR = """(module
  (import "wamr_agent" "log" (func $log (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{tag} setup")
  (data (i32.const 32) "{tag} loop")
  (data (i32.const 64) "{tag} CORRUPT")
  (data (i32.const {at}) "{pad}")
  (func $intact (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const {count})))
        (local.set $sum (i32.add (local.get $sum) (i32.load8_u offset={at} (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.eq (local.get $sum) (i32.const {sum})))
  (func (export "setup") (drop (call $log (i32.const 0) (i32.const {setup}))))
  (func (export "loop") {loop}))"""
_LOOP = """(if (call $intact)
      (then (drop (call $log (i32.const 32) (i32.const {ok}))))
      (else (drop (call $log (i32.const 64) (i32.const {bad})))))"""
_TRAP = "(drop (i32.div_s (i32.const 1) (i32.load (i32.const 128))))"  # 1 / 0


@dataclass(frozen=True)
class Versions:
    v1: Version
    v2: Version
    v2bad: Version
    v1aot: Version | None = None  # with a CPU only
    v2aot: Version | None = None

    @property
    def all(self) -> tuple[Version, ...]:
        aot = (v for v in (self.v1aot, self.v2aot) if v is not None)
        return (self.v1, self.v2, self.v2bad, *aot)


def _wat(tag: str, count: int, traps: bool) -> str:
    pad = bytes((i * 31 + 7) & 0xFF for i in range(count))
    loop = _TRAP if traps else _LOOP.format(ok=len(tag) + 5, bad=len(tag) + 8)
    return _REACTOR.format(tag=tag, at=PAD_AT, pad="".join(f"\\{b:02x}" for b in pad),
                           count=count, sum=sum(pad), setup=len(tag) + 6, loop=loop)


def reactor(tag: str, size: int, traps: bool = False) -> bytes:
    """Version ``tag`` as a module of exactly ``size`` bytes."""
    count = 0
    for _ in range(8):
        wasm = bytes(wasmtime.wat2wasm(_wat(tag, count, traps)))
        if len(wasm) == size:
            return wasm
        count = max(0, count + size - len(wasm))
    raise AssertionError(f"cannot pad {tag} to {size} bytes (got {len(wasm)})")


def _sign(tag: str, module: bytes, aot: dict[str, bytes] | None = None) -> bytes:
    return build_bundle(module, name="app", version=tag, seq=SEQS[tag], boards=BOARDS,
                        caps=["log"], key=load_secret_key(TEST_KEY), health=Health(loops=1),
                        aot=aot)


def aot_bundled(tag: str, cpu: str) -> bytes:
    """Version ``tag`` (a module of AOT_MODULE bytes) as a signed bundle carrying its
    AOT code for ``cpu``."""
    module = reactor(tag, AOT_MODULE)
    return _sign(tag, module, {cpu: compile_module(module, cpu).data})


def bundled(tag: str, size: int, traps: bool = False) -> bytes:
    """Version ``tag`` as a signed bundle of exactly ``size`` bytes."""
    def sign(module: bytes) -> bytes:
        return _sign(tag, module)

    overhead = len(sign(reactor(tag, 600, traps))) - 600
    for _ in range(4):
        data = sign(reactor(tag, size - overhead, traps))
        if len(data) == size:
            return data
        overhead += len(data) - size
    raise AssertionError(f"cannot make {tag}'s bundle {size} bytes (got {len(data)})")


def build_versions(directory: Path, cpu: str | None = None) -> Versions:
    """v1, v2, v2bad; v1aot and v2aot too with ``cpu`` (an AOT CPU of the board)."""
    directory.mkdir(parents=True, exist_ok=True)

    def write(tag: str, data: bytes, traps: bool = False, aot: bool = False) -> Version:
        path = directory / f"{tag}.wab"
        path.write_bytes(data)
        return Version(tag, path, hashlib.sha256(data).hexdigest(), traps, aot)

    def build(tag: str, traps: bool = False) -> Version:
        return write(tag, bundled(tag, SIZES[tag], traps), traps)

    aot = [write(tag, aot_bundled(tag, cpu), aot=True) if cpu else None
           for tag in ("v1aot", "v2aot")]
    return Versions(build("v1"), build("v2"), build("v2bad", traps=True), *aot)
