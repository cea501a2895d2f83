"""AOT code carried inside the module: one wasm custom section per CPU.

A section is named ``wamr-aot/<cpu>`` (the CPU as the board profiles name it,
e.g. ``cortex-m4f``). Every wasm engine ignores custom sections, so a module
with AOT sections still runs interpreted on a device without AOT support or of
another CPU; inside a signed bundle the manifest's module hash covers the code,
so the code is as trusted as the bundle.

The section's payload is a pad count (one byte, 0..ALIGN-1), that many zero
bytes, then the compiled blob. The pad puts the blob on an ALIGN-byte
boundary of the file the module is stored in (a bundle: its module starts
after the header, manifest and signature), so the device runs the code in
place in its page-aligned slot.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..wasmfile import drop_custom, sections

PREFIX = "wamr-aot/"
ALIGN = 8


@dataclass(frozen=True)
class AotSection:
    cpu: str
    offset: int  # of the blob, in the module
    blob: bytes


def _leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def aot_sections(module: bytes) -> list[AotSection]:
    """The module's AOT sections, in file order."""
    found = []
    for _, _, payload, end, name in sections(module):
        if name is None or not name.startswith(PREFIX):
            continue
        if payload >= end or module[payload] >= ALIGN or payload + 1 + module[payload] > end:
            raise InputError(f"module: AOT section {name} has a bad pad")
        start = payload + 1 + module[payload]
        found.append(AotSection(name[len(PREFIX):], start, module[start:end]))
    return found


def strip_aot(module: bytes) -> bytes:
    """The module without its AOT sections."""
    return drop_custom(module, PREFIX)


def _section(cpu: str, blob: bytes, at: int) -> bytes:
    """The custom section for blob, appended at file offset ``at``, its blob aligned."""
    name = (PREFIX + cpu).encode()
    for pad in range(ALIGN):
        size = len(_leb(len(name))) + len(name) + 1 + pad + len(blob)
        head = b"\0" + _leb(size) + _leb(len(name)) + name + bytes([pad]) + bytes(pad)
        if (at + len(head)) % ALIGN == 0:
            return head + blob
    raise AssertionError("unreachable: some pad aligns")


def attach_aot(module: bytes, blobs: dict[str, bytes], base: int = 0) -> bytes:
    """module with its AOT sections replaced by one per CPU in blobs, each blob
    ALIGN-aligned when the module starts at offset ``base`` of its file."""
    out = strip_aot(module)
    for cpu in sorted(blobs):
        out += _section(cpu, blobs[cpu], base + len(out))
    return out
