/* wa_flash_faults.c - see wa_flash_faults.h. */
#include "wa_flash_faults.h"

#include <string.h>

typedef struct fault_entry {
    uint8_t action; /* enum wa_flash_action */
    uint32_t op;
    uint32_t seed;
} fault_entry_t;

static fault_entry_t s_plan[WA_FLASH_FAULTS_MAX];
static uint32_t s_entries;
static uint32_t s_next;

static const struct {
    const char *name;
    uint8_t action;
} k_kinds[] = {
    {"cut-before:", WA_FLASH_CUT_BEFORE},
    {"cut-after:", WA_FLASH_CUT_AFTER},
    {"cut-during:", WA_FLASH_CUT_DURING},
    {"fail-write:", WA_FLASH_SKIP},
};

/* ---- PRNG: splitmix32 (a Weyl sequence through a 32-bit mixer) ----------- */

static uint32_t next_random(uint32_t *state)
{
    uint32_t z = (*state += 0x9E3779B9u);
    z = (z ^ (z >> 16)) * 0x21F0AAADu;
    z = (z ^ (z >> 15)) * 0x735A2D97u;
    return z ^ (z >> 15);
}

static uint32_t default_seed(uint32_t op)
{
    uint32_t state = op ^ 0x5EEDF1A5u;
    return next_random(&state);
}

/* ---- the plan ---------------------------------------------------------- */

/* A decimal number at *text (advanced past it); -1 if none or over 32 bits. */
static int parse_u32(const char **text, uint32_t *out)
{
    const char *s = *text;
    uint64_t v = 0;
    if (*s < '0' || *s > '9') {
        return -1;
    }
    while (*s >= '0' && *s <= '9') {
        v = v * 10u + (uint64_t)(*s++ - '0');
        if (v > 0xFFFFFFFFu) {
            return -1;
        }
    }
    *text = s;
    *out = (uint32_t)v;
    return 0;
}

/* One entry at *text, up to a comma or the end; -1 if malformed. */
static int parse_entry(const char **text, fault_entry_t *e)
{
    size_t kinds = sizeof k_kinds / sizeof k_kinds[0];
    size_t k = 0;
    while (k < kinds && strncmp(*text, k_kinds[k].name, strlen(k_kinds[k].name)) != 0) {
        k++;
    }
    if (k == kinds) {
        return -1;
    }
    *text += strlen(k_kinds[k].name);
    e->action = k_kinds[k].action;
    if (parse_u32(text, &e->op) != 0) {
        return -1;
    }
    e->seed = default_seed(e->op);
    if (e->action == WA_FLASH_CUT_DURING && **text == ':') {
        (*text)++;
        if (parse_u32(text, &e->seed) != 0) {
            return -1;
        }
    }
    return **text == ',' || **text == '\0' ? 0 : -1;
}

int wa_flash_faults_plan(const char *plan)
{
    s_entries = 0;
    const char *at = plan;
    while (at != NULL && *at != '\0') {
        fault_entry_t e;
        if (s_entries == WA_FLASH_FAULTS_MAX || parse_entry(&at, &e) != 0) {
            s_entries = 0;
            return -1;
        }
        s_plan[s_entries++] = e;
        if (*at == ',' && *++at == '\0') { /* a trailing comma */
            s_entries = 0;
            return -1;
        }
    }
    return 0;
}

uint32_t wa_flash_faults_count(void)
{
    return s_next;
}

void wa_flash_faults_set_count(uint32_t next)
{
    s_next = next;
}

wa_flash_op_t wa_flash_faults_next(char kind, uint32_t off, uint32_t len)
{
    wa_flash_op_t op = {s_next++, kind, off, len, WA_FLASH_DO, 0};
    for (uint32_t i = 0; i < s_entries; i++) {
        const fault_entry_t *e = &s_plan[i];
        if (e->op != op.index || (e->action == WA_FLASH_SKIP && kind != 'P')) {
            continue;
        }
        op.action = e->action;
        op.seed = e->seed;
        break;
    }
    return op;
}

/* ---- torn operations ------------------------------------------------------ */

static void tear_program(uint32_t *rng, uint8_t *view, const uint8_t *data, uint32_t len)
{
    uint32_t done = next_random(rng) % len;
    memcpy(view, data, done);
    view[done] = (uint8_t)(data[done] | (next_random(rng) & 0xFFu));
}

static void tear_erase(uint32_t *rng, uint8_t *view, uint32_t len, uint32_t page)
{
    uint32_t pages = page == 0 ? 1u : len / page;
    uint32_t size = page == 0 ? len : page;
    uint32_t torn = pages == 0 ? 0u : next_random(rng) % pages;
    memset(view, 0xFF, (size_t)torn * size);
    uint8_t *p = view + (size_t)torn * size;
    for (uint32_t i = 0; pages != 0 && i < size; i++) {
        uint32_t r = next_random(rng);
        switch (r % 3u) {
        case 0: p[i] = 0xFFu; break;
        case 1: break; /* not reached by the erase yet */
        default: p[i] = (uint8_t)(p[i] | ((r >> 8) & 0xFFu)); break;
        }
    }
}

void wa_flash_faults_tear(const wa_flash_op_t *op, uint8_t *view, const uint8_t *data,
                          uint32_t page)
{
    uint32_t rng = op->seed;
    if (op->len == 0) {
        return;
    }
    if (op->kind == 'P' && data != NULL) {
        tear_program(&rng, view, data, op->len);
    } else if (op->kind == 'E') {
        tear_erase(&rng, view, op->len, page);
    }
}

/* ---- lines ------------------------------------------------------------------ */

static size_t put_str(char *out, size_t at, const char *s)
{
    size_t n = strlen(s);
    memcpy(out + at, s, n);
    return at + n;
}

static size_t put_u32(char *out, size_t at, uint32_t v)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0) {
        out[at++] = digits[--n];
    }
    return at;
}

size_t wa_flash_faults_trace_line(const wa_flash_op_t *op, char *out, size_t cap)
{
    if (cap < WA_FLASH_FAULTS_LINE_MAX) {
        return 0;
    }
    size_t at = put_u32(out, 0, op->index);
    out[at++] = ' ';
    out[at++] = op->kind;
    out[at++] = ' ';
    at = put_u32(out, at, op->off);
    out[at++] = ' ';
    at = put_u32(out, at, op->len);
    out[at++] = '\n';
    out[at] = '\0';
    return at;
}

size_t wa_flash_faults_cut_line(const wa_flash_op_t *op, char *out, size_t cap)
{
    if (cap < WA_FLASH_FAULTS_LINE_MAX) {
        return 0;
    }
    const char *when = op->action == WA_FLASH_CUT_BEFORE  ? " (before)\n"
                       : op->action == WA_FLASH_CUT_AFTER ? " (after)\n"
                                                          : " (during)\n";
    size_t at = put_str(out, 0, "power cut at flash op ");
    at = put_u32(out, at, op->index);
    at = put_str(out, at, when);
    out[at] = '\0';
    return at;
}
