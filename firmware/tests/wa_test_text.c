/*
 * wa_test_text.c - file and hex helpers of the host test drivers
 * (wa_test_text.h).
 */
#include "wa_test_text.h"

#include <stdio.h>
#include <stdlib.h>

char *wa_test_read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    long size = ftell(f);
    char *text = malloc((size_t)size + 1);
    rewind(f);
    if (size < 0 || text == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    text[size] = '\0';
    return text;
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

long wa_test_hex_decode(const char *s, size_t len, uint8_t *out)
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
