"""wasm -> metering rewrite -> wasm2c -> our transformations -> arm-none-eabi-gcc
-> a blob (docs/aot.md). wasm-rt.h comes from the installed wabt at build time."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from importlib import resources
from pathlib import Path

from . import blob, cgen
from .elf import Elf
from .errors import AotError

WASM_RT_H = Path("/usr/include/wasm-rt.h")
_UNDEFINED = re.compile(r"undefined reference to `(\w+)'")
# -mcpu flags and the blob header's CPU id of each core (boards/*.toml `cpu`).
CPUS = {
    "cortex-m3": (["-mcpu=cortex-m3", "-mfloat-abi=soft"], 3),
    "cortex-m4": (["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"], 4 | 0x100),
    "cortex-m7": (["-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"], 7 | 0x100),
    "cortex-m33": (["-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"], 33 | 0x100),
}
CFLAGS = ["-mthumb", "-Os", "-fpic", "-msingle-pic-base", "-mpic-register=r9",
          "-mno-pic-data-is-text-relative", "-fno-common", "-fno-math-errno",
          "-fno-tree-loop-distribute-patterns", "-fno-optimize-sibling-calls",
          "-ffunction-sections", "-fdata-sections",
          "-DNDEBUG", "-DWASM_RT_USE_STACK_DEPTH_COUNT=0", "-w"]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AotError(f"{name} is not installed (apt: wabt, gcc-arm-none-eabi)")
    return path


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AotError(f"{Path(args[0]).name} exited {done.returncode} (an internal error of "
                       "the AOT compiler: its output above)", output=done.stderr[-2000:].rstrip())


def meter(wasm: bytes) -> bytes:
    """The module after the device's CPU-metering rewrite (the same C code)."""
    from ..pywamr._loader import ffi, lib  # the built runtime; imported on use

    size, out_len, tick = ffi.new("uint32_t *"), ffi.new("uint32_t *"), ffi.new("uint32_t *")
    msg = ffi.new("char[200]")
    rc = lib.wa_wasm_meter_size(wasm, len(wasm), size, msg, 200)
    out = ffi.new("uint8_t[]", max(1, size[0]))
    if rc == 0:
        rc = lib.wa_wasm_meter(wasm, len(wasm), out, size[0], out_len, tick, msg, 200)
    if rc != 0:
        raise AotError("cannot meter the module: " + ffi.string(msg).decode())
    return bytes(ffi.buffer(out, out_len[0]))


def _sources(work: Path, wasm: bytes) -> cgen.Facts:
    """wasm's C (the metered module's) and the facts; the linear memory is the
    interpreter's: shrunk to __heap_base by the device's own rule
    (wa_linear_memory, through pywamr) when the module allows it."""
    metered = meter(wasm)
    (work / "m.wasm").write_bytes(metered)
    _run([_tool("wasm2c"), "m.wasm", "-n", "m", "-o", "m.c"], work)
    header, source = (work / "m.h").read_text(), (work / "m.c").read_text()
    from ..pywamr.module import read_info

    order = [(e.module or "", e.name) for e in read_info(metered).imports if e.kind == "func"]
    facts = replace(cgen.read_facts(header, source, order),
                    mem_bytes=read_info(wasm).linear_memory)
    (work / "m.c").write_text(cgen.transform(source, facts) + "\n" + cgen.glue(facts))
    if not WASM_RT_H.exists():
        raise AotError(f"{WASM_RT_H} is missing (apt: wabt)")
    shutil.copy(WASM_RT_H, work / "wasm-rt.h")
    for item in resources.files(__package__).joinpath("c").iterdir():
        (work / item.name).write_bytes(item.read_bytes())
    return facts


def compile_module(wasm: bytes, cpu: str) -> blob.Blob:
    """The blob of wasm (an app's module, not yet metered) for cpu (a board
    profile's `cpu`); raises AotError when the module or the core is not
    supported (the interpreter still runs the module)."""
    if cpu not in CPUS:
        raise AotError(f"no AOT code generation for {cpu}")
    flags, cpu_id = CPUS[cpu]
    cc = _tool("arm-none-eabi-gcc")
    with tempfile.TemporaryDirectory(prefix="wamr-aot-") as tmp:
        work = Path(tmp)
        facts = _sources(work, wasm)
        common = [cc, *flags, *CFLAGS, "-I."]
        _run([*common, "-c", "m.c", "-o", "m.o"], work)
        _run([*common, "-c", "wa_aot_rt.c", "-o", "rt.o"], work)
        _run([*common, "-c", "wa_aot_math.c", "-o", "math.o"], work)
        try:
            _run([*common, "-nostdlib", "-nostartfiles", "-pie", "-Wl,-T,blob.ld",
                  "-Wl,--gc-sections", "-Wl,-e,wa_aot_init", "-Wl,--no-undefined", "-o",
                  "m.elf", "m.o", "rt.o", "math.o", "-lgcc"], work)
        except AotError as e:
            undefined = _UNDEFINED.findall(e.output)
            if undefined:  # e.g. sqrt where the FPU has no square root of that width
                raise blob.missing(undefined) from None
            raise
        return blob.pack(Elf((work / "m.elf").read_bytes()), facts, cpu_id)
