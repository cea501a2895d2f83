/*
 * Smaller stand-ins for C library and compiler-runtime routines the firmware
 * links, each a plain C version of what newlib or libgcc provides in
 * hand-unrolled assembly (docs/boards.md lists the bytes each one saves):
 *
 * - strlen, strcmp, strncmp, strcpy, strchr and memchr (names, paths and short
 *   texts; newlib's ARMv7-M versions are unrolled for speed);
 * - memcpy, memmove, memset and memcmp: a word at a time where both ends are
 *   word-aligned, else a byte at a time (newlib's are unrolled further);
 * - __udivmoddi4, behind __aeabi_uldivmod and __aeabi_ldivmod (wasm3's i64
 *   division and remainder): the hardware's 32-bit divide when both operands
 *   fit in 32 bits, otherwise one shift-and-subtract step per quotient bit;
 * - __popcountdi2 (i64.popcnt): two calls of __popcountsi2;
 * - without a double-precision FPU, the run-time ABI's double comparisons
 *   (__aeabi_dcmpeq, lt, le, ge, gt, un), on the bits;
 * - the run-time ABI's float and double to integer conversions libgcc does
 *   in software (__aeabi_d2lz, d2ulz, f2lz, f2ulz; without a double FPU
 *   d2iz and d2uiz; without an FPU f2iz and f2uiz), on the bits;
 * - with a single-precision FPU: __aeabi_ul2f and __aeabi_l2f (wasm3's
 *   f32.convert_i64_u/_s), which libgcc keeps in one object with its software
 *   float adder;
 * - with a double-precision FPU: __aeabi_ul2d and __aeabi_l2d (the same for
 *   f64), which libgcc keeps with its software double adder;
 * - floorf, ceilf, truncf and rintf, through the double versions in
 *   firmware/core/runtime/wa_fround.c (exact: every integer-valued float is a
 *   double and back; a NaN comes back quiet, as WebAssembly wants); with
 *   FPv5 (mps2-an500, mps2-an505) the compiler uses the rounding instructions
 *   instead and the linker drops these;
 * - sqrt and sqrtf without newlib's wrappers, which only set errno (nothing
 *   reads it; a negative argument gives a NaN either way), sqrt on the bits
 *   without a double-precision FPU, and without a single-precision FPU sqrtf
 *   through the double square root.
 *
 * The conversions round to nearest, ties to even, like the instructions they
 * are built on, with exactly one rounding: WebAssembly's conformance tests
 * check these results bit for bit (tests/runtime/test_conformance.py), and
 * firmware/tests/wa_small_libc_test.c compares every routine with the host's.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The loops below must stay loops: the compiler would turn some into calls
 * to the very function they define. WA_LIBCALL: also a function the code
 * generator calls on its own (kept through link-time optimisation, which
 * would otherwise drop it before those calls exist). */
#define WA_LIBC __attribute__((optimize("no-tree-loop-distribute-patterns")))
#define WA_LIBCALL __attribute__((used, optimize("no-tree-loop-distribute-patterns")))

typedef uint32_t __attribute__((may_alias)) word_t;

static int aligned(const void *a, const void *b)
{
    return (((uintptr_t)a | (uintptr_t)b) & (sizeof(word_t) - 1u)) == 0;
}

WA_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (aligned(d, s)) {
        for (; n >= sizeof(word_t); n -= sizeof(word_t), d += sizeof(word_t), s += sizeof(word_t)) {
            *(word_t *)d = *(const word_t *)s;
        }
    }
    for (; n > 0; n--) {
        *d++ = *s++;
    }
    return dst;
}

/* Forwards (memcpy's order) unless dst lies inside src's bytes. */
WA_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((uintptr_t)d - (uintptr_t)s >= n) {
        return memcpy(dst, src, n);
    }
    while (n > 0) {
        n--;
        d[n] = s[n];
    }
    return dst;
}

WA_LIBCALL void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    if (aligned(d, d)) {
        word_t w = (unsigned char)c * 0x01010101u;
        for (; n >= sizeof(word_t); n -= sizeof(word_t), d += sizeof(word_t)) {
            *(word_t *)d = w;
        }
    }
    for (; n > 0; n--) {
        *d++ = (unsigned char)c;
    }
    return dst;
}

