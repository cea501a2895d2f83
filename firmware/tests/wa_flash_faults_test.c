/*
 * wa_flash_faults_test.c - host driver for firmware/core/port/wa_flash_faults.c:
 * plan parsing, op counting and decisions, torn programs and erases (NOR
 * physics, replay from a seed) and the trace and cut lines. Prints
 * "N checks, M failures"; exits with 1 on any failure.
 */
#include <stdio.h>
#include <string.h>

#include "wa_flash_faults.h"

#define PAGE 64u
#define SEEDS 200u

static int s_checks;
static int s_failures;

static void check(int ok, const char *what)
{
    s_checks++;
    if (!ok) {
        fprintf(stderr, "FAIL %s\n", what);
        s_failures++;
    }
}

static void test_plans(void)
{
    static const char *const good[] = {"",
                                       "cut-before:0",
                                       "cut-after:12",
                                       "cut-during:3",
                                       "cut-during:3:77",
                                       "fail-write:5,fail-write:9",
                                       "cut-after:4294967295"};
    static const char *const bad[] = {"cut:1",
                                      "cut-before:",
                                      "cut-before:x",
                                      "cut-after:1 ",
                                      "fail-write:1:2",
                                      "cut-before:1,,cut-after:2",
                                      "cut-after:4294967296",
                                      "cut-before:1,",
                                      "fail-write:1,fail-write:2,fail-write:3,fail-write:4,"
                                      "fail-write:5,fail-write:6,fail-write:7,fail-write:8,"
                                      "fail-write:9"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        check(wa_flash_faults_plan(good[i]) == 0, good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        check(wa_flash_faults_plan(bad[i]) == -1, bad[i]);
    }
    check(wa_flash_faults_plan(NULL) == 0, "NULL plan");
}

static void test_decisions(void)
{
    check(wa_flash_faults_plan("cut-after:3,fail-write:1,fail-write:2,cut-during:4:9") == 0,
          "plan of four");
    wa_flash_faults_set_count(0);
    wa_flash_op_t op = wa_flash_faults_next('E', 4096, 4096);
    check(op.index == 0 && op.action == WA_FLASH_DO && op.kind == 'E', "op 0 untouched");
    op = wa_flash_faults_next('P', 80, 128);
    check(op.index == 1 && op.action == WA_FLASH_SKIP, "fail-write on a program");
    op = wa_flash_faults_next('E', 8192, 4096);
    check(op.index == 2 && op.action == WA_FLASH_DO, "fail-write ignores an erase");
    op = wa_flash_faults_next('P', 0, 16);
    check(op.index == 3 && op.action == WA_FLASH_CUT_AFTER, "cut-after");
    op = wa_flash_faults_next('P', 0, 16);
    check(op.action == WA_FLASH_CUT_DURING && op.seed == 9, "cut-during with its seed");
    check(wa_flash_faults_count() == 5, "five ops counted");
    wa_flash_faults_set_count(3);
    check(wa_flash_faults_next('P', 0, 1).action == WA_FLASH_CUT_AFTER, "count carried over");
}

static int torn_program_ok(const uint8_t *view, const uint8_t *data, uint32_t len)
{
    uint32_t r = 0;
    while (r < len && view[r] == data[r]) {
        r++;
    }
    if (r == len) { /* the partial byte happened to get its whole value */
        return 1;
    }
    int partial = (view[r] & data[r]) == data[r]; /* bits can only stay 1 */
    for (uint32_t i = r + 1; i < len; i++) {
        partial = partial && view[i] == 0xFF;
    }
    return partial;
}

static void test_torn_program(void)
{
    uint8_t data[37], view[37], again[37];
    for (uint32_t i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)(i * 29u + 3u);
    }
    int varied = 0;
    for (uint32_t seed = 1; seed <= SEEDS; seed++) {
        wa_flash_op_t op = {7, 'P', 0, sizeof data, WA_FLASH_CUT_DURING, seed};
        memset(view, 0xFF, sizeof view);
        memset(again, 0xFF, sizeof again);
        wa_flash_faults_tear(&op, view, data, PAGE);
        wa_flash_faults_tear(&op, again, data, PAGE);
        check(torn_program_ok(view, data, sizeof data), "torn program only clears bits");
        check(memcmp(view, again, sizeof view) == 0, "torn program replays from its seed");
        varied += view[0] == 0xFF;
    }
    check(varied > 0 && varied < (int)SEEDS, "torn programs stop at different bytes");
}

static int erased(const uint8_t *page)
{
    for (uint32_t i = 0; i < PAGE; i++) {
        if (page[i] != 0xFF) {
            return 0;
        }
    }
    return 1;
}

/* Erased pages, then one torn page (bits only set), then untouched pages. */
static int torn_erase_ok(const uint8_t *view, const uint8_t *old, uint32_t pages)
{
    uint32_t p = 0;
    while (p < pages && erased(view + p * PAGE)) {
        p++;
    }
    int ok = 1;
    for (uint32_t i = 0; p < pages && i < PAGE; i++) {
        ok = ok && (view[p * PAGE + i] & old[p * PAGE + i]) == old[p * PAGE + i];
    }
    for (uint32_t q = p + 1; q < pages; q++) {
        ok = ok && memcmp(view + q * PAGE, old + q * PAGE, PAGE) == 0;
    }
    return ok;
}

static void test_torn_erase(void)
{
    enum { PAGES = 3 };
    uint8_t old[PAGES * PAGE], view[PAGES * PAGE], again[PAGES * PAGE];
    for (uint32_t i = 0; i < sizeof old; i++) {
        old[i] = (uint8_t)(0x11u + i % 0xE0u);
    }
    for (uint32_t seed = 1; seed <= SEEDS; seed++) {
        wa_flash_op_t op = {2, 'E', 0, sizeof old, WA_FLASH_CUT_DURING, seed};
        memcpy(view, old, sizeof old);
        memcpy(again, old, sizeof old);
        wa_flash_faults_tear(&op, view, NULL, PAGE);
        wa_flash_faults_tear(&op, again, NULL, PAGE);
        check(torn_erase_ok(view, old, PAGES), "torn erase: erased, torn, untouched pages");
        check(memcmp(view, again, sizeof view) == 0, "torn erase replays from its seed");
    }
}

static void test_lines(void)
{
    char line[WA_FLASH_FAULTS_LINE_MAX];
    wa_flash_op_t op = {4294967295u, 'E', 4096, 8192, WA_FLASH_CUT_BEFORE, 0};
    wa_flash_faults_trace_line(&op, line, sizeof line);
    check(strcmp(line, "4294967295 E 4096 8192\n") == 0, "trace line");
    op.index = 12;
    wa_flash_faults_cut_line(&op, line, sizeof line);
    check(strcmp(line, "power cut at flash op 12 (before)\n") == 0, "cut line before");
    op.action = WA_FLASH_CUT_DURING;
    wa_flash_faults_cut_line(&op, line, sizeof line);
    check(strcmp(line, "power cut at flash op 12 (during)\n") == 0, "cut line during");
    check(wa_flash_faults_trace_line(&op, line, 8) == 0, "short buffer refused");
}

int main(void)
{
    test_plans();
    test_decisions();
    test_torn_program();
    test_torn_erase();
    test_lines();
    printf("%d checks, %d failures\n", s_checks, s_failures);
    return s_failures == 0 ? 0 : 1;
}
