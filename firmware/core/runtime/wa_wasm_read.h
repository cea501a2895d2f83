/*
 * wa_wasm_read.h - the wasm reader's internals, shared by wa_wasm.c (summary,
 * imports, exports, metering) and wa_validate.c (validation). Not a public
 * API: see wa_wasm.h. The cursor and diag_t rules are described at the top
 * of wa_wasm.c.
 */
#ifndef WA_WASM_READ_H
#define WA_WASM_READ_H

#include <stddef.h>
#include <stdint.h>

#include "wa_wasm.h"

enum section_id {
    SEC_CUSTOM = 0,
    SEC_TYPE,
    SEC_IMPORT,
    SEC_FUNCTION,
    SEC_TABLE,
    SEC_MEMORY,
    SEC_GLOBAL,
    SEC_EXPORT,
    SEC_START,
    SEC_ELEMENT,
    SEC_CODE,
    SEC_DATA,
    SEC_DATACOUNT,
    SEC_COUNT
};

enum {
    TYPE_I32 = 0x7F,
    TYPE_I64 = 0x7E,
    TYPE_F32 = 0x7D,
    TYPE_F64 = 0x7C,
    TYPE_V128 = 0x7B,
    TYPE_FUNCREF = 0x70,
    TYPE_EXTERNREF = 0x6F,
    TYPE_FUNC = 0x60,
    BLOCK_EMPTY = 0x40
};

enum {
    OP_BLOCK = 0x02,
    OP_LOOP = 0x03,
    OP_END = 0x0B,
    OP_BR = 0x0C,
    OP_BR_IF = 0x0D,
    OP_BR_TABLE = 0x0E,
    OP_RETURN = 0x0F,
    OP_CALL = 0x10,
    OP_CALL_INDIRECT = 0x11,
    OP_DROP = 0x1A,
    OP_LOCAL_GET = 0x20,
    OP_LOCAL_SET = 0x21,
    OP_LOCAL_TEE = 0x22,
    OP_GLOBAL_GET = 0x23,
    OP_GLOBAL_SET = 0x24,
    OP_MEMORY_SIZE = 0x3F,
    OP_MEMORY_GROW = 0x40,
    OP_I32_CONST = 0x41,
    OP_I32_SUB = 0x6B
};

#define NO_SECTION 0xFFu
#define NO_FUNC 0xFFFFFFFFu
#define NO_INDEX 0xFFFFFFFFu
#define HEADER_LEN 8u

typedef struct diag {
    char *msg;
    size_t msg_len;
    int rc; /* the first error; WA_OK while there is none */
} diag_t;

typedef struct cursor {
    const uint8_t *wasm; /* module start: positions are offsets from here */
    uint32_t pos;
    uint32_t end;     /* one past the last byte this cursor may read */
    unsigned section; /* for messages: NO_SECTION outside any */
    uint32_t func;    /* for messages: NO_FUNC outside a function body */
    diag_t *diag;
} cursor_t;

typedef struct section {
    uint32_t head;  /* offset of the id byte */
    uint32_t start; /* payload */
    uint32_t end;
    unsigned id;
    int present;
} section_t;

typedef struct module {
    diag_t diag;
    const uint8_t *wasm;
    uint32_t len;
    section_t sec[SEC_COUNT];
    wa_wasm_summary_t sum;
    uint32_t num_global_imports;
    uint32_t heap_base_global; /* NO_INDEX when "__heap_base" is not exported */
    uint32_t fuel_global;      /* metering: the fuel counter's index */
    uint32_t tick_func;        /* metering: the tick function's index; NO_INDEX: copy only */
    uint32_t table_min;        /* the first defined table's minimum; NO_INDEX if none */
    uint32_t noop_elements;    /* element segments that change nothing */
    uint8_t drop[SEC_COUNT];   /* sections the rewrite leaves out (see needs_rewrite) */
    int skim;                  /* summary: bodies sized, not read (loops not counted) */
} module_t;

typedef struct limits {
    uint32_t min;
    uint32_t max;
} limits_t;

/* Errors: the first one of a call is kept; `locate` appends section and offset. */
static inline int rd_ok(const cursor_t *c)
{
    return c->diag->rc == WA_OK;
}
void rd_report(const cursor_t *c, int rc, int locate, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rd_fail(const cursor_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rd_fail_byte(cursor_t *c, const char *what, uint8_t b);

/* Reads: bounds-checked, 0 after an error. */
uint8_t rd_u8(cursor_t *c);
int rd_peek(const cursor_t *c); /* -1 at the limit or after an error */
const uint8_t *rd_bytes(cursor_t *c, uint32_t n);
uint64_t rd_leb(cursor_t *c, unsigned bits, int is_signed);
static inline uint32_t rd_u32(cursor_t *c)
{
    if (rd_ok(c) && c->pos < c->end && c->wasm[c->pos] < 0x80u) { /* one byte */
        return c->wasm[c->pos++];
    }
    return (uint32_t)rd_leb(c, 32, 0);
}
const char *rd_name(cursor_t *c, uint32_t *len);
void rd_limits(cursor_t *c, limits_t *l);
int rd_utf8_ok(const uint8_t *s, uint32_t n); /* 1 if valid UTF-8 */
int rd_is_reftype(int b);
int rd_is_valtype(int b);
const char *rd_opcode_note(uint8_t op); /* " (SIMD)" etc., "" when none */
uint32_t rd_deepest(const cursor_t *c, uint32_t depth);

/* Module structure: the header and the sections' places. */
int rd_open(module_t *m, const uint8_t *wasm, uint32_t len, char *msg, size_t msg_len);
cursor_t rd_section(module_t *m, unsigned id);
void rd_finish(cursor_t *c); /* the cursor must be at its section's end */

#endif /* WA_WASM_READ_H */
