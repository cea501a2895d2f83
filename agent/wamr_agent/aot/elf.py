"""The few parts of a linked 32-bit little-endian ELF the blob packer reads:
sections, symbols, REL relocations, undefined dynamic symbols."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import AotError

_EHDR = struct.Struct("<16sHHIIIIIHHHHHH")
_SHDR = struct.Struct("<10I")
_SYM = struct.Struct("<IIIBBH")
_REL = struct.Struct("<II")
SHT_NOBITS = 8


@dataclass(frozen=True)
class Section:
    name: str
    type: int
    addr: int
    offset: int
    size: int
    link: int
    raw: bytes

    @property
    def data(self) -> bytes:
        return b"" if self.type == SHT_NOBITS else self.raw[self.offset:self.offset + self.size]


class Elf:
    def __init__(self, raw: bytes) -> None:
        if raw[:5] != b"\x7fELF\x01" or raw[5] != 1:
            raise AotError("the linker's output is not a 32-bit little-endian ELF")
        h = _EHDR.unpack_from(raw)
        shoff, shnum, shstrndx = h[6], h[12], h[13]
        heads = [_SHDR.unpack_from(raw, shoff + i * _SHDR.size) for i in range(shnum)]
        names = heads[shstrndx]
        self._raw = raw
        self.sections = [Section(self._str(names[4], s[0]), s[1], s[3], s[4], s[5], s[6], raw)
                         for s in heads]

    def _str(self, table_off: int, off: int) -> str:
        end = self._raw.index(b"\0", table_off + off)
        return self._raw[table_off + off:end].decode()

    def section(self, name: str) -> Section:
        for s in self.sections:
            if s.name == name:
                return s
        raise AotError(f"the linked blob has no {name} section")

    def _symbols(self, table: str) -> list[tuple[str, int, int]]:
        """(name, value, section index) of each symbol of table."""
        try:
            sym = self.section(table)
        except AotError:
            return []
        strtab = self.sections[sym.link]
        out = []
        for off in range(0, sym.size, _SYM.size):
            name, value, _size, _info, _other, shndx = _SYM.unpack_from(self._raw,
                                                                        sym.offset + off)
            out.append((self._str(strtab.offset, name), value, shndx))
        return out

    def symbol(self, name: str) -> int:
        """Its address (a Thumb function's without its low bit)."""
        for n, value, shndx in self._symbols(".symtab"):
            if n == name and shndx != 0:
                return value & ~1
        raise AotError(f"the linked blob has no symbol {name}")

    def undefined(self) -> set[str]:
        return {n for n, _v, shndx in self._symbols(".dynsym") if n and shndx == 0}

    def relocations(self, name: str) -> list[tuple[int, int]]:
        """(offset, type) of each entry of a REL section (none if it is absent)."""
        try:
            rel = self.section(name)
        except AotError:
            return []
        return [(off, info & 0xFF) for off, info in
                (_REL.unpack_from(self._raw, rel.offset + i) for i in range(0, rel.size, 8))]
