/* wa_kv.c - see wa_kv.h. */
#include "wa_kv.h"

#include <string.h>

#include "wa_err.h"
#include "wa_port.h"
#include "wa_store.h"

#define PAGES WA_STORE_KV_PAGES
#define FIRST 8u      /* a page: its number and the number's complement, then records */
#define NS_DROP 0xFFu /* ns of a drop record: every key of the app, in every namespace */
#define TOMB 0xFFFFu  /* len of a tombstone (a deleted key) */
#define NONE 0xFFFFFFFFu

/* A record's head; the app name, key and value follow it, and the next
 * record starts at the next multiple of 4. */
typedef struct kv_rec {
    uint32_t seq; /* NONE: erased, the end of the page's records */
    uint8_t ns;   /* WA_KV_NS_*, or NS_DROP */
    uint8_t app_len;
    uint8_t key_len;
    uint8_t pad;  /* 0xFF */
    uint16_t len; /* value bytes, or TOMB */
    uint16_t pad2;
    uint32_t crc; /* CRC-32 of the 12 bytes before it, continued over what follows */
} kv_rec_t;

_Static_assert(sizeof(kv_rec_t) == 16, "kv record head is 16 bytes");

/* A key looked up: the newest record of it found (at 0: none; len TOMB
 * unless that record holds a value). */
typedef struct kv_query {
    const char *app;
    uint32_t app_len;
    unsigned ns;
    const void *key;
    uint32_t key_len;
    uint32_t seq, at, len;
} kv_query_t;

typedef int (*visit_fn)(uint32_t at, const kv_rec_t *r, void *ctx);

static const uint8_t *s_map; /* the flash area, memory-mapped */
static uint32_t s_head;      /* the page records are appended to */
static uint32_t s_num;       /* its page number */
static uint32_t s_off;       /* where in it the next record goes */
static uint32_t s_seq;       /* the next record's sequence number */

static uint32_t page_at(uint32_t page)
{
    return WA_STORE_KV + (page % PAGES) * WA_STORE_PAGE;
}

static const kv_rec_t *rec_at(uint32_t at)
{
    return (const kv_rec_t *)(const void *)(s_map + at);
}

/* The page's number, 0 when it has none. */
static uint32_t page_num(uint32_t page)
{
    const uint32_t *w = &rec_at(page_at(page))->seq;
    return w[0] == ~w[1] ? w[0] : 0u;
}

static int erased(uint32_t page)
{
    const uint32_t *w = &rec_at(page_at(page))->seq;
    uint32_t i = 0;
    while (i < WA_STORE_PAGE / 4u && w[i] == NONE) {
        i++;
    }
    return i == WA_STORE_PAGE / 4u;
}

static uint32_t body_len(const kv_rec_t *r)
{
    return r->app_len + r->key_len + (r->len <= WA_KV_VALUE_MAX ? r->len : 0u);
}

static int valid(uint32_t at)
{
    const kv_rec_t *r = rec_at(at);
    uint32_t crc = wa_crc32(s_map + at, 12);
    return wa_crc32_update(crc, s_map + at + sizeof *r, body_len(r)) == r->crc;
}

/* Calls fn with each record of page (if it has a number), in order, until
 * fn returns non-zero (into *stop). Returns where the page's next record
 * goes: past WA_STORE_PAGE - 16 when the page is full. A torn record is
 * stepped over by what its head says, as every walk does. */
static uint32_t walk_page(uint32_t page, visit_fn fn, void *ctx, int *stop)
{
    uint32_t off = FIRST, at, end;
    int numbered = page_num(page) != 0;
    while (numbered && *stop == 0 && off + sizeof(kv_rec_t) <= WA_STORE_PAGE &&
           rec_at(at = page_at(page) + off)->seq != NONE) {
        end = off + (uint32_t)sizeof(kv_rec_t) + body_len(rec_at(at));
        if (end > WA_STORE_PAGE) {
            return WA_STORE_PAGE; /* a torn head: the page is full */
        }
        *stop = fn != NULL ? fn(at, rec_at(at), ctx) : 0;
        off = (end + 3u) & ~3u;
    }
    return off;
}

/* walk_page over every page, oldest first: so of two copies of a record
 * (a compaction's), the later one is met last. */
static int walk(visit_fn fn, void *ctx)
{
    int stop = 0;
    for (uint32_t i = 1; i <= PAGES && stop == 0; i++) {
        (void)walk_page(s_head + i, fn, ctx, &stop);
    }
    return stop;
}

