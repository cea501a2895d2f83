"""The AOT compiler (agent/wamr_agent/aot, docs/aot.md): blobs for the kernels
and the fixtures, their header and tables as wa_aot.c reads them, the
loads and stores all rewritten to the 32-bit checked helpers, and the
modules it refuses (with the reason). The device side is
tests/qemu/test_aot_diff.py."""

from __future__ import annotations

import re
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import wasmtime

from tests.conftest import BUILD, need, need_aot_tools
from tests.runtime.conformance_cases import cases, module_wat
from wamr_agent.aot import AotError, cgen, compile_module, meter
from wamr_agent.aot.blob import EXTERN, HEADER, HEADER_LEN, MAGIC
from wamr_agent.aot.compiler import CPUS
from wamr_agent.pywamr.module import read_info

Wat = Callable[[str], bytes]
FIELDS = ["magic", "abi", "cpu", "code_len", "data_len", "bss_len", "got_off", "nrelocs",
          "nimports", "nexports", "instance_bytes", "mem_bytes", "init_off", "env_off",
          "strings_len", "fuel_off", "alloc_bytes", "mem_max_pages", "mem_size_off", "reserved"]


@pytest.fixture(autouse=True)
def tools() -> None:
    need_aot_tools()


def kernels_wasm() -> bytes:
    path = BUILD / "bench" / "kernels.wasm"
    need(path.exists(), str(path), "build it with `make examples`")
    return path.read_bytes()


def header(blob: bytes) -> dict[str, int]:
    return dict(zip(FIELDS, HEADER.unpack_from(blob), strict=True))


def tables(blob: bytes) -> tuple[list[tuple[str, ...]], list[tuple[str, str, int]], list[int]]:
    """(imports as (name, module, sig), exports as (name, sig, entry), relocations)."""
    h = header(blob)
    rel_at = HEADER_LEN + h["code_len"] + h["data_len"]
    relocs = list(struct.unpack_from(f"<{h['nrelocs']}I", blob, rel_at))
    at = rel_at + 4 * h["nrelocs"]
    rows = [EXTERN.unpack_from(blob, at + 12 * i) for i in range(h["nimports"] + h["nexports"])]
    strings = blob[at + 12 * len(rows):]

    def s(off: int) -> str:
        return strings[off:strings.index(b"\0", off)].decode()

    imports = [(s(a), s(b), s(c)) for a, b, c in rows[:h["nimports"]]]
    exports = [(s(a), s(b), c) for a, b, c in rows[h["nimports"]:]]
    return imports, exports, relocs


def test_kernels_blob_header_tables_and_size() -> None:
    wasm = kernels_wasm()
    blob = compile_module(wasm, "cortex-m4").data
    h = header(blob)
    assert (h["magic"], h["abi"], h["cpu"]) == (MAGIC, 2, 0x104)
    # shrunk to __heap_base by the interpreter's rule (it exports it, grows nothing)
    assert h["mem_bytes"] == read_info(wasm).linear_memory < 65536
    assert h["mem_max_pages"] == 0
    assert h["alloc_bytes"] == 16  # its table of one funcref (12 bytes, 8-aligned)
    assert len(blob) == (HEADER_LEN + h["code_len"] + h["data_len"] + 4 * h["nrelocs"]
                         + 12 * (h["nimports"] + h["nexports"]) + h["strings_len"])
    imports, exports, relocs = tables(blob)
    assert imports == []
    assert [(n, sig) for n, sig, _ in exports] == [
        ("bench_crc32", "i(i)"), ("bench_matmul", "i(i)"), ("bench_filter", "i(i)"),
        ("bench_noop", "i(i)")]
    assert all(entry & 1 and entry < h["code_len"] for _, _, entry in exports)  # Thumb, in code
    assert h["init_off"] & 1 and h["init_off"] < h["code_len"]
    assert relocs and all((r & ~3) + 4 <= h["data_len"] for r in relocs)
    assert h["env_off"] + 4 <= h["data_len"] + h["bss_len"]
    assert 8 <= h["fuel_off"] < h["instance_bytes"]
    assert h["code_len"] <= 1.3 * len(wasm)  # the issue's size target


def test_imports_become_a_table_with_the_runtime_signatures(wat: Wat) -> None:
    imports, exports, _ = tables(compile_module(wat("imports_sensor"), "cortex-m4").data)
    assert imports == [("sensor_read", "wamr_agent", "i(ii)"), ("log", "wamr_agent", "i(ii)")]
    assert [(n, sig) for n, sig, _ in exports] == [("run", "i()"), ("value", "f()")]


def test_soft_float_cortex_m3_has_its_own_cpu_id(wat: Wat) -> None:
    assert header(compile_module(wat("trap_div_zero"), "cortex-m3").data)["cpu"] == 3


