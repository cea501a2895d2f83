/*
 * wa_fround.c - floor, ceil, trunc and rint (round to nearest, ties to
 * even) for the engine. wasm3 implements f64.floor, f64.ceil, f64.trunc and
 * f64.nearest by calling these C library functions, which return a
 * signalling NaN unchanged; WebAssembly wants a NaN result quieted. These
 * definitions take the library's place in every build of the runtime: the
 * firmware links them before libm's archive, the binding binds them inside
 * its shared object (hidden, so the process's libm cannot take over), and
 * wa_engine_wasm3.flags keeps the compiler from inlining its own versions.
 * Other inputs give the library's results. The f32 functions need nothing:
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

/* x without its fraction (a NaN quieted); *frac: x had a fraction. */
static double chop(double x, int *frac)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    int e = (int)((u >> 52) & 0x7FFu) - 1023;
    uint64_t mask = e < 0 ? ~(1ull << 63) : e < 52 ? (1ull << (52 - e)) - 1u : 0u;
    *frac = (u & mask) != 0;
    if (e == 1024 && (u << 12) != 0) {
        u |= 1ull << 51; /* NaN: set the quiet bit */
    }
    u &= ~mask;
    memcpy(&x, &u, sizeof x);
    return x;
}

WA_ENGINE_LIBM double trunc(double x)
{
    int frac;
    return chop(x, &frac);
}

WA_ENGINE_LIBM double floor(double x)
{
    int frac;
    double t = chop(x, &frac);
    return frac && x < 0 ? t - 1.0 : t;
}

WA_ENGINE_LIBM double ceil(double x)
{
    int frac;
    double t = chop(x, &frac);
    return frac && x > 0 ? t + 1.0 : t;
}

WA_ENGINE_LIBM double rint(double x)
{
    int frac;
    int odd;
    double t = chop(x, &frac);
    double rest = x < 0 ? t - x : x - t; /* exact, in [0, 1) */
    chop(t * 0.5, &odd);
    if (rest > 0.5 || (rest == 0.5 && odd)) {
        t += x < 0 ? -1.0 : 1.0;
    }
    return t;
}
