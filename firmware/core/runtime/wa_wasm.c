/*
 * wa_wasm.c - see wa_wasm.h.
 *
 * Every read goes through a cursor_t: a position and a limit inside the
 * caller's buffer, the section and function it is in (for messages), and a
 * diag_t shared by all cursors of one call that keeps the first error. A read
 * past the limit or a bad encoding records an error and yields 0; once an
 * error is recorded every later read yields 0 without touching the buffer,
 * so loops over counts stop at once and callers only check rd_ok() at their
 * boundaries.
 *
 * The metering rewrite is written by the same code twice: once into a
 * writer with no buffer that only counts (to learn sizes that must precede
 * their contents), once for real; or, into a buffer with room to spare
 * (wa_wasm_meter_into), once: a size's place is reserved, the contents
 * written behind it, and moved down behind the size once it is known.
 */
#include "wa_wasm_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wa_port_config.h"

typedef struct functype { /* positions of the value type bytes */
    uint32_t params;
    uint32_t num_params;
    uint32_t results;
    uint32_t num_results;
} functype_t;

typedef struct global {
    uint8_t type;
    uint8_t mut;
    int is_const; /* init is exactly `i32.const value` */
    uint32_t value;
} global_t;

typedef struct import {
    wa_wasm_extern_t ext;
    limits_t limits; /* tables and memories */
} import_t;

typedef struct body {
    uint32_t start;  /* after the size */
    uint32_t groups; /* after the count of local groups */
    uint32_t code;   /* first instruction, after the locals */
    uint32_t end;
    uint32_t num_groups;
    uint32_t num_locals;
} body_t;

typedef struct writer {
    uint8_t *out; /* NULL (and no sink): only count */
    uint32_t cap;
    uint64_t len;
    wa_wasm_sink sink; /* instead of out: bytes go to sink(ctx, ...) in order */
    void *ctx;
    int sink_rc; /* the first error sink returned */
    int patch;   /* out has room (wa_wasm_meter_into): sizes are patched in, not counted first */
} writer_t;

/* ---- errors --------------------------------------------------------------- */

static void say(diag_t *d, const char *fmt, ...)
{
    size_t used = (d->msg != NULL && d->msg_len > 0) ? strlen(d->msg) : 0;
    if (d->msg == NULL || used + 1 >= d->msg_len) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg + used, d->msg_len - used, fmt, ap);
    va_end(ap);
}

/* Records the first error of a call; `locate` appends the section and offset. */
static void vreport(const cursor_t *c, int rc, int locate, const char *fmt, va_list ap)
{
    diag_t *d = c->diag;
    if (d->rc != WA_OK) {
        return;
    }
    d->rc = rc;
    size_t used = (d->msg != NULL && d->msg_len > 0) ? strlen(d->msg) : 0;
    if (d->msg != NULL && used + 1 < d->msg_len) {
        vsnprintf(d->msg + used, d->msg_len - used, fmt, ap);
    }
    if (c->func != NO_FUNC) {
        say(d, " in function %u", (unsigned)c->func);
    } else if (locate && c->section < SEC_COUNT) {
        say(d, " in section %u", c->section);
    }
    if (locate) {
        say(d, " at offset 0x%x", (unsigned)c->pos);
    }
}

void rd_report(const cursor_t *c, int rc, int locate, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, rc, locate, fmt, ap);
    va_end(ap);
}

/* A malformed module, located: "<what> in section N (name) at offset P". */
void rd_fail(const cursor_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, WA_ERR_MALFORMED, 1, fmt, ap);
    va_end(ap);
}

/* Reports a bad byte that was just read, at its own offset. */
void rd_fail_byte(cursor_t *c, const char *what, uint8_t b)
{
    if (rd_ok(c)) {
        c->pos--;
        rd_fail(c, "%s 0x%02x", what, (unsigned)b);
    }
}

/* ---- reading -------------------------------------------------------------- */

uint8_t rd_u8(cursor_t *c)
{
    if (!rd_ok(c)) {
        return 0;
    }
    if (c->pos >= c->end) {
        rd_fail(c, "truncated");
        return 0;
    }
    return c->wasm[c->pos++];
}

/* -1 at the limit or after an error. */
int rd_peek(const cursor_t *c)
{
    return (rd_ok(c) && c->pos < c->end) ? c->wasm[c->pos] : -1;
}

const uint8_t *rd_bytes(cursor_t *c, uint32_t n)
{
    if (!rd_ok(c)) {
        return NULL;
    }
    if (n > c->end - c->pos) {
        c->pos = c->end;
        rd_fail(c, "truncated");
        return NULL;
    }
    c->pos += n;
    return c->wasm + c->pos - n;
}

/* LEB128 of at most `bits` bits; the unused bits of the last byte must be
 * zero (unsigned) or copies of the sign bit (signed). */
uint64_t rd_leb(cursor_t *c, unsigned bits, int is_signed)
{
    uint64_t v = 0;
    unsigned shift = 0;
    uint8_t b;
    do {
        uint32_t at = c->pos;
        b = rd_u8(c);
        if (!rd_ok(c)) {
            return 0;
        }
        if (shift + 7 >= bits) {
            unsigned used = bits - shift;
            unsigned rest = (b & 0x7Fu) >> (is_signed ? used - 1 : used);
            unsigned all = is_signed ? (0x7Fu >> (used - 1)) : 0;
            if ((b & 0x80u) != 0 || (rest != 0 && rest != all)) {
                c->pos = at;
                rd_fail(c, "LEB128 overflow");
                return 0;
            }
        }
        v |= (uint64_t)(b & 0x7Fu) << shift;
        shift += 7;
    } while ((b & 0x80u) != 0);
    if (is_signed && shift < 64 && ((v >> (shift - 1)) & 1u) != 0) {
        v |= ~(uint64_t)0 << shift;
    }
    return v;
}

const char *rd_name(cursor_t *c, uint32_t *len)
{
    uint32_t n = rd_u32(c);
    const uint8_t *p = rd_bytes(c, n);
    *len = p != NULL ? n : 0;
    return (const char *)p;
}

int rd_utf8_ok(const uint8_t *s, uint32_t n)
{
    for (uint32_t i = 0; i < n;) {
        uint8_t b = s[i];
        uint32_t len = b < 0x80         ? 1
                       : (b >> 5) == 6  ? 2
                       : (b >> 4) == 14 ? 3
                       : (b >> 3) == 30 ? 4
                                        : 0;
        if (len == 0 || len > n - i) {
            return 0;
        }
        uint32_t cp = len == 1 ? b : (uint32_t)(b & (0x7Fu >> len));
        for (uint32_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0u) != 0x80u) {
                return 0;
            }
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < least[len] || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) {
            return 0;
        }
        i += len;
    }
    return 1;
}

int rd_is_reftype(int b)
{
    return b == TYPE_FUNCREF || b == TYPE_EXTERNREF;
}

int rd_is_valtype(int b)
{
    return (b >= TYPE_V128 && b <= TYPE_I32) || rd_is_reftype(b);
}

static uint8_t read_valtype(cursor_t *c)
{
    uint8_t b = rd_u8(c);
    if (!rd_is_valtype(b)) {
        rd_fail_byte(c, "bad value type", b);
    }
    return b;
}

static void read_reftype(cursor_t *c)
{
    uint8_t b = rd_u8(c);
    if (!rd_is_reftype(b)) {
        rd_fail_byte(c, "bad reference type", b);
    }
}

void rd_limits(cursor_t *c, limits_t *l)
{
    uint8_t flags = rd_u8(c);
    if (flags > 3) { /* bit 0: has a maximum; bit 1: shared */
        rd_fail_byte(c, "unsupported limits flags", flags);
    }
    l->min = rd_u32(c);
    l->max = (flags & 1u) ? rd_u32(c) : WA_WASM_NO_MAX;
}

static void read_valtypes(cursor_t *c, uint32_t *at, uint32_t *count)
{
    *count = rd_u32(c);
    *at = c->pos;
    for (uint32_t i = 0; i < *count && rd_ok(c); i++) {
        read_valtype(c);
    }
}

