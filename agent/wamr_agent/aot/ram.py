"""What a device runs and allocates for a module's AOT code (docs/aot.md), for the
host's RAM estimate (``device_fit``): the blob its firmware picks
(wa_aot.c ``wa_aot_find``) and the RAM its loader takes from the app's heap
(``wa_aot_ram_bytes``, and ``load_aot`` in wa_runtime.c, which steps a memory
that grows down to the pages the heap has)."""

from __future__ import annotations

from dataclasses import dataclass

from ..boards import WASM_PAGE_BYTES
from .blob import ABI, HEADER, HEADER_LEN, MAGIC
from .compiler import CPUS
from .section import ALIGN, aot_sections

STATE_BYTES = 144  # wa_aot.h WA_AOT_STATE_BYTES: the loader's state (wa_aot_t), 8-rounded


def _up8(n: int) -> int:
    return (n + 7) & ~7


@dataclass(frozen=True)
class AotRam:
    """A blob's RAM as the loader lays it out: ``fixed`` (state, data image and
    bss, import table, instance, and the tables the instantiating entry
    allocates), then the linear memory: ``mem_bytes`` at load, and for a memory
    that grows (``max_pages`` > 0) up to that many pages."""

    fixed: int
    mem_bytes: int
    max_pages: int

    @classmethod
    def of(cls, blob: bytes) -> AotRam:
        h = HEADER.unpack_from(blob)
        data, bss, nimports, instance, mem_bytes, alloc, max_pages = (
            h[4], h[5], h[8], h[10], h[11], h[16], h[17])
        fixed = (STATE_BYTES + _up8(data + bss) + _up8(4 * nimports + 4) + _up8(instance)
                 + alloc)
        return cls(fixed, mem_bytes, max_pages)

    def memory(self, mem_limit: int) -> int:
        """The linear memory reserved with ``mem_limit`` bytes for it (wa_aot.c
        ``mem_capacity``): its size at load, or the pages a memory that grows may have."""
        pages = min(mem_limit // WASM_PAGE_BYTES, self.max_pages)
        return _up8(max(pages * WASM_PAGE_BYTES, self.mem_bytes))

    @property
    def grows(self) -> bool:
        return self.max_pages > 0


def runnable_blob(module: bytes, cpu: str, at: int) -> bytes | None:
    """The blob a firmware for ``cpu`` (a board profile's) runs from ``module``, which
    lies at file offset ``at`` of a signed bundle: the first section named for the CPU
    whose blob is aligned and whose header has this ABI and the CPU's code; None (the
    device interprets it) when none, or when no firmware of that CPU runs AOT code."""
    if cpu not in CPUS:
        return None
    for section in aot_sections(module):
        blob = section.blob
        if section.cpu != cpu or (at + section.offset) % ALIGN or len(blob) < HEADER_LEN:
            continue
        magic, abi, code = HEADER.unpack_from(blob)[:3]
        if (magic, abi, code) == (MAGIC, ABI, CPUS[cpu][1]):
            return blob
    return None
