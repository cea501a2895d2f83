/*
 * wa_aot_math.c - the C library's rounding functions that wasm2c's output
 * calls for f32/f64 floor, ceil, trunc and nearest (no C library is linked
 * into a blob). Computed on the bits, with WebAssembly's results: a NaN comes
 * back quiet, an infinity, a zero or an integral value unchanged (a zero result
 * keeps the input's sign), nearest rounds halfway cases to even. The compiler
 * inlines its own instructions instead where the FPU has them (VRINT on the
 * Cortex-M7 and, for f32, the Cortex-M33); a blob keeps only the ones it calls
 * (--gc-sections).
 */
#include <stdint.h>

enum { WA_FLOOR, WA_CEIL, WA_TRUNC, WA_NEAREST };

/*
 * u: the bits of a float of width W bits with M fraction bits (exponent bias
 * B). The integer part's lowest bit has the weight `unit` in the bits; the
 * bits below it are the fraction. Rounding away from zero adds one unit to
 * the magnitude: a carry out of the fraction field bumps the exponent, which
 * is the right result (2^k).
 */
#define WA_ROUND_BITS(name, U, W, M, B)                                                            \
    static U name(U u, int op)                                                                     \
    {                                                                                              \
        const U sign = (U)1 << (W - 1);                                                            \
        int e = (int)((u & ~sign) >> M) - B;                                                       \
        int neg = (u & sign) != 0;                                                                 \
        if (e > B) {                                                                               \
            return (u << (W - M)) != 0 ? u | (U)1 << (M - 1) : u; /* NaN: quiet; inf */            \
        }                                                                                          \
        if (e >= M || (u & ~sign) == 0) {                                                          \
            return u; /* integral, or a zero */                                                    \
        }                                                                                          \
        if (e < 0) { /* 0 < |x| < 1: a zero or one, x's sign */                                    \
            int one = op == WA_FLOOR  ? neg                                                        \
                      : op == WA_CEIL ? !neg                                                       \
                      : op == WA_NEAREST                                                           \
                          ? e == -1 && (u & (((U)1 << M) - 1)) != 0 /* above one half */           \
                          : 0;                                                                     \
            return (u & sign) | (one ? (U)B << M : 0);                                             \
        }                                                                                          \
        U unit = ((U)1 << M) >> e;                                                                 \
        U frac = u & (unit - 1);                                                                   \
        u -= frac; /* truncated */                                                                 \
        int away = op == WA_FLOOR  ? neg && frac != 0                                              \
                   : op == WA_CEIL ? !neg && frac != 0                                             \
                   : op == WA_NEAREST                                                              \
                       ? frac > unit / 2 || (frac == unit / 2 && (u & unit) != 0) /* odd */        \
                       : 0;                                                                        \
        return away ? u + unit : u;                                                                \
    }

/* With e == 0 the integer part is 1 and `u & unit` is the exponent's lowest
 * bit: the bias is odd, so it reads as odd, as 1 is. */
WA_ROUND_BITS(round32, uint32_t, 32, 23, 127)
WA_ROUND_BITS(round64, uint64_t, 64, 52, 1023)

/* The float rounded on its bits. */
#define WA_ROUND_FLOAT(name, F, U, bits)                                                           \
    static F name(F x, int op)                                                                     \
    {                                                                                              \
        U u;                                                                                       \
        __builtin_memcpy(&u, &x, sizeof u);                                                        \
        u = bits(u, op);                                                                           \
        __builtin_memcpy(&x, &u, sizeof x);                                                        \
        return x;                                                                                  \
    }

WA_ROUND_FLOAT(f32_round, float, uint32_t, round32)
WA_ROUND_FLOAT(f64_round, double, uint64_t, round64)

/* The library's name for each rounding, of each width. */
#define WA_ROUND_FN(T, name, round, op)                                                            \
    T name(T x);                                                                                   \
    T name(T x)                                                                                    \
    {                                                                                              \
        return round(x, op);                                                                       \
    }

WA_ROUND_FN(float, floorf, f32_round, WA_FLOOR)
WA_ROUND_FN(float, ceilf, f32_round, WA_CEIL)
WA_ROUND_FN(float, truncf, f32_round, WA_TRUNC)
WA_ROUND_FN(float, nearbyintf, f32_round, WA_NEAREST)
WA_ROUND_FN(double, floor, f64_round, WA_FLOOR)
WA_ROUND_FN(double, ceil, f64_round, WA_CEIL)
WA_ROUND_FN(double, trunc, f64_round, WA_TRUNC)
WA_ROUND_FN(double, nearbyint, f64_round, WA_NEAREST)

/*
 * Square roots, correctly rounded (to nearest, ties to even) on the bits, for
 * the cores whose FPU has no square root of that width (f32 and f64 on the
 * Cortex-M3, f64 on the Cortex-M4 and Cortex-M33). A NaN comes back quiet, a
 * zero and +inf unchanged, a negative number gives the positive quiet NaN.
 *
 * With x = m / 2^M * 2^k (m the significand with its leading one, k even
 * after moving one bit into m), sqrt(x) = sqrt(m * 2^(M+2)) / 2^(M+1) * 2^(k/2):
 * the integer square root q of R = m << (M+2), taken two bits of R at a time
 * (R has up to 2M+4 bits: held in two words), has the M+1 bits of the result
 * and a guard bit; the remainder says whether anything is left below it.
 */
static uint64_t sqrt_bits(uint64_t u, int W, int M, int B)
{
    const uint64_t sign = 1ull << (W - 1), quiet = 1ull << (M - 1);
    const uint64_t inf = (uint64_t)(2 * B + 1) << M;
    uint64_t mag = u & ~sign;
    if (mag > inf) {
        return u | quiet; /* NaN */
    }
    if (mag == 0 || u == inf) {
        return u; /* a zero, +inf */
    }
    if (u & sign) {
        return inf | quiet;
    }
    int e = (int)(mag >> M);
    uint64_t m = mag & ((1ull << M) - 1);
    if (e == 0) { /* subnormal: normalise */
        e = 1;
        while (!(m >> M)) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 1ull << M;
    }
    int k = e - B;
    if (k & 1) {
        m <<= 1;
        k--;
    }
    uint64_t hi = m >> (64 - (M + 2)), lo = m << (M + 2), q = 0, r = 0;
    for (int i = M + 1; i >= 0; i--) {
        uint64_t two = 2 * i >= 64 ? hi >> (2 * i - 64) : lo >> (2 * i);
        r = (r << 2) | (two & 3u);
        uint64_t t = (q << 2) | 1u;
        q <<= 1;
        if (r >= t) {
            r -= t;
            q |= 1u;
        }
    }
    uint64_t res = q >> 1;
    if ((q & 1u) && (r != 0 || (res & 1u))) {
        res++;
    }
    return ((uint64_t)(k / 2 + B - 1) << M) + res; /* res's leading one bumps the exponent */
}

float sqrtf(float x);
float sqrtf(float x)
{
    uint32_t u;
    __builtin_memcpy(&u, &x, 4);
    u = (uint32_t)sqrt_bits(u, 32, 23, 127);
    __builtin_memcpy(&x, &u, 4);
    return x;
}

double sqrt(double x);
double sqrt(double x)
{
    uint64_t u;
    __builtin_memcpy(&u, &x, 8);
    u = sqrt_bits(u, 64, 52, 1023);
    __builtin_memcpy(&x, &u, 8);
    return x;
}