static int newer(uint32_t at, const kv_rec_t *r, void *ctx)
{
    kv_query_t *q = (kv_query_t *)ctx;
    const uint8_t *app = s_map + at + sizeof *r;
    if (r->seq >= q->seq && r->app_len == q->app_len &&
        (r->ns == NS_DROP || (r->ns == q->ns && r->key_len == q->key_len &&
                              memcmp(app + q->app_len, q->key, q->key_len) == 0)) &&
        memcmp(app, q->app, q->app_len) == 0 && valid(at)) {
        q->seq = r->seq;
        q->at = at;
        q->len = r->ns == NS_DROP ? TOMB : r->len;
    }
    return 0;
}

/* The length of an app name (0 when there is none, or it is too long). */
static uint32_t name_len(const char *app)
{
    size_t n = app != NULL ? strnlen(app, WA_SLOT_NAME_MAX + 1u) : 0u;
    return n > WA_SLOT_NAME_MAX || s_map == NULL ? 0u : (uint32_t)n;
}

/* Checks the arguments and finds the key's newest record (app: app_len
 * bytes, no NUL needed). */
static int query(kv_query_t *q, unsigned ns, const char *app, uint32_t app_len, const void *key,
                 size_t key_len)
{
    kv_query_t fresh = {app, app_len, ns, key, (uint32_t)key_len, 0, 0, TOMB};
    *q = fresh;
    if (app_len == 0 || (ns == NS_DROP) != (key_len == 0) || key_len > WA_KV_KEY_MAX) {
        return s_map == NULL ? WA_ERR_NOT_SUPPORTED : WA_ERR_INVALID_ARG;
    }
    (void)walk(newer, q);
    return WA_OK;
}

/* Whether the record at `at` is a value, of app want (NULL: any; want_len
 * bytes), and the newest record of its key. */
static int live(uint32_t at, const kv_rec_t *r, const char *want, uint32_t want_len)
{
    kv_query_t q;
    const char *app = (const char *)s_map + at + sizeof *r;
    return r->ns != NS_DROP && r->len <= WA_KV_VALUE_MAX &&
           (want == NULL || (r->app_len == want_len && memcmp(app, want, want_len) == 0)) &&
           query(&q, r->ns, app, r->app_len, app + r->app_len, r->key_len) == WA_OK && q.at == at;
}

/* Programs n bytes at the head's end. After a failure the next record goes
 * where a walk (the next boot's) puts it: records after a place no walk
 * passes would be lost. */
static int put(const void *data, uint32_t n)
{
    int stop = 0;
    int rc = n == 0 ? WA_OK : wa_store_program(page_at(s_head) + s_off, data, n);
    s_off = rc == WA_OK ? s_off + n : walk_page(s_head, NULL, NULL, &stop);
    return rc;
}

/* Compaction: a live value of the oldest page goes to the head as it is
 * (tombstones and drops go: nothing they hide is older). */
static int copy_live(uint32_t at, const kv_rec_t *r, void *ctx)
{
    uint32_t n = (uint32_t)sizeof *r + body_len(r);
    (void)ctx;
    if (!live(at, r, NULL, 0)) {
        return 0;
    }
    int rc = s_off + n > WA_STORE_PAGE ? WA_ERR_NO_SPACE : put(r, n);
    s_off = (s_off + 3u) & ~3u;
    return rc;
}

/* Copies the live values of page (unless it is erased) to the head, then
 * erases it. */
static int repair(uint32_t page)
{
    int rc = WA_OK;
    if (erased(page)) {
        return WA_OK;
    }
    (void)walk_page(page, copy_live, NULL, &rc);
    return rc != WA_OK ? rc : wa_port_flash_erase(page_at(page), WA_STORE_PAGE);
}

/* The erased page after the head becomes the head, numbered; the oldest
 * page, after it, is compacted into it. */
static int advance(void)
{
    uint32_t num[2] = {s_num + 1u, ~(s_num + 1u)};
    int rc = repair(s_head + 1u);
    if (rc == WA_OK) {
        rc = wa_store_program(page_at(s_head + 1u), num, sizeof num);
    }
    if (rc != WA_OK) {
        return rc;
    }
    s_head = (s_head + 1u) % PAGES;
    s_num++;
    s_off = FIRST;
    return repair(s_head + 1u);
}

/* Appends a record of q's key: a value (len bytes), a tombstone (len
 * TOMB) or, for ns NS_DROP, a drop. */
