/*
 * coldstart.c - load to first call, timed in C (bench/cold_start.py, `make bench`).
 *
 *     coldstart MODULE.wasm RUNS [install|boot|metered|unmetered]
 *
 * Built twice (Makefile, $(BENCH_OUT)/coldstart*): against our runtime, under
 * the esp32 budget (below), where one run is
 *   install    what a device does once when an app is installed
 *              (wa_install.c): the module's checks (wa_check_image,
 *              validation included, and wa_check_imports) and its CRC-32,
 *              then its first load as at boot;
 *   boot       what a device does at every boot (wa_runner.c): the installed
 *              module's CRC-32 checked, then wa_app_load_checked (no
 *              validation: the module was checked at install), engine load,
 *              link, every function compiled, the start function and
 *              _initialize; the engine counts the loops (the CPU budget);
 *   metered    wa_app_load with a CPU budget: the checks at every load
 *              (preloaded apps), the bytes in place;
 *   unmetered  wa_app_load without a CPU budget;
 * and with -DWA_COLDSTART_BARE against wasm3 0.5.0 alone (its own m3_core.c,
 * the same engine flags), where one run does what a plain wasm3 embedding
 * does for the same result: environment, runtime, parse, load, link every
 * import with its signature, m3_CompileModule (every function compiled up
 * front, as the runtime does), the start function and _initialize.
 * Freeing is outside the timed part. Prints "median_ns p90_ns".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef WA_COLDSTART_BARE
#include "m3_env.h"
#include "wasm3.h"
#else
#include "wa_crc32.h"
#include "wa_runtime.h"
#endif

/* The esp32 profile's budget (boards/esp32.toml), with an engine heap of 1 MiB:
 * the large module's compiled code does not fit the profile's 64 KiB. */
#define STACK_BYTES 16384u

enum mode { INSTALL, BOOT, METERED, UNMETERED };
#define LINEAR_BYTES 196608u

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#ifdef WA_COLDSTART_BARE

typedef struct bare {
    IM3Environment env;
    IM3Runtime runtime;
} bare_t;

static m3ApiRawFunction(bare_stub)
{
    (void)runtime;
    (void)_ctx;
    (void)_sp;
    (void)_mem;
    m3ApiSuccess();
}

static char type_char(u8 t)
{
    return t == c_m3Type_i64 ? 'I' : t == c_m3Type_f32 ? 'f' : t == c_m3Type_f64 ? 'F' : 'i';
}

/* wasm3's signature notation, e.g. "i(iI)", of an import's type. */
static void signature(const M3FuncType *t, char *sig)
{
    *sig++ = t->numRets ? type_char(t->types[0]) : 'v';
    *sig++ = '(';
    for (u32 i = 0; i < t->numArgs; i++) {
        *sig++ = type_char(t->types[t->numRets + i]);
    }
    *sig++ = ')';
    *sig = '\0';
}

static M3Result bare_link(IM3Module m)
{
    char sig[72];
    for (u32 i = 0; i < m->numFuncImports; i++) {
        IM3Function f = &m->functions[i];
        if (f->funcType->numArgs > 64) {
            return "too many parameters";
        }
        signature(f->funcType, sig);
        M3Result r =
            m3_LinkRawFunction(m, f->import.moduleUtf8, f->import.fieldUtf8, sig, bare_stub);
        if (r != m3Err_none) {
            return r;
        }
    }
    return m3Err_none;
}

static M3Result bare_start(IM3Module m)
{
    M3Result r = bare_link(m);
    if (r == m3Err_none) {
        r = m3_CompileModule(m);
    }
    if (r == m3Err_none) {
        r = m3_RunStart(m);
    }
    IM3Function init = NULL;
    if (r == m3Err_none && m3_FindFunction(&init, m->runtime, "_initialize") == m3Err_none) {
        r = m3_CallV(init);
    }
    return r;
}

static int load_once(const uint8_t *wasm, uint32_t len, int mode, bare_t *out)
{
    (void)mode;
    IM3Module m = NULL;
    out->env = m3_NewEnvironment();
    out->runtime = m3_NewRuntime(out->env, STACK_BYTES, NULL);
    out->runtime->memoryLimit = LINEAR_BYTES;
    M3Result r = m3_ParseModule(out->env, &m, wasm, len);
    if (r == m3Err_none) {
        r = m3_LoadModule(out->runtime, m);
    }
    if (r == m3Err_none) {
        r = bare_start(m);
    }
    if (r != m3Err_none) {
        fprintf(stderr, "wasm3: %s\n", r);
        return 1;
    }
    return 0;
}

