/*
 * wa_engine_wasm3.c - the wasm3 backend of wa_engine.h.
 *
 * CPU budget: the call's fuel (app->fuel ticks) is held in two parts while
 * it runs: a 32-bit counter, the engine's own (or in a module the metering
 * rewrite made, wa_wasm.h, its fuel global: its last), and the reserve,
 * here:
 *
 *     fuel = reserve + counter - 1,  counter >= 1 between ticks
 *
 * wasm3 calls m3_Yield() on every call (an imported function's too); this
 * file defines it (the library's own is weak) to spend one tick of the
 * counter. Every loop round spends one too: in our loop operation
 * (wa_m3_compile.c, through wa_m3_loop_counter) for a module read as it is,
 * or in a rewritten module's own checks, from the global or from a local
 * copy of it that they store back, calling the tick function with the
 * global at 0 when it runs out (that call spends nothing). When the counter
 * reaches 0 the reserve refills it, or, with the reserve empty, the fuel is
 * below 0 and the call traps: no loop escapes the budget, and a tick is one
 * loop round or one call.
 */
#include <stdio.h>
#include <string.h>

#include "m3_compile.h"
#include "m3_env.h"
#include "wa_engine.h"
#include "wa_slots.h"
#include "wasm3.h"

typedef struct meter {
    int32_t *counter; /* the fuel global's storage, or &own */
    int32_t own;
    int64_t reserve;
} meter_t;

struct wa_engine {
    IM3Environment env;
    IM3Runtime runtime;
    IM3Module module; /* owned by runtime once loaded */
    meter_t meter;
};

static const char s_budget_trap[] = "[trap] CPU budget exhausted";
static WA_THREAD_LOCAL meter_t *s_meter;
/* The counter the loop operation spends (wa_m3_compile.c), while an app
 * whose loops the engine counts runs; NULL otherwise. */
WA_THREAD_LOCAL int32_t *wa_m3_loop_counter;

/* Ticks the counter gets at a time: a refill costs about a call. */
#ifndef WA_FUEL_SLICE
#define WA_FUEL_SLICE (1 << 20)
#endif
_Static_assert(WA_FUEL_SLICE > 0 && WA_FUEL_SLICE < INT32_MAX, "the counter is an int32_t");

int64_t wa_fuel_fill(int32_t *counter, int64_t fuel)
{
    int64_t slice = fuel < WA_FUEL_SLICE ? fuel : WA_FUEL_SLICE;
    *counter = (int32_t)(slice + 1);
    return fuel - slice;
}

static void meter_fill(meter_t *m, int64_t fuel)
{
    m->reserve = wa_fuel_fill(m->counter, fuel);
}

static int64_t meter_fuel(const meter_t *m)
{
    return m->reserve + *m->counter - 1;
}

/* A call spends a tick; a loop check that emptied the counter (it calls the
 * tick function with the counter at 0) has spent its tick already. */
M3Result m3_Yield(void)
{
    meter_t *m = s_meter;
    if (m != NULL) {
        int32_t left = *m->counter - 1;
        if (left > 0) { /* every call but one in 2^20: one load, one store */
            *m->counter = left;
        } else if (m->reserve <= 0) {
            *m->counter = 0;
            return s_budget_trap;
        } else {
            meter_fill(m, m->reserve - 1);
        }
    }
    if (WA_C_STACK_LOW()) {
        return m3Err_trapStackOverflow;
    }
    return m3Err_none;
}

/* Around a run of wasm code: app->fuel is its budget, and then what is left
 * (below 0 after a budget trap). */
static void meter_begin(wa_app_t *app)
{
    meter_fill(&app->engine->meter, app->fuel < 0 ? 0 : app->fuel);
    s_meter = &app->engine->meter;
    wa_m3_loop_counter = app->engine_loops ? app->engine->meter.counter : NULL;
}