static void read_functype(cursor_t *c, functype_t *ft)
{
    uint8_t form = rd_u8(c);
    if (form != TYPE_FUNC) {
        rd_fail_byte(c, "unsupported type form", form);
    }
    read_valtypes(c, &ft->params, &ft->num_params);
    read_valtypes(c, &ft->results, &ft->num_results);
}

static uint8_t read_mut(cursor_t *c)
{
    uint8_t b = rd_u8(c);
    if (b > 1) {
        rd_fail_byte(c, "bad mutability", b);
    }
    return b;
}

/* ---- instructions --------------------------------------------------------- */

enum imm {
    IMM_NONE,
    IMM_END,
    IMM_BLOCK,
    IMM_INDEX,
    IMM_TWO_INDICES,
    IMM_BR_TABLE,
    IMM_MEMARG,
    IMM_BYTE,
    IMM_I32,
    IMM_I64,
    IMM_F32,
    IMM_F64,
    IMM_SELECT,
    IMM_PREFIX_FC,
    IMM_UNKNOWN
};

static inline enum imm immediate_kind(uint8_t op)
{
    if (op >= 0x45 && op <= 0xC4) {
        return IMM_NONE; /* numeric and sign extension */
    }
    if (op >= 0x28 && op <= 0x3E) {
        return IMM_MEMARG; /* loads and stores */
    }
    if (op >= 0x20 && op <= 0x26) {
        return IMM_INDEX; /* locals, globals, table.get/set */
    }
    switch (op) {
    case 0x00:
    case 0x01:
    case 0x05:
    case 0x0F:
    case 0x1A:
    case 0x1B:
    case 0xD1: return IMM_NONE;
    case 0x02:
    case 0x03:
    case 0x04: return IMM_BLOCK;
    case 0x0B: return IMM_END;
    case 0x0C:
    case 0x0D:
    case 0x10:
    case 0xD2: return IMM_INDEX;
    case 0x0E: return IMM_BR_TABLE;
    case 0x11: return IMM_TWO_INDICES;
    case 0x1C: return IMM_SELECT;
    case 0x3F:
    case 0x40:
    case 0xD0: return IMM_BYTE;
    case 0x41: return IMM_I32;
    case 0x42: return IMM_I64;
    case 0x43: return IMM_F32;
    case 0x44: return IMM_F64;
    case 0xFC: return IMM_PREFIX_FC;
    default: return IMM_UNKNOWN;
    }
}

const char *rd_opcode_note(uint8_t op)
{
    switch (op) {
    case 0xFD: return " (SIMD)";
    case 0xFE: return " (threads)";
    case 0x12:
    case 0x13: return " (tail calls)";
    case 0x06:
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x0A:
    case 0x18:
    case 0x19: return " (exception handling)";
    default: return "";
    }
}

static void refuse_opcode(cursor_t *c, uint8_t op)
{
    c->pos--;
    rd_report(c, WA_ERR_NOT_SUPPORTED, c->func == NO_FUNC, "opcode 0x%02x%s is not supported",
              (unsigned)op, rd_opcode_note(op));
}

static void skip_blocktype(cursor_t *c)
{
    int b = rd_peek(c);
    if (b == BLOCK_EMPTY || rd_is_valtype(b)) {
        c->pos++;
        return;
    }
    uint32_t at = c->pos;
    uint64_t v = rd_leb(c, 33, 1);
    if (rd_ok(c) && (v >> 63) != 0) {
        c->pos = at;
        rd_fail(c, "bad block type");
    }
}

static void skip_memarg(cursor_t *c)
{
    uint32_t align = rd_u32(c);
    if (rd_ok(c) && (align & 0x40u) != 0) {
        rd_report(c, WA_ERR_NOT_SUPPORTED, c->func == NO_FUNC,
                  "a memory index in a memarg (multi-memory) is not supported");
    }
    rd_u32(c);
}

static void skip_prefix_fc(cursor_t *c)
{
    uint32_t at = c->pos;
    uint32_t sub = rd_u32(c);
    switch (sub) {
    case 8: /* memory.init */
        rd_u32(c);
        rd_u8(c);
        break;
    case 9:
    case 13:
    case 15:
    case 16:
    case 17: /* data.drop elem.drop table.grow/size/fill */ rd_u32(c); break;
    case 10: /* memory.copy */ rd_bytes(c, 2); break;
    case 11: /* memory.fill */ rd_u8(c); break;
    case 12:
    case 14: /* table.init table.copy */
        rd_u32(c);
        rd_u32(c);
        break;
    default:
        if (sub > 7 && rd_ok(c)) { /* 0..7: saturating truncations, no immediates */
            c->pos = at - 1;
            rd_report(c, WA_ERR_NOT_SUPPORTED, c->func == NO_FUNC,
                      "opcode 0xfc 0x%x is not supported", (unsigned)sub);
        }
    }
}

static void skip_immediates(cursor_t *c, enum imm kind, uint8_t op)
{
    uint32_t n;
    uint32_t at;
    switch (kind) {
    case IMM_NONE:
    case IMM_END: break;
    case IMM_BLOCK: skip_blocktype(c); break;
    case IMM_INDEX: rd_u32(c); break;
    case IMM_TWO_INDICES:
        rd_u32(c);
        rd_u32(c);
        break;
    case IMM_BR_TABLE: /* the labels, then the default */
        n = rd_u32(c);
        for (uint32_t i = 0; i < n && rd_ok(c); i++) {
            rd_u32(c);
        }
        rd_u32(c);
        break;
    case IMM_MEMARG: skip_memarg(c); break;
    case IMM_BYTE: rd_u8(c); break;
    case IMM_I32: rd_leb(c, 32, 1); break;
    case IMM_I64: rd_leb(c, 64, 1); break;
    case IMM_F32: rd_bytes(c, 4); break;
    case IMM_F64: rd_bytes(c, 8); break;
    case IMM_SELECT: read_valtypes(c, &at, &n); break;
    case IMM_PREFIX_FC: skip_prefix_fc(c); break;
    default: refuse_opcode(c, op); break;
    }
}

/* Decodes instructions until just after the block type of the next `loop`
 * (returns 1) or through the `end` that closes the expression (returns 0;
 * also on error). *depth counts the blocks open, 0 at the start; sum (may be
 * NULL) counts the br, br_if, br_table and return instructions in
 * num_branches, memory.size and memory.grow in memory_ops. */
static int next_loop(cursor_t *c, uint32_t *depth, wa_wasm_summary_t *sum)
{
    while (rd_ok(c)) {
        uint8_t op = rd_u8(c);
        enum imm kind = immediate_kind(op);
        if (!rd_ok(c)) {
            break;
        }
        if (sum != NULL) {
            sum->num_branches += op >= OP_BR && op <= OP_RETURN;
            sum->memory_ops += op == OP_MEMORY_SIZE || op == OP_MEMORY_GROW;
        }
        if (kind == IMM_END) {
            if (*depth == 0) {
                return 0;
            }
            (*depth)--;
            continue;
        }
        skip_immediates(c, kind, op);
        if (kind == IMM_BLOCK) {
            (*depth)++;
            if (op == OP_LOOP && rd_ok(c)) {
                return 1;
            }
        }
    }
    return 0;
}

static void skip_expr(cursor_t *c)
{
    uint32_t depth = 0;
    while (next_loop(c, &depth, NULL)) {
    }
}

/* The deepest block nesting from c to the end of its function body, given
 * `depth` blocks open at c. Reads a copy of c with its own diagnostics, so a
 * caller that is about to report an error can still ask. */
uint32_t rd_deepest(const cursor_t *c, uint32_t depth)
{
    diag_t quiet = {NULL, 0, WA_OK};
    cursor_t r = *c;
    uint32_t most = depth;
    r.diag = &quiet;
    while (rd_ok(&r) && r.pos < r.end) {
        uint8_t op = rd_u8(&r);
        enum imm kind = immediate_kind(op);
        if (kind == IMM_END) {
            if (depth-- == 0) {
                break;
            }
            continue;
        }
        skip_immediates(&r, kind, op);
        if (kind == IMM_BLOCK && ++depth > most) {
            most = depth;
        }
    }
    return most;
}

