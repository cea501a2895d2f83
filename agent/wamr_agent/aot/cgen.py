"""wasm2c's output made into one C file for a blob: facts read from its header,
our definitions included before its functions (c/wa_aot_w2c.h), its loads
and stores rewritten to our 32-bit checked ones, the tick function and small
leaf functions inlined, call_indirect through a fixed table made direct
calls, and the glue appended: import stubs, export wrappers and the
instantiating entry (docs/aot.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import AotError

PAGE = 65536
ANCHOR = "static bool s_module_initialized"
_C_SIG = {"u32": "i", "u64": "I", "f32": "f", "f64": "F", "void": "v"}
_DECL = re.compile(r"/\* (import|export): '([^']*)'(?: '([^']*)')? \*/\n"
                   r"(struct \w+|\w+\*?) (\w+)\(([^)]*)\);")
# wasm2c's type of several results: a struct of one field per result
_MULTI = re.compile(r"^struct (wasm_multi_\w+) \{\n(.*?)\n\};", re.M | re.S)
_FIELD = re.compile(r"  (\w+) (\w+);")
_MEM_FIELD = re.compile(r"^\s*wasm_rt_memory_t(\*?) w2c_(\w+);", re.M)
_IMPORTED = re.compile(r"^\s+wasm_rt_(?:memory|funcref_table|externref_table)_t ?\* ?\w+;", re.M)
_ALLOC_TABLE = re.compile(r"wasm_rt_allocate_(funcref|externref)_table"
                          r"\(&instance->w2c_\w+, (\d+), ")
TABLE_ELEMENT = {"funcref": 12, "externref": 4}  # wasm_rt_*ref_t on a 32-bit core
_ALLOC_MEM = re.compile(r"wasm_rt_allocate_memory\(&instance->w2c_\w+, (\d+), (\d+)\);")
_INIT_GLOBALS = re.compile(r"static void init_globals\(\w+\* instance\) \{\n(.*?)\n\}", re.S)
_INSTANTIATE = re.compile(r"void (Z_\w+)_instantiate\((\w+)\*((?:, struct \w+\*)*)\);")
_ACCESS = re.compile(r"\b((?:i32|i64|f32|f64)_(?:load|store)\w*)\(&instance->w2c_(\w+), "
                     r"\(u64\)\((\w+)\)(?: \+ (\d+)u?)?")
_REFUSED = {"wasm_rt_throw": "exceptions"}
_GROWS = "wasm_rt_grow_memory("


@dataclass(frozen=True)
class Func:
    """An import or export of the generated C: its wasm names and C declaration."""

    kind: str  # "import" | "export"
    name: str
    module: str | None
    cname: str
    ret: str  # its C return type: void, a scalar or wasm2c's struct of several results
    params: list[str]
    ctx: str  # the C type of its first parameter (an instance pointer)
    results: tuple[tuple[str, str], ...] = ()  # (C type, struct field) of each result

    @property
    def sig(self) -> str:
        """The wasm3-notation signature the device compares (e.g. ``i(iI)``,
        ``[iF](i)`` for several results, as wa_wasm.c writes them)."""
        res = "".join(_C_SIG[t] for t, _ in self.results)
        res = res if len(res) == 1 else f"[{res}]" if res else "v"
        return res + "(" + "".join(_C_SIG[p] for p in self.params) + ")"


@dataclass(frozen=True)
class Facts:
    prefix: str  # Z_<name>
    instance: str  # the instance struct type
    import_args: int  # instance pointers Z_..._instantiate takes after its own
    imports: list[Func]
    exports: list[Func]
    memory: str | None  # field of the (own) linear memory
    mem_pages: int  # initial
    mem_max_pages: int  # declared maximum (65536 when none)
    grows: bool  # the code uses memory.grow: checks against the current size
    fuel: str  # field of the fuel global
    alloc_bytes: int  # what the instantiating entry allocates (tables, 8-aligned each)
    mem_bytes: int = -1  # linear memory at load: shrunk (wa_linear_memory), else initial pages

    @property
    def memory_bytes(self) -> int:
        return self.mem_pages * PAGE if self.mem_bytes < 0 else self.mem_bytes


def _results(header: str, ret: str) -> tuple[tuple[str, str], ...]:
    """The (C type, field) of each result of a function returning ret."""
    if ret == "void":
        return ()
    if not ret.startswith("struct "):
        return ((ret, ""),)
    body = dict(_MULTI.findall(header)).get(ret[7:], "")
    rows = [_FIELD.fullmatch(line) for line in body.split("\n")]
    return tuple((m[1], m[2]) for m in rows if m) if body and all(rows) else (("?", ""),)


def _funcs(header: str) -> list[Func]:
    out = []
    for kind, a, b, ret, cname, params in _DECL.findall(header):
        if ret.endswith("*"):
            continue  # an exported memory, table or global
        ctx, *types = [p.strip() for p in params.split(",")]
        results = _results(header, ret)
        if any(t not in _C_SIG for t in types + [t for t, _ in results]):
            raise AotError(f"{kind} {a} {b}: type {ret}({', '.join(types)}) is not supported "
                           "by AOT yet")
        name, module = (b, a) if kind == "import" else (a, None)
        out.append(Func(kind, name, module, cname, ret, types, ctx, results))
    return out


def read_facts(header: str, source: str, order: list[tuple[str, str]] | None = None) -> Facts:
    """What the glue and the blob header need, from wasm2c's .h and .c, the
    imports in the module's order (order: its (module, name) pairs; wasm2c's
    header sorts them); raises AotError for a construct we do not compile
    soundly yet."""
    for marker, what in _REFUSED.items():
        if marker in source:
            raise AotError(f"the module uses {what}, which AOT does not compile yet")
    inst = _INSTANTIATE.search(header)
    if inst is None or ANCHOR not in source:
        raise AotError("unexpected wasm2c output (instantiate or anchor missing)")
    mems = _MEM_FIELD.findall(header)
    if _IMPORTED.search(header) or len(mems) > 1:
        raise AotError("the module imports a memory or table, or has several memories: not "
                       "supported by AOT")
    alloc = _ALLOC_MEM.search(source)
    pages, max_pages = (int(alloc.group(1)), int(alloc.group(2))) if alloc else (0, 0)
    globals_init = _INIT_GLOBALS.search(source)
    fuel = re.findall(r"instance->(w2c_\w+) = 0u;", globals_init.group(1)) if globals_init else []
    if not fuel:
        raise AotError("the module has no fuel global: compile the metered module")
    funcs = _funcs(header)
    imports = [f for f in funcs if f.kind == "import"]
    if order is not None:
        rank = {key: i for i, key in enumerate(order)}
        imports.sort(key=lambda f: rank[f.module or "", f.name])
    return Facts(prefix=inst.group(1), instance=inst.group(2),
                 import_args=inst.group(3).count("struct"), imports=imports,
                 exports=[f for f in funcs if f.kind == "export"],
                 memory=f"w2c_{mems[0][1]}" if mems else None, mem_pages=pages,
                 mem_max_pages=min(max_pages, 65536), grows=_GROWS in source, fuel=fuel[-1],
                 alloc_bytes=sum((TABLE_ELEMENT[kind] * int(n) + 7) & ~7
                                 for kind, n in _ALLOC_TABLE.findall(source)))


def _tick_function(fuel: str) -> re.Pattern[str]:
    """wasm2c's definition of the metering's tick function (its body returns
    the fuel global: wa_wasm.h), matched by that body."""
    return re.compile(r"^static u32 (w2c_\w+)\((\w+)\* instance\) \{\n  FUNC_PROLOGUE;\n"
                      r"  u32 w2c_i0;\n  w2c_i0 = instance->" + re.escape(fuel) + r";\n"
                      r"  FUNC_EPILOGUE;\n  return w2c_i0;\n\}$", re.M)


def inline_tick(tail: str, fuel: str) -> str:
    """The tick function made wa_tick, inlined wherever it is called: the
    same tick and result without a call (c/wa_aot_w2c.h)."""
    return _tick_function(fuel).sub(
        r"static inline __attribute__((always_inline)) u32 \1(\2* instance) {\n"
        r"  return wa_tick(instance);\n}", tail)


_SEGMENT = re.compile(r"^static const wasm_elem_segment_expr_t (\w+)\[\] = \{\n(.*?)\n\};",
                      re.M | re.S)
_ELEMENT = re.compile(r"  \{(\d+), \(wasm_rt_function_ptr_t\)&(w2c_\w+), 0\},")
_TABLE_ALLOC = re.compile(r"  wasm_rt_(?:allocate|free)_funcref_table"
                          r"\(&instance->(w2c_\w+)[,)].*\n")
_TABLE_INIT = re.compile(r"  funcref_table_init\(&instance->(w2c_\w+), (\w+), (\d+), (\d+)u?, "
                         r"(\d+)u?, (\d+)u?, instance, func_types\);\n")
_FUNC_TYPE = re.compile(r"func_types\[(\d+)\] = wasm_rt_register_func_type\((\d+), (\d+)(.*?)\);")
_CALL_INDIRECT = re.compile(r"CALL_INDIRECT\(instance->(w2c_\w+), (struct \w+|\w+) "
                            r"\(\*\)\([^)]*\), (\d+), "
                            r"(\w+), instance->\1\.data\[\4\]\.module_instance((?:, \w+)*)\)")
DIRECT_CASES = 8  # a call_indirect with more candidates stays an indirect call


def _fixed_tables(tail: str) -> dict[str, dict[int, tuple[int, str]]]:
    """The funcref tables whose contents never change after instantiation,
    as {field: {index: (type index, function)}}: only active segments at
    constant offsets of this module's own functions fill them, and the
    module's code names them only in call_indirect (no table.get/set/grow/
    fill/copy/init, no export)."""
    segments: dict[str, list[tuple[int, str]] | None] = {}
    for name, body in _SEGMENT.findall(tail):
        rows = [_ELEMENT.fullmatch(line) for line in body.split("\n")]
        segments[name] = [(int(m.group(1)), m.group(2)) for m in rows if m] \
            if all(rows) else None
    tables: dict[str, dict[int, tuple[int, str]] | None] = {}
    for field, seg, size, dest, src, n in _TABLE_INIT.findall(tail):
        elems = segments.get(seg)
        if elems is None or int(size) != len(elems) or int(src) + int(n) > len(elems):
            tables[field] = None
            continue
        slots = tables.setdefault(field, {})
        if slots is not None:
            for i in range(int(n)):
                slots[int(dest) + i] = elems[int(src) + i]
    rest = _TABLE_INIT.sub("", _TABLE_ALLOC.sub("", _CALL_INDIRECT.sub("", tail)))
    out = {}
    for field, slots in tables.items():
        defined = slots is not None and all(
            re.search(rf"^static (?:struct )?\w+ {f}\(\w+\* instance", tail, re.M)
            for _, f in slots.values())
        if slots is not None and defined and not re.search(rf"\b{field}\b", rest):
            out[field] = slots
    return out


def devirtualize(tail: str) -> str:
    """call_indirect through a table that never changes (_fixed_tables) made
    a switch over its slots of the call's type, with direct calls (which gcc
    may inline; each callee still spends its call's tick): any other index
    takes the checked CALL_INDIRECT (wa_aot_w2c.h), which traps as the
    interpreter does (past the end, null, another type)."""
    tables = _fixed_tables(tail)
    types = {int(i): (int(p) + int(r), f"{p}, {r}{rest}")
             for i, p, r, rest in _FUNC_TYPE.findall(tail)}

    def same_type(a: int, b: int) -> bool:
        # wasm_rt_register_func_type: one number per signature, but a new
        # one for each type of more than 8 values (c/wa_aot_rt.c)
        return a == b or (a in types and b in types and types[a][1] == types[b][1]
                          and types[a][0] <= 8)

    def call(m: re.Match[str]) -> str:
        field, ret, ft, index, args = m.groups()
        slots = tables.get(field)
        cases = sorted((i, f) for i, (t, f) in (slots or {}).items() if same_type(t, int(ft)))
        if slots is None or len(cases) > DIRECT_CASES:
            return m.group(0)
        value = "" if ret == "void" else "wa_r = "
        arms = "".join(f" case {i}u: {value}{f}(instance{args}); break;" for i, f in cases)
        result = "(void)0;" if ret == "void" else "wa_r;"
        decl = "" if ret == "void" else f"{ret} wa_r; "
        # any other index: the checked indirect call, which traps as the
        # interpreter does (another type, a null element, past the last one)
        return (f"({{ {decl}switch ({index}) {{{arms} default: {value}{m.group(0)}; break;"
                f" }} {result} }})")

    return _CALL_INDIRECT.sub(call, tail)


_DEFINITION = re.compile(r"^static ((?:struct )?\w+ w2c_\w+\(\w+\* instance[^)]*\)) \{\n(.*?)\n\}$",
                         re.M | re.S)
_CALL = re.compile(r"\bw2c_\w+\(instance\b|CALL_INDIRECT\(")
LEAF_LINES = 16  # wasm2c lines of a small leaf function, inlined wherever it is called


def inline_small_leaves(tail: str) -> str:
    """Small functions that call none (the inlined tick aside) made
    always_inline: a call from a loop costs more than such a body. The
    inlined body keeps its FUNC_PROLOGUE, so its tick and stack check."""
    def define(m: re.Match[str]) -> str:
        head, body = m.groups()
        if body.count("\n") >= LEAF_LINES or _CALL.search(body):
            return m.group(0)
        return f"static inline __attribute__((always_inline)) {head} {{\n{body}\n}}"

    return _DEFINITION.sub(define, tail)


def _access(m: re.Match[str]) -> str:
    op, _mem, addr, off = m.groups()
    return f"wa_{op}(wa_mb, WA_MEM_END, {addr}, {off or 0}u"


def transform(source: str, facts: Facts) -> str:
    """The generated C with our definitions before its functions and every
    load/store of the module's memory through our checked helpers."""
    config = [f"#define WA_INSTANCE {facts.instance}", f"#define WA_FUEL {facts.fuel}"]
    if facts.memory:
        config += [f"#define WA_MEM {facts.memory}",
                   f"#define WA_MEM_BYTES {facts.memory_bytes}u"]
    if facts.memory and facts.grows:
        config.append("#define WA_MEM_GROWS 1")
    head, tail = source.split(ANCHOR, 1)
    tail = inline_small_leaves(devirtualize(inline_tick(_ACCESS.sub(_access, tail), facts.fuel)))
    return head + "\n".join(config) + '\n#include "wa_aot_w2c.h"\n' + ANCHOR + tail