static void meter_end(wa_app_t *app)
{
    s_meter = NULL;
    wa_m3_loop_counter = NULL;
    app->fuel = meter_fuel(&app->engine->meter);
}

/* The counter loops spend: the fuel global, the last of a metered module
 * that defines functions (a module without code gets none), else our own. */
static int meter_attach(wa_app_t *app, wa_error_t *err)
{
    struct wa_engine *e = app->engine;
    IM3Module m = e->module;
    e->meter.counter = &e->meter.own;
    if (!app->metered || m->numFunctions == m->numFuncImports) {
        return WA_OK;
    }
    M3Global *fuel = m->numGlobals > 0 ? &m->globals[m->numGlobals - 1] : NULL;
    if (fuel == NULL || fuel->type != c_m3Type_i32 || !fuel->isMutable || fuel->imported) {
        return wa_error_set(err, WA_ERR_LOAD_FAILED, "the metered module has no fuel global");
    }
    e->meter.counter = (int32_t *)(void *)&fuel->intValue; /* as wasm3's own i32 global ops */
    return WA_OK;
}

static m3ApiRawFunction(native_trampoline)
{
    const wa_native_t *native = (const wa_native_t *)_ctx->userdata;
    wa_app_t *app = (wa_app_t *)m3_GetUserData(runtime);
    int rc = native->fn(app, _sp, (uint8_t *)_mem, m3_GetMemorySize(runtime));
    if (rc != 0) {
        return app->native_message;
    }
    m3ApiSuccess();
}

/* WASI functions outside the subset: return ENOSYS, or trap if void. */
static m3ApiRawFunction(enosys_stub)
{
    wa_app_t *app = (wa_app_t *)m3_GetUserData(runtime);
    (void)_mem;
    if (_ctx->userdata == NULL) {
        wa_app_native_trap(app, WA_ERR_NOT_SUPPORTED,
                           "called WASI function %s, which this runtime does not provide",
                           _ctx->function->import.fieldUtf8);
        return app->native_message;
    }
    wa_slot_set_i32(&_sp[0], 52); /* WASI ENOSYS */
    m3ApiSuccess();
}

/* Maps an engine trap to agent_err. */
static int trap_code(const wa_app_t *app, M3Result r)
{
    static const struct {
        const M3Result *result;
        int code;
    } traps[] = {
        {&m3Err_trapUnreachable, WA_ERR_TRAP_UNREACHABLE},
        {&m3Err_trapOutOfBoundsMemoryAccess, WA_ERR_TRAP_OUT_OF_BOUNDS},
        {&m3Err_trapDivisionByZero, WA_ERR_TRAP_DIV_BY_ZERO},
        {&m3Err_trapIntegerOverflow, WA_ERR_TRAP_INT_OVERFLOW},
        {&m3Err_trapIntegerConversion, WA_ERR_TRAP_CONVERSION},
        {&m3Err_trapIndirectCallTypeMismatch, WA_ERR_TRAP_INDIRECT_CALL},
        {&m3Err_trapTableIndexOutOfRange, WA_ERR_TRAP_INDIRECT_CALL},
        {&m3Err_trapTableElementIsNull, WA_ERR_TRAP_INDIRECT_CALL},
        {&m3Err_trapStackOverflow, WA_ERR_TRAP_STACK_OVERFLOW},
        {&m3Err_trapExit, WA_ERR_TRAP_EXIT},
        {&m3Err_trapAbort, WA_ERR_TRAP_OTHER},
        {&m3Err_mallocFailed, WA_ERR_NO_MEMORY},
        {&m3Err_mallocFailedCodePage, WA_ERR_NO_MEMORY},
    };
    if (r == s_budget_trap) {
        return WA_ERR_TRAP_CPU_BUDGET;
    }
    if (r == app->native_message) {
        return app->native_error;
    }
    for (size_t i = 0; i < sizeof traps / sizeof traps[0]; i++) {
        if (r == *traps[i].result) {
            return traps[i].code;
        }
    }
    return WA_ERR_TRAP_OTHER;
}

