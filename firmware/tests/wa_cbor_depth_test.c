/*
 * wa_cbor_depth_test.c - host driver for wa_cbor_depth_ok: reads a file of
 * cases, one a line, "MAX_DEPTH HEX", and prints "1" (within the bound) or
 * "0" (deeper) a line for each, then "N cases".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa_cbor_depth.h"
#include "wa_test_text.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASES\n", argv[0]);
        return 2;
    }
    char *text = wa_test_read_text(argv[1]);
    unsigned cases = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *hex = NULL;
        unsigned long max = strtoul(line, &hex, 10);
        hex += strspn(hex, " ");
        size_t len = strlen(hex);
        uint8_t *buf = malloc(len / 2 + 1);
        if (buf == NULL || wa_test_hex_decode(hex, len, buf) < 0) {
            fprintf(stderr, "bad case: %s\n", line);
            return 2;
        }
        printf("%d\n", wa_cbor_depth_ok(buf, len / 2, (uint32_t)max) ? 1 : 0);
        free(buf);
        cases++;
    }
    printf("%u cases\n", cases);
    free(text);
    return 0;
}
