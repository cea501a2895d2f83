/*
 * wa_validate.c - the WebAssembly validation algorithm (wa_wasm.h,
 * wa_wasm_validate), for the feature set the engine runs: MVP, mutable
 * globals, sign extension, saturating conversions, multi-value,
 * memory.copy and memory.fill. Everything else is refused as unsupported,
 * naming the feature, before the engine sees the module.
 *
 * Function bodies follow the algorithm of the specification's appendix:
 * an operand stack of value types (0 = unknown, below an unreachable point)
 * and a control stack of frames. The tables it keeps are fixed-size and
 * static (WA_VALIDATE_* in wa_port_config.h); a module that needs more is
 * refused, naming the limit. Nothing is allocated.
 */
#include <stddef.h>
#include <string.h>

#include "wa_port_config.h"
#include "wa_wasm_read.h"

#define UNKNOWN 0u
#define MUT_BIT 0x80u
#define MAX_LOCALS 50000u   /* the limit Wasmtime's validator applies */
#define MAX_PAGES 65536u    /* 4 GiB of 64 KiB pages */
#define MAX_TABLE 10000000u /* table entries, as Wasmtime's validator */
#define MAX_SIG_TYPES 1000u /* params, results: as Wasmtime's validator */
#define MAX_LOCAL_RUNS 64u  /* (count, type) groups of one function's locals */
#define VERROR WA_ERR_MALFORMED

typedef struct blocktype { /* types point into the module (or a static byte) */
    const uint8_t *params;
    uint32_t num_params;
    const uint8_t *results;
    uint32_t num_results;
} blocktype_t;

typedef struct frame {
    blocktype_t type;
    uint32_t height; /* operand stack height at entry (after the params) */
    uint8_t op;      /* block, loop, if, else, or 0 for the function */
    uint8_t unreachable;
} frame_t;

typedef struct vstate {
    module_t m;
    uint32_t num_types, num_funcs, num_globals, num_tables, num_memories, num_data;
    uint32_t loops, branches, memory_ops;      /* counted as wa_wasm_summarize counts them */
    uint32_t type_at[WA_VALIDATE_MAX_TYPES];   /* offset of each type's 0x60 */
    uint16_t func_type[WA_VALIDATE_MAX_FUNCS]; /* imported, then defined */
    uint8_t global[WA_VALIDATE_MAX_GLOBALS];   /* value type | MUT_BIT */
    /* the function being checked */
    uint8_t vals[WA_VALIDATE_MAX_OPERANDS];
    uint32_t num_vals;
    frame_t ctrl[WA_MAX_NESTING + 1];
    uint32_t num_ctrl;
    uint32_t local_end[MAX_LOCAL_RUNS]; /* locals below this index have ... */
    uint8_t local_type[MAX_LOCAL_RUNS]; /* ... this type (params are run 0..) */
    uint32_t num_runs;
    blocktype_t sig; /* the function's own type */
} vstate_t;

static WA_THREAD_LOCAL vstate_t s_v;

/* ---- refusals ----------------------------------------------------------- */

static void unsupported(cursor_t *c, const char *feature)
{
    rd_report(c, WA_ERR_NOT_SUPPORTED, 1, "unsupported: %s", feature);
}

static void past_limit(cursor_t *c, const char *what, uint32_t limit, const char *setting)
{
    rd_report(c, WA_ERR_NOT_SUPPORTED, 1, "%s is past the device's limit of %u (%s)", what,
              (unsigned)limit, setting);
}

static int count_fits(cursor_t *c, uint32_t n, uint32_t limit, const char *what,
                      const char *setting)
{
    if (n > limit) {
        rd_report(c, WA_ERR_NOT_SUPPORTED, 1, "%u %s is past the device's limit of %u (%s)",
                  (unsigned)n, what, (unsigned)limit, setting);
    }
    return rd_ok(c);
}

/* ---- value types -------------------------------------------------------- */

/* Numeric types pass; v128 and references are refused as features. */
static uint8_t check_valtype(cursor_t *c, uint8_t t)
{
    if (t == TYPE_V128) {
        unsupported(c, "SIMD (v128)");
    } else if (rd_is_reftype(t)) {
        unsupported(c, "reference types (funcref/externref values)");
    } else if (t < TYPE_F64 || t > TYPE_I32) {
        rd_fail(c, "bad value type 0x%02x", (unsigned)t);
    }
    return t;
}

static uint8_t read_type(cursor_t *c)
{
    uint32_t at = c->pos;
    uint8_t t = rd_u8(c);
    if (rd_ok(c)) {
        c->pos = at;
        check_valtype(c, t);
        c->pos = at + 1;
    }
    return t;
}

static void read_types(cursor_t *c, const uint8_t **at, uint32_t *n)
{
    *n = rd_u32(c);
    *at = c->wasm + c->pos;
    if (*n > MAX_SIG_TYPES) {
        rd_fail(c, "too many types in a signature");
    }
    for (uint32_t i = 0; i < *n && rd_ok(c); i++) {
        read_type(c);
    }
}

