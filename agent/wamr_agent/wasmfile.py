"""Reading a .wasm file and validating it, with one-line errors.

wasm3 does not validate modules. Every module is checked by the device's own
validator (the runtime's C code through pywamr: the same feature set and limits
the device enforces at install and load) and by Wasmtime's validator (defence
in depth); both must accept it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import wasmtime

from .agent_err import AgentErr
from .errors import InputError, ValidationError

MAGIC = b"\0asm"
VERSION_1 = b"\x01\0\0\0"
HEADER_LEN = 8  # MAGIC and VERSION_1


def read_leb(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 at pos: (value, the position after it)."""
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos


def sections(module: bytes) -> list[tuple[int, int, int, int, str | None]]:
    """(id, start, payload start, end, custom name) of each section, in file order;
    the payload of a custom section starts after its name. A section running past
    the end is an InputError."""
    out, pos = [], HEADER_LEN
    while pos < len(module):
        try:
            size, body = read_leb(module, pos + 1)
            name = None
            if module[pos] == 0:
                name_len, name_at = read_leb(module, body)
                name = module[name_at : name_at + name_len].decode("utf-8", "replace")
                payload = name_at + name_len
            else:
                payload = body
        except IndexError:
            raise InputError("module: truncated section header") from None
        if body + size > len(module) or payload > body + size:
            raise InputError(f"module: section at offset {pos} runs past the end")
        out.append((module[pos], pos, payload, body + size, name))
        pos = body + size
    return out


def drop_custom(module: bytes, prefix: str) -> bytes:
    """The module without its custom sections whose name starts with prefix."""
    return module[:HEADER_LEN] + b"".join(
        module[start:end] for _, start, _, end, name in sections(module)
        if name is None or not name.startswith(prefix))


def read_wasm_file(path: str | Path) -> bytes:
    """The file's bytes, after checking it exists and looks like wasm."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a .wasm file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror}") from exc
    check_header(data, str(p))
    return data


def check_header(data: bytes, name: str = "module") -> None:
    if len(data) == 0:
        raise InputError(f"{name}: empty file, not a WebAssembly module")
    if not data.startswith(MAGIC[: len(data)]) or len(data) < 4 or data[:4] != MAGIC:
        raise InputError(f"{name}: not a WebAssembly module (starts with {data[:4]!r}, "
                         "expected b'\\x00asm')")
    if len(data) < 8:
        raise InputError(f"{name}: truncated WebAssembly module ({len(data)} bytes)")
    if data[4:8] != VERSION_1:
        raise InputError(f"{name}: unsupported WebAssembly version {data[4:8].hex()}")


@lru_cache(maxsize=1)
def engine() -> wasmtime.Engine:
    """An engine whose features match what the device runtime supports."""
    config = wasmtime.Config()
    config.wasm_simd = False
    config.wasm_relaxed_simd = False
    config.wasm_threads = False
    config.wasm_multi_memory = False
    config.wasm_memory64 = False
    config.wasm_tail_call = False
    config.wasm_gc = False
    config.wasm_function_references = False
    config.wasm_exceptions = False
    return wasmtime.Engine(config)


def validate(data: bytes, name: str = "module") -> None:
    """Raises ValidationError with the validator's message if data is invalid, or
    uses a feature or needs more than a limit the device does not have."""
    from .pywamr.module import device_verdict  # pywamr imports this module

    check_header(data, name)
    rc, message = device_verdict(data)
    if rc == AgentErr.NOT_SUPPORTED:
        raise ValidationError(f"{name}: {message}", AgentErr.NOT_SUPPORTED)
    try:
        wasmtime.Module.validate(engine(), data)
    except wasmtime.WasmtimeError as exc:
        raise ValidationError(f"{name}: invalid WebAssembly: {_one_line(str(exc))}") from exc
    if rc != 0:
        raise ValidationError(f"{name}: the device's validator refuses it: {message}")


def _one_line(message: str) -> str:
    """The validator's innermost cause, on one line."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    causes = [ln.split(":", 1)[1].strip() for ln in lines if ln[:1].isdigit() and ":" in ln]
    return causes[-1] if causes else (lines[-1] if lines else "rejected by the validator")
