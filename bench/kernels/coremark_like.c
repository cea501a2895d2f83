/*
 * coremark_like.c - the CoreMark-like workload; see coremark_like.h (it is
 * not EEMBC CoreMark). Freestanding C like kernels.c: no libc, unsigned
 * (wrapping) arithmetic wherever a value could overflow, no result that
 * depends on pointer values or sizes, so the native and wasm builds compute
 * bit-identical results.
 */
#include "coremark_like.h"

#include <stddef.h>

#include "bench_common.h"

#define LIST_NODES 96
#define LIST_SEARCHES 6
#define MAT_N 12
#define MAT_ADD 7
#define MAT_MUL (-3)
#define TEXT_BYTES 512
#define TEXT_TOKEN_MAX 16 /* longest token the generator writes, with its comma */
#define TEXT_FLIP_STRIDE 23

/* The self-check: each iteration's CRC-16s for COREMARK_LIKE_SEED. */
#define EXPECT_LIST 0x1056u
#define EXPECT_MATRIX 0xFA95u
#define EXPECT_STATE 0x48D8u

typedef struct node {
    struct node *next;
    int16_t value;
    uint16_t order; /* position when built: sorting by it restores the list */
} node_t;

typedef int (*node_cmp)(const node_t *a, const node_t *b);

static node_t pool[LIST_NODES];
static node_t *list_head;
static int16_t mat_a[MAT_N][MAT_N];
static int16_t mat_b[MAT_N][MAT_N];
static int32_t mat_c[MAT_N][MAT_N];
static char text[TEXT_BYTES];
static uint32_t text_len;
static uint32_t built_seed;
static int built;

/* ---- CRC-16 (CCITT polynomial 0x1021, bit by bit, MSB first) ---- */

static uint16_t crc16_byte(uint16_t crc, uint8_t byte)
{
    crc ^= (uint16_t)(byte << 8);
    for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
    }
    return crc;
}

static uint16_t crc16_u16(uint16_t crc, uint16_t v)
{
    return crc16_byte(crc16_byte(crc, (uint8_t)v), (uint8_t)(v >> 8));
}

static uint16_t crc16_u32(uint16_t crc, uint32_t v)
{
    return crc16_u16(crc16_u16(crc, (uint16_t)v), (uint16_t)(v >> 16));
}

/* ---- linked list: find, reverse, merge sort ---- */

static int by_value(const node_t *a, const node_t *b)
{
    return a->value - b->value;
}

static int by_order(const node_t *a, const node_t *b)
{
    return (int)a->order - (int)b->order;
}

static node_t *list_find(node_t *n, int16_t value)
{
    while (n != NULL && n->value != value) {
        n = n->next;
    }
    return n;
}

static node_t *list_reverse(node_t *n)
{
    node_t *done = NULL;
    while (n != NULL) {
        node_t *rest = n->next;
        n->next = done;
        done = n;
        n = rest;
    }
    return done;
}

/* Merges two sorted lists; on ties a's node comes first (a stable sort). */
static node_t *list_merge(node_t *a, node_t *b, node_cmp cmp)
{
    node_t first = {NULL, 0, 0};
    node_t *tail = &first;
    while (a != NULL && b != NULL) {
        node_t **from = cmp(b, a) < 0 ? &b : &a;
        tail->next = *from;
        tail = *from;
        *from = (*from)->next;
    }
    tail->next = a != NULL ? a : b;
    return first.next;
}

/* Sorts the n nodes of list n (NULL-terminated): halves, sorts each, merges. */
static node_t *list_sort(node_t *list, uint32_t n, node_cmp cmp)
{
    if (n < 2) {
        return list;
    }
    node_t *cut = list;
    for (uint32_t i = 1; i < n / 2; i++) {
        cut = cut->next;
    }
    node_t *right = cut->next;
    cut->next = NULL;
    return list_merge(list_sort(list, n / 2, cmp), list_sort(right, n - n / 2, cmp), cmp);
}

/* Unlinks the node after pos and puts it first; returns the new head. */
static node_t *list_move_to_front(node_t *head, node_t *pos)
{
    node_t *moved = pos->next;
    pos->next = moved->next;
    moved->next = head;
    return moved;
}

static uint16_t list_work(void)
{
    uint16_t crc = 0;
    uint32_t found = 0, order_sum = 0;
    for (int s = 0; s < LIST_SEARCHES; s++) {
        node_t *hit = list_find(list_head, (int16_t)((s * 89 + 13) & 0x1FF));
        if (hit != NULL) {
            found++;
            order_sum += hit->order;
        }
        list_head = list_reverse(list_head);
    }
    list_head = list_sort(list_head, LIST_NODES, by_value);
    node_t *mid = list_head;
    for (int i = 1; i < LIST_NODES / 2; i++) {
        mid = mid->next;
    }
    list_head = list_move_to_front(list_head, mid);
    for (const node_t *n = list_head; n != NULL; n = n->next) {
        crc = crc16_u16(crc, (uint16_t)n->value);
    }
    list_head = list_sort(list_head, LIST_NODES, by_order);
    return crc16_u32(crc16_u32(crc, found), order_sum);
}