WA_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a;
    const unsigned char *q = b;
    for (; n > 0; n--, p++, q++) {
        if (*p != *q) {
            return (int)*p - (int)*q;
        }
    }
    return 0;
}

WA_LIBC size_t strlen(const char *s)
{
    const char *p = s;
    while (*p != 0) {
        p++;
    }
    return (size_t)(p - s);
}

WA_LIBC char *strcpy(char *dst, const char *src)
{
    char *d = dst;
    while ((*d++ = *src++) != 0) {
    }
    return dst;
}

WA_LIBC char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c) {
            return (char *)s;
        }
        if (*s == 0) {
            return NULL;
        }
    }
}

WA_LIBC void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (; n > 0; n--, p++) {
        if (*p == (unsigned char)c) {
            return (void *)p;
        }
    }
    return NULL;
}

WA_LIBC int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;
    for (; n > 0; n--, p++, q++) {
        if (*p != *q || *p == 0) {
            return (int)*p - (int)*q;
        }
    }
    return 0;
}

WA_LIBC int strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a;
    const unsigned char *q = (const unsigned char *)b;
    while (*p != 0 && *p == *q) {
        p++;
        q++;
    }
    return (int)*p - (int)*q;
}

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);

WA_LIBCALL uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem)
{
    uint64_t q = 0;
    if ((n >> 32) == 0 && (d >> 32) == 0 && d != 0) {
        q = (uint32_t)n / (uint32_t)d;
        n = (uint32_t)n - (uint32_t)q * (uint32_t)d;
    } else if (d != 0 && d <= n) {
        int shift = __builtin_clzll(d) - __builtin_clzll(n);
        d <<= shift;
        for (; shift >= 0; shift--) {
            q <<= 1;
            if (n >= d) {
                n -= d;
                q |= 1;
            }
            d >>= 1;
        }
    }
    if (rem != NULL) {
        *rem = n;
    }
    return q;
}

int __popcountdi2(uint64_t x);

/* i64.popcnt: the halves through libgcc's __popcountsi2 (i32.popcnt's), not
 * its 64-bit version of the same bit trick. */
WA_LIBCALL int __popcountdi2(uint64_t x)
{
    return __builtin_popcount((uint32_t)x) + __builtin_popcount((uint32_t)(x >> 32));
}

#if !(defined(__ARM_FP) && (__ARM_FP & 8))
/* The run-time ABI's double comparisons, where the FPU has no double
 * compare: the operands' bits come in r0-r3, read here as integers. -1, 0
 * or 1 as a is below, equal to or above b; 2 when unordered (a NaN). */
static int dcmp(uint64_t a, uint64_t b)
{
    const uint64_t sign = 1ull << 63, inf = 0x7FF0000000000000ull;
    if ((a & ~sign) > inf || (b & ~sign) > inf) {
        return 2;
    }
    /* sign and magnitude to two's complement: -0 and +0 both 0 */
    int64_t x = (a & sign) ? -(int64_t)(a & ~sign) : (int64_t)a;
    int64_t y = (b & sign) ? -(int64_t)(b & ~sign) : (int64_t)b;
    return x < y ? -1 : x > y;
}

int __aeabi_dcmpeq(uint64_t a, uint64_t b);
int __aeabi_dcmplt(uint64_t a, uint64_t b);
int __aeabi_dcmple(uint64_t a, uint64_t b);
int __aeabi_dcmpge(uint64_t a, uint64_t b);
int __aeabi_dcmpgt(uint64_t a, uint64_t b);
int __aeabi_dcmpun(uint64_t a, uint64_t b);

WA_LIBCALL int __aeabi_dcmpeq(uint64_t a, uint64_t b)
{
    return dcmp(a, b) == 0;
}

WA_LIBCALL int __aeabi_dcmplt(uint64_t a, uint64_t b)
{
    return dcmp(a, b) < 0;
}

WA_LIBCALL int __aeabi_dcmple(uint64_t a, uint64_t b)
{
    return dcmp(a, b) <= 0;
}

WA_LIBCALL int __aeabi_dcmpge(uint64_t a, uint64_t b)
{
    return (unsigned)dcmp(a, b) <= 1u;
}

WA_LIBCALL int __aeabi_dcmpgt(uint64_t a, uint64_t b)
{
    return dcmp(a, b) == 1;
}

