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

static float f32_round(float x, int op)
{
    uint32_t u;
    __builtin_memcpy(&u, &x, 4);
    u = round32(u, op);
    __builtin_memcpy(&x, &u, 4);
    return x;
}

static double f64_round(double x, int op)
{
    uint64_t u;
    __builtin_memcpy(&u, &x, 8);
    u = round64(u, op);
    __builtin_memcpy(&x, &u, 8);
    return x;
}

float floorf(float x);
float ceilf(float x);
float truncf(float x);
float nearbyintf(float x);
double floor(double x);
double ceil(double x);
double trunc(double x);
double nearbyint(double x);

float floorf(float x)
{
    return f32_round(x, WA_FLOOR);
}

float ceilf(float x)
{
    return f32_round(x, WA_CEIL);
}

float truncf(float x)
{
    return f32_round(x, WA_TRUNC);
}

float nearbyintf(float x)
{
    return f32_round(x, WA_NEAREST);
}

double floor(double x)
{
    return f64_round(x, WA_FLOOR);
}

double ceil(double x)
{
    return f64_round(x, WA_CEIL);
}

double trunc(double x)
{
    return f64_round(x, WA_TRUNC);
}

double nearbyint(double x)
{
    return f64_round(x, WA_NEAREST);
}