/* The params and results of type `index` (which must be in range). */
static void func_sig(vstate_t *v, uint32_t index, blocktype_t *bt)
{
    cursor_t c = {v->m.wasm, v->type_at[index] + 1, v->m.len, SEC_TYPE, NO_FUNC, &v->m.diag};
    read_types(&c, &bt->params, &bt->num_params);
    read_types(&c, &bt->results, &bt->num_results);
}

static int type_index(cursor_t *c, vstate_t *v, uint32_t index)
{
    if (index >= v->num_types) {
        rd_fail(c, "type index %u out of range", (unsigned)index);
    }
    return rd_ok(c);
}

static void read_limits_of(cursor_t *c, uint32_t most, const char *what)
{
    limits_t l;
    uint32_t at = c->pos;
    uint8_t flags = (uint8_t)rd_peek(c);
    rd_limits(c, &l);
    if (!rd_ok(c)) {
        return;
    }
    if (flags & 2u) {
        c->pos = at;
        unsupported(c, "threads (shared memory)");
    } else if (l.min > most || (l.max != WA_WASM_NO_MAX && l.max > most)) {
        rd_fail(c, "%s size too large", what);
    } else if (l.max != WA_WASM_NO_MAX && l.max < l.min) {
        rd_fail(c, "%s maximum below minimum", what);
    }
}

static void read_table_type(cursor_t *c, vstate_t *v)
{
    uint8_t t = rd_u8(c);
    if (t == TYPE_EXTERNREF) {
        unsupported(c, "reference types (externref table)");
    } else if (t != TYPE_FUNCREF) {
        rd_fail_byte(c, "bad table element type", t);
    }
    read_limits_of(c, MAX_TABLE, "table");
    if (++v->num_tables > 1) {
        unsupported(c, "multiple tables (reference types)");
    }
}

static void read_memory_type(cursor_t *c, vstate_t *v)
{
    read_limits_of(c, MAX_PAGES, "memory");
    if (++v->num_memories > 1) {
        unsupported(c, "multiple memories");
    }
}

static void add_global(cursor_t *c, vstate_t *v, uint8_t t, uint8_t mut)
{
    if (count_fits(c, v->num_globals + 1, WA_VALIDATE_MAX_GLOBALS, "globals",
                   "WA_VALIDATE_MAX_GLOBALS")) {
        v->global[v->num_globals++] = (uint8_t)(t | (mut ? MUT_BIT : 0));
    }
}

static uint8_t read_mutability(cursor_t *c)
{
    uint8_t mut = rd_u8(c);
    if (mut > 1) {
        rd_fail_byte(c, "bad mutability", mut);
    }
    return mut;
}

static void add_func(cursor_t *c, vstate_t *v, uint32_t type)
{
    if (type_index(c, v, type) && count_fits(c, v->num_funcs + 1, WA_VALIDATE_MAX_FUNCS,
                                             "functions", "WA_VALIDATE_MAX_FUNCS")) {
        v->func_type[v->num_funcs++] = (uint16_t)type;
    }
}

/* ---- names -------------------------------------------------------------- */

static const uint8_t *read_utf8(cursor_t *c, uint32_t *n)
{
    uint32_t at = c->pos;
    const uint8_t *s = (const uint8_t *)rd_name(c, n);
    if (!rd_utf8_ok(s, *n)) {
        c->pos = at;
        rd_fail(c, "name is not valid UTF-8");
    }
    return s;
}

/* ---- constant expressions ----------------------------------------------- */

/* The immediate of i32/i64/f32/f64.const (op 0x41..0x44); returns the type. */
static uint8_t const_immediate(cursor_t *c, uint8_t op)
{
    if (op <= 0x42) {
        rd_leb(c, op == 0x41 ? 32 : 64, 1);
    } else {
        rd_bytes(c, op == 0x43 ? 4 : 8);
    }
    return (uint8_t)(TYPE_I32 - (op - 0x41));
}

static void const_expr(cursor_t *c, vstate_t *v, uint8_t want)
{
    uint32_t at = c->pos;
    uint8_t op = rd_u8(c);
    uint8_t got = UNKNOWN;
    if (op >= 0x41 && op <= 0x44) {
        got = const_immediate(c, op);
    } else if (op == 0x23) {
        uint32_t g = rd_u32(c);
        /* MVP: only an imported, immutable global (those come first) */
        if (g >= v->m.num_global_imports || (v->global[g] & MUT_BIT)) {
            c->pos = at;
            rd_fail(c, "constant expression required");
        }
        got = (uint8_t)(v->global[g < v->num_globals ? g : 0] & ~MUT_BIT);
    } else {
        c->pos = at;
        if (op == 0xD0 || op == 0xD2) {
            unsupported(c, "reference types (typed select, ref ops)");
        } else if ((op >= 0x6A && op <= 0x6C) || (op >= 0x7C && op <= 0x7E)) {
            unsupported(c, "extended constant expressions");
        }
        rd_fail(c, "constant expression required");
    }
    if (got != want) {
        c->pos = at;
        rd_fail(c, "type mismatch");
    }
    int next = rd_peek(c);
    if ((next >= 0x41 && next <= 0x44) || next == 0x23) { /* a second operand */
        unsupported(c, "extended constant expressions");
    }
    if (rd_u8(c) != OP_END) {
        c->pos--;
        rd_fail(c, "constant expression required");
    }
}

