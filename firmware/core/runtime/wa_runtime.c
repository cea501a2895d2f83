/*
 * wa_runtime.c - the engine-neutral half of the runtime: budget and fit
 * checks, capability grants, metering, call checks, statistics. The engine
 * itself is behind wa_engine.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_aot.h"
#include "wa_engine.h"

int wa_error_set(wa_error_t *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

int wa_app_native_trap(wa_app_t *app, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    app->native_error = code;
    vsnprintf(app->native_message, sizeof app->native_message, fmt, ap);
    va_end(ap);
    return code;
}

/* ---- fit ---------------------------------------------------------------- */

static unsigned kib(uint64_t bytes)
{
    return (unsigned)((bytes + 1023u) / 1024u);
}

static int check_memory(const wa_budget_t *budget, const wa_wasm_summary_t *s, wa_error_t *err)
{
    uint32_t pages = budget->linear_memory_bytes / WA_WASM_PAGE;
    if (s->memory_imported) {
        return wa_error_set(err, WA_ERR_NOT_SUPPORTED,
                            "module imports its linear memory; an app must define its own");
    }
    if (s->has_memory && s->mem_initial_pages > pages) {
        return wa_error_set(err, WA_ERR_MEMORY_BUDGET,
                            "module needs %u pages (%u KiB) of linear memory at start; the "
                            "board allows %u pages (%u KiB)",
                            (unsigned)s->mem_initial_pages, kib(s->mem_initial_pages * 65536ull),
                            (unsigned)pages, kib(pages * 65536ull));
    }
    uint32_t static_need = s->data_end;
    if (s->stack_top > static_need) {
        static_need = s->stack_top;
    }
    if (static_need > pages * WA_WASM_PAGE) {
        return wa_error_set(err, WA_ERR_MEMORY_BUDGET,
                            "module's data and stack need %u KiB of linear memory; the board "
                            "allows %u KiB",
                            kib(static_need), kib(pages * 65536ull));
    }
    return WA_OK;
}

uint32_t wa_linear_memory(const wa_wasm_summary_t *s, int *why)
{
    uint64_t full = (uint64_t)s->mem_initial_pages * WA_WASM_PAGE;
    uint64_t need = s->heap_base > s->data_end ? s->heap_base : s->data_end;
    need = (need + WA_SHRINK_ALIGN - 1u) / WA_SHRINK_ALIGN * WA_SHRINK_ALIGN;
    *why = !s->has_memory || full == 0 ? WA_SHRINK_NO_MEMORY
           : s->memory_imported        ? WA_SHRINK_IMPORTED
           : s->memory_ops != 0        ? WA_SHRINK_MEMORY_OPS
           : s->heap_base == 0         ? WA_SHRINK_NO_HEAP_BASE
           : s->data_offset_unknown    ? WA_SHRINK_DATA_OFFSET
                                       : WA_SHRINK_DONE;
    return (uint32_t)(*why == WA_SHRINK_DONE && need < full ? need : full);
}

/* Why a module is refused: the whole summary's error, else the validator's. */
static int refusal(const uint8_t *wasm, uint32_t len, wa_wasm_summary_t *s, char *msg,
                   size_t msg_len, wa_error_t *err)
{
    int rc = wa_wasm_summarize(wasm, len, s, msg, msg_len);
    if (rc != WA_OK) {
        return wa_error_set(err, rc, "%s module: %s",
                            rc == WA_ERR_NOT_SUPPORTED ? "unsupported" : "malformed", msg);
    }
    rc = wa_wasm_validate(wasm, len, msg, msg_len);
    if (rc != WA_OK) {
        return wa_error_set(err, rc, "%s%s", rc == WA_ERR_MALFORMED ? "invalid module: " : "", msg);
    }
    return WA_OK;
}

/* wa_check_fit, or (checked != 0: an image wa_check_image accepted, its
 * bytes unchanged since) the same but the bodies: not validated again,
 * memory_ops taken from the check's word. */
