/*
 * wa_kv_test.c - firmware/core/agent/wa_kv.c on a flash area in RAM with NOR
 * rules and the flash fault injector (wa_flash_faults.h): the calls and
 * their errors, two apps' keys apart, quotas, drops, compactions and the
 * erases they spread over the pages, and a power cut before, during and
 * after every flash operation of many kv_set calls (compactions included),
 * then again during the repair at the next open: each key keeps its old or
 * its new value. Prints "N checks, 0 failures" (tests/crosscompile).
 * With arguments "wear N" it only makes N sets of 12 keys (values of 4 to 190
 * bytes) and prints the erases of each page (bench/storage.py).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_err.h"
#include "wa_flash_faults.h"
#include "wa_flash_rules.h"
#include "wa_kv.h"
#include "wa_port.h"
#include "wa_store.h"

static uint8_t s_flash[WA_STORE_FLASH_BYTES];
static uint8_t s_saved[WA_STORE_FLASH_BYTES];
static uint32_t s_erases[WA_STORE_KV_PAGES];
static jmp_buf s_cut;
static unsigned s_checks, s_failures;

static void check(int ok, const char *what, int line)
{
    s_checks++;
    if (!ok) {
        s_failures++;
        printf("FAIL line %d: %s\n", line, what);
    }
}
#define CHECK(cond) check((cond) != 0, #cond, __LINE__)

/* ---- the port's flash ------------------------------------------------------ */

uint32_t wa_port_flash_size(void)
{
    return WA_STORE_FLASH_BYTES;
}

const uint8_t *wa_port_flash_map(void)
{
    return s_flash;
}

int wa_port_flash_read(uint32_t off, void *buf, uint32_t len)
{
    int rc = wa_flash_check_access(off, buf, len);
    if (rc == WA_OK && len > 0) {
        memcpy(buf, s_flash + off, len);
    }
    return rc;
}

static void cut(void)
{
    (void)wa_flash_faults_plan(NULL);
    longjmp(s_cut, 1);
}

int wa_port_flash_write(uint32_t off, const void *buf, uint32_t len)
{
    int rc = wa_flash_check_write(s_flash, off, buf, len);
    if (rc != WA_OK) {
        return rc;
    }
    wa_flash_op_t op = wa_flash_faults_next('P', off, len);
    if (op.action == WA_FLASH_CUT_BEFORE) {
        cut();
    }
    if (op.action == WA_FLASH_CUT_DURING) {
        wa_flash_faults_tear(&op, s_flash + off, buf, WA_STORE_PAGE);
        cut();
    }
    if (op.action != WA_FLASH_SKIP) {
        memmove(s_flash + off, buf, len);
    }
    if (op.action == WA_FLASH_CUT_AFTER) {
        cut();
    }
    return WA_OK;
}

int wa_port_flash_erase(uint32_t off, uint32_t len)
{
    int rc = wa_flash_check_erase(off, len);
    if (rc != WA_OK) {
        return rc;
    }
    wa_flash_op_t op = wa_flash_faults_next('E', off, len);
    if (op.action == WA_FLASH_CUT_BEFORE) {
        cut();
    }
    if (op.action == WA_FLASH_CUT_DURING) {
        wa_flash_faults_tear(&op, s_flash + off, NULL, WA_STORE_PAGE);
        cut();
    }
    memset(s_flash + off, WA_FLASH_ERASED, len);
    if (off >= WA_STORE_KV) {
        s_erases[(off - WA_STORE_KV) / WA_STORE_PAGE]++;
    }
    if (op.action == WA_FLASH_CUT_AFTER) {
        cut();
    }
    return WA_OK;
}

/* ---- helpers ------------------------------------------------------------------ */

/* The value of app's key in ns, NUL-terminated into out ("" with rc). */
static int get(unsigned ns, const char *app, const char *key, char *out, size_t cap)
{
    size_t len = 0;
    memset(out, 0, cap);
    int rc = wa_kv_get(ns, app, key, strlen(key), out, cap - 1u, &len);
    return rc == WA_OK && len > cap - 1u ? WA_ERR_TOO_LARGE : rc;
}

static int has(const char *app, const char *key, const char *want)
{
    char got[WA_KV_VALUE_MAX + 1];
    int rc = get(WA_KV_NS_APP, app, key, got, sizeof got);
    return want == NULL ? rc == WA_ERR_NOT_FOUND : rc == WA_OK && strcmp(got, want) == 0;
}