/* ---- sections ----------------------------------------------------------- */

typedef void (*entry_fn)(cursor_t *c, vstate_t *v, uint32_t i);

static uint32_t each_entry(vstate_t *v, unsigned id, entry_fn fn)
{
    uint32_t n = 0;
    if (v->m.sec[id].present && v->m.diag.rc == WA_OK) {
        cursor_t c = rd_section(&v->m, id);
        n = rd_u32(&c);
        for (uint32_t i = 0; i < n && rd_ok(&c); i++) {
            fn(&c, v, i);
        }
        rd_finish(&c);
    }
    return n;
}

static void on_type(cursor_t *c, vstate_t *v, uint32_t i)
{
    const uint8_t *p;
    uint32_t n;
    if (!count_fits(c, i + 1, WA_VALIDATE_MAX_TYPES, "types", "WA_VALIDATE_MAX_TYPES")) {
        return;
    }
    v->type_at[i] = c->pos;
    uint8_t form = rd_u8(c);
    if (form != TYPE_FUNC) {
        rd_fail_byte(c, "bad type form", form);
    }
    read_types(c, &p, &n);
    read_types(c, &p, &n);
    v->num_types = i + 1;
}

static void on_import(cursor_t *c, vstate_t *v, uint32_t i)
{
    uint32_t n;
    (void)i;
    read_utf8(c, &n);
    read_utf8(c, &n);
    uint8_t kind = rd_u8(c);
    switch (kind) {
    case WA_EXT_FUNC: add_func(c, v, rd_u32(c)); break;
    case WA_EXT_TABLE: read_table_type(c, v); break;
    case WA_EXT_MEMORY: read_memory_type(c, v); break;
    case WA_EXT_GLOBAL: {
        uint8_t t = read_type(c);
        add_global(c, v, t, read_mutability(c));
        v->m.num_global_imports++;
        break;
    }
    default: rd_fail_byte(c, "bad import kind", kind);
    }
}

static void on_function(cursor_t *c, vstate_t *v, uint32_t i)
{
    (void)i;
    add_func(c, v, rd_u32(c));
}

static void on_table(cursor_t *c, vstate_t *v, uint32_t i)
{
    (void)i;
    read_table_type(c, v);
}

static void on_memory(cursor_t *c, vstate_t *v, uint32_t i)
{
    (void)i;
    read_memory_type(c, v);
}

static void on_global(cursor_t *c, vstate_t *v, uint32_t i)
{
    (void)i;
    uint8_t t = read_type(c);
    uint8_t mut = read_mutability(c);
    const_expr(c, v, t);
    add_global(c, v, t, mut);
}

