/*
 * wa_smp_frame_test.c - checks wa_smp_frame.c against the shared vectors.
 *
 * Usage: wa_smp_frame_test tests/fixtures/smp/vectors.txt
 * (format: firmware/tools/gen_smp_vectors.py). For every case it feeds the
 * bytes at their timestamps and compares the delivered messages and the
 * counters; an "encode" case must also re-encode byte-identically. Then a few
 * checks of its own: round trips of every size up to 400 bytes and of the
 * largest messages, and the encoder's errors. Exit 0 when all pass.
 * A host test program: it allocates freely, unlike the code it checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_err.h"
#include "wa_smp_frame.h"
#include "wa_test_text.h"

#define MAX_BYTES (1u << 18)
#define MAX_PACKETS 16

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
} bytes_t;

static uint8_t msg_buf[0x10000];
static int failures;

static void fail_case(const char *name, const char *what)
{
    fprintf(stderr, "FAIL %s: %s\n", name, what);
    failures++;
}

static int write_bytes(void *ctx, const uint8_t *data, size_t len)
{
    bytes_t *out = ctx;
    if (out->len + len > out->cap) {
        return -1;
    }
    memcpy(out->data + out->len, data, len);
    out->len += len;
    return 0;
}

/* ---- the vectors file ---- */

static char *next_token(char **cursor)
{
    char *p = *cursor;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
        }
        if (*p != '#') {
            break;
        }
        while (*p != '\0' && *p != '\n') {
            p++;
        }
    }
    if (*p == '\0') {
        return NULL;
    }
    char *start = p;
    while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
        p++;
    }
    if (*p != '\0') {
        *p++ = '\0';
    }
    *cursor = p;
    return start;
}

/* Hex (or "-" for nothing) into out; returns the length or -1. */
static long parse_hex(const char *text, uint8_t *out, size_t cap)
{
    size_t n = strlen(text);
    if (strcmp(text, "-") == 0) {
        return 0;
    }
    return n / 2 > cap ? -1 : wa_test_hex_decode(text, n, out);
}

static wa_smp_framing_t parse_framing(const char *text)
{
    return strcmp(text, "raw") == 0 ? WA_SMP_FRAMING_RAW : WA_SMP_FRAMING_CONSOLE;
}

typedef struct {
    char name[96];
    wa_smp_frame_dec_t dec;
    uint8_t *fed; /* every byte fed, for the encode check */
    size_t fed_len;
    uint8_t *got; /* delivered messages, back to back */
    size_t got_len[MAX_PACKETS];
    wa_smp_framing_t got_framing[MAX_PACKETS];
    size_t n_got;
    size_t n_checked;
    size_t got_off;
    size_t check_off;
    int has_encode;
    wa_smp_framing_t enc_framing;
    uint8_t *enc_msg;
    size_t enc_len;
} case_t;

static void feed_case(case_t *c, const uint8_t *data, size_t len, uint32_t now)
{
    memcpy(c->fed + c->fed_len, data, len);
    c->fed_len += len;
    for (size_t i = 0; i < len; i++) {
        if (wa_smp_frame_feed(&c->dec, data[i], now) != WA_SMP_FEED_PACKET) {
            continue;
        }
        if (c->n_got == MAX_PACKETS) {
            fail_case(c->name, "too many packets");
            return;
        }
        size_t n = wa_smp_frame_len(&c->dec);
        memcpy(c->got + c->got_off, msg_buf, n);
        c->got_off += n;
        c->got_len[c->n_got] = n;
        c->got_framing[c->n_got++] = wa_smp_frame_framing(&c->dec);
    }
}

static void expect_packet(case_t *c, wa_smp_framing_t framing, const uint8_t *msg, size_t len)
{
    size_t k = c->n_checked++;
    if (k >= c->n_got || c->got_len[k] != len || c->got_framing[k] != framing ||
        memcmp(c->got + c->check_off, msg, len) != 0) {
        fail_case(c->name, "packet differs");
        return;
    }
    c->check_off += len;
}

static void expect_stats(case_t *c, const unsigned long v[6])
{
    const wa_smp_frame_stats_t *s = wa_smp_frame_stats(&c->dec);
    const unsigned long got[6] = {s->frames_ok, s->bad_crc,   s->oversized,
                                  s->timeouts,  s->malformed, s->garbage_bytes};
    if (memcmp(got, v, sizeof(got)) != 0) {
        fprintf(stderr, "FAIL %s: stats %lu %lu %lu %lu %lu %lu\n", c->name, got[0], got[1], got[2],
                got[3], got[4], got[5]);
        failures++;
    }
}

static void end_case(case_t *c, uint8_t *scratch)
{
    if (c->n_checked != c->n_got) {
        fail_case(c->name, "more packets than expected");
    }
    if (!c->has_encode) {
        return;
    }
    bytes_t out = {scratch, 0, MAX_BYTES};
    int rc = wa_smp_frame_encode(c->enc_framing, c->enc_msg, c->enc_len, write_bytes, &out);
    if (rc != 0 || out.len != c->fed_len || memcmp(out.data, c->fed, out.len) != 0) {
        fail_case(c->name, "re-encoding differs");
    }
}