/* Skips a constant expression; returns 1 if it is exactly `i32.const v`. */
static int read_const_expr(cursor_t *c, uint32_t *value)
{
    uint32_t at = c->pos;
    if (rd_peek(c) == OP_I32_CONST) {
        c->pos++;
        uint32_t v = (uint32_t)rd_leb(c, 32, 1);
        if (rd_peek(c) == OP_END) {
            c->pos++;
            *value = v;
            return 1;
        }
        if (!rd_ok(c)) {
            return 0;
        }
        c->pos = at;
    }
    skip_expr(c);
    return 0;
}

/* ---- module structure ----------------------------------------------------- */

cursor_t rd_section(module_t *m, unsigned id)
{
    cursor_t c = {m->wasm, m->sec[id].start, m->sec[id].end, id, NO_FUNC, &m->diag};
    return c;
}

void rd_finish(cursor_t *c)
{
    if (rd_ok(c) && c->pos != c->end) {
        rd_fail(c, "section size mismatch");
    }
}

/* Order of the non-custom sections: data count comes before code. */
static unsigned section_rank(unsigned id)
{
    if (id == SEC_DATACOUNT) {
        return SEC_ELEMENT + 1;
    }
    return id >= SEC_CODE ? id + 1 : id;
}

static int next_section(cursor_t *c, section_t *s)
{
    if (!rd_ok(c) || c->pos >= c->end) {
        return 0;
    }
    c->section = NO_SECTION;
    s->head = c->pos;
    s->id = rd_u8(c);
    if (s->id >= SEC_COUNT) {
        c->pos = s->head;
        rd_report(c, WA_ERR_MALFORMED, 1, "unknown section id %u", s->id);
        return 0;
    }
    c->section = s->id;
    uint32_t size = rd_u32(c);
    s->start = c->pos;
    rd_bytes(c, size);
    s->end = c->pos;
    s->present = 1;
    return rd_ok(c);
}

static void check_custom(module_t *m, const section_t *s)
{
    cursor_t c = {m->wasm, s->start, s->end, SEC_CUSTOM, NO_FUNC, &m->diag};
    uint32_t len;
    const char *name = rd_name(&c, &len);
    if (rd_ok(&c) && !rd_utf8_ok((const uint8_t *)name, len)) {
        c.pos = s->start;
        rd_fail(&c, "custom section name is not valid UTF-8");
    }
}

static int scan_sections(module_t *m)
{
    cursor_t c = {m->wasm, HEADER_LEN, m->len, NO_SECTION, NO_FUNC, &m->diag};
    section_t s;
    unsigned last = 0;
    while (next_section(&c, &s)) {
        if (s.id == SEC_CUSTOM) {
            check_custom(m, &s);
            continue;
        }
        if (section_rank(s.id) <= last) {
            rd_report(&c, WA_ERR_MALFORMED, 0, "section %u repeated or out of order at offset 0x%x",
                      s.id, (unsigned)s.head);
            break;
        }
        last = section_rank(s.id);
        m->sec[s.id] = s;
    }
    return m->diag.rc;
}

int rd_open(module_t *m, const uint8_t *wasm, uint32_t len, char *msg, size_t msg_len)
{
    memset(m, 0, sizeof *m);
    m->diag.msg = msg;
    m->diag.msg_len = msg_len;
    m->wasm = wasm;
    m->len = len;
    m->heap_base_global = NO_INDEX;
    m->table_min = NO_INDEX;
    m->sum.mem_max_pages = WA_WASM_NO_MAX;
    if (msg != NULL && msg_len > 0) {
        msg[0] = '\0';
    }
    cursor_t c = {wasm, 0, len, NO_SECTION, NO_FUNC, &m->diag};
    if (wasm == NULL) {
        rd_report(&c, WA_ERR_INVALID_ARG, 0, "no module");
    } else if (len < 4 || memcmp(wasm, "\0asm", 4) != 0) {
        rd_report(&c, WA_ERR_MALFORMED, 0, "bad magic: not a wasm module");
    } else if (len < HEADER_LEN) {
        rd_report(&c, WA_ERR_MALFORMED, 0, "truncated in the header at offset %u", (unsigned)len);
    } else {
        uint32_t version =
            wasm[4] | (uint32_t)wasm[5] << 8 | (uint32_t)wasm[6] << 16 | (uint32_t)wasm[7] << 24;
        if (version != 1) {
            rd_report(&c, WA_ERR_MALFORMED, 0, "unsupported version %u", (unsigned)version);
        }
    }
    return m->diag.rc != WA_OK ? m->diag.rc : scan_sections(m);
}

const uint8_t *wa_wasm_custom(const uint8_t *wasm, uint32_t len, const char *prefix, uint32_t *at,
                              uint32_t *out_len)
{
    diag_t d = {NULL, 0, WA_OK};
    cursor_t c = {wasm, *at > HEADER_LEN ? *at : HEADER_LEN, len, NO_SECTION, NO_FUNC, &d};
    section_t s;
    size_t plen = strlen(prefix);
    while (len > HEADER_LEN && next_section(&c, &s)) {
        cursor_t n = {wasm, s.start, s.end, SEC_CUSTOM, NO_FUNC, &d};
        uint32_t nlen = 0;
        const char *name = s.id == SEC_CUSTOM ? rd_name(&n, &nlen) : NULL;
        if (rd_ok(&n) && nlen >= plen && memcmp(name, prefix, plen) == 0) {
            *at = s.end;
            *out_len = s.end - n.pos;
            return wasm + n.pos;
        }
    }
    return NULL;
}

typedef int (*entry_fn)(module_t *m, cursor_t *c, uint32_t index, void *ctx);

/* Reads the vector that makes up section `id`, calling fn for every entry.
 * Returns the first non-zero value fn returns (the rest is left unread),
 * else 0; errors are in m->diag. *count gets the vector's length. */
static int read_vector(module_t *m, unsigned id, entry_fn fn, void *ctx, uint32_t *count)
{
    uint32_t n = 0;
    int stop = 0;
    if (m->sec[id].present && m->diag.rc == WA_OK) {
        cursor_t c = rd_section(m, id);
        n = rd_u32(&c);
        for (uint32_t i = 0; i < n && rd_ok(&c) && stop == 0; i++) {
            stop = fn(m, &c, i, ctx);
        }
        if (stop == 0) {
            rd_finish(&c);
        }
    }
    if (count != NULL) {
        *count = n;
    }
    return stop;
}

/* ---- entries -------------------------------------------------------------- */

static void read_import(cursor_t *c, import_t *imp)
{
    memset(imp, 0, sizeof *imp);
    imp->ext.module = rd_name(c, &imp->ext.module_len);
    imp->ext.name = rd_name(c, &imp->ext.name_len);
    imp->ext.kind = rd_u8(c);
    switch (imp->ext.kind) {
    case WA_EXT_FUNC: imp->ext.index = rd_u32(c); break;
    case WA_EXT_TABLE:
        read_reftype(c);
        rd_limits(c, &imp->limits);
        break;
    case WA_EXT_MEMORY: rd_limits(c, &imp->limits); break;
    case WA_EXT_GLOBAL:
        read_valtype(c);
        read_mut(c);
        break;
    default: rd_fail_byte(c, "bad import kind", imp->ext.kind);
    }
}

static void read_export(cursor_t *c, wa_wasm_extern_t *e)
{
    memset(e, 0, sizeof *e);
    e->name = rd_name(c, &e->name_len);
    e->kind = rd_u8(c);
    if (e->kind > WA_EXT_GLOBAL) {
        rd_fail_byte(c, "bad export kind", e->kind);
    }
    e->index = rd_u32(c);
}

static void read_global(cursor_t *c, global_t *g)
{
    g->type = read_valtype(c);
    g->mut = read_mut(c);
    g->value = 0;
    g->is_const = read_const_expr(c, &g->value);
}