static int set(const char *app, const char *key, const char *val, uint32_t quota)
{
    return wa_kv_set(WA_KV_NS_APP, app, key, strlen(key), val, strlen(val), quota);
}

static int count_key(const uint8_t *key, size_t key_len, const uint8_t *val, size_t len, void *ctx)
{
    (void)key;
    (void)key_len;
    (void)val;
    (void)len;
    (*(int *)ctx)++;
    return 0;
}

static int count(unsigned ns, const char *app)
{
    int n = 0;
    CHECK(wa_kv_each(ns, app, count_key, &n) == WA_OK);
    return n;
}

static void fresh(void)
{
    memset(s_flash, WA_FLASH_ERASED, sizeof s_flash);
    memset(s_erases, 0, sizeof s_erases);
    (void)wa_flash_faults_plan(NULL);
    CHECK(wa_kv_open() == WA_OK);
}

/* ---- the calls ------------------------------------------------------------------ */

static void test_calls(void)
{
    char got[8];
    size_t len = 0;
    fresh();
    CHECK(has("a", "k", NULL));
    CHECK(set("a", "k", "one", 0) == WA_OK);
    CHECK(set("b", "k", "two", 0) == WA_OK);
    CHECK(has("a", "k", "one") && has("b", "k", "two") && has("ab", "k", NULL));
    CHECK(wa_kv_get(WA_KV_NS_APP, "a", "k", 1, got, 2, &len) == WA_OK && len == 3 &&
          memcmp(got, "on", 2) == 0);
    CHECK(get(WA_KV_NS_CONFIG, "a", "k", got, sizeof got) == WA_ERR_NOT_FOUND);
    CHECK(set("a", "k", "", 0) == WA_OK && has("a", "k", ""));
    CHECK(wa_kv_delete(WA_KV_NS_APP, "a", "k", 1) == WA_OK && has("a", "k", NULL));
    CHECK(wa_kv_delete(WA_KV_NS_APP, "a", "k", 1) == WA_ERR_NOT_FOUND);
    CHECK(has("b", "k", "two"));
    /* arguments */
    static char big[WA_KV_VALUE_MAX + 2];
    memset(big, 'v', WA_KV_VALUE_MAX + 1);
    CHECK(wa_kv_set(WA_KV_NS_APP, "a", "k", 0, "v", 1, 0) == WA_ERR_INVALID_ARG);
    CHECK(wa_kv_set(WA_KV_NS_APP, "a", big, WA_KV_KEY_MAX + 1, "v", 1, 0) == WA_ERR_INVALID_ARG);
    CHECK(wa_kv_set(WA_KV_NS_APP, "a", big, WA_KV_KEY_MAX, "v", 1, 0) == WA_OK);
    CHECK(wa_kv_set(WA_KV_NS_APP, "a", "k", 1, big, WA_KV_VALUE_MAX + 1, 0) == WA_ERR_INVALID_ARG);
    CHECK(wa_kv_set(WA_KV_NS_APP, "a", "k", 1, big, WA_KV_VALUE_MAX, 0) == WA_OK);
    CHECK(wa_kv_set(WA_KV_NS_APP, "", "k", 1, "v", 1, 0) == WA_ERR_INVALID_ARG);
    CHECK(wa_kv_set(WA_KV_NS_APP, big, "k", 1, "v", 1, 0) == WA_ERR_INVALID_ARG);
    /* quota: key + value bytes of the live keys, the key's old value not counted */
    CHECK(set("q", "k1", "12345678", 10) == WA_OK);
    CHECK(set("q", "k2", "", 10) == WA_ERR_NO_SPACE);
    CHECK(set("q", "k1", "abcdefgh", 10) == WA_OK && has("q", "k1", "abcdefgh"));
    CHECK(set("q", "k1", "abcdefghi", 10) == WA_ERR_NO_SPACE && has("q", "k1", "abcdefgh"));
    CHECK(wa_kv_delete(WA_KV_NS_APP, "q", "k1", 2) == WA_OK && set("q", "k2", "1234", 10) == 0);
    CHECK(set("q", "k3", "1234", 0) == WA_OK); /* 0: no quota */
    /* each and drop */
    CHECK(wa_kv_set(WA_KV_NS_CONFIG, "b", "c", 1, "cfg", 3, 0) == WA_OK);
    CHECK(count(WA_KV_NS_APP, "b") == 1 && count(WA_KV_NS_CONFIG, "b") == 1);
    CHECK(count(WA_KV_NS_APP, "q") == 2 && count(WA_KV_NS_APP, "nobody") == 0);
    CHECK(wa_kv_drop("b") == WA_OK);
    CHECK(has("b", "k", NULL) && count(WA_KV_NS_CONFIG, "b") == 0);
    CHECK(has("q", "k2", "1234"));
    CHECK(set("b", "k", "again", 0) == WA_OK && has("b", "k", "again"));
    /* a reboot */
    CHECK(wa_kv_open() == WA_OK);
    CHECK(has("b", "k", "again") && has("q", "k2", "1234") && has("a", "none", NULL));
    CHECK(count(WA_KV_NS_CONFIG, "b") == 0);
}