static int run_vectors(char *text)
{
    static uint8_t fed[MAX_BYTES], got[MAX_BYTES], tmp[MAX_BYTES], enc[MAX_BYTES];
    static case_t c;
    unsigned long cap = 0, timeout = 0, line_max = 0;
    int cases = 0;
    char *tok;

    while ((tok = next_token(&text)) != NULL) {
        if (strcmp(tok, "decoder") == 0) {
            cap = strtoul(next_token(&text), NULL, 10);
            timeout = strtoul(next_token(&text), NULL, 10);
            line_max = strtoul(next_token(&text), NULL, 10);
            if (line_max != WA_SMP_CONSOLE_LINE_MAX || cap > sizeof(msg_buf)) {
                fprintf(stderr, "FAIL: vectors need line_max %lu, capacity %lu\n", line_max, cap);
                return -1;
            }
        } else if (strcmp(tok, "case") == 0) {
            memset(&c, 0, sizeof(c));
            snprintf(c.name, sizeof(c.name), "%s", next_token(&text));
            c.fed = fed;
            c.got = got;
            c.enc_msg = enc;
            wa_smp_frame_dec_init(&c.dec, msg_buf, cap, (uint32_t)timeout);
            cases++;
        } else if (strcmp(tok, "encode") == 0) {
            c.has_encode = 1;
            c.enc_framing = parse_framing(next_token(&text));
            c.enc_len = (size_t)parse_hex(next_token(&text), enc, MAX_BYTES);
        } else if (strcmp(tok, "feed") == 0) {
            uint32_t now = (uint32_t)strtoul(next_token(&text), NULL, 10);
            long n = parse_hex(next_token(&text), tmp, MAX_BYTES - c.fed_len);
            if (n < 0) {
                return -1;
            }
            feed_case(&c, tmp, (size_t)n, now);
        } else if (strcmp(tok, "packet") == 0) {
            wa_smp_framing_t framing = parse_framing(next_token(&text));
            long n = parse_hex(next_token(&text), tmp, MAX_BYTES);
            if (n < 0) {
                return -1;
            }
            expect_packet(&c, framing, tmp, (size_t)n);
        } else if (strcmp(tok, "stats") == 0) {
            unsigned long v[6];
            for (int i = 0; i < 6; i++) {
                v[i] = strtoul(next_token(&text), NULL, 10);
            }
            expect_stats(&c, v);
        } else if (strcmp(tok, "end") == 0) {
            end_case(&c, tmp);
        } else {
            fprintf(stderr, "FAIL: unknown record '%s'\n", tok);
            return -1;
        }
    }
    return cases;
}

/* ---- checks of its own ---- */

static int round_trip(wa_smp_framing_t framing, const uint8_t *msg, size_t len, bytes_t *wire)
{
    static wa_smp_frame_dec_t dec;
    wire->len = 0;
    if (wa_smp_frame_encode(framing, msg, len, write_bytes, wire) != 0) {
        return 0;
    }
    wa_smp_frame_dec_init(&dec, msg_buf, sizeof(msg_buf), 1000);
    int packets = 0;
    for (size_t i = 0; i < wire->len; i++) {
        packets += wa_smp_frame_feed(&dec, wire->data[i], 0) == WA_SMP_FEED_PACKET;
    }
    return packets == 1 && wa_smp_frame_len(&dec) == len && wa_smp_frame_framing(&dec) == framing &&
           memcmp(msg_buf, msg, len) == 0;
}

static int refuse(void *ctx, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return 42;
}

static void self_checks(void)
{
    static uint8_t msg[0x10000], wire_buf[0x18000];
    bytes_t wire = {wire_buf, 0, sizeof(wire_buf)};
    for (size_t i = 0; i < sizeof(msg); i++) {
        msg[i] = (uint8_t)(i * 31 + 7);
    }
    for (size_t n = 0; n <= 400; n++) {
        if (!round_trip(WA_SMP_FRAMING_CONSOLE, msg, n, &wire) ||
            !round_trip(WA_SMP_FRAMING_RAW, msg, n, &wire)) {
            fprintf(stderr, "FAIL round trip of %zu bytes\n", n);
            failures++;
        }
    }
    if (!round_trip(WA_SMP_FRAMING_CONSOLE, msg, WA_SMP_CONSOLE_MSG_MAX, &wire) ||
        !round_trip(WA_SMP_FRAMING_RAW, msg, WA_SMP_RAW_MSG_MAX, &wire)) {
        fail_case("largest", "round trip");
    }
    if (wa_smp_frame_encode(WA_SMP_FRAMING_CONSOLE, msg, WA_SMP_CONSOLE_MSG_MAX + 1u, write_bytes,
                            &wire) != WA_ERR_TOO_LARGE ||
        wa_smp_frame_encode(WA_SMP_FRAMING_RAW, msg, WA_SMP_RAW_MSG_MAX + 1u, write_bytes, &wire) !=
            WA_ERR_TOO_LARGE ||
        wa_smp_frame_encode(WA_SMP_FRAMING_RAW, msg, 3, refuse, NULL) != 42 ||
        wa_smp_frame_encode(WA_SMP_FRAMING_CONSOLE, msg, 3, NULL, NULL) != WA_ERR_INVALID_ARG) {
        fail_case("encoder-errors", "wrong return value");
    }
    static const uint8_t check[] = "123456789";
    if (wa_smp_crc16(0, check, 9) != 0x31C3) { /* CRC-16/XMODEM check value */
        fail_case("crc16", "check value");
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS\n", argv[0]);
        return 2;
    }
    char *text = wa_test_read_text(argv[1]);
    int cases = run_vectors(text);
    free(text);
    if (cases < 0) {
        fprintf(stderr, "FAIL: malformed vectors file\n");
        return 1;
    }
    self_checks();
    printf("%d vector cases, %d failures\n", cases, failures);
    return failures == 0 ? 0 : 1;
}
