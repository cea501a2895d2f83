"""The AOT blob (docs/aot.md): packed from the linked ELF. Mirrors
wa_aot_header_t and wa_aot_extern_t of firmware/core/runtime/wa_aot.h."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from .cgen import Facts
from .elf import Elf
from .errors import AotError

MAGIC = 0x544F4157  # "WAOT"
ABI = 2
HEADER = struct.Struct("<20I")  # 19 fields, 1 reserved
NO_GROWTH = 0  # header.mem_max_pages of a module whose memory never grows
HEADER_LEN = 80
EXTERN = struct.Struct("<3I")
assert HEADER.size == HEADER_LEN and EXTERN.size == 12
DATA_VMA = 0x40000000  # where blob.ld links the RAM part: a word >= it points into RAM
R_ARM_RELATIVE = 23
RELOC_DATA = 1


@dataclass(frozen=True)
class Blob:
    data: bytes
    code_len: int
    ram_len: int  # data image + bss (the GOT included)
    instance_bytes: int


class _Strings:
    def __init__(self) -> None:
        self.buf = bytearray()

    def add(self, s: str) -> int:
        off = len(self.buf)
        self.buf += s.encode() + b"\0"
        return off


def missing(names: Iterable[str]) -> AotError:
    """The refusal of code that calls functions no blob provides."""
    return AotError("the code needs functions the blob does not provide: "
                    + ", ".join(sorted(set(names))) + " (not supported by AOT yet)")


def _pad4(b: bytes) -> bytes:
    return b + bytes(-len(b) % 4)


def _ram(elf: Elf) -> tuple[bytearray, int, list[int]]:
    """The RAM image (GOT and data), the bss length, and the relocations."""
    got, data, bss = elf.section(".got"), elf.section(".data"), elf.section(".bss")
    if got.addr != DATA_VMA or data.addr != got.addr + got.size:
        raise AotError("unexpected link layout (.got then .data)")
    image = bytearray(got.data + data.data)
    bss_end = bss.addr + bss.size if bss.size else DATA_VMA + len(image)
    relocs = []
    for off, kind in elf.relocations(".rel.dyn"):
        at = off - DATA_VMA
        if kind != R_ARM_RELATIVE or not 0 <= at <= len(image) - 4 or at % 4:
            raise AotError(f"relocation type {kind} at 0x{off:x} cannot be applied in place "
                           "(text relocation or symbol reference)")
        (value,) = struct.unpack_from("<I", image, at)
        if value >= DATA_VMA:
            struct.pack_into("<I", image, at, value - DATA_VMA)
            relocs.append(at | RELOC_DATA)
        else:
            relocs.append(at)
    return image, bss_end - DATA_VMA - len(image), relocs


def pack(elf: Elf, facts: Facts, cpu_id: int) -> Blob:
    text = elf.section(".text")
    if text.addr != 0:
        raise AotError("unexpected link layout (.text at 0)")
    undefined = elf.undefined()
    if undefined:
        raise missing(undefined)
    code = _pad4(text.data)
    image, bss_len, relocs = _ram(elf)
    meta = elf.symbol("wa_aot_meta")
    instance_bytes, fuel_off, mem_size_off = struct.unpack_from("<3I", text.data, meta)
    strings = _Strings()
    imports = [EXTERN.pack(strings.add(f.name), strings.add(f.module or ""), strings.add(f.sig))
               for f in facts.imports]
    exports = [EXTERN.pack(strings.add(f.name), strings.add(f.sig),
                           elf.symbol(f"wa_export_{i}") | 1)
               for i, f in enumerate(facts.exports)]
    strs = _pad4(bytes(strings.buf))
    header = HEADER.pack(MAGIC, ABI, cpu_id, len(code), len(image), bss_len,
                         elf.symbol("_GLOBAL_OFFSET_TABLE_") - DATA_VMA, len(relocs),
                         len(imports), len(exports), instance_bytes, facts.memory_bytes,
                         elf.symbol("wa_aot_init") | 1, elf.symbol("wa_aot_env") - DATA_VMA,
                         len(strs), fuel_off, facts.alloc_bytes,
                         facts.mem_max_pages if facts.grows else NO_GROWTH, mem_size_off, 0)
    body = (header.ljust(HEADER_LEN, b"\0") + code + bytes(image)
            + struct.pack(f"<{len(relocs)}I", *relocs) + b"".join(imports) + b"".join(exports)
            + strs)
    return Blob(data=body, code_len=len(code), ram_len=len(image) + bss_len,
                instance_bytes=instance_bytes)
