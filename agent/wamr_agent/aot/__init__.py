"""Ahead-of-time compilation of app modules to Cortex-M code run in place
(docs/aot.md): ``compile_module(wasm, cpu)`` gives a blob the firmware's
loader (firmware/core/runtime/wa_aot.c) runs."""

from .blob import Blob
from .compiler import CPUS, compile_module, meter
from .errors import AotError

__all__ = ["CPUS", "AotError", "Blob", "compile_module", "meter"]
