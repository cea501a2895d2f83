/*
 * Host driver for firmware/ports/cortex-m/small_libc.c: each routine, renamed,
 * against the host C library and compiler on the same inputs (edge cases and
 * pseudo-random ones): string and memory functions (all alignments and
 * overlaps), 64-bit unsigned division and remainder, the 64-bit popcount,
 * the double comparisons, the float and double to integer conversions (in
 * the integer's range), the 64-bit integer to float and double conversions
 * (bit for bit: one rounding, to nearest even), the float rounding functions
 * and under them firmware/core/runtime/wa_fround.c's double ones, and the
 * square roots. Prints "N cases, M failures" and the first failures.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* wa_fround.c's double rounding, which small_libc's float versions call. */
#define floor wa_floor
#define ceil wa_ceil
#define trunc wa_trunc
#define rint wa_rint
#include "../core/runtime/wa_fround.c"
#define strlen wa_strlen
#define strcpy wa_strcpy
#define strchr wa_strchr
#define memchr wa_memchr
#define strcmp wa_strcmp
#define strncmp wa_strncmp
#define memcpy wa_memcpy
#define memmove wa_memmove
#define memset wa_memset
#define memcmp wa_memcmp
#define __udivmoddi4 wa_udivmoddi4
#define __popcountdi2 wa_popcountdi2
#define __aeabi_dcmpeq wa_dcmpeq
#define __aeabi_dcmplt wa_dcmplt
#define __aeabi_dcmple wa_dcmple
#define __aeabi_dcmpge wa_dcmpge
#define __aeabi_dcmpgt wa_dcmpgt
#define __aeabi_dcmpun wa_dcmpun
#define __aeabi_d2lz wa_d2lz
#define __aeabi_d2ulz wa_d2ulz
#define __aeabi_f2lz wa_f2lz
#define __aeabi_f2ulz wa_f2ulz
#define __aeabi_d2iz wa_d2iz
#define __aeabi_d2uiz wa_d2uiz
#define __aeabi_f2iz wa_f2iz
#define __aeabi_f2uiz wa_f2uiz
#define floorf wa_floorf
#define ceilf wa_ceilf
#define truncf wa_truncf
#define rintf wa_rintf
#define sqrt wa_sqrt
#define sqrtf wa_sqrtf
#include "../ports/cortex-m/small_libc.c"
#undef strlen
#undef strcpy
#undef strchr
#undef memchr
#undef strcmp
#undef strncmp
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef __popcountdi2
#undef __aeabi_dcmpeq
#undef __aeabi_dcmplt
#undef __aeabi_dcmple
#undef __aeabi_dcmpge
#undef __aeabi_dcmpgt
#undef __aeabi_dcmpun
#undef __aeabi_d2lz
#undef __aeabi_d2ulz
#undef __aeabi_f2lz
#undef __aeabi_f2ulz
#undef __aeabi_d2iz
#undef __aeabi_d2uiz
#undef __aeabi_f2iz
#undef __aeabi_f2uiz
#undef floor
#undef ceil
#undef trunc
#undef rint
#undef floorf
#undef ceilf
#undef truncf
#undef rintf
#undef sqrt
#undef sqrtf

/* small_libc.c's square roots stand on newlib's; here the host's. */
double __ieee754_sqrt(double x)
{
    return sqrt(x);
}

static unsigned s_cases;
static unsigned s_failures;

