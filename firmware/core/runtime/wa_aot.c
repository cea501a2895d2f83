/*
 * wa_aot.c - loads and calls ahead-of-time compiled app code (wa_aot.h,
 * docs/aot.md). The code runs in place; r9 holds the GOT of the instance's
 * RAM while it runs (the blob is built with -msingle-pic-base). A trap in
 * the blob, in a native it calls, or the end of the CPU budget longjmps back
 * to wa_aot_call.
 *
 * CPU budget: as in wa_engine_wasm3.c (wa_fuel_fill, shared), the fuel is a
 * 32-bit counter (the metered module's fuel global, in the instance) plus a
 * reserve held here; the blob spends a tick at every function entry (wasm3
 * spends one per call) and calls fuel_out when the counter reaches 0.
 */
#include "wa_aot.h"

/* Cortex-M only: the code it runs is Thumb-2 with the data base in r9. */
#if WA_AOT_SUPPORTED

#include <setjmp.h>
#include <string.h>

#include "wa_engine.h"
#include "wa_err.h"
#include "wa_wasm.h"
#include "wasm3.h"

/* This firmware's CPU: its blob header code, and its AOT section as the board
 * profiles name the CPU (wa_aot_find). */
#if defined(__ARM_ARCH_8M_MAIN__)
#define AOT_CPU WA_AOT_CPU_M33
#define AOT_OWN_SECTION "wamr-aot/cortex-m33"
#elif defined(__ARM_ARCH_7M__)
#define AOT_CPU WA_AOT_CPU_M3
#define AOT_OWN_SECTION "wamr-aot/cortex-m3"
#elif defined(__ARM_ARCH_7EM__) && defined(__ARM_FEATURE_FMA) && __ARM_FP >= 12
#define AOT_CPU WA_AOT_CPU_M7
#define AOT_OWN_SECTION "wamr-aot/cortex-m7"
#else
#define AOT_CPU WA_AOT_CPU_M4
#define AOT_OWN_SECTION "wamr-aot/cortex-m4"
#endif

#define AOT_TRAP_BUDGET 0x100u
#define AOT_TRAP_MEMORY 0x101u
#define AOT_TRAP_NATIVE 0x102u
#define AOT_TRAP_ENOSYS 0x103u

struct wa_aot {
    const wa_aot_header_t *h;
    const wa_aot_extern_t *exports;
    const char *strings;
    uint8_t *data; /* data image, bss; r9 = data + got_off */
    uint8_t *inst; /* instance */
    uint8_t *mem;  /* linear memory: its capacity reserved */
    uint8_t *next, *end;
    const wa_native_t **natives;
    wa_app_t *app;
    int64_t reserve;
    uint32_t trap;
    jmp_buf jb;
};

_Static_assert(((sizeof(wa_aot_t) + 7u) & ~7u) == WA_AOT_STATE_BYTES, "mirrored by aot/ram.py");

static wa_aot_t *s_cur;

static void aot_trap(uint32_t code)
{
    s_cur->trap = code;
    longjmp(s_cur->jb, 1);
}

static void fuel_fill(int32_t *counter, int64_t fuel)
{
    s_cur->reserve = wa_fuel_fill(counter, fuel);
}

/* The counter went from 1 to 0 (a tick spent) or from 0 to -1 (a loop check
 * emptied it and spent its tick already): refill from the reserve or trap. */
static void aot_fuel_out(int32_t *counter)
{
    if (*counter < 0) {
        *counter = 0;
    }
    if (s_cur->reserve <= 0) {
        aot_trap(AOT_TRAP_BUDGET);
    }
    fuel_fill(counter, s_cur->reserve - 1);
}

static void *aot_alloc(uint32_t bytes)
{
    wa_aot_t *a = s_cur;
    uint32_t n = (bytes + 7u) & ~7u;
    if (n < bytes || (uint32_t)(a->end - a->next) < n) {
        aot_trap(AOT_TRAP_MEMORY);
    }
    void *p = a->next;
    a->next += n;
    memset(p, 0, n);
    return p;
}

static const char *str_at(const wa_aot_t *a, uint32_t off)
{
    return off < a->h->strings_len ? a->strings + off : "";
}

/* A WASI function outside the subset (no native) returns ENOSYS, as in the
 * interpreter; one without a result traps. */
