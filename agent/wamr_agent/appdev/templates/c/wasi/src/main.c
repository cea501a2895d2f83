/*
 * {{name}}: a plain C program. wasi-libc's printf runs on the device through
 * the WASI subset (the WASI capability); stdout lines go to the device log.
 * A command app: the device calls _start, which runs main() once.
 */
#include <stdio.h>

static int add(int a, int b)
{
    return a + b;
}

int main(void)
{
    printf("hello from {{name}}\n");
    printf("2 + 3 = %d\n", add(2, 3));
    return 0;
}