def wasm2c(tmp_path: Path, wasm: bytes) -> tuple[str, cgen.Facts, str]:
    """wasm2c's C of the metered module, its facts and our transformed C."""
    (tmp_path / "m.wasm").write_bytes(meter(wasm))
    subprocess.run(["wasm2c", "m.wasm", "-n", "m", "-o", "m.c"], cwd=tmp_path, check=True)
    source = (tmp_path / "m.c").read_text()
    facts = cgen.read_facts((tmp_path / "m.h").read_text(), source)
    return source, facts, cgen.transform(source, facts)


def test_every_memory_access_goes_through_the_checked_helpers(tmp_path: Path) -> None:
    source, facts, out = wasm2c(tmp_path, kernels_wasm())
    body = out.split(cgen.ANCHOR, 1)[1]
    assert "(&instance->w2c_memory, (u64)" in source
    assert "(&instance->w2c_memory, (u64)" not in body
    assert "wa_i32_load(wa_mb, " in body and "wa_i32_store(wa_mb, " in body
    assert "#define WA_MEM_BYTES 65536u" in out and f"#define WA_FUEL {facts.fuel}" in out


def test_the_tick_function_is_inlined_with_its_tick(tmp_path: Path) -> None:
    source, facts, out = wasm2c(tmp_path, kernels_wasm())
    tick = re.search(r"static u32 (w2c_\w+)\(\w+\* instance\) \{\n  FUNC_PROLOGUE;\n  u32 w2c_i0;\n"
                     rf"  w2c_i0 = instance->{facts.fuel};", source)
    assert tick, "wasm2c's tick function"
    assert (f"static inline __attribute__((always_inline)) u32 {tick[1]}(Z_m_instance_t* instance) "
            "{\n  return wa_tick(instance);\n}") in out
    assert f"{tick[1]}(instance)" in out.split(cgen.ANCHOR, 1)[1]  # still called: its tick counts


def test_call_indirect_through_a_fixed_table_becomes_direct_calls(tmp_path: Path,
                                                                   wat: Wat) -> None:
    source, _, out = wasm2c(tmp_path, wat("aot_indirect"))
    assert source.count("CALL_INDIRECT(instance->") == 2
    # slots 0 and 1 have the call's signature ($unop2 is $unop again): direct
    # calls; slot 2 (another type), 3 (null) and past the end take the checked
    # CALL_INDIRECT, which traps as the interpreter does
    arms = out.split("switch (w2c_i1) { case 0u: wa_r = w2c_double(instance, w2c_i0); break; "
                     "case 1u: wa_r = w2c_inc(instance, w2c_i0); break; default: wa_r = "
                     "CALL_INDIRECT(instance->")
    assert len(arms) == 3 and all(a.split(")", 1)[0].startswith("w2c_") for a in arms[1:])


@pytest.mark.parametrize("change", [
    "(func (export \"put\") (param i32) local.get 0 ref.func $double table.set)",
    "(export \"table\" (table 0))",
])
def test_a_table_the_module_can_change_keeps_call_indirect(tmp_path: Path, change: str) -> None:
    text = (Path(__file__).parents[1] / "fixtures" / "wat" / "aot_indirect.wat").read_text()
    text = text.rstrip()[:-1] + change + ")"
    _, _, out = wasm2c(tmp_path, bytes(wasmtime.wat2wasm(text)))
    assert out.count("CALL_INDIRECT(instance->") == 2
    assert "switch (w2c_i1)" not in out


def test_small_functions_that_call_none_are_inlined(tmp_path: Path, wat: Wat) -> None:
    _, _, out = wasm2c(tmp_path, wat("aot_indirect"))
    inline = "static inline __attribute__((always_inline)) u32 "
    assert f"{inline}w2c_double(Z_m_instance_t* instance, u32 w2c_p0) {{\n  FUNC_PROLOGUE;" in out
    assert f"{inline}w2c_add(" in out
    assert f"{inline}w2c_pick(" not in out and "static u32 w2c_pick(" in out  # it calls


@pytest.mark.parametrize("cpu", list(CPUS))
def test_f32_and_f64_rounding_compiles_for_every_core(cpu: str) -> None:
    """floor, ceil, trunc and nearest of both widths: the blob's own functions
    (wa_aot_math.c) where the FPU has no instruction for them; the results on
    the device: tests/qemu/test_conformance.py."""
    module = bytes(wasmtime.wat2wasm(module_wat(cases())))
    _, exports, _ = tables(compile_module(module, cpu).data)
    assert {n for n, _, _ in exports} >= {"floor64", "nearest64", "floor32", "nearest32"}