static void read_element(cursor_t *c)
{
    uint32_t at = c->pos;
    uint32_t flags = rd_u32(c);
    if (rd_ok(c) && flags > 7) {
        c->pos = at;
        rd_fail(c, "bad element segment flags %u", (unsigned)flags);
    }
    if ((flags & 1u) == 0) { /* active: table (flag 2), offset */
        if (flags & 2u) {
            rd_u32(c);
        }
        skip_expr(c);
    }
    if ((flags & 3u) != 0) { /* element kind (0x00) or reference type */
        uint8_t kind = rd_u8(c);
        if ((flags & 4u) ? !rd_is_reftype(kind) : kind != 0) {
            rd_fail_byte(c, "bad element kind", kind);
        }
    }
    uint32_t n = rd_u32(c);
    for (uint32_t i = 0; i < n && rd_ok(c); i++) {
        if (flags & 4u) {
            skip_expr(c);
        } else {
            rd_u32(c);
        }
    }
}

/* Reads a body's size and locals; c moves past the body. */
static void read_body(cursor_t *c, body_t *b)
{
    uint32_t size = rd_u32(c);
    b->start = c->pos;
    rd_bytes(c, size);
    b->end = c->pos;
    cursor_t in = *c;
    in.pos = b->start;
    in.end = b->end;
    b->num_groups = rd_u32(&in);
    b->groups = in.pos;
    uint64_t locals = 0;
    for (uint32_t i = 0; i < b->num_groups && rd_ok(&in); i++) {
        locals += rd_u32(&in);
        read_valtype(&in);
    }
    if (rd_ok(&in) && locals > 0xFFFFFFFFu) {
        rd_fail(&in, "too many locals");
    }
    b->num_locals = (uint32_t)locals;
    b->code = in.pos;
}

static cursor_t body_cursor(const cursor_t *c, const body_t *b)
{
    cursor_t in = *c;
    in.pos = b->code;
    in.end = b->end;
    return in;
}

static uint32_t count_loops(cursor_t *in, wa_wasm_summary_t *sum)
{
    uint32_t depth = 0;
    uint32_t loops = 0;
    while (next_loop(in, &depth, sum)) {
        loops++;
    }
    if (rd_ok(in) && in->pos != in->end) {
        rd_fail(in, "body size mismatch");
    }
    return loops;
}

/* ---- summary -------------------------------------------------------------- */

static void check_type_index(module_t *m, cursor_t *c, uint32_t type)
{
    if (rd_ok(c) && type >= m->sum.num_types) {
        rd_fail(c, "type index %u out of range", (unsigned)type);
    }
}

static int on_type(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    functype_t ft;
    (void)m, (void)i, (void)ctx;
    read_functype(c, &ft);
    return 0;
}

static int on_import(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    import_t imp;
    (void)i, (void)ctx;
    read_import(c, &imp);
    if (imp.ext.kind == WA_EXT_FUNC) {
        check_type_index(m, c, imp.ext.index);
        m->sum.num_func_imports++;
    } else if (imp.ext.kind == WA_EXT_GLOBAL) {
        m->num_global_imports++;
    } else if (imp.ext.kind == WA_EXT_MEMORY && !m->sum.has_memory) {
        m->sum.has_memory = 1;
        m->sum.memory_imported = 1;
        m->sum.mem_initial_pages = imp.limits.min;
        m->sum.mem_max_pages = imp.limits.max;
    }
    return 0;
}

static int on_function(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    (void)i, (void)ctx;
    check_type_index(m, c, rd_u32(c));
    return 0;
}

static int on_table(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    limits_t l;
    (void)ctx;
    read_reftype(c);
    rd_limits(c, &l);
    if (i == 0) {
        m->table_min = l.min;
    }
    return 0;
}

static int on_memory(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    limits_t l;
    (void)i, (void)ctx;
    rd_limits(c, &l);
    if (!m->sum.has_memory) {
        m->sum.has_memory = 1;
        m->sum.mem_initial_pages = l.min;
        m->sum.mem_max_pages = l.max;
    }
    return 0;
}

static int on_global(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    global_t g;
    (void)ctx;
    read_global(c, &g);
    if (i == 0 && g.type == TYPE_I32 && g.mut && g.is_const) {
        m->sum.stack_top = g.value;
    }
    return 0;
}

static int on_export(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    wa_wasm_extern_t e;
    (void)i, (void)ctx;
    read_export(c, &e);
    if (rd_ok(c) && e.kind == WA_EXT_GLOBAL && e.name_len == 11 &&
        memcmp(e.name, "__heap_base", 11) == 0) {
        m->heap_base_global = e.index;
    }
    return 0;
}

typedef struct global_find {
    uint32_t target; /* index among the defined globals */
    uint32_t value;
} global_find_t;

static int on_global_find(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    global_find_t *f = (global_find_t *)ctx;
    global_t g;
    (void)m;
    read_global(c, &g);
    if (i != f->target || !rd_ok(c)) {
        return 0;
    }
    f->value = (g.type == TYPE_I32 && g.is_const) ? g.value : 0;
    return 1;
}

static uint32_t heap_base(module_t *m)
{
    global_find_t f = {0, 0};
    if (m->heap_base_global == NO_INDEX || m->heap_base_global < m->num_global_imports) {
        return 0;
    }
    f.target = m->heap_base_global - m->num_global_imports;
    read_vector(m, SEC_GLOBAL, on_global_find, &f, NULL);
    return f.value;
}

/* Reads one element segment; 1 if it changes nothing: no elements, at a
 * constant offset inside the table (wasm3 fails to load a module with one
 * before the table has any element). Notes the first segment that does not
 * fit the table (wasm3 would grow the table for it). */
static int read_element_noop(module_t *m, cursor_t *c, uint32_t i)
{
    uint32_t at = c->pos;
    uint32_t offset = 0;
    int known = rd_u32(c) == 0 && read_const_expr(c, &offset);
    uint32_t n = known ? rd_u32(c) : 0;
    int fits =
        !known || !rd_ok(c) || m->table_min == NO_INDEX || (uint64_t)offset + n <= m->table_min;
    if (!fits && m->sum.elem_past_end == 0) {
        m->sum.elem_past_end = i + 1u;
        m->sum.elem_offset = offset;
        m->sum.elem_count = n;
        m->sum.table_size = m->table_min;
    }
    c->pos = at;
    read_element(c);
    return known && n == 0 && fits && m->table_min != NO_INDEX;
}

static int on_element(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    (void)ctx;
    m->noop_elements += (uint32_t)read_element_noop(m, c, i);
    return 0;
}

static int on_body(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    body_t b;
    (void)ctx;
    c->func = m->sum.num_func_imports + i;
    read_body(c, &b);
    if (rd_ok(c) && !m->skim) {
        cursor_t in = body_cursor(c, &b);
        m->sum.num_loops += count_loops(&in, &m->sum);
    }
    c->func = NO_FUNC;
    return 0;
}

static int on_data(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    uint32_t offset = 0;
    int known = 0;
    (void)i, (void)ctx;
    uint32_t at = c->pos;
    uint32_t flags = rd_u32(c);
    if (rd_ok(c) && flags > 2) {
        c->pos = at;
        rd_fail(c, "bad data segment flags %u", (unsigned)flags);
    }
    if (flags == 2) {
        rd_u32(c); /* memory index */
    }
    if (flags != 1) {
        known = read_const_expr(c, &offset);
    }
    uint32_t size = rd_u32(c);
    rd_bytes(c, size);
    m->sum.data_offset_unknown |= rd_ok(c) && flags != 1 && !known;
    if (rd_ok(c) && known) {
        uint64_t end = (uint64_t)offset + size;
        uint32_t end32 = end > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)end;
        m->sum.data_end = end32 > m->sum.data_end ? end32 : m->sum.data_end;
    }
    return 0;
}

static void read_single(module_t *m, unsigned id)
{
    if (m->sec[id].present && m->diag.rc == WA_OK) {
        cursor_t c = rd_section(m, id);
        rd_u32(&c);
        rd_finish(&c);
    }
}

