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