/* ---- compactions and wear --------------------------------------------------------- */

#define KEYS 12

static void key_name(char *out, unsigned i)
{
    snprintf(out, 8, "key%u", i);
}

static void value_of(char *out, unsigned i, unsigned round)
{
    char head[24];
    int n = snprintf(head, sizeof head, "v%u.%u", i, round);
    memset(out, 0, 201);
    memcpy(out, head, (size_t)n);
    memset(out + n, 'x', (i * 37u + round) % 180u);
}

static void test_wear(void)
{
    char key[8], want[201];
    unsigned rounds[KEYS] = {0};
    fresh();
    for (unsigned n = 0; n < 3000; n++) {
        unsigned i = (n * 7u) % KEYS;
        key_name(key, i);
        value_of(want, i, ++rounds[i]);
        CHECK(set(i % 2 ? "a" : "b", key, want, 0) == WA_OK);
        if (n % 500 == 0) {
            CHECK(wa_kv_open() == WA_OK);
        }
    }
    for (unsigned i = 0; i < KEYS; i++) {
        key_name(key, i);
        value_of(want, i, rounds[i]);
        CHECK(has(i % 2 ? "a" : "b", key, want));
    }
    uint32_t lo = s_erases[0], hi = s_erases[0];
    for (unsigned p = 1; p < WA_STORE_KV_PAGES; p++) {
        lo = s_erases[p] < lo ? s_erases[p] : lo;
        hi = s_erases[p] > hi ? s_erases[p] : hi;
    }
    printf("wear: 3000 sets, erases per page %u..%u\n", (unsigned)lo, (unsigned)hi);
    CHECK(lo >= 20 && hi - lo <= 1);
    /* the area full: NO_SPACE, and what is there stays */
    static char big[WA_KV_VALUE_MAX + 1];
    memset(big, 'z', WA_KV_VALUE_MAX);
    int rc = WA_OK;
    unsigned stored = 0;
    for (unsigned i = 0; i < 100 && rc == WA_OK; i++) {
        snprintf(key, sizeof key, "f%u", i);
        rc = set("full", key, big, 0);
        stored += rc == WA_OK;
    }
    CHECK(rc == WA_ERR_NO_SPACE && stored > 20);
    CHECK(wa_kv_open() == WA_OK && count(WA_KV_NS_APP, "full") == (int)stored);
    CHECK(wa_kv_drop("full") == WA_OK && set("full", "after", "drop", 0) == WA_OK);
}

/* ---- power cuts ------------------------------------------------------------------- */

/* The keys but x, unchanged by the sweep. */
static int others_intact(void)
{
    char key[8], want[201];
    int ok = 1;
    for (unsigned i = 0; i < 4; i++) {
        key_name(key, i);
        value_of(want, i, 1);
        ok = ok && has(i % 2 ? "a" : "b", key, want);
    }
    return ok && has("b", "gone", NULL);
}

/* Runs set("a", "x", val) (NULL: wa_kv_open) with the plan; true when the
 * power was cut. */
static int cut_run(const char *plan, const char *val)
{
    wa_flash_faults_set_count(0);
    (void)wa_flash_faults_plan(plan);
    if (setjmp(s_cut) != 0) {
        return 1;
    }
    (void)(val != NULL ? set("a", "x", val, 0) : wa_kv_open());
    (void)wa_flash_faults_plan(NULL);
    return 0;
}

/* Opens again after a cut (cut once more at op `again` of the open when not
 * NONE), then checks x holds old or new, the rest unchanged, and the store
 * still takes a set. */
