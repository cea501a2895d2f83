/*
 * hello.c - a plain C program, unmodified: wasi-libc's printf and
 * clock_gettime run on the device through the WASI subset (capability WASI).
 *
 * A WASI command module: the device calls `_start` once, which runs main().
 * stdout and stderr lines go to the device log.
 */
#include <stdio.h>
#include <time.h>

static long fib(int n)
{
    long a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        long next = a + b;
        a = b;
        b = next;
    }
    return a;
}

int main(void)
{
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    printf("hello from wasm via WASI\n");
    printf("fib(40) = %ld\n", fib(40));
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long ns =
        (long long)(end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    printf("monotonic clock: %lld.%03lld s since boot, main took %lld us\n", (long long)end.tv_sec,
           (long long)(end.tv_nsec / 1000000), ns / 1000);
    return 0;
}