static void check_code_count(module_t *m, uint32_t bodies)
{
    cursor_t c = rd_section(m, SEC_CODE);
    if (!rd_ok(&c) || bodies == m->sum.num_funcs) {
        return;
    }
    if (m->sec[SEC_CODE].present) {
        rd_fail(&c, "%u function bodies for %u functions", (unsigned)bodies,
                (unsigned)m->sum.num_funcs);
    } else {
        rd_report(&c, WA_ERR_MALFORMED, 0, "%u functions but no code section",
                  (unsigned)m->sum.num_funcs);
    }
}

static int summarize_module(module_t *m)
{
    wa_wasm_summary_t *s = &m->sum;
    uint32_t bodies = 0;
    read_vector(m, SEC_TYPE, on_type, NULL, &s->num_types);
    read_vector(m, SEC_IMPORT, on_import, NULL, &s->num_imports);
    read_vector(m, SEC_FUNCTION, on_function, NULL, &s->num_funcs);
    uint32_t memories = 0;
    uint32_t elements = 0;
    read_vector(m, SEC_TABLE, on_table, NULL, NULL);
    read_vector(m, SEC_MEMORY, on_memory, NULL, &memories);
    m->drop[SEC_MEMORY] = m->sec[SEC_MEMORY].present && memories == 0;
    read_vector(m, SEC_GLOBAL, on_global, NULL, &s->num_globals);
    read_vector(m, SEC_EXPORT, on_export, NULL, &s->num_exports);
    s->heap_base = heap_base(m);
    read_single(m, SEC_START);
    s->has_start = m->sec[SEC_START].present;
    read_vector(m, SEC_ELEMENT, on_element, NULL, &elements);
    m->drop[SEC_ELEMENT] = elements > 0 && m->noop_elements == elements;
    s->needs_rewrite = m->drop[SEC_MEMORY] || m->noop_elements > 0;
    read_single(m, SEC_DATACOUNT);
    read_vector(m, SEC_CODE, on_body, NULL, &bodies);
    check_code_count(m, bodies);
    s->code_bytes = m->sec[SEC_CODE].end - m->sec[SEC_CODE].start;
    read_vector(m, SEC_DATA, on_data, NULL, NULL);
    return m->diag.rc;
}

static int summarize(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *out, int skim, char *msg,
                     size_t msg_len)
{
    module_t m;
    int rc = rd_open(&m, wasm, len, msg, msg_len);
    m.skim = skim;
    if (rc == WA_OK) {
        rc = summarize_module(&m);
    }
    if (out != NULL) {
        *out = m.sum;
    }
    return rc;
}

int wa_wasm_summarize(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *out, char *msg,
                      size_t msg_len)
{
    return summarize(wasm, len, out, 0, msg, msg_len);
}

int wa_wasm_summarize_sections(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *out, char *msg,
                               size_t msg_len)
{
    return summarize(wasm, len, out, 1, msg, msg_len);
}

/* ---- imports and exports -------------------------------------------------- */

static int put_sig_char(char *sig, size_t *n, char ch)
{
    if (ch == '\0' || *n + 1 >= WA_WASM_SIG_MAX) {
        return 0;
    }
    sig[(*n)++] = ch;
    return 1;
}

static char sig_char(uint8_t type)
{
    switch (type) {
    case TYPE_I32: return 'i';
    case TYPE_I64: return 'I';
    case TYPE_F32: return 'f';
    case TYPE_F64: return 'F';
    case TYPE_FUNCREF:
    case TYPE_EXTERNREF: return 'r';
    default: return '\0'; /* v128: no wasm3 notation */
    }
}

static int put_sig_types(char *sig, size_t *n, const uint8_t *types, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        if (!put_sig_char(sig, n, sig_char(types[i]))) {
            return 0;
        }
    }
    return 1;
}

/* wasm3 notation: results then params, e.g. "i(iI)", "v()", "[ii](i)". */
static void format_sig(const uint8_t *wasm, const functype_t *ft, char *sig)
{
    size_t n = 0;
    int fits;
    if (ft->num_results == 0) {
        fits = put_sig_char(sig, &n, 'v');
    } else if (ft->num_results == 1) {
        fits = put_sig_types(sig, &n, wasm + ft->results, 1);
    } else {
        fits = put_sig_char(sig, &n, '[') &&
               put_sig_types(sig, &n, wasm + ft->results, ft->num_results) &&
               put_sig_char(sig, &n, ']');
    }
    fits = fits && put_sig_char(sig, &n, '(') &&
           put_sig_types(sig, &n, wasm + ft->params, ft->num_params) && put_sig_char(sig, &n, ')');
    if (!fits) {
        memcpy(sig, WA_WASM_SIG_LONG, sizeof WA_WASM_SIG_LONG);
    } else {
        sig[n] = '\0';
    }
}

/* Writes the signature of type `type`; `from` locates a bad index. */
static void write_sig(module_t *m, cursor_t *from, uint32_t type, char *sig)
{
    cursor_t c = rd_section(m, SEC_TYPE);
    uint32_t n = m->sec[SEC_TYPE].present ? rd_u32(&c) : 0;
    functype_t ft;
    sig[0] = '\0';
    if (rd_ok(&c) && type >= n) {
        rd_fail(from, "type index %u out of range", (unsigned)type);
    }
    for (uint32_t i = 0; i <= type && rd_ok(&c); i++) {
        read_functype(&c, &ft);
    }
    if (rd_ok(&c)) {
        format_sig(m->wasm, &ft, sig);
    }
}

typedef struct extern_walk {
    wa_wasm_extern_cb cb;
    void *ctx;
} extern_walk_t;

static int on_import_call(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    extern_walk_t *w = (extern_walk_t *)ctx;
    import_t imp;
    (void)i;
    read_import(c, &imp);
    if (rd_ok(c) && imp.ext.kind == WA_EXT_FUNC) {
        write_sig(m, c, imp.ext.index, imp.ext.sig);
    }
    return rd_ok(c) ? w->cb(w->ctx, &imp.ext) : 0;
}

int wa_wasm_for_each_import(const uint8_t *wasm, uint32_t len, wa_wasm_extern_cb cb, void *ctx,
                            char *msg, size_t msg_len)
{
    module_t m;
    extern_walk_t w = {cb, ctx};
    int rc = rd_open(&m, wasm, len, msg, msg_len);
    if (rc != WA_OK || cb == NULL) {
        return rc != WA_OK ? rc : WA_ERR_INVALID_ARG;
    }
    int stop = read_vector(&m, SEC_IMPORT, on_import_call, &w, NULL);
    return stop != 0 ? stop : m.diag.rc;
}

typedef struct func_find {
    uint32_t target; /* index among the function imports */
    uint32_t seen;
    uint32_t type;
} func_find_t;

static int on_import_find(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    func_find_t *f = (func_find_t *)ctx;
    import_t imp;
    (void)m, (void)i;
    read_import(c, &imp);
    if (!rd_ok(c) || imp.ext.kind != WA_EXT_FUNC) {
        return 0;
    }
    f->type = imp.ext.index;
    return f->seen++ == f->target;
}

/* The type index of function `func`; `from` locates a bad index. */
static int func_type(module_t *m, cursor_t *from, uint32_t func, uint32_t *type)
{
    func_find_t f = {func, 0, 0};
    if (func < m->sum.num_func_imports) {
        int found = read_vector(m, SEC_IMPORT, on_import_find, &f, NULL);
        *type = f.type;
        return found;
    }
    if (func - m->sum.num_func_imports >= m->sum.num_funcs) {
        rd_fail(from, "function index %u out of range", (unsigned)func);
        return 0;
    }
    cursor_t c = rd_section(m, SEC_FUNCTION);
    rd_u32(&c);
    for (uint32_t i = m->sum.num_func_imports; i < func && rd_ok(&c); i++) {
        rd_u32(&c);
    }
    *type = rd_u32(&c);
    return rd_ok(&c);
}