static void check(int ok, const char *what, uint64_t a, uint64_t b)
{
    s_cases++;
    if (!ok && s_failures++ < 20) {
        printf("fail: %s (%#llx, %#llx)\n", what, (unsigned long long)a, (unsigned long long)b);
    }
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static uint64_t s_rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static uint32_t bits_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint64_t bits_f64(double f)
{
    uint64_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void test_strings(void)
{
    static const char *const s[] = {"", "a", "ab", "abc", "abd", "abcd", "\x80", "\x7f", "app"};
    size_t n = sizeof s / sizeof s[0];
    for (size_t i = 0; i < n; i++) {
        check(wa_strlen(s[i]) == strlen(s[i]), "strlen", i, 0);
        char buf[8];
        check(wa_strcpy(buf, s[i]) == buf && strcmp(buf, s[i]) == 0, "strcpy", i, 0);
        for (int c = 0; c < 0x100; c += 0x11) {
            check(wa_strchr(s[i], c) == strchr(s[i], c), "strchr", i, (uint64_t)c);
            check(wa_memchr(s[i], c, strlen(s[i])) == memchr(s[i], c, strlen(s[i])), "memchr", i,
                  (uint64_t)c);
        }
        check(wa_strchr(s[i], 'b' + 0x100) == strchr(s[i], 'b' + 0x100), "strchr int", i, 0);
        for (size_t j = 0; j < n; j++) {
            check(sign(wa_strcmp(s[i], s[j])) == sign(strcmp(s[i], s[j])), "strcmp", i, j);
            for (size_t k = 0; k < 5; k++) {
                check(sign(wa_strncmp(s[i], s[j], k)) == sign(strncmp(s[i], s[j], k)), "strncmp", i,
                      j * 16 + k);
            }
        }
    }
}

static void test_memory(void)
{
    uint8_t src[72];
    uint8_t got[72];
    uint8_t want[72];
    for (size_t i = 0; i < sizeof src; i++) {
        src[i] = (uint8_t)(i * 7u + 1u);
    }
    for (size_t from = 0; from < 9; from++) {
        for (size_t to = 0; to < 9; to++) {
            for (size_t len = 0; len < 40; len += 3) {
                memcpy(got, src, sizeof got);
                memcpy(want, src, sizeof want);
                check(wa_memcpy(got + to + 24, src + from, len) == got + to + 24, "memcpy ret",
                      from, to);
                memcpy(want + to + 24, src + from, len);
                check(memcmp(got, want, sizeof got) == 0, "memcpy", from * 64 + to, len);
                /* overlapping, both directions */
                memcpy(got, src, sizeof got);
                memcpy(want, src, sizeof want);
                wa_memmove(got + to + 8, got + from + 8, len);
                memmove(want + to + 8, want + from + 8, len);
                check(memcmp(got, want, sizeof got) == 0, "memmove", from * 64 + to, len);
                memcpy(got, src, sizeof got);
                memcpy(want, src, sizeof want);
                check(wa_memset(got + to, 0x1A5 + (int)from, len) == got + to, "memset ret", to, 0);
                memset(want + to, 0x1A5 + (int)from, len);
                check(memcmp(got, want, sizeof got) == 0, "memset", from * 64 + to, len);
                got[to + len] ^= (uint8_t)(from + 1u);
                check(sign(wa_memcmp(got + to, want + to, len + 1)) ==
                          sign(memcmp(got + to, want + to, len + 1)),
                      "memcmp", from * 64 + to, len);
            }
        }
    }
}

static void check_div(uint64_t n, uint64_t d)
{
    uint64_t rem = 0;
    uint64_t q = wa_udivmoddi4(n, d, &rem);
    check(q == n / d && rem == n % d, "udivmoddi4", n, d);
    check(wa_udivmoddi4(n, d, NULL) == n / d, "udivmoddi4 no rem", n, d);
}

static void test_division(void)
{
    static const uint64_t edge[] = {1,
                                    2,
                                    3,
                                    7,
                                    0xFFFFFFFFull,
                                    0x100000000ull,
                                    0x100000001ull,
                                    0x7FFFFFFFFFFFFFFFull,
                                    0x8000000000000000ull,
                                    0xFFFFFFFFFFFFFFFFull,
                                    0xFFFFFFFF00000000ull,
                                    10,
                                    1000000007};
    size_t n = sizeof edge / sizeof edge[0];
    for (size_t i = 0; i < n; i++) {
        check_div(0, edge[i]);
        for (size_t j = 0; j < n; j++) {
            check_div(edge[i], edge[j]);
        }
    }
    for (int i = 0; i < 20000; i++) {
        uint64_t a = next() >> (next() % 64u);
        uint64_t b = next() >> (next() % 64u);
        check_div(a, b == 0 ? 1 : b);
    }
}

static void test_popcount(void)
{
    for (int i = 0; i < 20000; i++) {
        uint64_t x = next() >> (next() % 64u);
        x = i & 1 ? ~x : x;
        check(wa_popcountdi2(x) == __builtin_popcountll(x), "popcountdi2", x, 0);
    }
}

/* A double of any bits, or of the edge values (zeros, infinities, NaNs,
 * the smallest subnormals, neighbours). */
static uint64_t any_double(void)
{
    static const uint64_t edge[] = {0,
                                    1ull << 63,
                                    1,
                                    (1ull << 63) | 1,
                                    0x7FF0000000000000ull,
                                    0xFFF0000000000000ull,
                                    0x7FF8000000000000ull,
                                    0x7FF0000000000001ull,
                                    0xFFF8000000000001ull,
                                    0x3FF0000000000000ull,
                                    0x3FF0000000000001ull,
                                    0xBFF0000000000000ull};
    uint64_t r = next();
    return r % 4u == 0 ? edge[(r >> 8) % (sizeof edge / sizeof edge[0])] : next();
}

/* The run-time ABI's double comparisons: the host compiler's, on the bits. */
static void test_compare(void)
{
    for (int i = 0; i < 200000; i++) {
        uint64_t a = any_double();
        uint64_t b = i % 3 == 0 ? a ^ (next() % 4u) : any_double();
        double x = 0;
        double y = 0;
        memcpy(&x, &a, sizeof x);
        memcpy(&y, &b, sizeof y);
        check(wa_dcmpeq(a, b) == (x == y), "dcmpeq", a, b);
        check(wa_dcmplt(a, b) == (x < y), "dcmplt", a, b);
        check(wa_dcmple(a, b) == (x <= y), "dcmple", a, b);
        check(wa_dcmpge(a, b) == (x >= y), "dcmpge", a, b);
        check(wa_dcmpgt(a, b) == (x > y), "dcmpgt", a, b);
        check(wa_dcmpun(a, b) == (isnan(x) || isnan(y)), "dcmpun", a, b);
    }
}

/* A double from 2^-3 to 2^(top-1) in magnitude, of random bits, either sign
 * (top: the exponent of the first power of two out of range). */
static double in_range(int top)
{
    uint64_t u = next();
    uint64_t e = 1023u - 3u + next() % (uint64_t)(top + 3);
    u = (u & 0x800FFFFFFFFFFFFFull) | e << 52;
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The run-time ABI's float and double to integer conversions, in the
 * integer's range: the host compiler's casts. */
static void test_float_to_int(void)
{
    for (int i = 0; i < 100000; i++) {
        double x = in_range(63);
        float f = (float)x;
        double a = x < 0 ? -x : x; /* unsigned: above -1 */
        float af = f < 0 ? -f : f;
        double b = i % 4 ? in_range(31) : ldexp(in_range(1), -1); /* and (-1, 1) */
        float bf = (float)b;
        check(wa_d2lz(bits_f64(x)) == (int64_t)x, "d2lz", bits_f64(x), 0);
        check(wa_f2lz(bits_f32(f)) == (int64_t)f, "f2lz", bits_f32(f), 0);
        check(wa_d2ulz(bits_f64(a * 2)) == (uint64_t)(a * 2), "d2ulz", bits_f64(a * 2), 0);
        check(wa_f2ulz(bits_f32(af * 2)) == (uint64_t)(af * 2), "f2ulz", bits_f32(af * 2), 0);
        check(wa_d2iz(bits_f64(b)) == (int32_t)b, "d2iz", bits_f64(b), 0);
        check(wa_f2iz(bits_f32(bf)) == (int32_t)bf, "f2iz", bits_f32(bf), 0);
        if (b * 2 > -1) {
            check(wa_d2uiz(bits_f64(b * 2)) == (uint32_t)(b * 2), "d2uiz", bits_f64(b), 0);
            check(wa_f2uiz(bits_f32(bf * 2)) == (uint32_t)(bf * 2), "f2uiz", bits_f32(bf), 0);
        }
    }
    check(wa_d2lz(0) == 0 && wa_d2lz(1ull << 63) == 0 && wa_d2ulz(1) == 0, "zeros", 0, 0);
    check(wa_f2lz(0x80000000u) == 0 && wa_f2uiz(0x00000001u) == 0, "zeros", 0, 0);
}

static void check_convert(uint64_t x)
{
    check(bits_f32(u64_to_f32(x)) == bits_f32((float)x), "u64 to f32", x, 0);
    check(bits_f32(i64_to_f32((int64_t)x)) == bits_f32((float)(int64_t)x), "i64 to f32", x, 0);
    check(bits_f64(u64_to_f64(x)) == bits_f64((double)x), "u64 to f64", x, 0);
    check(bits_f64(i64_to_f64((int64_t)x)) == bits_f64((double)(int64_t)x), "i64 to f64", x, 0);
}

static void test_conversions(void)
{
    for (int shift = 0; shift < 64; shift++) {
        uint64_t p = 1ull << shift;
        /* ties, and just either side of them, for both precisions */
        static const uint64_t tail[] = {0, 1, 0x80, 0x81, 0x7F, 0x180, 0x400, 0x401, 0xC00};
        for (size_t t = 0; t < sizeof tail / sizeof tail[0]; t++) {
            check_convert(p | tail[t]);
            check_convert((p | tail[t]) << 8);
            check_convert((p | tail[t]) << 29);
            check_convert(0 - (p | tail[t]));
        }
        check_convert(p - 1);
    }
    for (int i = 0; i < 100000; i++) {
        check_convert(next() >> (next() % 64u));
    }
}

static void test_float_functions(void)
{
    static const float edge[] = {0.0f,    -0.0f,    0.5f,       -0.5f,       1.5f,        -1.5f,
                                 2.5f,    -2.5f,    8388607.5f, -8388607.5f, 16777216.0f, 1e30f,
                                 -1e-45f, INFINITY, -INFINITY,  2.0f,        0.49999997f};
    for (int i = 0; i < 20000; i++) {
        uint32_t u = (uint32_t)next();
        float x;
        if (i < (int)(sizeof edge / sizeof edge[0])) {
            x = edge[i];
        } else {
            memcpy(&x, &u, sizeof x);
        }
        if (isnan(x)) {
            check(isnan(wa_floorf(x)) && isnan(wa_rintf(x)) && isnan(wa_sqrtf(x)), "NaN", u, 0);
            continue;
        }
        check(bits_f32(wa_floorf(x)) == bits_f32(floorf(x)), "floorf", bits_f32(x), 0);
        check(bits_f32(wa_ceilf(x)) == bits_f32(ceilf(x)), "ceilf", bits_f32(x), 0);
        check(bits_f32(wa_truncf(x)) == bits_f32(truncf(x)), "truncf", bits_f32(x), 0);
        check(bits_f32(wa_rintf(x)) == bits_f32(rintf(x)), "rintf", bits_f32(x), 0);
        check(x < 0 ? isnan(wa_sqrtf(x)) : bits_f32(wa_sqrtf(x)) == bits_f32(sqrtf(x)), "sqrtf",
              bits_f32(x), 0);
        check(x < 0 ? isnan(wa_sqrt(x)) : bits_f64(wa_sqrt(x)) == bits_f64(sqrt(x)), "sqrt",
              bits_f32(x), 0);
    }
}

/* sqrt on doubles of every exponent (subnormals too): the host's bits; a NaN
 * quieted, below zero the default NaN (the firmware's on the bits). */
static void test_sqrt(void)
{
    for (int i = 0; i < 200000; i++) {
        uint64_t u = (next() >> (i % 3 == 0 ? next() % 64u : 0u)) & ~(1ull << 63);
        double x;
        memcpy(&x, &u, sizeof x);
        check(bits_f64(wa_sqrt(x)) == bits_f64(sqrt(x)), "sqrt", u, 0);
        uint64_t nan = 0x7FF0000000000000ull | (u >> 12) | 1u | (u & 1ull << 63);
        memcpy(&x, &nan, sizeof x);
        check(bits_f64(wa_sqrt(x)) == (nan | 1ull << 51), "sqrt NaN", nan, 0);
        memcpy(&x, &u, sizeof x);
        check(u == 0 || u > 0x7FF0000000000000ull || bits_f64(wa_sqrt(-x)) == 0x7FF8000000000000ull,
              "sqrt below 0", u, 0);
    }
}

/* wa_fround.c's floor, ceil, trunc and rint (what small_libc's float
 * versions call, as on the device): the host's bits on any doubles, on every
 * position of the binary point and on ties; a NaN quieted. */
static void check_rounding(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    if (isnan(x)) {
        uint64_t quiet = u | 1ull << 51;
        check(bits_f64(wa_floor(x)) == quiet && bits_f64(wa_ceil(x)) == quiet &&
                  bits_f64(wa_trunc(x)) == quiet && bits_f64(wa_rint(x)) == quiet,
              "round NaN", u, 0);
        return;
    }
    check(bits_f64(wa_floor(x)) == bits_f64(floor(x)), "floor", u, 0);
    check(bits_f64(wa_ceil(x)) == bits_f64(ceil(x)), "ceil", u, 0);
    check(bits_f64(wa_trunc(x)) == bits_f64(trunc(x)), "trunc", u, 0);
    check(bits_f64(wa_rint(x)) == bits_f64(rint(x)), "rint", u, 0);
}

static void test_double_rounding(void)
{
    static const double edge[] = {0.0,
                                  -0.0,
                                  0.5,
                                  -0.5,
                                  1.5,
                                  -1.5,
                                  2.5,
                                  -2.5,
                                  0.75,
                                  -0.25,
                                  0.49999999999999994,
                                  -0.49999999999999994,
                                  4503599627370495.5,
                                  -4503599627370495.5,
                                  4503599627370496.0,
                                  1e300,
                                  -1e-320,
                                  INFINITY,
                                  -INFINITY};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        check_rounding(bits_f64(edge[i]));
    }
    check_rounding(0x7FF0000000000001ull); /* signalling NaNs */
    check_rounding(0xFFF4000000000000ull);
    for (int i = 0; i < 200000; i++) {
        uint64_t u = next();
        uint64_t e = 1020u + next() % 60u; /* |x| from 1/8 to 2^56 */
        uint64_t near = (u & 0x800FFFFFFFFFFFFFull) | e << 52;
        check_rounding(u);
        check_rounding(near);
        check_rounding(near & ~((1ull << (next() % 53u)) - 1u)); /* halves, integers: ties */
    }
}

int main(void)
{
    test_strings();
    test_memory();
    test_division();
    test_popcount();
    test_compare();
    test_float_to_int();
    test_conversions();
    test_double_rounding();
    test_float_functions();
    test_sqrt();
    printf("%u cases, %u failures\n", s_cases, s_failures);
    return s_failures == 0 ? 0 : 1;
}