def _arg(i: int, t: str) -> str:
    if t == "f32":
        return f"wa_slot_to_f32(s[{i}])"
    if t == "f64":
        return f"wa_slot_to_f64(s[{i}])"
    return f"({t})s[{i}]"


def _put(i: int, t: str, value: str) -> str:
    if t in ("f32", "f64"):
        return f"s[{i}] = wa_slot_from_{t}({value});"
    return f"s[{i}] = (uint64_t){value};"


def _import_stub(index: int, f: Func) -> str:
    params = ", ".join(f"{t} p{i}" for i, t in enumerate(f.params))
    nres = len(f.results)
    n = nres + len(f.params)
    lines = [f"{f.ret} {f.cname}({f.ctx} ctx{', ' if params else ''}{params})", "{",
             "    WA_INSTANCE *instance = (WA_INSTANCE *)(void *)ctx;",
             "    wa_entry(instance);", f"    uint64_t s[{max(n, 1)}];"]
    for i, t in enumerate(f.params):
        slot = i + nres
        value = f"wa_slot_from_{t}(p{i})" if t in ("f32", "f64") else f"(uint64_t)p{i}"
        lines.append(f"    s[{slot}] = {value};")
    lines.append(f"    wa_aot_env->call_native({index}u, s);")
    if nres == 1:
        lines.append(f"    return {_arg(0, f.ret)};")
    elif nres:  # wasm2c's struct of the results, from the slots in order
        values = ", ".join(_arg(i, t) for i, (t, _) in enumerate(f.results))
        lines.append(f"    {f.ret} r = {{{values}}};\n    return r;")
    return "\n".join([*lines, "}"])