static int on_export_call(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    extern_walk_t *w = (extern_walk_t *)ctx;
    wa_wasm_extern_t e;
    uint32_t type;
    (void)i;
    read_export(c, &e);
    if (rd_ok(c) && e.kind == WA_EXT_FUNC && func_type(m, c, e.index, &type)) {
        write_sig(m, c, type, e.sig);
    }
    return rd_ok(c) ? w->cb(w->ctx, &e) : 0;
}

int wa_wasm_for_each_export(const uint8_t *wasm, uint32_t len, wa_wasm_extern_cb cb, void *ctx,
                            char *msg, size_t msg_len)
{
    module_t m;
    extern_walk_t w = {cb, ctx};
    int rc = rd_open(&m, wasm, len, msg, msg_len);
    if (rc != WA_OK || cb == NULL) {
        return rc != WA_OK ? rc : WA_ERR_INVALID_ARG;
    }
    read_vector(&m, SEC_TYPE, on_type, NULL, &m.sum.num_types);
    read_vector(&m, SEC_IMPORT, on_import, NULL, NULL);
    read_vector(&m, SEC_FUNCTION, on_function, NULL, &m.sum.num_funcs);
    int stop = read_vector(&m, SEC_EXPORT, on_export_call, &w, NULL);
    return stop != 0 ? stop : m.diag.rc;
}

/* ---- metering ------------------------------------------------------------- */

static void put_bytes(writer_t *w, const uint8_t *p, uint32_t n)
{
    if (w->sink != NULL && n > 0 && w->sink_rc == WA_OK) {
        w->sink_rc = w->sink(w->ctx, p, n);
    } else if (w->out != NULL && n > 0 && w->len + n <= w->cap) {
        memcpy(w->out + w->len, p, n);
    } else if (w->out != NULL && n > 0) {
        w->sink_rc = WA_ERR_TOO_LARGE; /* the buffer is short (wa_wasm_meter_into) */
    }
    w->len += n;
}

static void put_u8(writer_t *w, uint8_t b)
{
    put_bytes(w, &b, 1);
}

/* Minimal unsigned LEB128 into buf (10 bytes); returns its length. */
static uint32_t encode_leb(uint64_t v, uint8_t *buf)
{
    uint32_t n = 0;
    do {
        uint8_t b = (uint8_t)(v & 0x7Fu);
        v >>= 7;
        buf[n++] = (uint8_t)(v != 0 ? b | 0x80u : b);
    } while (v != 0);
    return n;
}

static void put_leb(writer_t *w, uint64_t v)
{
    uint8_t buf[10];
    put_bytes(w, buf, encode_leb(v, buf));
}

/* The bytes of section `id` after its vector count. */
static void put_entries(module_t *m, writer_t *w, unsigned id)
{
    if (m->sec[id].present) {
        cursor_t c = rd_section(m, id);
        rd_u32(&c);
        put_bytes(w, m->wasm + c.pos, c.end - c.pos);
    }
}

static void emit_types(module_t *m, writer_t *w)
{
    static const uint8_t tick_type[] = {TYPE_FUNC, 0x00, 0x01, TYPE_I32}; /* () -> i32 */
    put_leb(w, (uint64_t)m->sum.num_types + 1);
    put_entries(m, w, SEC_TYPE);
    put_bytes(w, tick_type, sizeof tick_type);
}

static void emit_functions(module_t *m, writer_t *w)
{
    put_leb(w, (uint64_t)m->sum.num_funcs + 1);
    put_entries(m, w, SEC_FUNCTION);
    put_leb(w, m->sum.num_types);
}

static void emit_globals(module_t *m, writer_t *w)
{
    static const uint8_t fuel[] = {TYPE_I32, 0x01, OP_I32_CONST, 0x00, OP_END}; /* mut, 0 */
    put_leb(w, (uint64_t)m->sum.num_globals + 1);
    put_entries(m, w, SEC_GLOBAL);
    put_bytes(w, fuel, sizeof fuel);
}

static void check_size(const cursor_t *c, uint64_t size)
{
    if (size > 0xFFFFFFFFu) {
        rd_report(c, WA_ERR_TOO_LARGE, 0, "the metered module would exceed 4 GiB");
    }
}

/*
 * The fuel checks (wa_wasm.h) are written from templates where IDX_* bytes
 * stand for an index: the fuel global, the function's counter local, the
 * tick function. No template byte other than those is >= 0xF0.
 */
enum { IDX_FUEL = 0xF0, IDX_LOCAL, IDX_TICK };

/* The templates: one instruction a line. The tick function returns the
 * fuel global (refilled by the engine as it was called). */
/* clang-format off */
static const uint8_t CALL_CHECK[] = {
    OP_CALL, IDX_TICK,
    OP_DROP};
static const uint8_t GLOBAL_CHECK[] = {
    OP_BLOCK, BLOCK_EMPTY,
    OP_GLOBAL_GET, IDX_FUEL,
    OP_I32_CONST, 1,
    OP_I32_SUB,
    OP_GLOBAL_SET, IDX_FUEL,
    OP_GLOBAL_GET, IDX_FUEL,
    OP_BR_IF, 0,
    OP_CALL, IDX_TICK,
    OP_DROP,
    OP_END};
static const uint8_t LOCAL_CHECK[] = {
    OP_BLOCK, BLOCK_EMPTY,
    OP_LOCAL_GET, IDX_LOCAL,
    OP_I32_CONST, 1,
    OP_I32_SUB,
    OP_LOCAL_TEE, IDX_LOCAL,
    OP_BR_IF, 0,
    OP_I32_CONST, 0,
    OP_GLOBAL_SET, IDX_FUEL,
    OP_CALL, IDX_TICK,
    OP_LOCAL_SET, IDX_LOCAL,
    OP_END};
/* A loop WA_MAX_NESTING deep has no room for the check's block. */
static const uint8_t LOCAL_DEEP[] = {
    OP_LOCAL_GET, IDX_LOCAL,
    OP_GLOBAL_SET, IDX_FUEL,
    OP_CALL, IDX_TICK,
    OP_LOCAL_SET, IDX_LOCAL};
/* clang-format on */
static const uint8_t LOAD[] = {OP_GLOBAL_GET, IDX_FUEL, OP_LOCAL_SET, IDX_LOCAL};
static const uint8_t STORE[] = {OP_LOCAL_GET, IDX_LOCAL, OP_GLOBAL_SET, IDX_FUEL};

/* Rewriting one body: the code up to `from` is written. `region` is the
 * depth of the outermost loop whose rounds spend the counter local (0:
 * none open); such a loop calls no wasm function, so the local is the
 * counter from before that loop until the code leaves it, when the local is
 * stored back. Elsewhere loops spend the fuel global itself. */
typedef struct walk {
    module_t *m;
    writer_t *w;
    uint32_t local; /* set with the first region (fuel_local) */
    uint32_t type;  /* the function's type and locals, for that */
    uint32_t num_locals;
    uint32_t from;
    uint32_t region;
    uint32_t regions; /* counted: the local is only declared when > 0 */
} walk_t;

static void put_template(walk_t *k, uint32_t upto, const uint8_t *t, uint32_t n)
{
    const uint32_t index[3] = {k->m->fuel_global, k->local, k->m->tick_func};
    put_bytes(k->w, k->m->wasm + k->from, upto - k->from);
    k->from = upto;
    for (uint32_t i = 0; i < n; i++) {
        if (t[i] >= IDX_FUEL) {
            put_leb(k->w, index[t[i] - IDX_FUEL]);
        } else {
            put_u8(k->w, t[i]);
        }
    }
}

/* 1 if the loop whose block type c has just read calls a function before
 * its end. An imported one counts too: the engine spends a call's tick on
 * it as on any call (wasm3's call operation; AOT code's import stubs), which
 * a count kept in a local would overwrite when it is stored back. */
static int loop_calls(const cursor_t *c)
{
    cursor_t s = *c;
    uint32_t depth = 0;
    while (rd_ok(&s) && s.pos < s.end) {
        uint8_t op = rd_u8(&s);
        enum imm kind = immediate_kind(op);
        if (op == OP_CALL_INDIRECT || op == OP_CALL) {
            return 1;
        }
        if (kind == IMM_END && depth-- == 0) {
            return 0;
        }
        skip_immediates(&s, kind, op);
        depth += kind == IMM_BLOCK;
    }
    return 0;
}

