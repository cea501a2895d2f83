"""A module's contents as the device runtime reads them (engine-neutral C
reader, the same code the firmware uses), and the Module class."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import wasmtime

from .. import wasmfile
from ._loader import ffi, lib
from .errors import error_for

KINDS = ("func", "table", "memory", "global")
PAGE = 65536


@dataclass(frozen=True)
class Extern:
    """One import or export. ``sig`` is wasm3 notation, e.g. ``i(iI)``."""

    kind: str
    name: str
    module: str | None = None
    sig: str = ""


@dataclass(frozen=True)
class ModuleInfo:
    """What a module declares and needs."""

    size: int
    imports: list[Extern] = field(default_factory=list)
    exports: list[Extern] = field(default_factory=list)
    functions: int = 0
    loops: int = 0
    code_bytes: int = 0
    has_memory: bool = False
    memory_imported: bool = False
    initial_pages: int = 0
    max_pages: int | None = None
    data_end: int = 0
    stack_top: int = 0
    heap_base: int = 0
    linear_memory: int = 0  # bytes the device gives it: shrunk, or its initial pages
    shrink: int = 0  # enum wa_shrink: WA_SHRINK_DONE, or why it is not shrunk

    @property
    def shrunk(self) -> bool:
        return self.shrink == lib.WA_SHRINK_DONE and self.linear_memory < self.initial_pages * PAGE

    @property
    def shrink_note(self) -> str:
        """Why the linear memory is (not) shrunk, in words (wa_runtime.h's rule)."""
        if self.shrink == lib.WA_SHRINK_DONE:
            return "shrunk to __heap_base" if self.shrunk else "its data fills its pages"
        return _NOT_SHRUNK.get(self.shrink, "?")

    @property
    def static_memory_bytes(self) -> int:
        """Linear memory the data segments and the stack need (bytes)."""
        return max(self.data_end, self.stack_top)


_NOT_SHRUNK = {
    lib.WA_SHRINK_NO_MEMORY: "no linear memory",
    lib.WA_SHRINK_IMPORTED: "the memory is imported",
    lib.WA_SHRINK_MEMORY_OPS: "not shrunk: the code uses memory.size or memory.grow",
    lib.WA_SHRINK_NO_HEAP_BASE: "not shrunk: no exported __heap_base (link with "
                                "-Wl,--export=__heap_base)",
    lib.WA_SHRINK_DATA_OFFSET: "not shrunk: a data segment at a non-constant offset",
}

_collectors: dict[int, list[Extern]] = {}
_keys = itertools.count(1)


@ffi.def_extern()  # type: ignore[untyped-decorator]
def py_on_extern(ctx: Any, ext: Any) -> int:
    out = _collectors[int(ffi.cast("uintptr_t", ctx))]
    module = ffi.string(ext.module, ext.module_len).decode("utf-8", "replace") if ext.module \
        else None
    out.append(Extern(kind=KINDS[ext.kind] if ext.kind < len(KINDS) else "?",
                      name=bytes(ffi.buffer(ext.name, ext.name_len)).decode("utf-8", "replace"),
                      module=module, sig=ffi.string(ext.sig).decode()))
    return 0


def _externs(walk: Any, data: bytes) -> list[Extern]:
    key = next(_keys)
    _collectors[key] = []
    msg = ffi.new("char[200]")
    try:
        rc = walk(data, len(data), lib.py_on_extern, ffi.cast("void *", key), msg, 200)
        if rc != 0:
            raise error_for(rc, "malformed module: " + ffi.string(msg).decode())
        return _collectors[key]
    finally:
        del _collectors[key]


SIG_LONG = "~"  # WA_WASM_SIG_LONG: the C reader's buffer holds no such signature
_SIG_CHARS = {"i32": "i", "i64": "I", "f32": "f", "f64": "F", "funcref": "r", "externref": "r"}


def _wasm3_sig(functype: Any) -> str:
    """wasm3 notation of a wasmtime FuncType: results then params."""
    params = "".join(_SIG_CHARS.get(str(t), "?") for t in functype.params)
    results = "".join(_SIG_CHARS.get(str(t), "?") for t in functype.results)
    ret = "v" if not results else results if len(results) == 1 else f"[{results}]"
    return f"{ret}({params})"


def _long_sigs(data: bytes, externs: list[Extern]) -> list[Extern]:
    """externs, those whose signature the C reader could not hold written out
    from the module's types (wasmtime reads them)."""
    if all(e.sig != SIG_LONG for e in externs):
        return externs
    module = wasmtime.Module(wasmfile.engine(), data)
    types: dict[tuple[str | None, str], Any] = {(None, e.name): e.type for e in module.exports}
    types.update({(i.module, i.name or ""): i.type for i in module.imports})
    return [replace(e, sig=_wasm3_sig(types[e.module, e.name])) if e.sig == SIG_LONG else e
            for e in externs]


def device_verdict(data: bytes) -> tuple[int, str]:
    """The device's own validator on data (``wa_wasm_validate``): (0, "") when it
    accepts, else the agent_err code (MALFORMED: invalid; NOT_SUPPORTED: a feature
    or a device limit, named in the message) and the message."""
    msg = ffi.new("char[200]")
    rc = int(lib.wa_wasm_validate(data, len(data), msg, 200))
    return rc, ffi.string(msg).decode("utf-8", "replace") if rc else ""


def read_info(data: bytes) -> ModuleInfo:
    """Reads a module's sections; raises InputError if it is malformed, FitError
    if it uses a feature the runtime does not support."""
    summary = ffi.new("wa_wasm_summary_t *")
    msg = ffi.new("char[200]")
    rc = lib.wa_wasm_summarize(data, len(data), summary, msg, 200)
    if rc != 0:
        what = "unsupported" if rc == lib.WA_ERR_NOT_SUPPORTED else "malformed"
        raise error_for(rc, f"{what} module: " + ffi.string(msg).decode())
    s = summary
    why = ffi.new("int *")
    linear = int(lib.wa_linear_memory(summary, why))
    return ModuleInfo(
        size=len(data), imports=_long_sigs(data, _externs(lib.wa_wasm_for_each_import, data)),
        exports=_long_sigs(data, _externs(lib.wa_wasm_for_each_export, data)),
        functions=s.num_funcs,
        loops=s.num_loops, code_bytes=s.code_bytes, has_memory=bool(s.has_memory),
        memory_imported=bool(s.memory_imported), initial_pages=s.mem_initial_pages,
        max_pages=None if s.mem_max_pages == 0xFFFFFFFF else s.mem_max_pages,
        data_end=s.data_end, stack_top=s.stack_top, heap_base=s.heap_base,
        linear_memory=linear, shrink=why[0])


class Module:
    """A validated module: bytes plus what it declares. Not yet running."""

    def __init__(self, data: bytes, *, name: str = "module", validate: bool = True) -> None:
        if validate:
            wasmfile.validate(data, name)
        else:
            wasmfile.check_header(data, name)
        self.name = name
        self.data = bytes(data)
        self.info = read_info(self.data)
        self._functions = {e.name: e for e in self.info.exports if e.kind == "func"}

    @classmethod
    def from_file(cls, path: str | Path, *, validate: bool = True) -> Module:
        return cls(wasmfile.read_wasm_file(path), name=str(path), validate=validate)

    def export(self, name: str) -> Extern | None:
        """The exported function called name, or None."""
        return self._functions.get(name)

    def __repr__(self) -> str:
        return f"Module({self.name!r}, {self.info.size} bytes)"