static void aot_call_native(uint32_t i, uint64_t *slots)
{
    wa_aot_t *a = s_cur;
    const wa_native_t *n = a->natives[i];
    if (n == NULL) {
        const wa_aot_extern_t *imp = (const wa_aot_extern_t *)(a->exports - a->h->nimports) + i;
        if (str_at(a, imp->third)[0] != 'i') {
            aot_trap(AOT_TRAP_ENOSYS);
        }
        slots[0] = 52; /* WASI ENOSYS */
        return;
    }
    if (n->fn(a->app, slots, a->mem, wa_aot_memory_bytes(a)) != 0) {
        aot_trap(AOT_TRAP_NATIVE);
    }
}

static const wa_aot_env_t s_env = {aot_trap, aot_fuel_out, aot_call_native, aot_alloc};

/* Calls entry(inst, slots) with r9 = base; r9 is the caller's again after. */
#define UNUSED __attribute__((unused))
__attribute__((naked, noinline)) static void aot_enter(UNUSED void *inst, UNUSED uint64_t *slots,
                                                       UNUSED uint32_t entry, UNUSED void *base)
{
    __asm volatile("push {r9, lr}\n"
                   "mov r9, r3\n"
                   "blx r2\n"
                   "pop {r9, pc}\n");
}

/* Binds import i as the runtime links an interpreted module's. */
static int bind_import(wa_aot_t *a, const wa_aot_extern_t *imp, uint32_t i, uint32_t grants,
                       wa_error_t *err)
{
    return wa_resolve_import(grants, str_at(a, imp->second), str_at(a, imp->name),
                             str_at(a, imp->third), &a->natives[i], err);
}

static int check_header(const wa_aot_header_t *h, uint32_t len, wa_error_t *err)
{
    uint32_t cpu = AOT_CPU;
#if defined(__ARM_PCS_VFP)
    cpu |= WA_AOT_CPU_HARD_FLOAT;
#endif
    if (len < WA_AOT_HEADER_LEN || h->magic != WA_AOT_MAGIC) {
        return wa_error_set(err, WA_ERR_MALFORMED, "not an AOT blob");
    }
    if (h->abi != WA_AOT_ABI || h->cpu != cpu) {
        return wa_error_set(err, WA_ERR_NOT_SUPPORTED,
                            "AOT blob for ABI %lu CPU 0x%lx; this firmware runs ABI %u CPU 0x%lx",
                            (unsigned long)h->abi, (unsigned long)h->cpu, WA_AOT_ABI,
                            (unsigned long)cpu);
    }
    uint64_t need = (uint64_t)WA_AOT_HEADER_LEN + h->code_len + h->data_len + 4ull * h->nrelocs +
                    12ull * (h->nimports + h->nexports) + h->strings_len;
    if (need > len || (h->code_len | h->data_len | h->got_off | h->env_off) & 3u ||
        h->env_off + 4u > h->data_len + h->bss_len || h->fuel_off + 4u > h->instance_bytes ||
        h->mem_size_off + 4u > h->instance_bytes) {
        return wa_error_set(err, WA_ERR_MALFORMED, "AOT blob sizes do not fit its %lu bytes",
                            (unsigned long)len);
    }
    return WA_OK;
}

/* Copies the data image, zeroes the bss and adds the bases. */
static int relocate(wa_aot_t *a, const uint8_t *blob, wa_error_t *err)
{
    const wa_aot_header_t *h = a->h;
    const uint8_t *image = blob + WA_AOT_HEADER_LEN + h->code_len;
    const uint8_t *rel = image + h->data_len;
    memcpy(a->data, image, h->data_len);
    memset(a->data + h->data_len, 0, h->bss_len);
    for (uint32_t i = 0; i < h->nrelocs; i++) {
        uint32_t r, v;
        memcpy(&r, rel + 4u * i, 4);
        uint32_t off = r & ~3u;
        if (off + 4u > h->data_len) {
            return wa_error_set(err, WA_ERR_MALFORMED, "AOT relocation %lu out of range",
                                (unsigned long)i);
        }
        memcpy(&v, a->data + off, 4);
        v += (r & 1u) ? (uint32_t)(uintptr_t)a->data
                      : (uint32_t)(uintptr_t)(blob + WA_AOT_HEADER_LEN);
        memcpy(a->data + off, &v, 4);
    }
    uint32_t env = (uint32_t)(uintptr_t)&s_env;
    memcpy(a->data + h->env_off, &env, 4);
    return WA_OK;
}

