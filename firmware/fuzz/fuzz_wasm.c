/*
 * fuzz_wasm.c - the runtime's wasm reader and CPU-metering rewriter
 * (wa_wasm.c) on arbitrary bytes: wa_wasm_summarize, the import and export
 * iterations, wa_wasm_meter_size, wa_wasm_meter, wa_wasm_meter_to and
 * wa_wasm_meter_into; wa_wasm_validate_counting and wa_wasm_summarize_sections.
 *
 * Invariants: names point into the module; the three metering entry points
 * agree (same result, same size, the same bytes), meter_size's size is exact;
 * a module the validator accepts the summary accepts, with the same counts
 * (wa_check_fit's shortcut); on a module the summary accepts, the one-pass
 * wa_wasm_meter_into fails where they fail and else writes the same bytes,
 * refusing a buffer one byte short; a metered module reads back with one
 * more type, function and global, the same stack top, loops and imports,
 * within wa_wasm_meter_bound (a module without code comes back unchanged).
 */
#include <string.h>

#include "fuzz_common.h"
#include "wa_err.h"
#include "wa_wasm.h"

#define MAX_IN (256u * 1024u)

static uint8_t s_out[2 * MAX_IN + 4096];
static uint8_t s_streamed[sizeof s_out];

typedef struct span {
    const uint8_t *data;
    uint32_t len;
    uint32_t count;
} span_t;

static int check_extern(void *ctx, const wa_wasm_extern_t *e)
{
    span_t *s = ctx;
    const uint8_t *end = s->data + s->len;
    FUZZ_CHECK(e->kind <= WA_EXT_GLOBAL);
    FUZZ_CHECK((const uint8_t *)e->name >= s->data && e->name_len <= s->len &&
               (const uint8_t *)e->name + e->name_len <= end);
    if (e->module != NULL) {
        FUZZ_CHECK((const uint8_t *)e->module >= s->data &&
                   (const uint8_t *)e->module + e->module_len <= end);
    }
    FUZZ_CHECK(memchr(e->sig, 0, sizeof e->sig) != NULL);
    s->count++;
    return 0;
}

typedef struct sink {
    uint8_t *buf;
    uint32_t cap;
    uint32_t len;
} sink_t;