static int fit(const wa_budget_t *budget, const uint8_t *wasm, uint32_t len,
               wa_wasm_summary_t *summary, uint32_t checked, wa_error_t *err)
{
    wa_wasm_summary_t local;
    wa_wasm_summary_t *s = summary != NULL ? summary : &local;
    char msg[WA_ERROR_MESSAGE_MAX - 24];
    memset(s, 0, sizeof *s);
    if (len > budget->module_bytes) {
        return wa_error_set(err, WA_ERR_MODULE_TOO_LARGE,
                            "module is %u bytes (%u KiB); the board accepts at most %u KiB",
                            (unsigned)len, kib(len), kib(budget->module_bytes));
    }
    /* The bodies read once, by the validator; a refused module is read
     * again for the error the whole summary, then the validator, find first. */
    int rc = wa_wasm_summarize_sections(wasm, len, s, msg, sizeof msg);
    s->memory_ops = checked & WA_CHECKED_MEMORY_OPS;
    if (rc == WA_OK && !checked) {
        rc = wa_wasm_validate_counting(wasm, len, s, msg, sizeof msg);
    }
    if (rc != WA_OK && (rc = refusal(wasm, len, s, msg, sizeof msg, err)) != WA_OK) {
        return rc;
    }
    if (s->elem_past_end != 0) { /* valid, but it cannot be instantiated */
        return wa_error_set(err, WA_ERR_LOAD_FAILED,
                            "element segment %u (offset %u, %u entries) is past the end of "
                            "table 0 (%u entries)",
                            (unsigned)s->elem_past_end - 1u, (unsigned)s->elem_offset,
                            (unsigned)s->elem_count, (unsigned)s->table_size);
    }
    return check_memory(budget, s, err);
}

int wa_check_fit(const wa_budget_t *budget, const uint8_t *wasm, uint32_t len,
                 wa_wasm_summary_t *summary, wa_error_t *err)
{
    return fit(budget, wasm, len, summary, 0, err);
}

/* ---- imports and grants ------------------------------------------------- */

static const char *const s_cap_names[] = {WA_CAP_NAMES};
_Static_assert((1u << (sizeof s_cap_names / sizeof s_cap_names[0])) - 1u == WA_CAP_ALL,
               "a name for every capability bit");

static const char *cap_name(uint32_t cap)
{
    for (unsigned i = 0; i < sizeof s_cap_names / sizeof s_cap_names[0]; i++) {
        if (cap == (1u << i)) {
            return s_cap_names[i];
        }
    }
    return "?";
}

/* 1 when a native's declared signature ('*' = i32) matches an import's. */
static int sig_matches(const char *declared, const char *actual)
{
    for (; *declared != '\0' && *actual != '\0'; declared++, actual++) {
        char d = (*declared == '*') ? 'i' : *declared;
        if (d != *actual) {
            return 0;
        }
    }
    return *declared == *actual;
}

typedef struct import_walk {
    uint32_t grants;
    wa_app_t *app; /* NULL: only check */
    wa_error_t *err;
    char module[64];
    char name[64];
} import_walk_t;