/* RAM before the linear memory: state, data image and bss, import table, instance. */
static uint32_t fixed_bytes(const wa_aot_header_t *h)
{
    return WA_AOT_STATE_BYTES + ((h->data_len + h->bss_len + 7u) & ~7u) +
           ((4u * h->nimports + 4u + 7u) & ~7u) + ((h->instance_bytes + 7u) & ~7u);
}

/* The linear memory to reserve with room bytes for it: its size at load, or
 * for a memory that grows the most pages room and its maximum allow. */
static uint32_t mem_capacity(const wa_aot_header_t *h, uint32_t room)
{
    uint32_t pages = room / 65536u;
    if (pages > h->mem_max_pages) {
        pages = h->mem_max_pages;
    }
    return pages * 65536u > h->mem_bytes ? pages * 65536u : h->mem_bytes;
}

uint32_t wa_aot_ram_bytes(const uint8_t *blob, uint32_t len, uint32_t mem_limit)
{
    const wa_aot_header_t *h = (const wa_aot_header_t *)(const void *)blob;
    if (len < WA_AOT_HEADER_LEN || h->magic != WA_AOT_MAGIC) {
        return 0;
    }
    return fixed_bytes(h) + ((mem_capacity(h, mem_limit) + 7u) & ~7u) + h->alloc_bytes;
}

static uint8_t *carve(wa_aot_t *a, uint32_t bytes)
{
    uint32_t n = (bytes + 7u) & ~7u;
    if (n < bytes || (uint32_t)(a->end - a->next) < n) {
        return NULL;
    }
    uint8_t *p = a->next;
    a->next += n;
    memset(p, 0, n);
    return p;
}

/* Runs entry(inst, slots) with the fuel; returns 0 or the trap code. */
static uint32_t run(wa_aot_t *a, uint32_t entry, uint64_t *slots, int64_t fuel)
{
    wa_aot_t *outer = s_cur;
    int32_t *counter = (int32_t *)(void *)(a->inst + a->h->fuel_off);
    s_cur = a;
    a->trap = 0;
    fuel_fill(counter, fuel);
    if (setjmp(a->jb) == 0) {
        aot_enter(a->inst, slots, entry, a->data + a->h->got_off);
    }
    a->reserve += *counter - 1;
    s_cur = outer;
    return a->trap;
}

wa_aot_t *wa_aot_load(const uint8_t *blob, uint32_t len, uint8_t *ram, uint32_t ram_len,
                      wa_app_t *app, uint32_t grants, wa_error_t *err)
{
    const wa_aot_header_t *h = (const wa_aot_header_t *)(const void *)blob;
    if (check_header(h, len, err) != WA_OK) {
        return NULL;
    }
    wa_aot_t *a = (wa_aot_t *)(void *)ram;
    memset(a, 0, sizeof *a);
    a->h = h;
    a->next = ram + WA_AOT_STATE_BYTES;
    a->end = ram + ram_len;
    const uint8_t *tables = blob + WA_AOT_HEADER_LEN + h->code_len + h->data_len + 4u * h->nrelocs;
    a->exports = (const wa_aot_extern_t *)(const void *)tables + h->nimports;
    a->strings = (const char *)(a->exports + h->nexports);
    a->app = app;
    a->data = carve(a, h->data_len + h->bss_len);
    a->natives = (const wa_native_t **)(void *)carve(a, 4u * h->nimports + 4u);
    a->inst = carve(a, h->instance_bytes);
    uint32_t used = fixed_bytes(h) + h->alloc_bytes;
    uint32_t cap = mem_capacity(h, ram_len > used ? ram_len - used : 0);
    a->mem = carve(a, cap);
    if (a->data == NULL || a->natives == NULL || a->inst == NULL || a->mem == NULL) {
        wa_error_set(err, WA_ERR_NO_MEMORY, "AOT app needs more than its %lu bytes of RAM",
                     (unsigned long)ram_len);
        return NULL;
    }
    if (relocate(a, blob, err) != WA_OK) {
        return NULL;
    }
    for (uint32_t i = 0; i < h->nimports; i++) {
        if (bind_import(a, (const wa_aot_extern_t *)(const void *)tables + i, i, grants, err) !=
            WA_OK) {
            return NULL;
        }
    }
    uint64_t mem[3] = {(uint32_t)(uintptr_t)a->mem, h->mem_bytes, cap / 65536u};
    if (run(a, (uint32_t)(uintptr_t)(blob + WA_AOT_HEADER_LEN) + h->init_off, mem, INT64_MAX) !=
        0) {
        wa_error_set(err, WA_ERR_LOAD_FAILED, "AOT app failed to instantiate (trap %lu)",
                     (unsigned long)a->trap);
        return NULL;
    }
    return a;
}