static int names_equal(vstate_t *v, uint32_t upto, const uint8_t *name, uint32_t len)
{
    cursor_t c = rd_section(&v->m, SEC_EXPORT);
    rd_u32(&c);
    for (uint32_t i = 0; i < upto && rd_ok(&c); i++) {
        uint32_t n;
        const char *other = rd_name(&c, &n);
        rd_u8(&c);
        rd_u32(&c);
        if (n == len && memcmp(other, name, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void on_export(cursor_t *c, vstate_t *v, uint32_t i)
{
    uint32_t len;
    uint32_t at = c->pos;
    const uint8_t *name = read_utf8(c, &len);
    uint8_t kind = rd_u8(c);
    uint32_t index = rd_u32(c);
    const uint32_t count[4] = {v->num_funcs, v->num_tables, v->num_memories, v->num_globals};
    if (!rd_ok(c)) {
        return;
    }
    if (kind > WA_EXT_GLOBAL) {
        c->pos -= 2;
        rd_fail(c, "bad export kind 0x%02x", kind);
    } else if (index >= count[kind]) {
        rd_fail(c, "export index %u out of range", (unsigned)index);
    } else if (names_equal(v, i, name, len)) {
        c->pos = at;
        rd_fail(c, "duplicate export name");
    }
}

static void on_start(vstate_t *v)
{
    cursor_t c = rd_section(&v->m, SEC_START);
    uint32_t f = rd_u32(&c);
    if (f >= v->num_funcs) {
        rd_fail(&c, "start function %u out of range", (unsigned)f);
    } else if (rd_ok(&c)) {
        blocktype_t sig;
        func_sig(v, v->func_type[f], &sig);
        if (sig.num_params != 0 || sig.num_results != 0) {
            rd_fail(&c, "bad start function type");
        }
    }
    rd_finish(&c);
}

static void on_element(cursor_t *c, vstate_t *v, uint32_t i)
{
    (void)i;
    uint32_t flags = rd_u32(c);
    if (flags != 0) {
        unsupported(c, "bulk memory / reference types (element segment kinds)");
        return;
    }
    if (v->num_tables == 0) {
        rd_fail(c, "no table 0");
    }
    const_expr(c, v, TYPE_I32);
    uint32_t n = rd_u32(c);
    for (uint32_t k = 0; k < n && rd_ok(c); k++) {
        uint32_t f = rd_u32(c);
        if (f >= v->num_funcs) {
            rd_fail(c, "function index %u out of range", (unsigned)f);
        }
    }
}

static void on_data(cursor_t *c, vstate_t *v, uint32_t i)
{
    (void)i;
    uint32_t flags = rd_u32(c);
    if (flags != 0) {
        unsupported(c, flags == 1 ? "bulk memory (passive data segment)"
                                  : "bulk memory (data segment with a memory index)");
        return;
    }
    if (v->num_memories == 0) {
        rd_fail(c, "no memory 0");
    }
    const_expr(c, v, TYPE_I32);
    uint32_t n;
    rd_name(c, &n); /* a length and bytes, like a name */
}

/* ---- operand and control stacks ----------------------------------------- */

static void push(cursor_t *c, vstate_t *v, uint8_t t)
{
    if (v->num_vals >= WA_VALIDATE_MAX_OPERANDS) {
        past_limit(c, "operand stack height", WA_VALIDATE_MAX_OPERANDS, "WA_VALIDATE_MAX_OPERANDS");
        return;
    }
    v->vals[v->num_vals++] = t;
}

static uint8_t pop(cursor_t *c, vstate_t *v, uint8_t want)
{
    frame_t *f = &v->ctrl[v->num_ctrl - 1];
    uint8_t got = UNKNOWN;
    if (v->num_vals > f->height) {
        got = v->vals[--v->num_vals];
    } else if (!f->unreachable) {
        rd_fail(c, "type mismatch: stack empty");
        return want;
    }
    if (got != want && got != UNKNOWN && want != UNKNOWN) {
        rd_fail(c, "type mismatch");
    }
    return got;
}

static void pop_all(cursor_t *c, vstate_t *v, const uint8_t *types, uint32_t n)
{
    for (uint32_t i = n; i > 0 && rd_ok(c); i--) {
        pop(c, v, types[i - 1]);
    }
}

static void push_all(cursor_t *c, vstate_t *v, const uint8_t *types, uint32_t n)
{
    for (uint32_t i = 0; i < n && rd_ok(c); i++) {
        push(c, v, types[i]);
    }
}

static void push_ctrl(cursor_t *c, vstate_t *v, uint8_t op, const blocktype_t *bt)
{
    if (v->num_ctrl > WA_MAX_NESTING) {
        uint32_t deepest = rd_deepest(c, v->num_ctrl);
        rd_report(c, WA_ERR_NOT_SUPPORTED, 1,
                  "nesting depth %u is past the device's limit of %u (WA_MAX_NESTING)",
                  (unsigned)deepest, (unsigned)WA_MAX_NESTING);
        return;
    }
    frame_t *f = &v->ctrl[v->num_ctrl++];
    f->type = *bt;
    f->op = op;
    f->unreachable = 0;
    f->height = v->num_vals;
    push_all(c, v, bt->params, bt->num_params);
}

/* The frame stays readable until the next push_ctrl. */
static const frame_t *pop_ctrl(cursor_t *c, vstate_t *v)
{
    const frame_t *f = &v->ctrl[v->num_ctrl - 1];
    pop_all(c, v, f->type.results, f->type.num_results);
    if (v->num_vals != f->height) {
        rd_fail(c, "type mismatch: values left at end");
    }
    v->num_ctrl--;
    return f;
}

static void set_unreachable(vstate_t *v)
{
    frame_t *f = &v->ctrl[v->num_ctrl - 1];
    v->num_vals = f->height;
    f->unreachable = 1;
}

/* The types a branch to label `depth` carries; NULL (after an error) if none. */
static const frame_t *label(cursor_t *c, vstate_t *v, uint32_t depth, uint32_t *n,
                            const uint8_t **types)
{
    if (depth >= v->num_ctrl) {
        rd_fail(c, "branch depth %u out of range", (unsigned)depth);
        return NULL;
    }
    const frame_t *f = &v->ctrl[v->num_ctrl - 1 - depth];
    int loop = f->op == 0x03;
    *n = loop ? f->type.num_params : f->type.num_results;
    *types = loop ? f->type.params : f->type.results;
    return f;
}

/* Checks the top values against types without popping (br_table). */
static void peek_all(cursor_t *c, vstate_t *v, const uint8_t *types, uint32_t n)
{
    uint32_t saved = v->num_vals;
    pop_all(c, v, types, n);
    v->num_vals = saved;
}

/* ---- instructions ------------------------------------------------------- */

static uint8_t type_of_char(char ch)
{
    switch (ch) {
    case 'i': return TYPE_I32;
    case 'I': return TYPE_I64;
    case 'f': return TYPE_F32;
    default: return TYPE_F64;
    }
}

/* Pops the operands `in` names ('i' i32, 'I' i64, 'f' f32, 'F' f64, last
 * on top), pushes `out` (one type, or ' ' for none). */
static void apply(cursor_t *c, vstate_t *v, const char *in, char out)
{
    size_t n = strlen(in);
    for (size_t i = n; i > 0; i--) {
        pop(c, v, type_of_char(in[i - 1]));
    }
    if (out != ' ') {
        push(c, v, type_of_char(out));
    }
}

/* Conversions 0xA7..0xC4: operand and result. */
static const char s_convert[] = "IififiFiFiiIiIfIfIFIFIififIfIfFfiFiFIFIFfFfiFIifIF";

static void numeric(cursor_t *c, vstate_t *v, uint8_t op)
{
    static const struct {
        uint8_t first, last;
        char in[3];
        char out;
    } ranges[] = {
        {0x45, 0x45, "i", 'i'},  {0x46, 0x4F, "ii", 'i'}, {0x50, 0x50, "I", 'i'},
        {0x51, 0x5A, "II", 'i'}, {0x5B, 0x60, "ff", 'i'}, {0x61, 0x66, "FF", 'i'},
        {0x67, 0x69, "i", 'i'},  {0x6A, 0x78, "ii", 'i'}, {0x79, 0x7B, "I", 'I'},
        {0x7C, 0x8A, "II", 'I'}, {0x8B, 0x91, "f", 'f'},  {0x92, 0x98, "ff", 'f'},
        {0x99, 0x9F, "F", 'F'},  {0xA0, 0xA6, "FF", 'F'}, {0xC0, 0xC1, "i", 'i'},
        {0xC2, 0xC4, "I", 'I'},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        if (op >= ranges[i].first && op <= ranges[i].last) {
            apply(c, v, ranges[i].in, ranges[i].out);
            return;
        }
    }
    char in[2] = {s_convert[(op - 0xA7) * 2], '\0'};
    apply(c, v, in, s_convert[(op - 0xA7) * 2 + 1]);
}

static void need_memory(cursor_t *c, vstate_t *v)
{
    if (v->num_memories == 0) {
        rd_fail(c, "no memory 0");
    }
}

/* Loads and stores 0x28..0x3E: log2 of the natural alignment, the type. */
static void memory_access(cursor_t *c, vstate_t *v, uint8_t op)
{
    static const char align[] = "23230011001122232301012";
    static const char type[] = "iIfFiiiiIIIIIIiIfFiiIII";
    uint32_t at = c->pos;
    uint32_t a = rd_u32(c);
    rd_u32(c); /* offset */
    need_memory(c, v);
    if (a > (uint32_t)(align[op - 0x28] - '0')) {
        c->pos = at;
        rd_fail(c, "alignment larger than natural");
    }
    char t = type[op - 0x28];
    if (op <= 0x35) {
        apply(c, v, "i", t);
    } else {
        char in[3] = {'i', t, '\0'};
        apply(c, v, in, ' ');
    }
}

static void zero_byte(cursor_t *c)
{
    uint8_t b = rd_u8(c);
    if (b != 0) {
        rd_fail_byte(c, "zero byte expected, found", b);
    }
}

/* A table or memory index wasm3 reads as one byte: 0 passes; another index,
 * or 0 written in more than one byte (valid), is refused naming `feature`. */
static void index_zero(cursor_t *c, const char *feature)
{
    uint32_t at = c->pos;
    if (rd_u32(c) != 0 || c->pos != at + 1) {
        c->pos = at;
        unsupported(c, feature);
    }
}

static void prefix_fc(cursor_t *c, vstate_t *v, uint32_t at)
{
    uint32_t sub = rd_u32(c);
    if (!rd_ok(c)) {
        return;
    }
    if (c->pos != at + 2) { /* wasm3 reads the sub-opcode as one byte */
        c->pos = at;
        unsupported(c, "a 0xfc sub-opcode in more than one byte");
    } else if (sub <= 7) { /* saturating truncations */
        char in[2] = {(sub & 2u) ? 'F' : 'f', '\0'};
        apply(c, v, in, sub < 4 ? 'i' : 'I');
    } else if (sub == 10 || sub == 11) { /* memory.copy, memory.fill */
        index_zero(c, "multiple memories (memory index)");
        if (sub == 10) {
            index_zero(c, "multiple memories (memory index)");
        }
        need_memory(c, v);
        apply(c, v, "iii", ' ');
    } else if (sub <= 17) {
        c->pos = at;
        unsupported(c, sub == 8   ? "bulk memory (memory.init)"
                       : sub == 9 ? "bulk memory (data.drop)"
                                  : "reference types (table ops)");
    } else {
        c->pos = at;
        rd_fail(c, "unknown opcode 0xfc 0x%x", (unsigned)sub);
    }
}

static void read_blocktype(cursor_t *c, vstate_t *v, blocktype_t *bt)
{
    int b = rd_peek(c);
    if (b == BLOCK_EMPTY) {
        c->pos++;
    } else if (b >= 0x40 && b < 0x80) { /* a one-byte negative: a value type */
        bt->results = c->wasm + c->pos;
        bt->num_results = 1;
        check_valtype(c, (uint8_t)b);
        c->pos++;
    } else {
        uint32_t at = c->pos;
        int64_t index = (int64_t)rd_leb(c, 33, 1);
        if ((index < 0 || index >= (int64_t)v->num_types)) {
            c->pos = at;
            rd_fail(c, "bad block type");
        } else if (rd_ok(c)) {
            func_sig(v, (uint32_t)index, bt);
            /* wasm3 0.5.0 gives such a block its results out of order
             * (docs/architecture.md, "Conformance"). */
            uint8_t last = bt->num_results >= 2u ? bt->results[bt->num_results - 1u] : 0u;
            if (last == TYPE_F32 || last == TYPE_F64) {
                c->pos = at;
                unsupported(c, "a block of several results, the last a float (multi-value)");
            }
        }
    }
}

static void branch_table(cursor_t *c, vstate_t *v)
{
    uint32_t n = rd_u32(c);
    uint32_t arity = 0;
    uint32_t k = 0;
    const uint8_t *types = NULL;
    uint32_t first = c->pos;
    for (uint32_t i = 0; i < n && rd_ok(c); i++) { /* skip to the default */
        rd_u32(c);
    }
    uint32_t at = c->pos;
    const frame_t *def = label(c, v, rd_u32(c), &arity, &types);
    uint32_t end = c->pos;
    pop(c, v, TYPE_I32);
    c->pos = first;
    for (uint32_t i = 0; i < n && rd_ok(c) && def != NULL; i++) {
        at = c->pos;
        if (label(c, v, rd_u32(c), &k, &types) != NULL && k != arity) {
            c->pos = at;
            rd_fail(c, "type mismatch: br_table arity");
        }
        peek_all(c, v, types, k);
    }
    c->pos = end;
    if (def != NULL) {
        const uint8_t *dt = def->op == 0x03 ? def->type.params : def->type.results;
        pop_all(c, v, dt, arity);
    }
    set_unreachable(v);
}

static void call(cursor_t *c, vstate_t *v, const blocktype_t *sig)
{
    pop_all(c, v, sig->params, sig->num_params);
    push_all(c, v, sig->results, sig->num_results);
}

static void call_indirect(cursor_t *c, vstate_t *v)
{
    uint32_t type = rd_u32(c);
    if (!rd_ok(c) || !type_index(c, v, type)) {
        return;
    }
    index_zero(c, "multiple tables (call_indirect table index)");
    if (v->num_tables == 0) {
        rd_fail(c, "no table 0");
    }
    pop(c, v, TYPE_I32);
    blocktype_t sig;
    func_sig(v, type, &sig);
    call(c, v, &sig);
}

static uint8_t local_type(cursor_t *c, vstate_t *v, uint32_t index)
{
    for (uint32_t i = 0; i < v->num_runs; i++) {
        if (index < v->local_end[i]) {
            return v->local_type[i];
        }
    }
    rd_fail(c, "local index %u out of range", (unsigned)index);
    return UNKNOWN;
}

static void variable(cursor_t *c, vstate_t *v, uint8_t op)
{
    uint32_t at = c->pos;
    uint32_t index = rd_u32(c);
    if (!rd_ok(c)) {
        return;
    }
    if (op >= 0x25) {
        c->pos = at - 1;
        unsupported(c, "reference types (table ops)");
        return;
    }
    if (op <= 0x22) {
        uint8_t t = local_type(c, v, index);
        if (op != 0x20) {
            pop(c, v, t);
        }
        if (op != 0x21) {
            push(c, v, t);
        }
        return;
    }
    if (index >= v->num_globals) {
        rd_fail(c, "global index %u out of range", (unsigned)index);
        return;
    }
    uint8_t t = (uint8_t)(v->global[index] & ~MUT_BIT);
    if (op == 0x23) {
        push(c, v, t);
    } else if (!(v->global[index] & MUT_BIT)) {
        c->pos = at;
        rd_fail(c, "global is immutable");
    } else {
        pop(c, v, t);
    }
}

static void select_op(cursor_t *c, vstate_t *v)
{
    pop(c, v, TYPE_I32);
    uint8_t a = pop(c, v, UNKNOWN);
    uint8_t b = pop(c, v, UNKNOWN);
    if (a != b && a != UNKNOWN && b != UNKNOWN) {
        rd_fail(c, "type mismatch");
    }
    push(c, v, a != UNKNOWN ? a : b);
}

static void end_op(cursor_t *c, vstate_t *v)
{
    const frame_t *f = pop_ctrl(c, v);
    if (f->op == 0x04 && rd_ok(c) &&
        (f->type.num_params != f->type.num_results ||
         (f->type.num_params != 0 &&
          memcmp(f->type.params, f->type.results, f->type.num_params) != 0))) {
        rd_fail(c, "type mismatch: if without else");
    }
    push_all(c, v, f->type.results, f->type.num_results);
}

static void control(cursor_t *c, vstate_t *v, uint8_t op)
{
    uint32_t n;
    const uint8_t *types = NULL;
    v->loops += op == OP_LOOP;
    v->branches += op >= OP_BR; /* br, br_if, br_table, return */
    switch (op) {
    case 0x00: set_unreachable(v); break;
    case 0x02:
    case 0x03:
    case 0x04: {
        blocktype_t bt = {NULL, 0, NULL, 0};
        read_blocktype(c, v, &bt);
        if (op == 0x04) {
            pop(c, v, TYPE_I32);
        }
        pop_all(c, v, bt.params, bt.num_params);
        push_ctrl(c, v, op, &bt);
        break;
    }
    case 0x05: {
        if (v->ctrl[v->num_ctrl - 1].op != 0x04) {
            rd_fail(c, "else without if");
            break;
        }
        blocktype_t bt = pop_ctrl(c, v)->type;
        push_ctrl(c, v, 0x05, &bt);
        break;
    }
    case 0x0C:
    case 0x0D:
        if (label(c, v, rd_u32(c), &n, &types) == NULL) {
            break;
        }
        if (op == 0x0D) {
            pop(c, v, TYPE_I32);
        }
        pop_all(c, v, types, n);
        if (op == 0x0D) {
            push_all(c, v, types, n);
        } else {
            set_unreachable(v);
        }
        break;
    case 0x0E: branch_table(c, v); break;
    case 0x0F:
        pop_all(c, v, v->sig.results, v->sig.num_results);
        set_unreachable(v);
        break;
    }
}

/* One instruction (its opcode already read, at c->pos - 1). */
static void instruction(cursor_t *c, vstate_t *v, uint8_t op)
{
    uint32_t at = c->pos - 1;
    if (op <= 0x0F && op != 0x01 && op != 0x0B && (op <= 0x05 || op >= 0x0C)) {
        control(c, v, op);
    } else if (op == 0x01) {
        /* nop */
    } else if (op == 0x10) {
        uint32_t f = rd_u32(c);
        if (f >= v->num_funcs) {
            rd_fail(c, "function index %u out of range", (unsigned)f);
        } else if (rd_ok(c)) {
            blocktype_t sig;
            func_sig(v, v->func_type[f], &sig);
            call(c, v, &sig);
        }
    } else if (op == 0x11) {
        call_indirect(c, v);
    } else if (op == 0x1A) {
        pop(c, v, UNKNOWN);
    } else if (op == 0x1B) {
        select_op(c, v);
    } else if (op >= 0x20 && op <= 0x26) {
        variable(c, v, op);
    } else if (op >= 0x28 && op <= 0x3E) {
        memory_access(c, v, op);
    } else if (op == 0x3F || op == 0x40) {
        v->memory_ops++;
        zero_byte(c);
        need_memory(c, v);
        apply(c, v, op == 0x3F ? "" : "i", 'i');
    } else if (op >= 0x41 && op <= 0x44) {
        push(c, v, const_immediate(c, op));
    } else if (op >= 0x45 && op <= 0xC4) {
        numeric(c, v, op);
    } else if (op == 0xFC) {
        prefix_fc(c, v, at);
    } else if (op == 0x1C || (op >= 0xD0 && op <= 0xD2)) {
        c->pos = at;
        unsupported(c, "reference types (typed select, ref ops)");
    } else {
        c->pos = at;
        const char *note = rd_opcode_note(op);
        if (*note != '\0') {
            rd_report(c, WA_ERR_NOT_SUPPORTED, 1, "unsupported:%s opcode 0x%02x", note,
                      (unsigned)op);
        } else {
            rd_fail(c, "unknown opcode 0x%02x", (unsigned)op);
        }
    }
}

/* ---- function bodies ---------------------------------------------------- */

static void add_run(cursor_t *c, vstate_t *v, uint64_t end, uint8_t type)
{
    if (end > MAX_LOCALS) {
        rd_fail(c, "too many locals");
    } else if (v->num_runs >= MAX_LOCAL_RUNS) {
        past_limit(c, "groups of local declarations", MAX_LOCAL_RUNS, "MAX_LOCAL_RUNS");
    } else if (v->num_runs > 0 && v->local_type[v->num_runs - 1] == type) {
        v->local_end[v->num_runs - 1] = (uint32_t)end;
    } else {
        v->local_end[v->num_runs] = (uint32_t)end;
        v->local_type[v->num_runs++] = type;
    }
}

static void read_locals(cursor_t *c, vstate_t *v)
{
    uint64_t total = 0;
    v->num_runs = 0;
    for (uint32_t i = 0; i < v->sig.num_params && rd_ok(c); i++) {
        add_run(c, v, ++total, v->sig.params[i]);
    }
    uint32_t groups = rd_u32(c);
    for (uint32_t i = 0; i < groups && rd_ok(c); i++) {
        total += rd_u32(c);
        uint8_t t = read_type(c);
        add_run(c, v, total, t);
    }
}

static void check_body(cursor_t *c, vstate_t *v)
{
    v->num_vals = 0;
    v->num_ctrl = 0;
    read_locals(c, v);
    blocktype_t bt = {NULL, 0, v->sig.results, v->sig.num_results};
    push_ctrl(c, v, 0, &bt);
    while (rd_ok(c) && v->num_ctrl > 0) {
        uint8_t op = rd_u8(c);
        if (!rd_ok(c)) {
            break;
        }
        if (op == OP_END) {
            end_op(c, v);
        } else {
            instruction(c, v, op);
        }
    }
    if (c->pos != c->end) {
        rd_fail(c, "operators after end");
    }
}

static void on_body(cursor_t *c, vstate_t *v, uint32_t i)
{
    uint32_t size = rd_u32(c);
    uint32_t func = v->num_funcs - (v->m.sec[SEC_FUNCTION].present ? v->m.sum.num_funcs : 0) + i;
    const uint8_t *body = rd_bytes(c, size);
    if (!rd_ok(c)) {
        return;
    }
    if (func >= v->num_funcs) {
        rd_fail(c, "function and code counts differ");
        return;
    }
    cursor_t b = {c->wasm, (uint32_t)(body - c->wasm), c->pos, SEC_CODE, func, c->diag};
    func_sig(v, v->func_type[func], &v->sig);
    check_body(&b, v);
}

static void on_datacount(vstate_t *v)
{
    cursor_t c = rd_section(&v->m, SEC_DATACOUNT);
    v->num_data = rd_u32(&c);
    rd_finish(&c);
}

static void check_counts(vstate_t *v, uint32_t defined, uint32_t bodies, uint32_t data)
{
    cursor_t c = {v->m.wasm, 0, v->m.len, NO_SECTION, NO_FUNC, &v->m.diag};
    if (!rd_ok(&c)) {
        return;
    }
    if (defined != bodies) {
        rd_report(&c, VERROR, 0, "function and code counts differ");
    } else if (v->m.sec[SEC_DATACOUNT].present && v->num_data != data) {
        rd_report(&c, VERROR, 0, "data count and data section differ");
    }
}

static int validate(vstate_t *v)
{
    uint32_t defined;
    each_entry(v, SEC_TYPE, on_type);
    each_entry(v, SEC_IMPORT, on_import);
    defined = each_entry(v, SEC_FUNCTION, on_function);
    v->m.sum.num_funcs = defined;
    each_entry(v, SEC_TABLE, on_table);
    each_entry(v, SEC_MEMORY, on_memory);
    each_entry(v, SEC_GLOBAL, on_global);
    each_entry(v, SEC_EXPORT, on_export);
    if (v->m.sec[SEC_START].present && v->m.diag.rc == WA_OK) {
        on_start(v);
    }
    each_entry(v, SEC_ELEMENT, on_element);
    if (v->m.sec[SEC_DATACOUNT].present && v->m.diag.rc == WA_OK) {
        on_datacount(v);
    }
    uint32_t bodies = each_entry(v, SEC_CODE, on_body);
    uint32_t data = each_entry(v, SEC_DATA, on_data);
    check_counts(v, defined, bodies, data);
    return v->m.diag.rc;
}

int wa_wasm_validate_counting(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *counts,
                              char *msg, size_t msg_len)
{
    vstate_t *v = &s_v;
    memset(v, 0, offsetof(vstate_t, type_at));
    int rc = rd_open(&v->m, wasm, len, msg, msg_len);
    rc = rc == WA_OK ? validate(v) : rc;
    counts->num_loops = v->loops;
    counts->num_branches = v->branches;
    counts->memory_ops = v->memory_ops;
    return rc;
}

int wa_wasm_validate(const uint8_t *wasm, uint32_t len, char *msg, size_t msg_len)
{
    wa_wasm_summary_t counts;
    return wa_wasm_validate_counting(wasm, len, &counts, msg, msg_len);
}