/* 1 if a branch from `depth` blocks deep to label l leaves the region. */
static int leaves_region(const walk_t *k, uint32_t depth, uint32_t l)
{
    return k->region != 0 && (l >= depth || depth - l < k->region);
}

/* Reads a branch's labels; 1 if one of them leaves the region. */
static int branch_leaves(walk_t *k, cursor_t *c, uint8_t op, uint32_t depth)
{
    uint32_t n = op == OP_BR_TABLE ? rd_u32(c) + 1 : 1;
    int leaves = 0;
    for (uint32_t i = 0; i < n && rd_ok(c); i++) {
        leaves |= leaves_region(k, depth, rd_u32(c));
    }
    return leaves;
}

static uint32_t type_params(module_t *m, uint32_t type);

static void walk_loop(walk_t *k, cursor_t *c, uint32_t at, uint32_t depth)
{
    if (k->region == 0 && !loop_calls(c)) {
        if (k->regions == 0) { /* the counter: a local after the function's own */
            k->local = type_params(k->m, k->type) + k->num_locals;
        }
        k->region = depth;
        k->regions++;
        put_template(k, at, LOAD, sizeof LOAD);
    }
    int deep = depth >= WA_MAX_NESTING;
    if (k->region != 0) {
        put_template(k, c->pos, deep ? LOCAL_DEEP : LOCAL_CHECK,
                     deep ? sizeof LOCAL_DEEP : sizeof LOCAL_CHECK);
    } else if (deep) {
        put_template(k, c->pos, CALL_CHECK, sizeof CALL_CHECK);
    } else {
        put_template(k, c->pos, GLOBAL_CHECK, sizeof GLOBAL_CHECK);
    }
}

/* Writes the instructions of a body (c: from its first) with the checks. */
static void walk_body(walk_t *k, cursor_t *c)
{
    uint32_t depth = 0;
    k->from = c->pos;
    while (rd_ok(c)) {
        uint32_t at = c->pos;
        uint8_t op = rd_u8(c);
        enum imm kind = immediate_kind(op);
        if (kind == IMM_END) {
            if (depth != 0 && depth == k->region) { /* the region's loop ends */
                put_template(k, c->pos, STORE, sizeof STORE);
                k->region = 0;
            }
            if (depth-- == 0) {
                break;
            }
            continue;
        }
        int leaves = op == OP_RETURN && k->region != 0;
        if (op >= OP_BR && op <= OP_BR_TABLE) {
            leaves = branch_leaves(k, c, op, depth);
        } else {
            skip_immediates(c, kind, op);
        }
        if (leaves) {
            put_template(k, at, STORE, sizeof STORE);
        }
        if (kind == IMM_BLOCK) {
            depth++;
            if (op == OP_LOOP) {
                walk_loop(k, c, at, depth);
            }
        }
    }
    if (rd_ok(c) && c->pos != c->end) {
        rd_fail(c, "body size mismatch");
    }
    put_bytes(k->w, k->m->wasm + k->from, c->pos - k->from);
}

/* The parameters of a function type. */
static uint32_t type_params(module_t *m, uint32_t type)
{
    cursor_t c = rd_section(m, SEC_TYPE);
    functype_t ft = {0, 0, 0, 0};
    for (uint32_t n = rd_u32(&c), j = 0; j <= type && j < n && rd_ok(&c); j++) {
        read_functype(&c, &ft);
    }
    return ft.num_params;
}

typedef struct code_emit {
    writer_t *w;
    cursor_t funcs; /* the function section's entry of the next body */
} code_emit_t;

/* The size of a body's locals: its own, and with a region (k->regions) one
 * more group, the counter. */
static uint64_t locals_len(const body_t *b, const walk_t *k)
{
    uint8_t buf[10];
    return k->regions ? encode_leb((uint64_t)b->num_groups + 1, buf) + (b->code - b->groups) + 2u
                      : b->code - b->start;
}

static void put_locals(module_t *m, writer_t *w, const body_t *b, const walk_t *k)
{
    static const uint8_t one_i32[] = {0x01, TYPE_I32};
    if (k->regions) {
        put_leb(w, (uint64_t)b->num_groups + 1);
        put_bytes(w, m->wasm + b->groups, b->code - b->groups);
        put_bytes(w, one_i32, sizeof one_i32);
    } else {
        put_bytes(w, m->wasm + b->start, b->code - b->start);
    }
}

/* Patch mode: `room` bytes at `at` were reserved for a size and a head of
 * head_len bytes; what was written behind them (the tail) moves down behind
 * the size (head + tail), which is written; the caller writes the head and
 * adds the tail's length, returned, to w->len. */
static uint64_t patch_size(writer_t *w, const cursor_t *c, uint64_t at, uint32_t room,
                           uint64_t head_len)
{
    uint8_t buf[10];
    uint64_t tail = w->len - at - room;
    check_size(c, head_len + tail);
    uint32_t n = encode_leb(head_len + tail, buf);
    if (w->len <= w->cap) {
        memmove(w->out + at + n + head_len, w->out + at + room, tail);
    }
    w->len = at;
    put_bytes(w, buf, n);
    return tail;
}

/* Copies a body with the fuel checks; a body with a region declares one
 * more i32 local, the counter, after its own. The walk learns the size:
 * counted first, or (patch mode) written once behind room for size and
 * locals (at most 5 + 5 + groups + 2 bytes). */
static int on_body_emit(module_t *m, cursor_t *c, uint32_t i, void *ctx)
{
    code_emit_t *e = (code_emit_t *)ctx;
    writer_t *w = e->w;
    writer_t probe = {NULL, 0, 0, NULL, NULL, WA_OK, 0};
    body_t b;
    uint32_t type = rd_u32(&e->funcs);
    c->func = m->sum.num_func_imports + i;
    read_body(c, &b);
    if (!rd_ok(c)) {
        return 0;
    }
    walk_t k = {.m = m, .w = w->patch ? w : &probe, .type = type, .num_locals = b.num_locals};
    cursor_t in = body_cursor(c, &b);
    uint64_t at = w->len;
    uint32_t room = 12u + (b.code - b.groups);
    w->len += w->patch ? room : 0u;
    walk_body(&k, &in);
    uint64_t locals = locals_len(&b, &k);
    if (w->patch) {
        uint64_t tail = patch_size(w, c, at, room, locals);
        put_locals(m, w, &b, &k);
        w->len += tail;
    } else {
        check_size(c, locals + probe.len);
        put_leb(w, locals + probe.len);
        if (w->out == NULL && w->sink == NULL) { /* only counting: the walk counted */
            w->len += locals + probe.len;
        } else {
            put_locals(m, w, &b, &k);
            in = body_cursor(c, &b);
            k.w = w;
            k.region = k.regions = 0;
            walk_body(&k, &in);
        }
    }
    c->func = NO_FUNC;
    return 0;
}

/* The element section without its segments that change nothing. */
static void emit_elements(module_t *m, writer_t *w)
{
    cursor_t c = rd_section(m, SEC_ELEMENT);
    uint32_t n = rd_u32(&c);
    put_leb(w, (uint64_t)n - m->noop_elements);
    for (uint32_t i = 0; i < n && rd_ok(&c); i++) {
        uint32_t at = c.pos;
        if (!read_element_noop(m, &c, i)) {
            put_bytes(w, m->wasm + at, c.pos - at);
        }
    }
}

static void emit_code(module_t *m, writer_t *w)
{
    uint8_t buf[10];
    uint32_t fuel_len = encode_leb(m->fuel_global, buf);
    code_emit_t e = {w, rd_section(m, SEC_FUNCTION)};
    put_leb(w, (uint64_t)m->sum.num_funcs + 1);
    if (m->sec[SEC_FUNCTION].present) {
        rd_u32(&e.funcs); /* else no bodies either (summarize checked) */
    }
    read_vector(m, SEC_CODE, on_body_emit, &e, NULL);
    put_leb(w, 3u + fuel_len); /* the tick function: no locals, global.get $fuel, end */
    put_u8(w, 0x00);
    put_u8(w, OP_GLOBAL_GET);
    put_bytes(w, buf, fuel_len);
    put_u8(w, OP_END);
}