/* The interpreter's text of each trap (wasm3's strings, in the firmware
 * anyway) and its agent_err, in the order of wa_aot_trap (index code - 1). */
static const M3Result *const TRAP_TEXTS[10] = {
    &m3Err_trapOutOfBoundsMemoryAccess,
    &m3Err_trapIntegerOverflow,
    &m3Err_trapDivisionByZero,
    &m3Err_trapIntegerConversion,
    &m3Err_trapUnreachable,
    &m3Err_trapIndirectCallTypeMismatch,
    &m3Err_trapAbort,
    &m3Err_trapStackOverflow,
    &m3Err_trapTableIndexOutOfRange, /* "undefined element" */
    &m3Err_trapTableElementIsNull,
};
static const uint8_t TRAP_CODES[10] = {
    WA_ERR_TRAP_OUT_OF_BOUNDS, WA_ERR_TRAP_INT_OVERFLOW,   WA_ERR_TRAP_DIV_BY_ZERO,
    WA_ERR_TRAP_CONVERSION,    WA_ERR_TRAP_UNREACHABLE,    WA_ERR_TRAP_INDIRECT_CALL,
    WA_ERR_TRAP_OTHER,         WA_ERR_TRAP_STACK_OVERFLOW, WA_ERR_TRAP_INDIRECT_CALL,
    WA_ERR_TRAP_INDIRECT_CALL,
};
#define TRAP_ABORT 6u /* the index of an unknown code's text and agent_err */

static int trap_error(const wa_aot_t *a, const char *name, int64_t fuel, wa_error_t *err)
{
    if (a->trap == AOT_TRAP_BUDGET) {
        return wa_error_set(err, WA_ERR_TRAP_CPU_BUDGET, "%s: CPU budget of %lu ticks exhausted",
                            name, (unsigned long)fuel);
    }
    if (a->trap == AOT_TRAP_MEMORY) {
        return wa_error_set(err, WA_ERR_NO_MEMORY, "%s: AOT app RAM exhausted", name);
    }
    if (a->trap == AOT_TRAP_ENOSYS) {
        return wa_error_set(err, WA_ERR_NOT_SUPPORTED,
                            "%s: called a WASI function this runtime does not provide", name);
    }
    if (a->trap == AOT_TRAP_NATIVE && a->app != NULL) {
        return wa_error_set(err, a->app->native_error, "%s: %s", name, a->app->native_message);
    }
    uint32_t i = a->trap - 1u < 10u ? a->trap - 1u : TRAP_ABORT;
    return wa_error_set(err, TRAP_CODES[i], "%s: %s", name, *TRAP_TEXTS[i]);
}

/* Slots a call needs at most: a signature the runtime calls has fewer than
 * WA_WASM_SIG_MAX characters, "[" results "](" arguments ")" among them. */
#define AOT_SLOTS (WA_WASM_SIG_MAX - 5u)

/* Fills slots (results first, then arguments) from args against sig, e.g.
 * "i(iI)", "[iF](i)" (several results, as wa_wasm.c writes them). */
