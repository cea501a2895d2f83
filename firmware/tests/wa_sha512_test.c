/*
 * wa_sha512_test.c - checks wa_sha512.c against the shared vectors.
 *
 * Usage: wa_sha512_test tests/fixtures/sha512/vectors.txt
 * (format: firmware/tools/gen_sha512_vectors.py; one "HEXINPUT HEXDIGEST" a
 * line, '-' for the empty input, '#' comments). Each vector is hashed one-shot
 * and streamed: in chunks of 1, 127, 128 and 129 bytes, of pseudo-random sizes,
 * and split in two at 1, 127, 128, 129 and a pseudo-random offset. Then the FIPS
 * million-'a' message, streamed. Prints "N vectors checked, F failures" and
 * exits 0 only when F is 0 and N > 0.
 * A host test program: it allocates freely, unlike the code it checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_sha512.h"

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

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes len hex digits from s into out; -1 on a bad digit or odd length. */
static long hex_decode(const char *s, size_t len, uint8_t *out)
{
    if (len % 2 != 0) {
        return -1;
    }
    for (size_t i = 0; i < len / 2; i++) {
        int hi = hex_value(s[2 * i]);
        int lo = hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(len / 2);
}

static void check(int line, const char *how, const uint8_t *got, const uint8_t *want)
{
    if (memcmp(got, want, WA_SHA512_DIGEST_LEN) != 0) {
        fprintf(stderr, "FAIL line %d: %s digest differs\n", line, how);
        failures++;
    }
}

/* Streams data in chunks of `chunk` bytes (0: pseudo-random sizes 0..300). */
static void stream_chunks(const uint8_t *data, size_t len, size_t chunk, uint8_t *out)
{
    wa_sha512_ctx ctx;
    size_t off = 0;
    wa_sha512_init(&ctx);
    while (off < len) {
        size_t n = chunk != 0 ? chunk : rng() % 301u;
        if (n > len - off) {
            n = len - off;
        }
        wa_sha512_update(&ctx, data + off, n);
        off += n;
    }
    wa_sha512_update(&ctx, NULL, 0);
    wa_sha512_final(&ctx, out);
}

static void stream_split(const uint8_t *data, size_t len, size_t at, uint8_t *out)
{
    wa_sha512_ctx ctx;
    if (at > len) {
        at = len;
    }
    wa_sha512_init(&ctx);
    wa_sha512_update(&ctx, data, at);
    wa_sha512_update(&ctx, data + at, len - at);
    wa_sha512_final(&ctx, out);
}

static void check_vector(int line, const uint8_t *data, size_t len, const uint8_t *want)
{
    static const size_t sizes[] = {1, 127, 128, 129};
    uint8_t got[WA_SHA512_DIGEST_LEN];
    char how[64];

    wa_sha512(data, len, got);
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
    static const char want_hex[] =
        "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
        "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b";
    uint8_t want[WA_SHA512_DIGEST_LEN];
    uint8_t got[WA_SHA512_DIGEST_LEN];
    uint8_t chunk[1000];
    wa_sha512_ctx ctx;

    hex_decode(want_hex, 128, want);
    memset(chunk, 'a', sizeof chunk);
    wa_sha512_init(&ctx);
    for (int i = 0; i < 1000; i++) {
        wa_sha512_update(&ctx, chunk, sizeof chunk);
    }
    wa_sha512_final(&ctx, got);
    check(0, "million 'a'", got, want);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1u << 16;
    size_t len = 0;
    char *buf = malloc(cap + 1);
    while (buf != NULL) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) {
            break;
        }
        cap *= 2;
        char *grown = realloc(buf, cap + 1);
        if (grown == NULL) {
            free(buf);
        }
        buf = grown;
    }
    fclose(f);
    if (buf != NULL) {
        buf[len] = '\0';
    }
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS\n", argv[0]);
        return 2;
    }
    char *text = read_file(argv[1]);
    if (text == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }

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
        if (end == cursor || *cursor == '#') {
            cursor = next;
            continue;
        }
        const char *space = memchr(cursor, ' ', (size_t)(end - cursor));
        uint8_t want[WA_SHA512_DIGEST_LEN];
        size_t in_len = space == NULL ? 0 : (size_t)(space - cursor);
        uint8_t *data = malloc(in_len / 2 + 1);
        long n = 0;
        if (space == NULL || data == NULL || (size_t)(end - space - 1) != 128 ||
            hex_decode(space + 1, 128, want) != WA_SHA512_DIGEST_LEN) {
            n = -1;
        } else if (!(in_len == 1 && cursor[0] == '-')) {
            n = hex_decode(cursor, in_len, data);
        }
        if (n < 0) {
            fprintf(stderr, "FAIL line %d: malformed vector\n", line);
            failures++;
        } else {
            check_vector(line, data, (size_t)n, want);
            checked++;
        }
        free(data);
        cursor = next;
    }
    free(text);

    check_million_a();
    printf("%d vectors checked, %d failures\n", checked, failures);
    return failures == 0 && checked > 0 ? 0 : 1;
}