/* The innermost function of the last trap, or NULL. */
static const char *trap_function(IM3Runtime runtime)
{
    IM3BacktraceInfo bt = m3_GetBacktrace(runtime);
    if (bt == NULL || bt->frames == NULL || bt->frames->function == NULL) {
        return NULL;
    }
    return m3_GetFunctionName(bt->frames->function);
}

static int engine_error(wa_app_t *app, M3Result r, const char *during, wa_error_t *err)
{
    int code = trap_code(app, r);
    const char *text = (r == app->native_message) ? app->native_message : r;
    const char *fn = trap_function(app->engine->runtime);
    if (code == WA_ERR_TRAP_CPU_BUDGET) {
        wa_error_set(err, code, "%s: CPU budget of %lu ticks exhausted%s%s%s", during,
                     (unsigned long)app->budget.cpu_ticks, fn ? " in function '" : "", fn ? fn : "",
                     fn ? "'" : "");
    } else {
        wa_error_set(err, code, "%s: %s%s%s%s", during, text, fn ? " in function '" : "",
                     fn ? fn : "", fn ? "'" : "");
    }
    m3_ResetErrorInfo(app->engine->runtime);
    return code;
}

int wa_engine_load(wa_app_t *app, wa_error_t *err)
{
    struct wa_engine *e = wa_heap_calloc(1, sizeof *e);
    if (e == NULL) {
        return wa_error_set(err, WA_ERR_NO_MEMORY, "engine heap exhausted creating the app");
    }
    app->engine = e;
    e->env = m3_NewEnvironment();
    e->runtime = e->env ? m3_NewRuntime(e->env, app->budget.stack_bytes, app) : NULL;
    if (e->runtime == NULL) {
        return wa_error_set(err, WA_ERR_NO_MEMORY,
                            "engine heap exhausted creating the runtime (%u-byte stack)",
                            (unsigned)app->budget.stack_bytes);
    }
    uint32_t pages = app->budget.linear_memory_bytes / WA_WASM_PAGE;
    e->runtime->memoryLimit = app->memory_limit; /* a shrunk module: its length */
    M3Result r = m3_ParseModule(e->env, &e->module, app->module, app->module_len);
    if (r != m3Err_none) {
        e->module = NULL;
        return wa_error_set(err, WA_ERR_LOAD_FAILED, "engine could not parse the module: %s", r);
    }
    M3MemoryInfo *mem = &e->module->memoryInfo;
    if (mem->maxPages == 0 || mem->maxPages > pages) {
        mem->maxPages = pages; /* memory.grow beyond the budget returns -1 */
    }
    r = m3_LoadModule(e->runtime, e->module);
    if (r != m3Err_none) {
        m3_FreeModule(e->module);
        e->module = NULL;
        int code = (r == m3Err_mallocFailed) ? WA_ERR_NO_MEMORY : WA_ERR_LOAD_FAILED;
        return wa_error_set(err, code, "engine could not load the module: %s", r);
    }
    return meter_attach(app, err);
}

int wa_engine_link(wa_app_t *app, const char *module, const char *name, const char *sig,
                   const wa_native_t *native, wa_error_t *err)
{
    IM3Module m = app->engine->module;
    M3Result r;
    if (native != NULL) {
        r = m3_LinkRawFunctionEx(m, module, name, native->sig, native_trampoline, native);
    } else {
        const void *returns_i32 = (sig[0] == 'i') ? (const void *)1 : NULL;
        r = m3_LinkRawFunctionEx(m, module, name, sig, enosys_stub, returns_i32);
    }
    if (r != m3Err_none && r != m3Err_functionLookupFailed) {
        return wa_error_set(err, WA_ERR_IMPORT_TYPE, "cannot link import %s.%s: %s", module, name,
                            r);
    }
    return WA_OK;
}