typedef void (*emit_fn)(module_t *m, writer_t *w);

static void emit_section(module_t *m, writer_t *w, unsigned id, emit_fn fn)
{
    writer_t probe = {NULL, 0, 0, NULL, NULL, WA_OK, 0};
    cursor_t c = rd_section(m, id);
    put_u8(w, (uint8_t)id);
    if (w->patch) {
        uint64_t at = w->len;
        w->len += 5u;
        fn(m, w);
        w->len += patch_size(w, &c, at, 5u, 0u);
        return;
    }
    fn(m, &probe);
    check_size(&c, probe.len);
    put_leb(w, probe.len);
    fn(m, w);
}

/* Adds a type, function or global section the module lacks where it
 * belongs: before the first section that ranks after it. */
static void emit_missing(module_t *m, writer_t *w, unsigned rank, int *added)
{
    static const struct {
        unsigned id;
        emit_fn fn;
    } added_by_metering[] = {
        {SEC_TYPE, emit_types}, {SEC_FUNCTION, emit_functions}, {SEC_GLOBAL, emit_globals}};
    for (unsigned i = 0; i < 3; i++) {
        unsigned id = added_by_metering[i].id;
        if (!m->sec[id].present && !added[i] && rank > section_rank(id)) {
            emit_section(m, w, id, added_by_metering[i].fn);
            added[i] = 1;
        }
    }
}

static void emit_module(module_t *m, writer_t *w)
{
    cursor_t c = {m->wasm, HEADER_LEN, m->len, NO_SECTION, NO_FUNC, &m->diag};
    section_t s;
    int added[3] = {0, 0, 0};
    put_bytes(w, m->wasm, HEADER_LEN);
    while (next_section(&c, &s)) {
        if (m->drop[s.id]) {
            continue; /* valid, but the engine refuses it; leaving it out changes nothing */
        }
        if (s.id != SEC_CUSTOM && m->tick_func != NO_INDEX) {
            emit_missing(m, w, section_rank(s.id), added);
        }
        if (s.id == SEC_ELEMENT && m->noop_elements > 0) {
            emit_section(m, w, SEC_ELEMENT, emit_elements);
        } else if (m->tick_func == NO_INDEX) { /* nothing to meter: copy */
            put_bytes(w, m->wasm + s.head, s.end - s.head);
        } else if (s.id == SEC_TYPE) {
            emit_section(m, w, SEC_TYPE, emit_types);
        } else if (s.id == SEC_FUNCTION) {
            emit_section(m, w, SEC_FUNCTION, emit_functions);
        } else if (s.id == SEC_GLOBAL) {
            emit_section(m, w, SEC_GLOBAL, emit_globals);
        } else if (s.id == SEC_CODE) {
            emit_section(m, w, SEC_CODE, emit_code);
        } else {
            put_bytes(w, m->wasm + s.head, s.end - s.head);
        }
    }
    check_size(&c, w->len);
}

/* Writes the metered module through w (which may only count). */
static int meter_module(const uint8_t *wasm, uint32_t len, writer_t *w, uint32_t *tick, char *msg,
                        size_t msg_len)
{
    module_t m;
    int rc = rd_open(&m, wasm, len, msg, msg_len);
    m.skim = w->patch;
    if (rc == WA_OK) {
        rc = summarize_module(&m);
    }
    if (rc != WA_OK) {
        return rc;
    }
    m.tick_func = NO_INDEX;
    if (m.sec[SEC_CODE].present) { /* else no code, no loops: nothing to meter */
        m.tick_func = m.sum.num_func_imports + m.sum.num_funcs;
        m.fuel_global = m.num_global_imports + m.sum.num_globals;
    }
    *tick = m.tick_func;
    emit_module(&m, w);
    return m.diag.rc;
}

int wa_wasm_meter_size(const uint8_t *wasm, uint32_t len, uint32_t *out_len, char *msg,
                       size_t msg_len)
{
    writer_t w = {NULL, 0, 0, NULL, NULL, WA_OK, 0};
    uint32_t tick;
    int rc = meter_module(wasm, len, &w, &tick, msg, msg_len);
    if (rc == WA_OK && out_len != NULL) {
        *out_len = (uint32_t)w.len;
    }
    return rc;
}

int wa_wasm_meter(const uint8_t *wasm, uint32_t len, uint8_t *out, uint32_t out_cap,
                  uint32_t *out_len, uint32_t *tick_func, char *msg, size_t msg_len)
{
    uint32_t need = 0;
    uint32_t tick;
    int rc = wa_wasm_meter_size(wasm, len, &need, msg, msg_len);
    if (rc != WA_OK) {
        return rc;
    }
    if (need > out_cap || out == NULL) {
        if (msg != NULL && msg_len > 0) {
            snprintf(msg, msg_len, "the metered module needs %u bytes; the buffer has %u",
                     (unsigned)need, (unsigned)(out == NULL ? 0 : out_cap));
        }
        return WA_ERR_TOO_LARGE;
    }
    writer_t w = {out, out_cap, 0, NULL, NULL, WA_OK, 0};
    rc = meter_module(wasm, len, &w, &tick, msg, msg_len);
    if (rc == WA_OK && w.len != need) {
        rc = WA_ERR_UNKNOWN; /* cannot happen: both passes run the same code */
    }
    if (rc == WA_OK) {
        if (out_len != NULL) {
            *out_len = need;
        }
        if (tick_func != NULL) {
            *tick_func = tick;
        }
    }
    return rc;
}

int wa_wasm_meter_to(const uint8_t *wasm, uint32_t len, wa_wasm_sink sink, void *ctx,
                     uint32_t *out_len, char *msg, size_t msg_len)
{
    writer_t w = {NULL, 0, 0, sink, ctx, WA_OK, 0};
    uint32_t tick;
    int rc = meter_module(wasm, len, &w, &tick, msg, msg_len);
    if (rc == WA_OK && w.sink_rc != WA_OK) {
        rc = w.sink_rc;
        if (msg != NULL && msg_len > 0) {
            snprintf(msg, msg_len, "writing the metered module failed (error %d)", rc);
        }
    }
    if (rc == WA_OK && out_len != NULL) {
        *out_len = (uint32_t)w.len;
    }
    return rc;
}

int wa_wasm_meter_into(const uint8_t *wasm, uint32_t len, uint8_t *out, uint32_t out_cap,
                       uint32_t *out_len, char *msg, size_t msg_len)
{
    writer_t w = {out, out_cap, 0, NULL, NULL, WA_OK, 1};
    uint32_t tick;
    int rc = meter_module(wasm, len, &w, &tick, msg, msg_len);
    if (rc == WA_OK && (w.sink_rc != WA_OK || w.len > out_cap)) {
        rc = WA_ERR_TOO_LARGE; /* no message: the runtime's buffer has room */
    }
    if (rc == WA_OK && out_len != NULL) {
        *out_len = (uint32_t)w.len;
    }
    return rc;
}

/* Each loop gains a check (5 indices), perhaps a load before it and a store
 * after it (2 each); each branch perhaps a store; an index takes at most 5
 * bytes, 4 more than a template counts. Each body's size and local groups
 * grow by at most 4 bytes each and a local group; the added type, function,
 * body, global and section headers take < 96. */
uint32_t wa_wasm_meter_bound(uint32_t len, const wa_wasm_summary_t *s)
{
    const uint64_t store = sizeof STORE + 4u * 2u;
    const uint64_t loop = sizeof LOCAL_CHECK + 4u * 5u + sizeof LOAD + 4u * 2u + store;
    uint64_t bound = (uint64_t)len + loop * s->num_loops + store * s->num_branches +
                     10ull * (s->num_funcs + 1u) + 96u;
    return bound > UINT32_MAX ? UINT32_MAX : (uint32_t)bound;
}