/* ---- matrices: constants, matrix-vector, matrix-matrix, bit fields ---- */

/* Sum of v (wrapping) and how often an element is above the one before. */
static uint16_t mat_fold(uint16_t crc, const int32_t *v, uint32_t n)
{
    uint32_t sum = 0, rises = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += (uint32_t)v[i];
        rises += i > 0 && v[i] > v[i - 1];
    }
    return crc16_u16(crc16_u32(crc, sum), (uint16_t)rises);
}

static void mat_add(int16_t k)
{
    for (int r = 0; r < MAT_N; r++) {
        for (int c = 0; c < MAT_N; c++) {
            mat_a[r][c] = (int16_t)(mat_a[r][c] + k);
        }
    }
}

static void mat_scale(int16_t k)
{
    for (int r = 0; r < MAT_N; r++) {
        for (int c = 0; c < MAT_N; c++) {
            mat_c[r][c] = (int32_t)mat_a[r][c] * k;
        }
    }
}

/* mat_c's first column = mat_a times the diagonal of mat_b. */
static void mat_vector(void)
{
    for (int r = 0; r < MAT_N; r++) {
        int32_t sum = 0;
        for (int c = 0; c < MAT_N; c++) {
            sum += (int32_t)mat_a[r][c] * mat_b[c][c];
        }
        mat_c[r][0] = sum;
    }
}

/* mat_c = mat_a x mat_b; with bits, each product contributes only two of
 * its bit fields (bits 2..5 times bits 6..12) instead of its value. */
static void mat_product(int bits)
{
    for (int r = 0; r < MAT_N; r++) {
        for (int c = 0; c < MAT_N; c++) {
            uint32_t sum = 0;
            for (int k = 0; k < MAT_N; k++) {
                uint32_t p = (uint32_t)((int32_t)mat_a[r][k] * mat_b[k][c]);
                sum += bits ? ((p >> 2) & 0xFu) * ((p >> 6) & 0x7Fu) : p;
            }
            mat_c[r][c] = (int32_t)sum;
        }
    }
}

static uint16_t matrix_work(void)
{
    uint16_t crc = 0;
    mat_add(MAT_ADD);
    mat_scale(MAT_MUL);
    crc = mat_fold(crc, &mat_c[0][0], MAT_N * MAT_N);
    mat_vector();
    crc = mat_fold(crc, &mat_c[0][0], MAT_N * MAT_N);
    mat_product(0);
    crc = mat_fold(crc, &mat_c[0][0], MAT_N * MAT_N);
    mat_product(1);
    crc = mat_fold(crc, &mat_c[0][0], MAT_N * MAT_N);
    mat_add(-MAT_ADD);
    return crc;
}

/* ---- state machine over comma-separated number-like tokens ---- */

enum scan_state { S_START, S_SIGN, S_INT, S_POINT, S_FRAC, S_EXP, S_EXP_SIGN, S_EXP_INT, S_BAD };
#define SCAN_STATES (S_BAD + 1)

static enum scan_state scan_step(enum scan_state s, char ch)
{
    int digit = ch >= '0' && ch <= '9';
    int sign = ch == '+' || ch == '-';
    int exp = ch == 'e' || ch == 'E';
    switch (s) {
    case S_START: return digit ? S_INT : sign ? S_SIGN : ch == '.' ? S_POINT : S_BAD;
    case S_SIGN: return digit ? S_INT : ch == '.' ? S_POINT : S_BAD;
    case S_INT: return digit ? S_INT : ch == '.' ? S_POINT : exp ? S_EXP : S_BAD;
    case S_POINT: return digit ? S_FRAC : S_BAD;
    case S_FRAC: return digit ? S_FRAC : exp ? S_EXP : S_BAD;
    case S_EXP: return digit ? S_EXP_INT : sign ? S_EXP_SIGN : S_BAD;
    case S_EXP_SIGN:
    case S_EXP_INT: return digit ? S_EXP_INT : S_BAD;
    default: return S_BAD;
    }
}

