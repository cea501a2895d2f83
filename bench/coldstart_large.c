/*
 * coldstart_large.c - a large module for the cold start benchmark
 * (bench/coldstart.c): 40 variants of a CoreMark-like mix (CRC over bytes,
 * a state machine over a string, an 8x8 matrix product), each with its own
 * constants so the compiler keeps them apart; about 40 KB of wasm with
 * nested loops, br_tables and calls, the shape that loading, validating,
 * metering and compiling all walk. Only loaded, never timed running.
 */
#include <stdint.h>

#define N 64
static uint32_t buf[N];
static int32_t mat[8][8];

#define VARIANT(k)                                                                                 \
    __attribute__((noinline)) static uint32_t crc_##k(const uint8_t *p, uint32_t n)                \
    {                                                                                              \
        uint32_t c = 0xFFFFFFFFu ^ (k);                                                            \
        for (uint32_t i = 0; i < n; i++) {                                                         \
            c ^= p[i];                                                                             \
            for (int b = 0; b < 8; b++) {                                                          \
                c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u))) ^ ((k)*7u);                         \
            }                                                                                      \
        }                                                                                          \
        return ~c;                                                                                 \
    }                                                                                              \
    __attribute__((noinline)) static int32_t state_##k(const char *s, int32_t acc)                 \
    {                                                                                              \
        int state = 0;                                                                             \
        for (; *s; s++) {                                                                          \
            switch (state) {                                                                       \
            case 0: state = (*s >= '0' && *s <= '9') ? 1 : (*s == '-' ? 2 : 3); break;             \
            case 1:                                                                                \
                acc = acc * 10 + (*s - '0') + (k);                                                 \
                state = (*s == '.') ? 4 : 1;                                                       \
                break;                                                                             \
            case 2:                                                                                \
                state = (*s == '.') ? 4 : 1;                                                       \
                acc -= (k);                                                                        \
                break;                                                                             \
            case 3:                                                                                \
                acc ^= *s * ((k) + 3);                                                             \
                state = (*s & 1) ? 0 : 5;                                                          \
                break;                                                                             \
            case 4:                                                                                \
                acc += (int32_t)crc_##k((const uint8_t *)s, 1);                                    \
                state = 1;                                                                         \
                break;                                                                             \
            default:                                                                               \
                acc = acc * 31 + (k);                                                              \
                state = 0;                                                                         \
                break;                                                                             \
            }                                                                                      \
        }                                                                                          \
        return acc;                                                                                \
    }                                                                                              \
    __attribute__((noinline)) static int32_t matrix_##k(int32_t v)                                 \
    {                                                                                              \
        for (int i = 0; i < 8; i++) {                                                              \
            for (int j = 0; j < 8; j++) {                                                          \
                int32_t s = 0;                                                                     \
                for (int x = 0; x < 8; x++) {                                                      \
                    s += mat[i][x] * (mat[x][j] + (k));                                            \
                }                                                                                  \
                mat[i][j] = s + v;                                                                 \
            }                                                                                      \
        }                                                                                          \
        return mat[(k)&7][((k) >> 3) & 7];                                                         \
    }                                                                                              \
    __attribute__((export_name("bench_" #k))) uint32_t bench_##k(uint32_t seed)                    \
    {                                                                                              \
        for (int i = 0; i < N; i++) {                                                              \
            buf[i] = seed * (uint32_t)(i + (k));                                                   \
        }                                                                                          \
        int32_t a = state_##k("12-3.4x", (int32_t)seed);                                           \
        return crc_##k((const uint8_t *)buf, sizeof buf) + (uint32_t)matrix_##k(a);                \
    }

#define TEN(p)                                                                                     \
    VARIANT(p##0)                                                                                  \
    VARIANT(p##1)                                                                                  \
    VARIANT(p##2)                                                                                  \
    VARIANT(p##3)                                                                                  \
    VARIANT(p##4)                                                                                  \
    VARIANT(p##5)                                                                                  \
    VARIANT(p##6)                                                                                  \
    VARIANT(p##7)                                                                                  \
    VARIANT(p##8)                                                                                  \
    VARIANT(p##9)

TEN(1)
TEN(2)
TEN(3)
TEN(4)