static int to_buf(void *ctx, const uint8_t *data, uint32_t len)
{
    sink_t *s = ctx;
    FUZZ_CHECK(len <= s->cap - s->len);
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[96];
    if (size > MAX_IN) {
        return 0;
    }
    uint32_t len = (uint32_t)size;
    wa_wasm_summary_t sum;
    int src = wa_wasm_summarize(data, len, &sum, msg, sizeof msg);
    FUZZ_CHECK(memchr(msg, 0, sizeof msg) != NULL);

    /* The load checks' shortcut (wa_check_fit): what the validator accepts the
     * whole summary accepts, with the loops, branches and memory.size/grow the
     * validator counts, and the summary of the sections alone differs only in
     * those. */
    wa_wasm_summary_t counts;
    wa_wasm_summary_t sections;
    if (wa_wasm_validate_counting(data, len, &counts, NULL, 0) == WA_OK) {
        FUZZ_CHECK(src == WA_OK && counts.num_loops == sum.num_loops &&
                   counts.num_branches == sum.num_branches && counts.memory_ops == sum.memory_ops);
        FUZZ_CHECK(wa_wasm_summarize_sections(data, len, &sections, NULL, 0) == WA_OK);
        sections.num_loops = counts.num_loops;
        sections.num_branches = counts.num_branches;
        sections.memory_ops = counts.memory_ops;
        FUZZ_CHECK(memcmp(&sections, &sum, sizeof sum) == 0);
    }

    span_t imports = {data, len, 0};
    span_t exports = {data, len, 0};
    int irc = wa_wasm_for_each_import(data, len, check_extern, &imports, msg, sizeof msg);
    int erc = wa_wasm_for_each_export(data, len, check_extern, &exports, NULL, 0);
    /* The iterations look deeper than the summary (an export's function index
     * and type): they may refuse a module it accepted, never count differently. */
    FUZZ_CHECK(irc == WA_OK || irc == WA_ERR_MALFORMED);
    FUZZ_CHECK(erc == WA_OK || erc == WA_ERR_MALFORMED);
    if (src == WA_OK && irc == WA_OK) {
        FUZZ_CHECK(imports.count == sum.num_imports);
    }
    if (src == WA_OK && erc == WA_OK) {
        FUZZ_CHECK(exports.count == sum.num_exports);
    }

    uint32_t size_len = 0;
    int mrc_size = wa_wasm_meter_size(data, len, &size_len, msg, sizeof msg);
    uint32_t out_len = 0;
    uint32_t tick = 0;
    int mrc = wa_wasm_meter(data, len, s_out, sizeof s_out, &out_len, &tick, msg, sizeof msg);
    sink_t sink = {s_streamed, sizeof s_streamed, 0};
    uint32_t streamed_len = 0;
    int mrc_to = wa_wasm_meter_to(data, len, to_buf, &sink, &streamed_len, msg, sizeof msg);
    FUZZ_CHECK(mrc == mrc_size && mrc == mrc_to);
    if (mrc != WA_OK) {
        uint32_t into_len = 0;
        FUZZ_CHECK(src != WA_OK || wa_wasm_meter_into(data, len, s_streamed, sizeof s_streamed,
                                                      &into_len, msg, sizeof msg) != WA_OK);
        return 0;
    }
    FUZZ_CHECK(out_len == size_len && out_len == streamed_len && sink.len == out_len);
    FUZZ_CHECK(memcmp(s_out, s_streamed, out_len) == 0);
    /* Too small by one byte: refused, never written past. */
    if (out_len > 0) {
        uint32_t short_len = 0;
        int rc =
            wa_wasm_meter(data, len, s_streamed, out_len - 1, &short_len, &tick, msg, sizeof msg);
        FUZZ_CHECK(rc == WA_ERR_TOO_LARGE);
    }
    if (src != WA_OK) {
        return 0;
    }
    uint32_t into_len = 0;
    uint32_t cap = wa_wasm_meter_bound(len, &sum) + WA_WASM_METER_ROOM;
    FUZZ_CHECK(cap <= sizeof s_streamed);
    FUZZ_CHECK(wa_wasm_meter_into(data, len, s_streamed, cap, &into_len, msg, sizeof msg) == WA_OK);
    FUZZ_CHECK(into_len == out_len && memcmp(s_out, s_streamed, out_len) == 0);
    if (out_len > 0) {
        int rc = wa_wasm_meter_into(data, len, s_streamed, out_len - 1, &into_len, msg, sizeof msg);
        FUZZ_CHECK(rc == WA_ERR_TOO_LARGE);
    }
    if (tick == 0xFFFFFFFFu) { /* no code section: nothing to meter, the module as it was */
        FUZZ_CHECK(out_len == len && memcmp(s_out, data, len) == 0);
        return 0;
    }
    wa_wasm_summary_t after;
    int arc = wa_wasm_summarize(s_out, out_len, &after, msg, sizeof msg);
    if (arc != WA_OK) {
        fprintf(stderr, "metered module does not read back: %s\n", msg);
    }
    FUZZ_CHECK(arc == WA_OK);
    FUZZ_CHECK(after.num_funcs == sum.num_funcs + 1);
    FUZZ_CHECK(after.num_types == sum.num_types + 1);
    FUZZ_CHECK(after.num_globals == sum.num_globals + 1);
    FUZZ_CHECK(after.stack_top == sum.stack_top);
    FUZZ_CHECK(out_len <= wa_wasm_meter_bound(len, &sum));
    FUZZ_CHECK(after.num_loops == sum.num_loops);
    FUZZ_CHECK(after.num_imports == sum.num_imports);
    FUZZ_CHECK(tick == sum.num_func_imports + sum.num_funcs);
    return 0;
}
