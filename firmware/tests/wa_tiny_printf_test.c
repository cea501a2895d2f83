/*
 * Host driver for firmware/ports/cortex-m/tiny_printf.c: every case is formatted by
 * it and by the host C library, and both the text and the returned length must be
 * the same (also into a buffer too small). Prints "N cases, M failures".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define vsnprintf tiny_vsnprintf
#define snprintf tiny_snprintf
int tiny_vsnprintf(char *buf, size_t size, const char *format, va_list args);
int tiny_snprintf(char *buf, size_t size, const char *format, ...);
#include "../ports/cortex-m/tiny_printf.c"
#undef vsnprintf
#undef snprintf

static int s_cases;
static int s_failures;

static void check(int line, size_t size, int got_n, const char *got, int want_n, const char *want)
{
    s_cases++;
    if (got_n != want_n || strcmp(got, want) != 0) {
        s_failures++;
        printf("line %d, size %u: got %d \"%s\", want %d \"%s\"\n", line, (unsigned)size, got_n,
               got, want_n, want);
    }
}

#define CASE(...)                                                                                  \
    do {                                                                                           \
        static const size_t sizes[] = {64, 5, 1};                                                  \
        for (unsigned i = 0; i < 3; i++) {                                                         \
            char got[64] = "untouched";                                                            \
            char want[64] = "untouched";                                                           \
            int g = tiny_snprintf(got, sizes[i], __VA_ARGS__);                                     \
            int w = snprintf(want, sizes[i], __VA_ARGS__);                                         \
            check(__LINE__, sizes[i], g, got, w, want);                                            \
        }                                                                                          \
    } while (0)

int main(void)
{
    CASE("plain text");
    CASE("%s and %s", "one", "two");
    CASE("[%8s|%-8s|%.3s|%.*s]", "right", "left", "cut here", 2, "ab-cd");
    CASE("%d %d %i %d", 0, -1, 2147483647, (int)-2147483647 - 1);
    CASE("%u %lu %llu %zu", 4294967295u, 123456789ul, 18446744073709551615ull, (size_t)42);
    CASE("%x %X %02x %08x %lx", 0xbeefu, 0xbeefu, 7u, 0x1234u, 0xdeadbeeful);
    CASE("%5d|%-5d|%05d|%-5d|%.3d|%5.3d", 42, 42, -42, 7, 5, -5);
    CASE("%0*lu %*d %-*d", 6, 99ul, 4, 3, 4, 3);
    CASE("%c%c%c %%", 'a', 'b', 'c');
    CASE("%hhu %hu %ld %lld", (unsigned char)200, (unsigned short)65535, -5l, -6ll);
    CASE("%.48s", "a string that is a good deal longer than forty-eight characters in all");
    CASE("%s", "");
    printf("%d cases, %d failures\n", s_cases, s_failures);
    return s_failures != 0;
}
