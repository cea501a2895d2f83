/*
 * snprintf and vsnprintf for the Cortex-M firmware, in place of newlib-nano's
 * (which, with the helpers it pulls in, costs about 2 KiB of flash).
 *
 * What the firmware and the engine format: %d %i %u %x %X %c %s %p %%, with the
 * flags '-' and '0', a width and a precision (numbers or '*'), and the length
 * modifiers hh, h, l, ll, z, j, t. A floating-point conversion prints '?' (the
 * firmware formats no floating-point number through these).
 * The result is always NUL-terminated within `size`; the return value is the
 * length the whole output would have, as C99 says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    char *buf;
    size_t size;
    size_t len; /* of the whole output, including what did not fit */
} sink_t;

static void put(sink_t *s, char ch)
{
    if (s->len + 1 < s->size) {
        s->buf[s->len] = ch;
    }
    s->len++;
}

static void pad(sink_t *s, char ch, int count)
{
    while (count-- > 0) {
        put(s, ch);
    }
}

static void put_text(sink_t *s, const char *text, int len, int width, int left)
{
    if (!left) {
        pad(s, ' ', width - len);
    }
    for (int i = 0; i < len; i++) {
        put(s, text[i]);
    }
    if (left) {
        pad(s, ' ', width - len);
    }
}

static void put_number(sink_t *s, unsigned long long v, int negative, unsigned base, int upper,
                       int width, int precision, int left, int zero)
{
    char digits[24];
    int n = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = set[v % base];
        v /= base;
    } while (v != 0);
    int body = (precision > n ? precision : n) + (negative ? 1 : 0);
    char fill = (zero && !left && precision < 0) ? '0' : ' ';
    if (!left && fill == ' ') {
        pad(s, ' ', width - body);
    }
    if (negative) {
        put(s, '-');
    }
    if (!left && fill == '0') {
        pad(s, '0', width - body);
    }
    pad(s, '0', precision - n);
    while (n > 0) {
        put(s, digits[--n]);
    }
    if (left) {
        pad(s, ' ', width - body);
    }
}

static int read_count(const char **f, va_list *ap)
{
    if (**f == '*') {
        (*f)++;
        return va_arg(*ap, int);
    }
    int v = 0;
    while (**f >= '0' && **f <= '9') {
        v = v * 10 + (*(*f)++ - '0');
    }
    return v;
}

static unsigned long long read_unsigned(int longs, va_list *ap)
{
    switch (longs) {
    case 2: return va_arg(*ap, unsigned long long);
    case 1: return va_arg(*ap, unsigned long);
    case 3: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static long long read_signed(int longs, va_list *ap)
{
    switch (longs) {
    case 2: return va_arg(*ap, long long);
    case 1: return va_arg(*ap, long);
    case 3: return (long long)va_arg(*ap, ptrdiff_t);
    default: return va_arg(*ap, int);
    }
}

static void conversion(sink_t *s, const char **f, va_list *ap)
{
    int left = 0;
    int zero = 0;
    for (;; (*f)++) {
        if (**f == '-') {
            left = 1;
        } else if (**f == '0') {
            zero = 1;
        } else if (**f != '+' && **f != ' ' && **f != '#') {
            break;
        }
    }
    int width = read_count(f, ap);
    if (width < 0) {
        left = 1;
        width = -width;
    }
    int precision = -1;
    if (**f == '.') {
        (*f)++;
        precision = read_count(f, ap);
    }
    int longs = 0; /* 0 int, 1 long, 2 long long, 3 size_t/ptrdiff_t */
    while (**f == 'h' || **f == 'l' || **f == 'z' || **f == 'j' || **f == 't') {
        char m = *(*f)++;
        longs = m == 'l' ? longs + 1 : (m == 'h' ? longs : (m == 'j' ? 2 : 3));
    }
    char c = **f;
    if (c == '\0') {
        return;
    }
    (*f)++;
    switch (c) {
    case 'd':
    case 'i': {
        long long v = read_signed(longs, ap);
        unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        put_number(s, mag, v < 0, 10, 0, width, precision, left, zero);
        break;
    }
    case 'u':
    case 'x':
    case 'X':
        put_number(s, read_unsigned(longs, ap), 0, c == 'u' ? 10u : 16u, c == 'X', width, precision,
                   left, zero);
        break;
    case 'p':
        put_text(s, "0x", 2, 0, 0);
        put_number(s, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, 0, -1, 0, 0);
        break;
    case 'c': {
        char ch = (char)va_arg(*ap, int);
        put_text(s, &ch, 1, width, left);
        break;
    }
    case 's': {
        const char *text = va_arg(*ap, const char *);
        if (text == NULL) {
            text = "(null)";
        }
        int len = 0;
        while ((precision < 0 || len < precision) && text[len] != '\0') {
            len++;
        }
        put_text(s, text, len, width, left);
        break;
    }
    case '%': put(s, '%'); break;
    default: /* floating point and anything else */
        if (c == 'f' || c == 'F' || c == 'e' || c == 'E' || c == 'g' || c == 'G') {
            (void)va_arg(*ap, double);
        }
        put(s, '?');
        break;
    }
}

int vsnprintf(char *buf, size_t size, const char *format, va_list args)
{
    sink_t s = {buf, size, 0};
    va_list ap;
    va_copy(ap, args);
    for (const char *f = format; *f != '\0';) {
        if (*f != '%') {
            put(&s, *f++);
            continue;
        }
        f++;
        conversion(&s, &f, &ap);
    }
    va_end(ap);
    if (size > 0) {
        buf[s.len < size ? s.len : size - 1] = '\0';
    }
    return (int)s.len;
}

int snprintf(char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf, size, format, args);
    va_end(args);
    return n;
}