static int pack_args(const char *sig, const wa_value_t *args, uint32_t nargs, uint64_t *slots,
                     uint32_t *nres)
{
    const char *p = strchr(sig, '(');
    if (p == NULL || strlen(p + 1) != nargs + 1u || strlen(sig) >= WA_WASM_SIG_MAX) {
        return WA_ERR_ARG_MISMATCH;
    }
    *nres = sig[0] == 'v' ? 0u : sig[0] == '[' ? (uint32_t)(p - sig) - 2u : 1u;
    for (uint32_t i = 0; i < nargs; i++) {
        if (args[i].type != p[1 + i]) {
            return WA_ERR_ARG_MISMATCH;
        }
        slots[*nres + i] = 0;
        memcpy(&slots[*nres + i], &args[i].of,
               (args[i].type == 'i' || args[i].type == 'f') ? 4 : 8);
    }
    return WA_OK;
}

int wa_aot_call(wa_aot_t *a, const char *name, const wa_value_t *args, uint32_t nargs,
                wa_value_t *results, uint32_t max_results, uint32_t *nresults, int64_t fuel,
                uint32_t stack_bytes, uint64_t *ticks, wa_error_t *err)
{
    const wa_aot_extern_t *e = a->exports;
    while (e < a->exports + a->h->nexports && strcmp(str_at(a, e->name), name) != 0) {
        e++;
    }
    if (e == a->exports + a->h->nexports) {
        return wa_error_set(err, WA_ERR_NO_EXPORT, "no exported function '%s'", name);
    }
    const char *sig = str_at(a, e->second);
    uint64_t slots[AOT_SLOTS];
    if (pack_args(sig, args, nargs, slots, nresults) != WA_OK) {
        return wa_error_set(err, WA_ERR_ARG_MISMATCH, "'%s' has type %s", name, sig);
    }
    uint32_t limit = (uint32_t)(uintptr_t)__builtin_frame_address(0) - stack_bytes;
    memcpy(a->inst, &limit, 4);
    int64_t budget = fuel > 0 ? fuel : INT64_MAX;
    uint32_t trap =
        run(a, (uint32_t)(uintptr_t)((const uint8_t *)a->h + WA_AOT_HEADER_LEN) + e->third, slots,
            budget);
    *ticks = (uint64_t)(budget - (a->reserve < 0 ? 0 : a->reserve));
    uint32_t n = *nresults;
    *nresults = 0;
    if (trap != 0) {
        return trap_error(a, name, fuel, err);
    }
    if (n > max_results || n > WA_WASM_RESULTS_MAX) { /* as the interpreter */
        return wa_error_set(err, WA_ERR_TOO_LARGE, "%s: cannot read its %u results", name,
                            (unsigned)n);
    }
    /* the types: sig[0], or the letters after '['; a 32-bit result's slot
     * holds it zero-extended (the blob's wrappers) */
    const char *type = sig + (sig[0] == '[');
    for (uint32_t i = 0; i < n; i++) {
        results[i].type = type[i];
        results[i].of.i64 = (int64_t)slots[i];
    }
    *nresults = n;
    return WA_OK;
}

const uint8_t *wa_aot_find(const uint8_t *wasm, uint32_t len, uint32_t *blob_len, const char **why)
{
    static const char own[] = AOT_OWN_SECTION;
    uint32_t at = 0, n;
    const uint8_t *p;
    *why = NULL;
    while ((p = wa_wasm_custom(wasm, len, "wamr-aot/", &at, &n)) != NULL) {
        const uint8_t *blob = p + 1 + (n ? p[0] : 0u);
        /* the name ends where p starts, its length byte before it */
        if (p[-(int)sizeof own] != sizeof own - 1u ||
            memcmp(p + 1 - sizeof own, own, sizeof own - 1u) != 0) {
            *why = "AOT code for another CPU or ABI";
        } else if (n == 0 || p[0] >= 8u || 1u + p[0] > n) {
            *why = "a malformed AOT section";
        } else if ((uintptr_t)blob & 7u) {
            *why = "AOT code not 8-aligned";
        } else if (check_header((const wa_aot_header_t *)(const void *)blob, n - 1u - p[0], NULL) !=
                   WA_OK) {
            *why = "AOT code for another CPU or ABI";
        } else {
            *blob_len = n - 1u - p[0];
            return blob;
        }
    }
    return NULL;
}

uint32_t wa_aot_memory_bytes(const wa_aot_t *a)
{
    uint32_t n = 0;
    if (a->h->mem_size_off != 0) {
        memcpy(&n, a->inst + a->h->mem_size_off, 4);
    }
    return n;
}

#endif /* WA_AOT_SUPPORTED */