def test_the_linear_memory_is_the_interpreters(example: Callable[[str], Path], wat: Wat,
                                              tmp_path: Path) -> None:
    """The sensor example gets only the bytes below __heap_base, as interpreted
    (wa_linear_memory through pywamr); the checks compare with that constant. A
    module that grows its memory (no maximum) has the initial page at load and
    checks against the current size."""
    sensor = example("sensor").read_bytes()
    info = read_info(sensor)
    assert info.shrunk and info.linear_memory <= 4096
    h = header(compile_module(sensor, "cortex-m4").data)
    assert (h["mem_bytes"], h["mem_max_pages"]) == (info.linear_memory, 0)
    assert 8 <= h["mem_size_off"] < h["instance_bytes"]
    grow = header(compile_module(wat("grow_memory"), "cortex-m4").data)
    assert (grow["mem_bytes"], grow["mem_max_pages"]) == (65536, 65536)
    (tmp_path / "m.wasm").write_bytes(meter(wat("grow_memory")))
    subprocess.run(["wasm2c", "m.wasm", "-n", "m", "-o", "m.c"], cwd=tmp_path, check=True)
    source = (tmp_path / "m.c").read_text()
    out = cgen.transform(source, cgen.read_facts((tmp_path / "m.h").read_text(), source))
    assert "#define WA_MEM_GROWS 1" in out
    no_memory = header(compile_module(wat("add"), "cortex-m4").data)
    assert (no_memory["mem_bytes"], no_memory["mem_size_off"]) == (0, 0)


@pytest.mark.parametrize("cpu", list(CPUS))
def test_square_roots_compile_for_every_core(cpu: str) -> None:
    """f32.sqrt and f64.sqrt: the FPU's instruction, or the blob's own sqrt and
    sqrtf (wa_aot_math.c) where it has none of that width."""
    module = bytes(wasmtime.wat2wasm(
        '(module (func (export "s") (param f32 f64) (result f64)'
        ' local.get 0 f32.sqrt f64.promote_f32 local.get 1 f64.sqrt f64.add))'))
    _, exports, _ = tables(compile_module(module, cpu).data)
    assert [(n, sig) for n, sig, _ in exports] == [("s", "F(fF)")]


@pytest.mark.parametrize("cpu", list(CPUS))
def test_functions_with_several_results_compile_for_every_core(wat: Wat, cpu: str) -> None:
    """Multi-value (aot_multi.wat): internal functions, blocks, loops and
    call_indirect with several results compile; each export is in the table
    with the interpreter's own signature ("[iIfF](i)": wa_wasm.c), which the
    device reads the results' number and types from."""
    wasm = wat("aot_multi")
    _, exports, _ = tables(compile_module(wasm, cpu).data)
    runtime = [(e.name, e.sig) for e in read_info(wasm).exports if e.kind == "func"]
    assert [(n, sig) for n, sig, _ in exports] == runtime
    assert ("quad", "[iIfF](i)") in runtime and ("five", "[iiiii]()") in runtime


def test_an_export_wrapper_stores_every_result_in_order(tmp_path: Path, wat: Wat) -> None:
    """The wrapper reads the arguments after the result slots (results first,
    as wa_native_fn) and stores each field of wasm2c's result struct in its
    slot; a multi-value call_indirect through a fixed table is a switch too."""
    source, facts, out = wasm2c(tmp_path, wat("aot_multi"))
    glue = cgen.glue(facts)
    quad = next(i for i, f in enumerate(facts.exports) if f.name == "quad")
    assert (f"void wa_export_{quad}(struct wa_aot_inst *w, uint64_t *s)\n{{\n"
            "    struct wasm_multi_ijfd r = Z_mZ_quad(&w->z, (u32)s[4]);\n"
            "    s[0] = (uint64_t)r.i0;\n    s[1] = (uint64_t)r.j1;\n"
            "    s[2] = wa_slot_from_f32(r.f2);\n    s[3] = wa_slot_from_f64(r.d3);\n") in glue
    assert "CALL_INDIRECT(instance->w2c_T0, struct wasm_multi_ii (*)" in source
    assert "({ struct wasm_multi_ii wa_r; switch (" in out


def test_an_import_with_several_results_gets_its_signature(wat: Wat) -> None:
    """The loader refuses it as the interpreter does (no native has several
    results): the blob carries its signature for wa_resolve_import."""
    module = bytes(wasmtime.wat2wasm(
        '(module (import "wamr_agent" "sensor_read" (func $r (param i32) (result i32 f32)))'
        ' (func (export "run") (result i32) i32.const 0 call $r drop))'))
    imports, _, _ = tables(compile_module(module, "cortex-m4").data)
    assert imports == [("sensor_read", "wamr_agent", "[if](i)")]


@pytest.mark.parametrize(("fixture", "reason"), [
    ("imported_memory", "imports a memory"),
])
def test_modules_it_cannot_compile_soundly_are_refused(wat: Wat, fixture: str,
                                                       reason: str) -> None:
    with pytest.raises(AotError, match=reason):
        compile_module(wat(fixture), "cortex-m4")


def test_an_unknown_core_is_refused(wat: Wat) -> None:
    with pytest.raises(AotError, match="no AOT code generation for riscv32"):
        compile_module(wat("add"), "riscv32")