WA_LIBCALL int __aeabi_dcmpun(uint64_t a, uint64_t b)
{
    return dcmp(a, b) == 2;
}
#endif

/* The run-time ABI's conversions of a double or a float (its bits, in r0-r1
 * or r0, read as integers here) to an integer, for values in the integer's
 * range: the interpreter checks the range first (a trap, or a saturated
 * result), so only those reach these. |x| truncated, from the bits of a
 * double or a float (mbits fraction bits, exponent field emask): the
 * significand with its leading one at bit 63, shifted down by what the
 * exponent lacks of 63. A value that converts to an unsigned integer is
 * above -1: its magnitude is the result. */
__attribute__((noinline)) static uint64_t magnitude(uint64_t u, int mbits, unsigned emask, int bias)
{
    int e = (int)((u >> mbits) & emask) - bias;
    uint64_t m = u << (63 - mbits) | 1ull << 63;
    return e < 0 || e > 63 ? 0u : m >> (63 - e);
}

#define WA_D2U(x) magnitude(x, 52, 0x7FFu, 1023)
#define WA_F2U(x) magnitude(x, 23, 0xFFu, 127)

static int64_t d2l(uint64_t u)
{
    uint64_t m = WA_D2U(u);
    return (int64_t)(u >> 63 ? 0u - m : m);
}

static int64_t f2l(uint32_t u)
{
    uint64_t m = WA_F2U(u);
    return (int64_t)(u >> 31 ? 0u - m : m);
}

int64_t __aeabi_d2lz(uint64_t x);
uint64_t __aeabi_d2ulz(uint64_t x);
int64_t __aeabi_f2lz(uint32_t x);
uint64_t __aeabi_f2ulz(uint32_t x);

WA_LIBCALL int64_t __aeabi_d2lz(uint64_t x)
{
    return d2l(x);
}

WA_LIBCALL uint64_t __aeabi_d2ulz(uint64_t x)
{
    return WA_D2U(x);
}

WA_LIBCALL int64_t __aeabi_f2lz(uint32_t x)
{
    return f2l(x);
}

WA_LIBCALL uint64_t __aeabi_f2ulz(uint32_t x)
{
    return WA_F2U(x);
}

#if !(defined(__ARM_FP) && (__ARM_FP & 8))
int __aeabi_d2iz(uint64_t x);
unsigned __aeabi_d2uiz(uint64_t x);

WA_LIBCALL int __aeabi_d2iz(uint64_t x)
{
    return (int)d2l(x);
}

WA_LIBCALL unsigned __aeabi_d2uiz(uint64_t x)
{
    return (unsigned)WA_D2U(x);
}
#endif

#if !(defined(__ARM_FP) && (__ARM_FP & 4))
int __aeabi_f2iz(uint32_t x);
unsigned __aeabi_f2uiz(uint32_t x);

WA_LIBCALL int __aeabi_f2iz(uint32_t x)
{
    return (int)f2l(x);
}

WA_LIBCALL unsigned __aeabi_f2uiz(uint32_t x)
{
    return (unsigned)WA_F2U(x);
}
#endif

/* x's top 32 significant bits, with a sticky bit for the ones below, convert
 * with the one rounding; scaling by a power of two is exact. */
static inline float u64_to_f32(uint64_t x)
{
    uint32_t hi = (uint32_t)(x >> 32);
    if (hi == 0) {
        return (float)(uint32_t)x;
    }
    int lead = __builtin_clz(hi);
    uint64_t top = x << lead;
    uint32_t bits = (uint32_t)(top >> 32) | ((uint32_t)top != 0);
    uint32_t scale_bits = (uint32_t)(127 + 32 - lead) << 23;
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return (float)bits * scale;
}

static inline float i64_to_f32(int64_t x)
{
    return x < 0 ? -u64_to_f32(0 - (uint64_t)x) : u64_to_f32((uint64_t)x);
}

/* Both halves convert exactly; the one addition rounds. */
static inline double u64_to_f64(uint64_t x)
{
    return (double)(uint32_t)(x >> 32) * 4294967296.0 + (double)(uint32_t)x;
}

static inline double i64_to_f64(int64_t x)
{
    return (double)(int32_t)(x >> 32) * 4294967296.0 + (double)(uint32_t)x;
}

