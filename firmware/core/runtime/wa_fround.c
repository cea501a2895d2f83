/*
 * wa_fround.c - floor, ceil, trunc and rint (round to nearest, ties to
 * even) for the engine. wasm3 implements f64.floor, f64.ceil, f64.trunc and
 * f64.nearest by calling these C library functions, which return a
 * signalling NaN unchanged; WebAssembly wants a NaN result quieted. These
 * definitions take the library's place in every build of the runtime: the
 * firmware links them before libm's archive, the binding binds them inside
 * its shared object (hidden, so the process's libm cannot take over), and
 * wa_engine_wasm3.flags keeps the compiler from inlining its own versions.
 * Other inputs give the library's results, computed on the bits by one
 * routine (no double arithmetic: software on the mps2 boards without a
 * double-precision FPU, 264 B less flash there than rounding with it;
 * tests/crosscompile/test_small_libc_c.py). The f32 functions need nothing:
 * wasm3 holds f32 results in a double register, and that conversion quiets
 * a NaN already.
 */
#include <stdint.h>
#include <string.h>

#if defined(__ELF__) && defined(__PIC__)
#define WA_ENGINE_LIBM __attribute__((visibility("hidden")))
#else
#define WA_ENGINE_LIBM
#endif

double floor(double x);
double ceil(double x);
double trunc(double x);
double rint(double x);

enum { ROUND_TRUNC, ROUND_FLOOR, ROUND_CEIL, ROUND_NEAREST };

/* x rounded to an integral value on its bits, by op: a NaN quieted, an
 * infinity, a zero or an integral value unchanged, a zero result with x's
 * sign. Rounding away from zero adds one unit of the integer part to the
 * magnitude; a carry into the exponent is the right result (2^k). */
static double round_to(double x, int op)
{
    const uint64_t sign = 1ull << 63;
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    int e = (int)((u >> 52) & 0x7FFu) - 1023;
    int neg = (u & sign) != 0;
    if (e >= 52 || (u & ~sign) == 0) {
        if (e == 1024 && (u << 12) != 0) {
            u |= 1ull << 51; /* NaN: set the quiet bit */
        }
    } else if (e < 0) { /* 0 < |x| < 1: a zero or a one, with x's sign */
        int one = op == ROUND_FLOOR     ? neg
                  : op == ROUND_CEIL    ? !neg
                  : op == ROUND_NEAREST ? e == -1 && (u << 12) != 0 /* above one half */
                                        : 0;
        u = (u & sign) | (one ? 0x3FF0000000000000ull : 0u);
    } else {
        uint64_t unit = (1ull << 52) >> e; /* the weight of the integer part's lowest bit */
        uint64_t frac = u & (unit - 1u);
        u -= frac;
        /* With e == 0 `u & unit` is the exponent's lowest bit: odd, as 1 is. */
        int away = op == ROUND_FLOOR     ? neg && frac != 0
                   : op == ROUND_CEIL    ? !neg && frac != 0
                   : op == ROUND_NEAREST ? frac > unit / 2 || (frac == unit / 2 && (u & unit) != 0)
                                         : 0;
        u += away ? unit : 0u;
    }
    memcpy(&x, &u, sizeof x);
    return x;
}

WA_ENGINE_LIBM double trunc(double x)
{
    return round_to(x, ROUND_TRUNC);
}

WA_ENGINE_LIBM double floor(double x)
{
    return round_to(x, ROUND_FLOOR);
}

WA_ENGINE_LIBM double ceil(double x)
{
    return round_to(x, ROUND_CEIL);
}

WA_ENGINE_LIBM double rint(double x)
{
    return round_to(x, ROUND_NEAREST);
}
