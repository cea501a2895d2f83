"""Rust, Zig and AssemblyScript bindings of the native API (used by gen_native_api.py).

Each binding has the raw imports of module "wamr_agent" (the C header's
prototypes), the return codes as a module sees them (negated agent_err values),
and safe wrappers derived from the C prototypes by three rules:

- ``const char *s, int32_t n`` is one string argument (pointer and byte length);
- ``const uint8_t *b, int32_t n`` is one byte-slice argument, ``uint8_t *b,
  int32_t n`` one mutable byte slice (the call fills it);
- a non-const pointer to a scalar (``float *value``) is the wrapper's result;
- an ``int32_t`` result is a status (0 or a negated code), or for the imports in
  ``COUNTS`` a byte count (``msg_read``, ``kv_get``, ``config_get``: a length >= 0)
  or a negated code; any other result is the value itself (``int64_t time_ms``).

A prototype these rules cannot map is an error in `make gen`, so a new native
gets wrappers in every language or none. Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SCALARS: dict[str, dict[str, str]] = {  # C type -> Rust, Zig, AssemblyScript type
    "int32_t": {"rust": "i32", "zig": "i32", "as": "i32"},
    "uint32_t": {"rust": "u32", "zig": "u32", "as": "u32"},
    "int64_t": {"rust": "i64", "zig": "i64", "as": "i64"},
    "uint64_t": {"rust": "u64", "zig": "u64", "as": "u64"},
    "float": {"rust": "f32", "zig": "f32", "as": "f32"},
    "double": {"rust": "f64", "zig": "f64", "as": "f64"},
}
# int32_t results that are a byte count >= 0 or a negated code
COUNTS = frozenset({"msg_read", "kv_get", "config_get"})
_DECL = re.compile(r"^(const\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\*?)\s*([A-Za-z_][A-Za-z0-9_]*)$")


class BindingError(ValueError):
    """A prototype the binding rules cannot map."""


@dataclass(frozen=True)
class Param:
    kind: str  # "str" (pointer + length), "bytes"/"buf" (byte slice, read/filled),
    # "out" (the result), "scalar"
    name: str
    ctype: str  # the scalar's or pointee's C type ("char" for str)


@dataclass(frozen=True)
class Api:
    """One import of module "wamr_agent", as the wrappers see it."""

    name: str  # the import name (snake_case)
    capability: str
    doc: str
    raw: list[tuple[str, str, str]]  # (name, C type, "*"/"const*"/"") per C parameter
    params: list[Param]
    ret: str  # C return type
    status: bool  # the result is a status code
    count: bool = False  # ... or, when not negative, a byte count (COUNTS)

    @property
    def out(self) -> Param | None:
        return next((p for p in self.params if p.kind == "out"), None)

    @property
    def args(self) -> list[Param]:
        return [p for p in self.params if p.kind != "out"]


def _raw_params(c_params: str, where: str) -> list[tuple[str, str, str]]:
    if c_params.strip() == "void":
        return []
    raw = []
    for decl in (d.strip() for d in c_params.split(",")):
        m = _DECL.match(decl)
        if m is None:
            raise BindingError(f"{where}: cannot read parameter {decl!r}")
        pointer = ("const*" if m[1] else "*") if m[3] else ""
        raw.append((m[4], m[2], pointer))
    return raw


def api_of(native: Any) -> Api:
    """The wrapper model of one WA_NATIVE entry of module "wamr_agent"."""
    where = f"{native.module}.{native.name}"
    raw = _raw_params(native.c_params, where)
    params: list[Param] = []
    i = 0
    while i < len(raw):
        name, ctype, pointer = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if pointer == "const*" and ctype == "char" and nxt and nxt[1:] == ("int32_t", ""):
            params.append(Param("str", name, "char"))
            i += 2
            continue
        if pointer and ctype == "uint8_t" and nxt and nxt[1:] == ("int32_t", ""):
            params.append(Param("bytes" if pointer == "const*" else "buf", name, "uint8_t"))
            i += 2
            continue
        if pointer == "*" and ctype in SCALARS and not any(p.kind == "out" for p in params):
            params.append(Param("out", name, ctype))
        elif pointer == "" and ctype in SCALARS:
            params.append(Param("scalar", name, ctype))
        else:
            raise BindingError(f"{where}: no binding rule for parameter {name!r}")
        i += 1
    if native.c_ret not in SCALARS:
        raise BindingError(f"{where}: no binding rule for result type {native.c_ret!r}")
    status = native.c_ret == "int32_t"
    if not status and any(p.kind == "out" for p in params):
        raise BindingError(f"{where}: an out parameter needs an int32_t status result")
    count = native.name in COUNTS
    if count and (not status or any(p.kind == "out" for p in params)):
        raise BindingError(f"{where}: a count result is an int32_t without an out parameter")
    return Api(native.name, native.capability, native.doc, raw, params, native.c_ret, status,
               count)


def call_args(api: Api, ptr: str, length: str, out: str,
              slices: tuple[str, str, str] = ("", "", "")) -> list[str]:
    """The raw import's arguments in a wrapper: a string's pointer and length, a byte
    slice's pointer (read-only, filled) and length (``slices``) and the result's
    address as the language spells them ("{name}" is the parameter)."""
    args: list[str] = []
    for p in api.params:
        if p.kind == "str":
            args += [ptr.format(name=p.name), length.format(name=p.name)]
        elif p.kind in ("bytes", "buf"):
            pointer = slices[0] if p.kind == "bytes" else slices[1]
            args += [pointer.format(name=p.name), slices[2].format(name=p.name)]
        else:
            args.append(out.format(name=p.name) if p.kind == "out" else p.name)
    return args


def camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(word.capitalize() for word in rest)


def pascal(name: str) -> str:
    return "".join(word.capitalize() for word in name.lower().split("_"))


def short(err_name: str) -> str:
    """WA_ERR_NOT_FOUND -> NOT_FOUND."""
    return err_name.removeprefix("WA_ERR_").removeprefix("WA_")


def doc_lines(prefix: str, text: str, width: int = 92) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width - len(prefix):
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return [f"{prefix}{item}".rstrip() for item in lines]
