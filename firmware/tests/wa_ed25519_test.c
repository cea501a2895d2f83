/*
 * wa_ed25519_test.c - checks wa_ed25519.c against the RFC 8032 vectors.
 *
 * Usage: wa_ed25519_test tests/fixtures/ed25519/rfc8032.txt
 * (one "NAME SECRET PUBLIC MESSAGE SIGNATURE" a line, lowercase hex, '-' for
 * the empty message, '#' comments; the secret key is not used here). Each
 * signature must verify; then each of these must be refused: one bit flipped
 * in R, in S, in the public key and (when there is one) in the message, and
 * S replaced by S + L and by L (non-canonical scalars, RFC 8032 5.1.7).
 * Prints one line a vector, then "N vectors checked, R refusals checked, F
 * failures"; exits 0 only when F is 0 and N > 0.
 * A host test program: it allocates freely, unlike the code it checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_ed25519.h"
#include "wa_test_text.h"

/* The group order L, little-endian. */
static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                              0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

typedef struct vector {
    char name[32];
    uint8_t pub[WA_ED25519_KEY_LEN];
    uint8_t sig[WA_ED25519_SIG_LEN];
    uint8_t *msg;
    size_t len;
} vector_t;

static int failures;
static int refusals;

/* Decodes the hex word s (exactly 2 * len digits) into out. */
static int hex_exact(const char *s, uint8_t *out, size_t len)
{
    return strlen(s) == 2 * len && wa_test_hex_decode(s, 2 * len, out) == (long)len;
}

/* Parses "NAME SECRET PUBLIC MESSAGE SIGNATURE" (line is modified). */
static int parse_line(char *line, vector_t *v)
{
    char *word[5];
    for (int i = 0; i < 5; i++) {
        word[i] = strtok(i == 0 ? line : NULL, " \r");
        if (word[i] == NULL) {
            return 0;
        }
    }
    snprintf(v->name, sizeof v->name, "%s", word[0]);
    v->len = strcmp(word[3], "-") == 0 ? 0 : strlen(word[3]) / 2;
    v->msg = malloc(v->len + 1);
    return v->msg != NULL && hex_exact(word[2], v->pub, sizeof v->pub) &&
           hex_exact(word[4], v->sig, sizeof v->sig) &&
           (v->len == 0 || hex_exact(word[3], v->msg, v->len));
}

static void refused(const vector_t *v, const uint8_t *sig, const uint8_t *pub, const uint8_t *msg,
                    const char *what)
{
    refusals++;
    if (wa_ed25519_check(sig, pub, msg, v->len)) {
        printf("FAIL %s: accepted with %s\n", v->name, what);
        failures++;
    }
}

/* S + L: the same scalar mod L, but not the canonical encoding. */
static void add_l(uint8_t s[32])
{
    unsigned carry = 0;
    for (int i = 0; i < 32; i++) {
        unsigned sum = s[i] + L[i] + carry;
        s[i] = (uint8_t)sum;
        carry = sum >> 8;
    }
}

static void check_vector(const vector_t *v)
{
    uint8_t sig[WA_ED25519_SIG_LEN];
    uint8_t pub[WA_ED25519_KEY_LEN];
    if (!wa_ed25519_check(v->sig, v->pub, v->msg, v->len)) {
        printf("FAIL %s: the RFC's signature is refused\n", v->name);
        failures++;
        return;
    }
    memcpy(sig, v->sig, sizeof sig);
    sig[3] ^= 0x10;
    refused(v, sig, v->pub, v->msg, "a bit of R flipped");
    memcpy(sig, v->sig, sizeof sig);
    sig[40] ^= 0x01;
    refused(v, sig, v->pub, v->msg, "a bit of S flipped");
    memcpy(pub, v->pub, sizeof pub);
    pub[7] ^= 0x02;
    refused(v, v->sig, pub, v->msg, "a bit of the public key flipped");
    if (v->len > 0) {
        v->msg[v->len - 1] ^= 0x80;
        refused(v, v->sig, v->pub, v->msg, "a bit of the message flipped");
        v->msg[v->len - 1] ^= 0x80;
    }
    memcpy(sig, v->sig, sizeof sig);
    add_l(sig + 32);
    refused(v, sig, v->pub, v->msg, "S + L");
    memcpy(sig + 32, L, sizeof L);
    refused(v, sig, v->pub, v->msg, "S = L");
    printf("ok   %-14s %4zu-byte message\n", v->name, v->len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s rfc8032.txt\n", argv[0]);
        return 2;
    }
    char *text = wa_test_read_text(argv[1]);
    int count = 0;
    char *next = text;
    for (char *line = text; line != NULL && *line != '\0'; line = next) {
        char *end = strchr(line, '\n');
        next = end != NULL ? end + 1 : NULL;
        if (end != NULL) {
            *end = '\0';
        }
        if (line[0] == '#' || line[strspn(line, " \r")] == '\0') {
            continue;
        }
        vector_t v = {0};
        count++;
        if (parse_line(line, &v)) {
            check_vector(&v);
        } else {
            printf("FAIL vector %d: not NAME SECRET PUBLIC MESSAGE SIGNATURE\n", count);
            failures++;
        }
        free(v.msg);
    }
    free(text);
    printf("%d vectors checked, %d refusals checked, %d failures\n", count, refusals, failures);
    return failures == 0 && count > 0 ? 0 : 1;
}