/* Counts, per state, the tokens that end in it and the moves out of it. */
static uint16_t scan_text(uint16_t crc)
{
    uint32_t ends[SCAN_STATES], moves[SCAN_STATES];
    for (int i = 0; i < SCAN_STATES; i++) {
        ends[i] = moves[i] = 0;
    }
    enum scan_state s = S_START;
    for (uint32_t i = 0; i < text_len; i++) {
        if (text[i] == ',') {
            ends[s]++;
            s = S_START;
            continue;
        }
        enum scan_state next = scan_step(s, text[i]);
        moves[s] += next != s;
        s = next;
    }
    ends[s]++;
    for (int i = 0; i < SCAN_STATES; i++) {
        crc = crc16_u16(crc16_u16(crc, (uint16_t)ends[i]), (uint16_t)moves[i]);
    }
    return crc;
}

/* Flips bit 2 of every stride-th character but the commas; no character of
 * the text becomes a comma, so a second call restores the text. */
static void text_flip(uint32_t stride)
{
    for (uint32_t i = 0; i < text_len; i += stride) {
        if (text[i] != ',') {
            text[i] = (char)(text[i] ^ 0x04);
        }
    }
}

static uint16_t state_work(void)
{
    uint16_t crc = scan_text(0);
    text_flip(TEXT_FLIP_STRIDE);
    crc = scan_text(crc);
    text_flip(TEXT_FLIP_STRIDE);
    return crc;
}

/* ---- inputs ---- */

static uint32_t put_digits(char *out, uint32_t value, uint32_t count)
{
    for (uint32_t i = count; i > 0; i--) {
        out[i - 1] = (char)('0' + value % 10u);
        value /= 10u;
    }
    return count;
}

/* One token: an integer, a decimal, a number with an exponent, or a
 * malformed one; returns its length. Choices come from the high bits of
 * the generator (its low bits repeat with a short period). */
static uint32_t put_token(char *out, uint32_t *seed)
{
    uint32_t r = lcg_next(seed), n = 0;
    if ((r >> 29) & 1u) {
        out[n++] = ((r >> 28) & 1u) ? '-' : '+';
    }
    n += put_digits(out + n, r >> 8, 1u + ((r >> 26) & 3u));
    switch (r >> 30) {
    case 0: break;
    case 1:
        out[n++] = '.';
        n += put_digits(out + n, r >> 12, 1u + ((r >> 24) & 3u) % 3u);
        break;
    case 2:
        out[n++] = '.';
        n += put_digits(out + n, r >> 14, 2);
        out[n++] = ((r >> 23) & 1u) ? 'e' : 'E';
        if ((r >> 22) & 1u) {
            out[n++] = '-';
        }
        n += put_digits(out + n, r >> 16, 1u + ((r >> 21) & 1u));
        break;
    default:
        out[n++] = ((r >> 23) & 1u) ? '.' : 'x';
        out[n++] = ((r >> 22) & 1u) ? '.' : '-';
        break;
    }
    return n;
}

static void build_inputs(uint32_t seed)
{
    for (int i = 0; i < LIST_NODES; i++) {
        pool[i].value = (int16_t)(lcg_next(&seed) >> 24);
        pool[i].order = (uint16_t)i;
        pool[i].next = i + 1 < LIST_NODES ? &pool[i + 1] : NULL;
    }
    list_head = &pool[0];
    for (int r = 0; r < MAT_N; r++) {
        for (int c = 0; c < MAT_N; c++) {
            mat_a[r][c] = (int16_t)((int32_t)(lcg_next(&seed) >> 23) - 256);
            mat_b[r][c] = (int16_t)((int32_t)(lcg_next(&seed) >> 23) - 256);
        }
    }
    text_len = 0;
    while (text_len + TEXT_TOKEN_MAX <= TEXT_BYTES) {
        text_len += put_token(text + text_len, &seed);
        text[text_len++] = ',';
    }
}

/* ---- the workload ---- */

static int32_t run(int32_t iters, uint32_t seed)
{
    uint16_t total = 0;
    int ok = 1;
    if (!built || built_seed != seed) {
        build_inputs(seed);
        built_seed = seed;
        built = 1;
    }
    for (int32_t it = 0; it < iters; it++) {
        uint16_t list = list_work(), matrix = matrix_work(), state = state_work();
        ok &= list == EXPECT_LIST && matrix == EXPECT_MATRIX && state == EXPECT_STATE;
        total = crc16_u16(crc16_u16(crc16_u16(total, list), matrix), state);
    }
    return ok ? (int32_t)total : -1;
}

KERNEL_EXPORT(bench_coremark_like)
int32_t bench_coremark_like(int32_t iters)
{
    return run(iters, COREMARK_LIKE_SEED);
}

KERNEL_EXPORT(coremark_like_seeded)
int32_t coremark_like_seeded(int32_t iters, int32_t seed)
{
    return run(iters, (uint32_t)seed);
}