static int copy_name(char *dst, size_t cap, const char *src, uint32_t len)
{
    if (len >= cap) {
        return 0;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 1;
}

static int check_import(import_walk_t *w, const wa_wasm_extern_t *imp, const wa_native_t **out)
{
    const char *m = w->module;
    const char *n = w->name;
    if (imp->kind != WA_EXT_FUNC) {
        return wa_error_set(w->err, WA_ERR_UNKNOWN_IMPORT,
                            "import %s.%s is not a function; apps may import only functions", m, n);
    }
    const wa_native_t *native =
        wa_natives_find(imp->module, imp->module_len, imp->name, imp->name_len);
    int wasi = strcmp(m, WA_WASI_MODULE) == 0;
    uint32_t cap = native != NULL ? native->cap : WA_CAP_WASI;
    if (native == NULL && !wasi) {
        return wa_error_set(w->err, WA_ERR_UNKNOWN_IMPORT,
                            "unknown import %s.%s: not part of the native API "
                            "(docs/native-api.md)",
                            m, n);
    }
    if (native != NULL && !sig_matches(native->sig, imp->sig)) {
        return wa_error_set(w->err, WA_ERR_IMPORT_TYPE,
                            "import %s.%s has type %s; the native API declares %s", m, n, imp->sig,
                            native->sig);
    }
    if (native == NULL && imp->sig[0] != 'i' && imp->sig[0] != 'v') {
        return wa_error_set(w->err, WA_ERR_NOT_SUPPORTED,
                            "import %s.%s (%s) is outside the supported WASI subset", m, n,
                            imp->sig);
    }
    if (cap != WA_CAP_NONE && (w->grants & cap) == 0) {
        return wa_error_set(w->err, WA_ERR_NOT_GRANTED,
                            "import %s.%s needs capability '%s', which is not granted", m, n,
                            cap_name(cap));
    }
    *out = native;
    return WA_OK;
}

static int on_import(void *ctx, const wa_wasm_extern_t *imp)
{
    import_walk_t *w = (import_walk_t *)ctx;
    const wa_native_t *native = NULL;
    if (!copy_name(w->module, sizeof w->module, imp->module, imp->module_len) ||
        !copy_name(w->name, sizeof w->name, imp->name, imp->name_len)) {
        return wa_error_set(w->err, WA_ERR_UNKNOWN_IMPORT, "import with a name too long");
    }
    int rc = check_import(w, imp, &native);
    if (rc == WA_OK && w->app != NULL) {
        rc = wa_engine_link(w->app, w->module, w->name, imp->sig, native, w->err);
    }
    return rc;
}

static int walk_imports(uint32_t grants, wa_app_t *app, const uint8_t *wasm, uint32_t len,
                        wa_error_t *err)
{
    import_walk_t w = {.grants = grants, .app = app, .err = err};
    char msg[WA_ERROR_MESSAGE_MAX - 24];
    int rc = wa_wasm_for_each_import(wasm, len, on_import, &w, msg, sizeof msg);
    if (rc == WA_ERR_MALFORMED) {
        return wa_error_set(err, rc, "malformed module: %s", msg);
    }
    return rc;
}

int wa_check_imports(uint32_t grants, const uint8_t *wasm, uint32_t len, wa_error_t *err)
{
    return walk_imports(grants, NULL, wasm, len, err);
}

int wa_resolve_import(uint32_t grants, const char *module, const char *name, const char *sig,
                      const wa_native_t **out, wa_error_t *err)
{
    import_walk_t w = {.grants = grants, .err = err};
    wa_wasm_extern_t imp = {.kind = WA_EXT_FUNC,
                            .module = module,
                            .module_len = (uint32_t)strlen(module),
                            .name = name,
                            .name_len = (uint32_t)strlen(name)};
    if (!copy_name(w.module, sizeof w.module, module, imp.module_len) ||
        !copy_name(w.name, sizeof w.name, name, imp.name_len) ||
        !copy_name(imp.sig, sizeof imp.sig, sig, (uint32_t)strlen(sig))) {
        return wa_error_set(err, WA_ERR_UNKNOWN_IMPORT, "import with a name too long");
    }
    *out = NULL;
    return check_import(&w, &imp, out);
}

/* ---- exports ------------------------------------------------------------ */

typedef struct export_find {
    const char *name;
    size_t name_len;
    uint32_t index; /* in the function index space */
    char sig[WA_WASM_SIG_MAX];
    int found;
} export_find_t;

/* Names are compared with their length: a module may export "a\0b" and "a". */
static int on_export(void *ctx, const wa_wasm_extern_t *exp)
{
    export_find_t *f = (export_find_t *)ctx;
    if (exp->kind == WA_EXT_FUNC && f->name_len == exp->name_len &&
        memcmp(f->name, exp->name, exp->name_len) == 0) {
        memcpy(f->sig, exp->sig, sizeof f->sig);
        f->index = exp->index;
        f->found = 1;
        return 1;
    }
    return 0;
}

static int find_export(wa_app_t *app, export_find_t *f, wa_error_t *err)
{
    wa_wasm_for_each_export(app->module, app->module_len, on_export, f, NULL, 0);
    if (!f->found) {
        return wa_error_set(err, WA_ERR_NO_EXPORT, "the module exports no function '%.*s'",
                            (int)f->name_len, f->name);
    }
    return WA_OK;
}

int wa_app_export_sig(wa_app_t *app, const char *name, char *sig, size_t sig_len, wa_error_t *err)
{
    export_find_t f = {.name = name, .name_len = strlen(name)};
    int rc = find_export(app, &f, err);
    if (rc == WA_OK) {
        snprintf(sig, sig_len, "%s", f.sig);
    }
    return rc;
}

/* ---- load --------------------------------------------------------------- */

/* The bytes the engine reads: the caller's, in place, unless the engine
 * refuses them as they are (summary->needs_rewrite), then a metered copy in
 * RAM. A module read in place has its loops counted by the engine when it
 * runs under a CPU budget (wa_m3_compile.c); an image the rewrite metered
 * already (metered: an install by an earlier firmware) counts them in wasm. */
static int meter_module(wa_app_t *app, const uint8_t *wasm, uint32_t len,
                        const wa_wasm_summary_t *summary, int metered, wa_error_t *err)
{
    char msg[WA_ERROR_MESSAGE_MAX - 24];
    app->metered = 1;
    if (!summary->needs_rewrite) {
        app->module = (uint8_t *)(uintptr_t)wasm;
        app->module_len = len;
        app->module_borrowed = 1;
        app->metered = metered;
        app->engine_loops = !metered && app->budget.cpu_ticks != 0;
        return WA_OK;
    }
    uint32_t bound = wa_wasm_meter_bound(len, summary); /* saves a pass counting */
    uint32_t cap = bound < UINT32_MAX - WA_WASM_METER_ROOM ? bound + WA_WASM_METER_ROOM : bound;
    app->module = malloc(cap);
    if (app->module == NULL) {
        return wa_error_set(err, WA_ERR_NO_MEMORY, "no memory for a %u-byte module", (unsigned)cap);
    }
    int rc = wa_wasm_meter_into(wasm, len, app->module, cap, &app->module_len, msg, sizeof msg);
    if (rc != WA_OK) {
        return wa_error_set(err, rc, "cannot meter the module: %s", msg);
    }
    uint8_t *fit = realloc(app->module, app->module_len ? app->module_len : 1);
    app->module = fit != NULL ? fit : app->module; /* the bound's slack back */
    return WA_OK;
}

/* The AOT code's RAM (its instance, data, linear memory) from the app's heap. */
static int load_aot(wa_app_t *app, const uint8_t *wasm, uint32_t len, const uint8_t *blob,
                    uint32_t blob_len, wa_error_t *err)
{
    app->module = (uint8_t *)(uintptr_t)wasm; /* exports are looked up in it */
    app->module_len = len;
    app->module_borrowed = 1;
#if WA_AOT_SUPPORTED
    uint32_t limit = app->memory_limit;
    uint32_t n = wa_aot_ram_bytes(blob, blob_len, limit);
    uint8_t *ram = n ? wa_heap_malloc(n) : NULL; /* charged to the app's heap */
    /* A memory that grows reserves its pages at load: as many as the heap has
     * now, down to its size at load (a memory.grow past them gives -1, as the
     * interpreter's does when the heap is short). A page less of the limit
     * may not be one less of the memory (a maximum below the limit). */
    for (uint32_t less; ram == NULL && limit >= 65536u; n = less) {
        limit -= 65536u;
        less = wa_aot_ram_bytes(blob, blob_len, limit);
        ram = less < n ? wa_heap_malloc(less) : NULL;
    }
    if (ram == NULL) {
        return wa_error_set(err, WA_ERR_NO_MEMORY, "no memory for the AOT app's %lu bytes of RAM",
                            (unsigned long)n);
    }
    app->aot = wa_aot_load(blob, blob_len, ram, n, app, app->grants, err);
    if (app->aot == NULL) {
        wa_heap_free(ram);
        return err != NULL ? err->code : WA_ERR_LOAD_FAILED;
    }
    return WA_OK;
#else
    (void)blob;
    (void)blob_len;
    return wa_error_set(err, WA_ERR_NOT_SUPPORTED, "no AOT code on this firmware");
#endif
}

/* Step 1, the checks (of a module checked at install, checked != 0, not the
 * bodies). The imports (step 2) of an interpreted module are checked by
 * the linking walk, each before it is linked: the engine reads only valid
 * modules, so a refused import needs no walk of its own before it (the
 * install has one, wa_check_imports, with no engine). */
static int check_steps(wa_app_t *app, const uint8_t *wasm, uint32_t len, int metered,
                       uint32_t checked, wa_wasm_summary_t *summary, wa_error_t *err)
{
    wa_budget_t budget = app->budget;
    if (metered && len > budget.module_bytes) {
        budget.module_bytes = len; /* the original passed; metering made it a little larger */
    }
    int rc = fit(&budget, wasm, len, summary, checked, err);
    int why;
    uint32_t shrunk = wa_linear_memory(summary, &why);
    app->memory_limit = why == WA_SHRINK_DONE ? shrunk : budget.linear_memory_bytes;
    return rc;
}

static int load_steps(wa_app_t *app, const uint8_t *wasm, uint32_t len, int metered,
                      uint32_t checked, const uint8_t *blob, uint32_t blob_len, wa_error_t *err)
{
    wa_wasm_summary_t summary;
    int rc = check_steps(app, wasm, len, metered, checked, &summary, err);
    if (rc == WA_OK && blob != NULL) { /* the module's imports, then the blob's (wa_aot.c) */
        rc = wa_check_imports(app->grants, wasm, len, err);
        return rc == WA_OK ? load_aot(app, wasm, len, blob, blob_len, err) : rc;
    }
    if (rc == WA_OK) {
        rc = meter_module(app, wasm, len, &summary, metered, err);
    }
    if (rc == WA_OK) {
        rc = wa_engine_load(app, err);
    }
    if (rc == WA_OK) {
        rc = walk_imports(app->grants, app, wasm, len, err);
    }
    if (rc == WA_OK) {
        rc = wa_engine_start(app, err);
    }
    return rc;
}

static wa_app_t *load(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                      const uint8_t *wasm, uint32_t len, int metered, uint32_t checked,
                      const uint8_t *blob, uint32_t blob_len, wa_error_t *err)
{
    wa_app_t *app = calloc(1, sizeof *app);
    if (app == NULL) {
        wa_error_set(err, WA_ERR_NO_MEMORY, "no memory for the app");
        return NULL;
    }
    app->budget = *budget;
    app->grants = grants;
    if (ops != NULL) {
        app->ops = *ops;
    }
    app->heap.limit =
        (size_t)budget->heap_bytes + budget->linear_memory_bytes + budget->stack_bytes;
    wa_heap_t *previous = wa_heap_enter(&app->heap);
    int rc = load_steps(app, wasm, len, metered, checked, blob, blob_len, err);
    wa_heap_leave(previous);
    if (rc == WA_OK) {
        char sig[WA_WASM_SIG_MAX];
        if (wa_app_export_sig(app, "_initialize", sig, sizeof sig, NULL) == WA_OK) {
            uint32_t n = 0;
            rc = wa_app_call(app, "_initialize", NULL, 0, NULL, 0, &n, err);
        }
    }
    if (rc != WA_OK) {
        wa_app_free(app);
        return NULL;
    }
    return app;
}

wa_app_t *wa_app_load(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                      const uint8_t *wasm, uint32_t len, wa_error_t *err)
{
    return load(budget, grants, ops, wasm, len, 0, 0, NULL, 0, err);
}

wa_app_t *wa_app_load_metered(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                              const uint8_t *image, uint32_t len, wa_error_t *err)
{
    return load(budget, grants, ops, image, len, 1, 0, NULL, 0, err);
}

int wa_check_image(const wa_budget_t *budget, const uint8_t *image, uint32_t len, uint32_t *checked,
                   wa_error_t *err)
{
    wa_wasm_summary_t s;
    wa_budget_t image_budget = *budget;
    image_budget.module_bytes = UINT32_MAX; /* the module's size was checked */
    int rc = fit(&image_budget, image, len, &s, 0, err);
    *checked = rc == WA_OK ? WA_CHECKED_STAMP << 1 | (s.memory_ops != 0) : 0u;
    return rc;
}

wa_app_t *wa_app_load_installed(const wa_budget_t *budget, uint32_t grants,
                                const wa_host_ops_t *ops, const uint8_t *image, uint32_t len,
                                uint32_t checked, wa_error_t *err)
{
    checked = checked >> 1 == WA_CHECKED_STAMP ? checked : 0u; /* else: checked again */
    return load(budget, grants, ops, image, len, 1, checked, NULL, 0, err);
}

wa_app_t *wa_app_load_checked(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                              const uint8_t *wasm, uint32_t len, uint32_t checked, wa_error_t *err)
{
    checked = checked >> 1 == WA_CHECKED_STAMP ? checked : 0u; /* else: checked again */
    return load(budget, grants, ops, wasm, len, 0, checked, NULL, 0, err);
}

wa_app_t *wa_app_load_aot(const wa_budget_t *budget, uint32_t grants, const wa_host_ops_t *ops,
                          const uint8_t *wasm, uint32_t len, const uint8_t *blob, uint32_t blob_len,
                          wa_error_t *err)
{
    return load(budget, grants, ops, wasm, len, 0, 0, blob, blob_len, err);
}

int wa_app_is_aot(const wa_app_t *app)
{
    return app->aot != NULL;
}

/* ---- calls -------------------------------------------------------------- */

static const char *type_name(char t)
{
    switch (t) {
    case 'i': return "i32";
    case 'I': return "i64";
    case 'f': return "f32";
    case 'F': return "f64";
    default: return "?";
    }
}

static int check_args(const char *name, const char *sig, const wa_value_t *args, uint32_t nargs,
                      wa_error_t *err)
{
    const char *params = strchr(sig, '(');
    if (params == NULL) { /* WA_WASM_SIG_LONG */
        return wa_error_set(err, WA_ERR_NOT_SUPPORTED,
                            "'%s' has more parameters or results than the runtime can pass", name);
    }
    uint32_t want = (uint32_t)(strlen(params) - 2);
    if (want != nargs) {
        return wa_error_set(err, WA_ERR_ARG_MISMATCH, "'%s' takes %u argument%s (%s), got %u", name,
                            (unsigned)want, want == 1 ? "" : "s", sig, (unsigned)nargs);
    }
    for (uint32_t i = 0; i < nargs; i++) {
        if (args[i].type != params[1 + i]) {
            return wa_error_set(err, WA_ERR_ARG_MISMATCH, "'%s' argument %u must be %s, got %s",
                                name, (unsigned)i + 1, type_name(params[1 + i]),
                                type_name(args[i].type));
        }
    }
    return WA_OK;
}

static int finish_call(wa_app_t *app, const char *name, int rc, uint32_t *nresults, wa_error_t *err)
{
    if (rc == WA_ERR_TRAP_EXIT && app->exited && app->exit_status == 0) {
        *nresults = 0;
        rc = WA_OK;
    } else if (rc == WA_ERR_TRAP_EXIT && app->exited) {
        rc =
            wa_error_set(err, rc, "%s: the app exited with status %d", name, (int)app->exit_status);
    }
    if (rc >= WA_ERR_TRAP_UNREACHABLE && rc <= WA_ERR_TRAP_OTHER) {
        app->traps++;
    }
    return rc;
}

#if WA_AOT_SUPPORTED
/* The AOT code under app->fuel, its C stack bounded as the interpreter's
 * (WA_C_STACK_LOW); app->fuel gets what is left. */
static int aot_call(wa_app_t *app, const char *name, const wa_value_t *args, uint32_t nargs,
                    wa_value_t *results, uint32_t max_results, uint32_t *nresults, wa_error_t *err)
{
    uint64_t ticks = 0;
    uint32_t room =
        (uint32_t)((char *)__builtin_frame_address(0) - (__stack_limit + WA_C_STACK_MARGIN));
    int rc = wa_aot_call(app->aot, name, args, nargs, results, max_results, nresults, app->fuel,
                         room, &ticks, err);
    app->fuel -= (int64_t)ticks;
    return rc;
}
#endif

int wa_app_call_export(wa_app_t *app, const char *name, size_t name_len, const wa_value_t *args,
                       uint32_t nargs, wa_value_t *results, uint32_t max_results,
                       uint32_t *nresults, wa_error_t *err)
{
    export_find_t f = {.name = name, .name_len = name_len};
    *nresults = 0;
    int rc = find_export(app, &f, err);
    if (rc == WA_OK) {
        rc = check_args(name, f.sig, args, nargs, err);
    }
    if (rc != WA_OK) {
        return rc;
    }
    int64_t budget = app->budget.cpu_ticks ? (int64_t)app->budget.cpu_ticks : INT64_MAX;
    app->fuel = budget;
    app->exited = 0;
    app->native_error = 0;
    app->calls++;
    wa_heap_t *previous = wa_heap_enter(&app->heap);
#if WA_AOT_SUPPORTED
    if (app->aot != NULL) {
        rc = aot_call(app, name, args, nargs, results, max_results, nresults, err);
    } else
#endif
        rc = wa_engine_call(app, name, f.index, args, nargs, results, max_results, nresults, err);
    wa_heap_leave(previous);
    app->ticks_last_call = (uint64_t)(budget - (app->fuel < 0 ? 0 : app->fuel));
    wa_app_flush_output(app);
    return finish_call(app, name, rc, nresults, err);
}

int wa_app_call(wa_app_t *app, const char *name, const wa_value_t *args, uint32_t nargs,
                wa_value_t *results, uint32_t max_results, uint32_t *nresults, wa_error_t *err)
{
    return wa_app_call_export(app, name, strlen(name), args, nargs, results, max_results, nresults,
                              err);
}

void wa_app_stats(const wa_app_t *app, wa_stats_t *stats)
{
    memset(stats, 0, sizeof *stats);
    stats->heap_limit = (uint32_t)app->heap.limit;
    stats->heap_used = (uint32_t)app->heap.used;
    stats->heap_peak = (uint32_t)app->heap.peak;
    stats->linear_memory_bytes = wa_engine_memory_bytes(app);
#if WA_AOT_SUPPORTED
    if (app->aot != NULL) {
        stats->linear_memory_bytes = wa_aot_memory_bytes(app->aot);
    }
#endif
    stats->stack_bytes = app->budget.stack_bytes;
    stats->module_bytes = app->module_len;
    stats->module_ram_bytes = app->module_borrowed ? 0u : app->module_len;
    stats->ticks_last_call = app->ticks_last_call;
    stats->calls = app->calls;
    stats->traps = app->traps;
}

void wa_app_free(wa_app_t *app)
{
    if (app == NULL) {
        return;
    }
    wa_heap_t *previous = wa_heap_enter(&app->heap);
    wa_engine_free(app);
    wa_heap_free(app->aot); /* its RAM starts with it */
    wa_heap_leave(previous);
    (void)wa_heap_release(&app->heap); /* what the engine lost (wa_heap.h) */
    if (!app->module_borrowed) {
        free(app->module);
    }
    free(app);
}