int wa_engine_start(wa_app_t *app, wa_error_t *err)
{
    M3Result r = m3_CompileModule(app->engine->module);
    if (r != m3Err_none) {
        int code = (r == m3Err_mallocFailed || r == m3Err_mallocFailedCodePage)
                       ? WA_ERR_NO_MEMORY
                       : WA_ERR_LOAD_FAILED;
        return wa_error_set(err, code, "engine could not compile the module: %s", r);
    }
    app->fuel = app->budget.cpu_ticks ? (int64_t)app->budget.cpu_ticks : INT64_MAX;
    meter_begin(app);
    r = m3_RunStart(app->engine->module);
    meter_end(app);
    if (r != m3Err_none) {
        return engine_error(app, r, "start function", err);
    }
    return WA_OK;
}

static int collect_results(IM3Function f, wa_value_t *results, uint32_t max_results,
                           uint32_t *nresults)
{
    uint32_t n = m3_GetRetCount(f);
    const void *ptrs[WA_WASM_RESULTS_MAX];
    if (n > max_results || n > WA_WASM_RESULTS_MAX) {
        return WA_ERR_TOO_LARGE;
    }
    for (uint32_t i = 0; i < n; i++) {
        M3ValueType t = m3_GetRetType(f, i);
        results[i].type = t == c_m3Type_i64   ? 'I'
                          : t == c_m3Type_f32 ? 'f'
                          : t == c_m3Type_f64 ? 'F'
                                              : 'i';
        ptrs[i] = &results[i].of;
    }
    if (n > 0 && m3_GetResults(f, n, ptrs) != m3Err_none) {
        return WA_ERR_UNKNOWN;
    }
    *nresults = n;
    return WA_OK;
}

int wa_engine_call(wa_app_t *app, const char *name, uint32_t func_index, const wa_value_t *args,
                   uint32_t nargs, wa_value_t *results, uint32_t max_results, uint32_t *nresults,
                   wa_error_t *err)
{
    const void *ptrs[16];
    *nresults = 0;
    if (nargs > 16) {
        return wa_error_set(err, WA_ERR_ARG_MISMATCH, "too many arguments (%u)", (unsigned)nargs);
    }
    /* By index, not m3_FindFunction: that returns the first function with a
     * matching name, export or name-section name alike. */
    IM3Function f = Module_GetFunction(app->engine->module, func_index);
    M3Result r = (f == NULL || f->compiled) ? m3Err_none : CompileFunction(f);
    if (f == NULL || r != m3Err_none) {
        return wa_error_set(err, WA_ERR_NO_EXPORT, "cannot call '%s': %s", name,
                            f == NULL ? "no such function" : r);
    }
    for (uint32_t i = 0; i < nargs; i++) {
        ptrs[i] = &args[i].of;
    }
    meter_begin(app);
    r = m3_Call(f, nargs, ptrs);
    meter_end(app);
    if (r != m3Err_none) {
        return engine_error(app, r, name, err);
    }
    int rc = collect_results(f, results, max_results, nresults);
    if (rc != WA_OK) {
        return wa_error_set(err, rc, "%s: cannot read its %u results", name,
                            (unsigned)m3_GetRetCount(f));
    }
    return WA_OK;
}

uint32_t wa_engine_memory_bytes(const wa_app_t *app)
{
    if (app->engine == NULL || app->engine->runtime == NULL) {
        return 0;
    }
    return m3_GetMemorySize(app->engine->runtime);
}

void wa_engine_free(wa_app_t *app)
{
    struct wa_engine *e = app->engine;
    if (e == NULL) {
        return;
    }
    if (e->runtime != NULL) {
        m3_FreeRuntime(e->runtime); /* frees loaded modules too */
    }
    if (e->env != NULL) {
        m3_FreeEnvironment(e->env);
    }
    wa_heap_free(e);
    app->engine = NULL;
}
