/*
 * Host driver for firmware/core/runtime/wa_fround.c: floor, ceil, trunc and
 * rint, renamed, against the host C library bit for bit on edge cases and
 * pseudo-random doubles (any bits, values near the integers, integral
 * values); a NaN must come back with its quiet bit set and its payload and
 * sign kept. Prints "N cases, M failures" and the first failures.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define floor wa_floor
#define ceil wa_ceil
#define trunc wa_trunc
#define rint wa_rint
#include "../core/runtime/wa_fround.c"
#undef floor
#undef ceil
#undef trunc
#undef rint

static unsigned long s_cases;
static unsigned long s_failures;
static uint64_t s_state = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return s_state;
}

static uint64_t bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static void check(const char *what, uint64_t x, uint64_t got, uint64_t want)
{
    s_cases++;
    if (got != want) {
        if (s_failures++ < 10) {
            printf("fail: %s(%#llx) = %#llx, not %#llx\n", what, (unsigned long long)x,
                   (unsigned long long)got, (unsigned long long)want);
        }
    }
}

static void check_all(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    if (isnan(x)) {
        uint64_t quiet = u | 1ull << 51;
        check("floor", u, bits(wa_floor(x)), quiet);
        check("ceil", u, bits(wa_ceil(x)), quiet);
        check("trunc", u, bits(wa_trunc(x)), quiet);
        check("rint", u, bits(wa_rint(x)), quiet);
        return;
    }
    check("floor", u, bits(wa_floor(x)), bits(floor(x)));
    check("ceil", u, bits(wa_ceil(x)), bits(ceil(x)));
    check("trunc", u, bits(wa_trunc(x)), bits(trunc(x)));
    check("rint", u, bits(wa_rint(x)), bits(rint(x)));
}

int main(void)
{
    static const double edge[] = {0.0,
                                  -0.0,
                                  0.5,
                                  -0.5,
                                  1.0,
                                  -1.0,
                                  1.5,
                                  -1.5,
                                  2.5,
                                  -2.5,
                                  3.5,
                                  -3.5,
                                  0.75,
                                  -0.75,
                                  0.25,
                                  -0.25,
                                  1e300,
                                  -1e-320,
                                  0.49999999999999994,
                                  -0.49999999999999994,
                                  4503599627370495.5,
                                  -4503599627370495.5,
                                  4503599627370496.0,
                                  9007199254740991.0,
                                  INFINITY,
                                  -INFINITY};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        check_all(bits(edge[i]));
    }
    check_all(0x7FF0000000000001ull); /* signalling NaNs */
    check_all(0xFFF4000000000000ull);
    for (int i = 0; i < 300000; i++) {
        uint64_t u = next();
        check_all(u);
        /* |x| from 1/8 to 2^56: every position of the binary point */
        uint64_t e = 1020u + next() % 60u;
        check_all((u & 0x800FFFFFFFFFFFFFull) | e << 52);
        /* halves, quarters and integers: the ties */
        check_all(((u & 0x800FFFFFFFFFFFFFull) | e << 52) & ~((1ull << (next() % 53u)) - 1u));
    }
    printf("%lu cases, %lu failures\n", s_cases, s_failures);
    return s_failures == 0 ? 0 : 1;
}
