/*
 * wa_hash_test_main.c - the vectors-file driver of a streaming hash's test
 * (wa_hash_test.h: usage, output, what each hash's test file gives it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_hash_test.h"
#include "wa_test_text.h"

static const wa_hash_test_t *const H = &wa_hash_test;
static int failures;
static uint32_t rng_state = 0x2545F491u;

static uint32_t rng(void)
{
    /* xorshift32: deterministic, so a failure reproduces. */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void check(int line, const char *how, const uint8_t *got, const uint8_t *want)
{
    if (memcmp(got, want, H->digest_len) != 0) {
        fprintf(stderr, "FAIL line %d: %s digest differs\n", line, how);
        failures++;
    }
}

/* Streams data in chunks of `chunk` bytes (0: pseudo-random sizes 0..random_chunk_max). */
static void stream_chunks(const uint8_t *data, size_t len, size_t chunk, uint8_t *out)
{
    size_t off = 0;
    H->init();
    while (off < len) {
        size_t n = chunk != 0 ? chunk : rng() % (H->random_chunk_max + 1u);
        if (n > len - off) {
            n = len - off;
        }
        H->update(data + off, n);
        off += n;
    }
    H->update(NULL, 0);
    H->final(out);
}

static void stream_split(const uint8_t *data, size_t len, size_t at, uint8_t *out)
{
    if (at > len) {
        at = len;
    }
    H->init();
    H->update(data, at);
    H->update(data + at, len - at);
    H->final(out);
}

static void check_vector(int line, const uint8_t *data, size_t len, const uint8_t *want)
{
    const size_t sizes[] = {1, H->block_len - 1, H->block_len, H->block_len + 1};
    uint8_t got[WA_HASH_TEST_DIGEST_MAX];
    char how[64];

    H->oneshot(data, len, got);
    check(line, "one-shot", got, want);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        stream_chunks(data, len, sizes[i], got);
        snprintf(how, sizeof how, "%zu-byte chunks", sizes[i]);
        check(line, how, got, want);
        stream_split(data, len, sizes[i], got);
        snprintf(how, sizeof how, "split at %zu", sizes[i]);
        check(line, how, got, want);
    }
    for (int round = 0; round < 3; round++) {
        stream_chunks(data, len, 0, got);
        check(line, "random chunks", got, want);
    }
    size_t at = len == 0 ? 0 : rng() % (len + 1);
    stream_split(data, len, at, got);
    snprintf(how, sizeof how, "split at %zu (random)", at);
    check(line, how, got, want);
}

static void check_million_a(void)
{
    /* FIPS 180-4 example: one million 'a'. */
    uint8_t want[WA_HASH_TEST_DIGEST_MAX];
    uint8_t got[WA_HASH_TEST_DIGEST_MAX];
    uint8_t chunk[1000];

    wa_test_hex_decode(H->million_a, 2 * H->digest_len, want);
    memset(chunk, 'a', sizeof chunk);
    H->init();
    for (int i = 0; i < 1000; i++) {
        H->update(chunk, sizeof chunk);
    }
    H->final(got);
    check(0, "million 'a'", got, want);
}

/* Checks the vector of line `line`, [cursor, end): "HEXINPUT HEXDIGEST".
 * Returns 1 when it was checked, 0 when malformed. */
static int check_line(int line, const char *cursor, const char *end)
{
    const char *space = memchr(cursor, ' ', (size_t)(end - cursor));
    uint8_t want[WA_HASH_TEST_DIGEST_MAX];
    size_t in_len = space == NULL ? 0 : (size_t)(space - cursor);
    uint8_t *data = malloc(in_len / 2 + 1);
    size_t hex_len = 2 * H->digest_len;
    long n = 0;
    if (space == NULL || data == NULL || (size_t)(end - space - 1) != hex_len ||
        wa_test_hex_decode(space + 1, hex_len, want) != (long)H->digest_len) {
        n = -1;
    } else if (!(in_len == 1 && cursor[0] == '-')) {
        n = wa_test_hex_decode(cursor, in_len, data);
    }
    if (n < 0) {
        fprintf(stderr, "FAIL line %d: malformed vector\n", line);
        failures++;
    } else {
        check_vector(line, data, (size_t)n, want);
    }
    free(data);
    return n >= 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS\n", argv[0]);
        return 2;
    }
    if (H->digest_len > WA_HASH_TEST_DIGEST_MAX) {
        fprintf(stderr, "digest_len above WA_HASH_TEST_DIGEST_MAX\n");
        return 2;
    }
    char *text = wa_test_read_text(argv[1]);

    int checked = 0;
    int line = 0;
    char *cursor = text;
    while (*cursor != '\0') {
        char *end = strchr(cursor, '\n');
        if (end == NULL) {
            end = cursor + strlen(cursor);
        }
        char *next = *end == '\0' ? end : end + 1;
        line++;
        while (end > cursor && (end[-1] == '\r' || end[-1] == ' ')) {
            end--;
        }
        if (end != cursor && *cursor != '#') {
            checked += check_line(line, cursor, end);
        }
        cursor = next;
    }
    free(text);

    check_million_a();
    printf("%d vectors checked, %d failures\n", checked, failures);
    return failures == 0 && checked > 0 ? 0 : 1;
}
