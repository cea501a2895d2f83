/*
 * wa_test_text.h - what the host test drivers share to read their vector
 * files: a whole file as text, hex digits as bytes (wa_test_text.c, built
 * with each driver that includes this). Test code: it allocates freely and
 * exits when a file cannot be read, unlike the code it checks.
 */
#ifndef WA_TEST_TEXT_H
#define WA_TEST_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* The file at path, NUL-terminated, in a malloc'd buffer the caller frees.
 * Prints "cannot read PATH" on stderr and exits 2 when it cannot. */
char *wa_test_read_text(const char *path);

/* Decodes the len hex digits at s (either case) into out (len / 2 bytes).
 * Returns len / 2, or -1 for an odd len or a bad digit (out partly written). */
long wa_test_hex_decode(const char *s, size_t len, uint8_t *out);

#endif /* WA_TEST_TEXT_H */