static void after_cut(const char *old, const char *val, uint32_t again)
{
    char plan[32];
    if (again != 0xFFFFFFFFu) {
        snprintf(plan, sizeof plan, "cut-during:%u", (unsigned)again);
        (void)cut_run(plan, NULL);
    }
    CHECK(wa_kv_open() == WA_OK);
    CHECK(has("a", "x", old) || has("a", "x", val));
    CHECK(others_intact());
    CHECK(set("a", "after", "cut", 0) == WA_OK && has("a", "after", "cut"));
}

static uint32_t erases(void)
{
    uint32_t n = 0;
    for (unsigned p = 0; p < WA_STORE_KV_PAGES; p++) {
        n += s_erases[p];
    }
    return n;
}

/* Cuts kv_set("a", "x", val) at each of its ops, each way; returns whether
 * that kv_set compacts a page. */
static int sweep_one(const char *old, const char *val, unsigned *cases)
{
    static const char *const modes[] = {"cut-before", "cut-during", "cut-after", "fail-write"};
    memcpy(s_saved, s_flash, sizeof s_flash);
    CHECK(wa_kv_open() == WA_OK);
    wa_flash_faults_set_count(0);
    CHECK(set("a", "x", val, 0) == WA_OK);
    uint32_t ops = wa_flash_faults_count();
    for (uint32_t k = 0; k < ops; k++) {
        for (unsigned m = 0; m < 4; m++) {
            uint32_t last = m == 1 ? 3u : 0u; /* torn: cut the repair at the next open too */
            for (uint32_t again = 0xFFFFFFFFu; again == 0xFFFFFFFFu || again < last; again++) {
                char plan[32];
                memcpy(s_flash, s_saved, sizeof s_flash);
                CHECK(wa_kv_open() == WA_OK);
                snprintf(plan, sizeof plan, "%s:%u", modes[m], (unsigned)k);
                CHECK(cut_run(plan, val) == (m < 3));
                if (m == 3) { /* a write that did not stick: a retry in the same boot works */
                    CHECK(set("a", "x", val, 0) == WA_OK || set("a", "x", val, 0) == WA_OK);
                }
                after_cut(m == 3 ? val : old, val, again);
                ++*cases;
            }
        }
    }
    memcpy(s_flash, s_saved, sizeof s_flash);
    CHECK(wa_kv_open() == WA_OK);
    uint32_t before = erases();
    CHECK(set("a", "x", val, 0) == WA_OK);
    return erases() != before;
}

static void test_power_cuts(void)
{
    char key[8], val[201], old[201] = "first";
    unsigned cases = 0, compactions = 0;
    fresh();
    for (unsigned i = 0; i < 4; i++) {
        key_name(key, i);
        value_of(val, i, 1);
        CHECK(set(i % 2 ? "a" : "b", key, val, 0) == WA_OK);
    }
    CHECK(set("b", "gone", "soon", 0) == WA_OK && wa_kv_delete(WA_KV_NS_APP, "b", "gone", 4) == 0);
    CHECK(set("a", "x", old, 0) == WA_OK);
    /* enough sets of x to go round the ring twice: compactions copy live records */
    for (unsigned round = 0; round < 200; round++) {
        value_of(val, 9, round);
        compactions += (unsigned)sweep_one(old, val, &cases);
        memcpy(old, val, sizeof old);
    }
    printf("power cuts: %u cases over 200 kv_set calls, %u of them compacting\n", cases,
           compactions);
    CHECK(cases > 2000 && compactions >= 4);
}

static void wear_only(unsigned sets)
{
    char key[8], val[201];
    fresh();
    for (unsigned n = 0; n < sets; n++) {
        key_name(key, (n * 7u) % KEYS);
        value_of(val, (n * 7u) % KEYS, n);
        CHECK(set("a", key, val, 0) == WA_OK);
    }
    printf("wear: %u sets, erases per page", sets);
    for (unsigned p = 0; p < WA_STORE_KV_PAGES; p++) {
        printf(" %u", (unsigned)s_erases[p]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "wear") == 0) {
        wear_only((unsigned)strtoul(argv[2], NULL, 10));
        return s_failures != 0;
    }
    test_calls();
    test_wear();
    test_power_cuts();
    printf("%u checks, %u failures\n", s_checks, s_failures);
    return s_failures != 0;
}