static void free_once(bare_t *b)
{
    m3_FreeRuntime(b->runtime);
    m3_FreeEnvironment(b->env);
}

#else

typedef wa_app_t *bare_t;

static const wa_budget_t k_budget = {.module_bytes = 131072,
                                     .linear_memory_bytes = LINEAR_BYTES,
                                     .stack_bytes = STACK_BYTES,
                                     .heap_bytes = 1u << 20,
                                     .cpu_ticks = 20000000u};

/* What an install keeps: the module (in flash on a device), its CRC-32 and
 * the check's word. */
typedef struct installed {
    const uint8_t *module;
    uint32_t len;
    uint32_t crc;
    uint32_t checked;
} installed_t;

static installed_t s_installed;

static int fail(const char *what, const char *message)
{
    fprintf(stderr, "%s: %s\n", what, message);
    return 1;
}

/* wa_install.c's check_module() and fill_header(). */
static int install(const uint8_t *wasm, uint32_t len, installed_t *out)
{
    wa_error_t err;
    if (wa_check_image(&k_budget, wasm, len, &out->checked, &err) != WA_OK ||
        wa_check_imports(WA_CAP_ALL, wasm, len, &err) != WA_OK) {
        return fail("check", err.message);
    }
    out->module = wasm;
    out->len = len;
    out->crc = wa_crc32(wasm, len);
    return 0;
}

/* wa_runner.c's load_app() for an installed app: wa_store_module's CRC, then the load. */
static int boot(const installed_t *in, wa_app_t **out)
{
    wa_host_ops_t ops;
    wa_error_t err;
    memset(&ops, 0, sizeof ops);
    if (wa_crc32(in->module, in->len) != in->crc) {
        return fail("boot", "module CRC");
    }
    *out = wa_app_load_checked(&k_budget, WA_CAP_ALL, &ops, in->module, in->len, in->checked, &err);
    return *out == NULL ? fail("wa_app_load_checked", err.message) : 0;
}

static int load_once(const uint8_t *wasm, uint32_t len, int mode, wa_app_t **out)
{
    wa_budget_t budget = k_budget;
    wa_host_ops_t ops;
    wa_error_t err;
    if (mode == INSTALL) {
        return install(wasm, len, &s_installed) || boot(&s_installed, out);
    }
    if (mode == BOOT) {
        return boot(&s_installed, out);
    }
    budget.cpu_ticks = mode == METERED ? budget.cpu_ticks : 0u;
    memset(&ops, 0, sizeof ops);
    *out = wa_app_load(&budget, WA_CAP_ALL, &ops, wasm, len, &err);
    return *out == NULL ? fail("wa_app_load", err.message) : 0;
}

static void free_once(wa_app_t **app)
{
    wa_app_free(*app);
}

#endif

static uint8_t *read_file(const char *path, uint32_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        return NULL;
    }
    long n = ftell(f);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    rewind(f);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (uint32_t)n;
    return buf;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    uint32_t len = 0;
    uint8_t *wasm = argc >= 3 ? read_file(argv[1], &len) : NULL;
    long runs = argc >= 3 ? strtol(argv[2], NULL, 10) : 0;
    static const char *const modes[] = {"install", "boot", "metered", "unmetered"};
    int mode = METERED;
    for (int m = 0; argc >= 4 && m < 4; m++) {
        mode = strcmp(argv[3], modes[m]) == 0 ? m : mode;
    }
    if (wasm == NULL || runs <= 0) {
        fprintf(stderr, "usage: %s MODULE.wasm RUNS [install|boot|metered|unmetered]\n", argv[0]);
        return 2;
    }
#ifndef WA_COLDSTART_BARE
    if (mode == BOOT && install(wasm, len, &s_installed) != 0) { /* once, untimed */
        return 1;
    }
#endif
    uint64_t *samples = calloc((size_t)runs, sizeof *samples);
    for (long i = 0; i < runs; i++) {
        bare_t loaded;
        uint64_t t0 = now_ns();
        if (load_once(wasm, len, mode, &loaded) != 0) {
            return 1;
        }
        samples[i] = now_ns() - t0;
        free_once(&loaded);
    }
    qsort(samples, (size_t)runs, sizeof *samples, cmp_u64);
    printf("%llu %llu\n", (unsigned long long)samples[runs / 2],
           (unsigned long long)samples[runs * 9 / 10]);
    free(samples);
    free(wasm);
    return 0;
}