static int append(const kv_query_t *q, const void *val, uint32_t len)
{
    uint32_t n = len == TOMB ? 0u : len;
    kv_rec_t r = {s_seq++,
                  (uint8_t)q->ns,
                  (uint8_t)q->app_len,
                  (uint8_t)q->key_len,
                  0xFFu,
                  (uint16_t)len,
                  0xFFFFu,
                  0};
    r.crc = wa_crc32_update(wa_crc32((const uint8_t *)&r, 12), (const uint8_t *)q->app, q->app_len);
    r.crc = wa_crc32_update(wa_crc32_update(r.crc, q->key, q->key_len), val, n);
    int rc = WA_OK;
    for (uint32_t i = 0;
         rc == WA_OK && s_off + sizeof r + q->app_len + q->key_len + n > WA_STORE_PAGE; i++) {
        rc = i == PAGES ? WA_ERR_NO_SPACE : advance();
    }
    if (rc == WA_OK && (rc = put(&r, sizeof r)) == WA_OK &&
        (rc = put(q->app, q->app_len)) == WA_OK && (rc = put(q->key, q->key_len)) == WA_OK) {
        rc = put(val, n);
    }
    s_off = (s_off + 3u) & ~3u;
    return rc;
}

static int max_seq(uint32_t at, const kv_rec_t *r, void *ctx)
{
    (void)ctx;
    if (r->seq >= s_seq && valid(at)) {
        s_seq = r->seq + 1u;
    }
    return 0;
}

int wa_kv_open(void)
{
    int stop = 0;
    s_map = wa_port_flash_map();
    s_num = 0;
    s_seq = 1;
    if (s_map == NULL) {
        return WA_ERR_NOT_SUPPORTED;
    }
    for (uint32_t p = 0; p < PAGES; p++) {
        if (page_num(p) > s_num) {
            s_num = page_num(p);
            s_head = p;
        }
    }
    (void)walk(max_seq, NULL);
    /* no page numbered yet: the first record numbers page 1, as if page 0 were full */
    s_off = s_num == 0 ? WA_STORE_PAGE : walk_page(s_head, NULL, NULL, &stop);
    return repair(s_head + 1u);
}

int wa_kv_get(unsigned ns, const char *app, const void *key, size_t key_len, void *val, size_t cap,
              size_t *len)
{
    kv_query_t q;
    int rc = query(&q, ns, app, name_len(app), key, key_len);
    if (rc == WA_OK && q.len == TOMB) {
        rc = WA_ERR_NOT_FOUND;
    }
    if (rc == WA_OK) {
        *len = q.len;
        memcpy(val, s_map + q.at + sizeof(kv_rec_t) + q.app_len + q.key_len,
               q.len < cap ? q.len : cap);
    }
    return rc;
}

static int add_size(const uint8_t *key, size_t key_len, const uint8_t *val, size_t len, void *ctx)
{
    (void)key;
    (void)val;
    *(uint32_t *)ctx += (uint32_t)(key_len + len);
    return 0;
}

int wa_kv_set(unsigned ns, const char *app, const void *key, size_t key_len, const void *val,
              size_t len, uint32_t quota)
{
    kv_query_t q;
    uint32_t used = 0;
    int rc = query(&q, ns, app, name_len(app), key, key_len);
    if (rc == WA_OK && (len > WA_KV_VALUE_MAX || (val == NULL && len > 0))) {
        rc = WA_ERR_INVALID_ARG;
    }
    if (rc == WA_OK && quota != 0) {
        (void)wa_kv_each(ns, app, add_size, &used);
        used -= q.len != TOMB ? (uint32_t)key_len + q.len : 0u;
        rc = used + key_len + len > quota ? WA_ERR_NO_SPACE : WA_OK;
    }
    return rc != WA_OK ? rc : append(&q, val, (uint32_t)len);
}

int wa_kv_delete(unsigned ns, const char *app, const void *key, size_t key_len)
{
    kv_query_t q;
    int rc = query(&q, ns, app, name_len(app), key, key_len);
    return rc != WA_OK ? rc : q.len == TOMB ? WA_ERR_NOT_FOUND : append(&q, NULL, TOMB);
}

int wa_kv_drop(const char *app)
{
    kv_query_t q;
    int rc = query(&q, NS_DROP, app, name_len(app), NULL, 0);
    return rc != WA_OK ? rc : append(&q, NULL, TOMB);
}

typedef struct kv_each {
    unsigned ns;
    const char *app;
    uint32_t app_len;
    wa_kv_each_fn fn;
    void *ctx;
} kv_each_t;

static int each_visit(uint32_t at, const kv_rec_t *r, void *ctx)
{
    const kv_each_t *e = (const kv_each_t *)ctx;
    const uint8_t *key = s_map + at + sizeof *r + r->app_len;
    if (r->ns != e->ns || !live(at, r, e->app, e->app_len)) {
        return 0;
    }
    return e->fn(key, r->key_len, key + r->key_len, r->len, e->ctx);
}

int wa_kv_each(unsigned ns, const char *app, wa_kv_each_fn fn, void *ctx)
{
    kv_each_t e = {ns, app, name_len(app), fn, ctx};
    return e.app_len == 0 || fn == NULL ? WA_ERR_INVALID_ARG : walk(each_visit, &e);
}