/* The run-time ABI's helpers take and return values in core registers (the
 * base procedure call standard) even in a hard-float build: the compiler's
 * calls read the result from r0 (r0 and r1), not from s0 (d0). */
#define WA_AEABI WA_LIBCALL __attribute__((pcs("aapcs")))

#if defined(__ARM_FP) && (__ARM_FP & 4)
float __aeabi_ul2f(uint64_t x) __attribute__((pcs("aapcs")));
float __aeabi_l2f(int64_t x) __attribute__((pcs("aapcs")));

WA_AEABI float __aeabi_ul2f(uint64_t x)
{
    return u64_to_f32(x);
}

WA_AEABI float __aeabi_l2f(int64_t x)
{
    return i64_to_f32(x);
}
#endif

#if defined(__ARM_FP) && (__ARM_FP & 8)
double __aeabi_ul2d(uint64_t x) __attribute__((pcs("aapcs")));
double __aeabi_l2d(int64_t x) __attribute__((pcs("aapcs")));

WA_AEABI double __aeabi_ul2d(uint64_t x)
{
    return u64_to_f64(x);
}

WA_AEABI double __aeabi_l2d(int64_t x)
{
    return i64_to_f64(x);
}
#endif

WA_LIBC float floorf(float x)
{
    return (float)floor((double)x);
}

WA_LIBC float ceilf(float x)
{
    return (float)ceil((double)x);
}

WA_LIBC float truncf(float x)
{
    return (float)trunc((double)x);
}

WA_LIBC float rintf(float x)
{
    return (float)rint((double)x);
}

#if defined(__ARM_FP) && (__ARM_FP & 8)
double __ieee754_sqrt(double x); /* newlib's: the FPU's instruction */

WA_LIBC double sqrt(double x)
{
    return __ieee754_sqrt(x);
}
#else
/* Without a double-precision FPU, on the bits (newlib's is 128 bytes more):
 * correctly rounded, a zero or +inf unchanged, a NaN quieted, below zero the
 * default NaN, as newlib's. With x = m * 2^(k-52) (m with its leading one,
 * k even after moving a bit into m), the integer square root of m << 54,
 * two bits of it at a time, has the 53 bits of the result and a guard bit;
 * the remainder says whether anything is left below them. */
WA_LIBC double sqrt(double x)
{
    const uint64_t sign = 1ull << 63, inf = 0x7FF0000000000000ull, quiet = 1ull << 51;
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & ~sign) > inf) {
        u |= quiet;
    } else if ((u & sign) != 0 && u != sign) {
        u = inf | quiet;
    } else if ((u & ~sign) != 0 && u != inf) {
        int e = (int)(u >> 52);
        uint64_t m = u & ((1ull << 52) - 1u);
        if (e == 0) { /* subnormal: normalise */
            for (e = 1; !(m >> 52); e--) {
                m <<= 1;
            }
        } else {
            m |= 1ull << 52;
        }
        int k = e - 1023;
        if (k & 1) {
            m <<= 1;
            k--;
        }
        m <<= 10; /* its highest bit pair at bits 63..62, zeros shift in after it */
        uint64_t q = 0, r = 0;
        for (int i = 0; i < 54; i++) {
            r = (r << 2) | (m >> 62);
            m <<= 2;
            uint64_t t = (q << 2) | 1u;
            q <<= 1;
            if (r >= t) {
                r -= t;
                q |= 1u;
            }
        }
        uint64_t res = q >> 1;
        res += (q & 1u) && (r != 0 || (res & 1u));
        u = ((uint64_t)(k / 2 + 1022) << 52) + res; /* res's leading one adds the last 1 */
    }
    memcpy(&x, &u, sizeof x);
    return x;
}
#endif

#if defined(__ARM_FP) && (__ARM_FP & 4)
float __ieee754_sqrtf(float x);
#endif

/* Without a single-precision FPU, through the double square root: one
 * rounding of a double square root to float is the correctly rounded float
 * result (a double has more than twice a float's precision plus two). */
WA_LIBC float sqrtf(float x)
{
#if defined(__ARM_FP) && (__ARM_FP & 4)
    return __ieee754_sqrtf(x);
#else
    return (float)sqrt((double)x);
#endif
}