def _export_wrapper(index: int, f: Func) -> str:
    """wa_export_N(instance, slots): the arguments from the slots after the
    results' (wa_native_fn's layout), the results into the first slots, in
    order: the device reads their number and types from the signature."""
    nres = len(f.results)
    args = "".join(f", {_arg(i + nres, t)}" for i, t in enumerate(f.params))
    call = f"{f.cname}(&w->z{args})"
    if nres > 1:
        body = [f"{f.ret} r = {call};",
                *(_put(i, t, f"r.{field}") for i, (t, field) in enumerate(f.results))]
    else:
        body = [_put(0, f.ret, call) if nres else f"{call};"]
    lines = "".join(f"    {line}\n" for line in [*body, "(void)s;"])
    return f"void wa_export_{index}(struct wa_aot_inst *w, uint64_t *s)\n{{\n{lines}}}"


def glue(facts: Facts) -> str:
    """The C appended to the transformed module."""
    parts = [f"struct wa_aot_inst {{\n    wa_aot_head_t head;\n    {facts.instance} z;\n}};",
             "_Static_assert(__builtin_offsetof(struct wa_aot_inst, z) == sizeof(wa_aot_head_t), "
             '"WA_STACK_LIMIT reads the head right before the instance");']
    parts += [_import_stub(i, f) for i, f in enumerate(facts.imports)]
    parts += [_export_wrapper(i, f) for i, f in enumerate(facts.exports)]
    ctx = "".join(", (void *)&w->z" for _ in range(facts.import_args))
    parts.append("void wa_aot_init(struct wa_aot_inst *w, uint64_t *s)\n{\n"
                 "    wa_aot_mem = (uint8_t *)(uintptr_t)s[0];\n"
                 "    wa_aot_mem_bytes = (uint32_t)s[1];\n"
                 "    wa_aot_mem_pages = (uint32_t)s[2];\n"
                 f"    {facts.prefix}_init_module();\n"
                 f"    {facts.prefix}_instantiate(&w->z{ctx});\n}}")
    size = f"__builtin_offsetof(struct wa_aot_inst, z.{facts.memory}.size)" if facts.memory \
        else "0"
    parts.append("const uint32_t wa_aot_meta[3] = {sizeof(struct wa_aot_inst),\n"
                 f"    __builtin_offsetof(struct wa_aot_inst, z.{facts.fuel}), {size}}};")
    return "\n\n".join(parts) + "\n"
