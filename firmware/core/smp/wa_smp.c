/* wa_smp.c - see wa_smp.h. CBOR with zcbor (fetched at build time). */
#include "wa_smp.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "wa_cbor_depth.h"
#include "zcbor_decode.h"
#include "zcbor_encode.h"

typedef wa_smp_call_t smp_call_t;
typedef wa_smp_command_t smp_command_t;

int wa_smp_header_decode(const uint8_t *msg, size_t n, wa_smp_header_t *h)
{
    if (n < WA_SMP_HEADER_SIZE) {
        return WA_SMP_RC_EINVAL;
    }
    h->op = msg[0] & 0x07u;
    h->version = (uint8_t)((msg[0] >> 3) & 0x03u);
    h->flags = msg[1];
    h->len = (uint16_t)((msg[2] << 8) | msg[3]);
    h->group = (uint16_t)((msg[4] << 8) | msg[5]);
    h->seq = msg[6];
    h->id = msg[7];
    return h->len == n - WA_SMP_HEADER_SIZE ? WA_SMP_RC_OK : WA_SMP_RC_EINVAL;
}

void wa_smp_header_encode(const wa_smp_header_t *h, uint8_t out[WA_SMP_HEADER_SIZE])
{
    out[0] = (uint8_t)((h->op & 0x07u) | ((h->version & 0x03u) << 3));
    out[1] = h->flags;
    out[2] = (uint8_t)(h->len >> 8);
    out[3] = (uint8_t)h->len;
    out[4] = (uint8_t)(h->group >> 8);
    out[5] = (uint8_t)h->group;
    out[6] = h->seq;
    out[7] = h->id;
}

/* ---- answers ---------------------------------------------------------------- */

/* Not inlined: one copy serves every key of every handler. */
__attribute__((noinline)) bool wa_smp_put_key(zcbor_state_t *e, const char *key)
{
    return zcbor_tstr_encode_ptr(e, key, strlen(key));
}

bool wa_smp_put_str(zcbor_state_t *e, const char *key, const char *value, size_t cap)
{
    return wa_smp_put_key(e, key) && zcbor_tstr_encode_ptr(e, value, strnlen(value, cap));
}

bool wa_smp_put_uint(zcbor_state_t *e, const char *key, uint32_t value)
{
    return wa_smp_put_key(e, key) && zcbor_uint32_put(e, value);
}

bool wa_smp_put_int(zcbor_state_t *e, const char *key, int32_t value)
{
    return wa_smp_put_key(e, key) && zcbor_int32_put(e, value);
}

bool wa_smp_put_bool(zcbor_state_t *e, const char *key, bool value)
{
    return wa_smp_put_key(e, key) && zcbor_bool_put(e, value);
}

bool wa_smp_put_map(zcbor_state_t *e, const char *key, size_t n)
{
    return wa_smp_put_key(e, key) && zcbor_map_start_encode(e, n);
}

/* ---- OS group ------------------------------------------------------------- */

/* Finds the text value of key in the request's body map. */
static bool find_tstr(const smp_call_t *call, const char *key, struct zcbor_string *out)
{
    ZCBOR_STATE_D(dec, 2, call->body, call->body_len, 1, 0);
    if (!zcbor_map_start_decode(dec)) {
        return false;
    }
    while (!zcbor_array_at_end(dec)) {
        struct zcbor_string k;
        if (!zcbor_tstr_decode(dec, &k)) {
            return false;
        }
        if (k.len == strlen(key) && memcmp(k.value, key, k.len) == 0) {
            return zcbor_tstr_decode(dec, out);
        }
        if (!zcbor_any_skip(dec, NULL)) {
            return false;
        }
    }
    return false;
}

static int os_echo(smp_call_t *call)
{
    struct zcbor_string d;
    if (!find_tstr(call, "d", &d)) {
        return WA_SMP_RC_EINVAL;
    }
    bool ok = wa_smp_put_key(call->enc, "r") &&
              zcbor_tstr_encode_ptr(call->enc, (const char *)d.value, d.len);
    return ok ? WA_SMP_RC_OK : WA_SMP_RC_EMSGSIZE;
}

static int os_reset(smp_call_t *call)
{
    call->after = WA_SMP_AFTER_RESET;
    return WA_SMP_RC_OK;
}

static int os_params(smp_call_t *call)
{
    bool ok = wa_smp_put_uint(call->enc, "buf_size", call->dev->buf_size) &&
              wa_smp_put_uint(call->enc, "buf_count", 1);
    return ok ? WA_SMP_RC_OK : WA_SMP_RC_EMSGSIZE;
}

/* uname-like: s kernel, n node, r release, v version, m machine, p processor,
 * i hardware platform, o OS, a all. Unknown letters are refused. */
static int os_info(smp_call_t *call)
{
    struct zcbor_string fmt = {(const uint8_t *)"s", 1};
    char out[160];
    size_t n = 0;
    (void)find_tstr(call, "format", &fmt);
    for (size_t i = 0; i < fmt.len && n < sizeof out - 40; i++) {
        char c = (char)fmt.value[i];
        const char *part = c == 's' || c == 'o'   ? "wamr-agent"
                           : c == 'n' || c == 'i' ? call->dev->board
                           : c == 'r' || c == 'v' ? call->dev->version
                           : c == 'm' || c == 'p' ? call->dev->cpu
                                                  : NULL;
        if (c == 'a') {
            n += (size_t)snprintf(out + n, sizeof out - n, "%swamr-agent %s %s %s", n ? " " : "",
                                  call->dev->board, call->dev->version, call->dev->cpu);
            continue;
        }
        if (part == NULL) {
            return WA_SMP_RC_EINVAL;
        }
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n ? " " : "", part);
    }
    n = n < sizeof out ? n : sizeof out - 1;
    bool ok = wa_smp_put_key(call->enc, "output") && zcbor_tstr_encode_ptr(call->enc, out, n);
    return ok ? WA_SMP_RC_OK : WA_SMP_RC_EMSGSIZE;
}

static const smp_command_t s_commands[] = {
    {WA_SMP_GROUP_OS, WA_SMP_OS_ECHO, WA_SMP_OP_WRITE, os_echo},
    {WA_SMP_GROUP_OS, WA_SMP_OS_RESET, WA_SMP_OP_WRITE, os_reset},
    {WA_SMP_GROUP_OS, WA_SMP_OS_PARAMS, WA_SMP_OP_READ, os_params},
    {WA_SMP_GROUP_OS, WA_SMP_OS_INFO, WA_SMP_OP_READ, os_info},
};

static const smp_command_t *s_extra;
static size_t s_extra_count;

void wa_smp_register(const wa_smp_command_t *table, size_t count)
{
    s_extra = table;
    s_extra_count = count;
}

static const smp_command_t *find_in(const smp_command_t *table, size_t count,
                                    const wa_smp_header_t *h)
{
    for (size_t i = 0; i < count; i++) {
        const smp_command_t *c = &table[i];
        if (c->group == h->group && c->id == h->id && c->op == h->op) {
            return c;
        }
    }
    return NULL;
}

static const smp_command_t *find_command(const wa_smp_header_t *h)
{
    const smp_command_t *c = find_in(s_commands, sizeof s_commands / sizeof s_commands[0], h);
    return c != NULL ? c : find_in(s_extra, s_extra_count, h);
}

/* ---- dispatch -------------------------------------------------------------- */

/* Writes {"rc": rc}, a management-layer error. */
static bool write_rc(uint8_t *body, size_t cap, int rc, size_t *len)
{
    ZCBOR_STATE_E(enc, 1, body, cap, 0);
    bool ok = zcbor_map_start_encode(enc, 1) && wa_smp_put_int(enc, "rc", rc) &&
              zcbor_map_end_encode(enc, 1);
    *len = (size_t)(enc->payload - body);
    return ok;
}

/* Runs the command into a map; on error the body becomes {"rc": rc}. A body
 * nested deeper than WA_SMP_MAX_DEPTH reaches no handler (their decoders skip
 * unknown keys recursively): EINVAL. */
static bool write_body(const smp_command_t *cmd, smp_call_t *call, uint8_t *body, size_t cap,
                       size_t *len)
{
    ZCBOR_STATE_E(enc, 2, body, cap, 0);
    call->enc = enc;
    int rc = WA_SMP_RC_ENOTSUP;
    if (cmd != NULL && !wa_cbor_depth_ok(call->body, call->body_len, WA_SMP_MAX_DEPTH)) {
        rc = WA_SMP_RC_EINVAL;
    } else if (cmd != NULL) {
        rc = zcbor_map_start_encode(enc, 8) ? cmd->handler(call) : WA_SMP_RC_EMSGSIZE;
    }
    if (rc == WA_SMP_RC_OK && zcbor_map_end_encode(enc, 8)) {
        *len = (size_t)(enc->payload - body);
        return true;
    }
    call->after = WA_SMP_AFTER_NOTHING;
    return write_rc(body, cap, rc == WA_SMP_RC_OK ? WA_SMP_RC_EMSGSIZE : rc, len);
}

size_t wa_smp_handle(const wa_smp_device_t *dev, const uint8_t *req, size_t req_len, uint8_t *rsp,
                     size_t rsp_cap, int *after)
{
    wa_smp_header_t h;
    *after = WA_SMP_AFTER_NOTHING;
    if (rsp_cap < WA_SMP_HEADER_SIZE + 16u || wa_smp_header_decode(req, req_len, &h) != 0 ||
        (h.op != WA_SMP_OP_READ && h.op != WA_SMP_OP_WRITE)) {
        return 0;
    }
    smp_call_t call = {dev, req + WA_SMP_HEADER_SIZE, h.len, NULL, WA_SMP_AFTER_NOTHING};
    size_t body_len = 0;
    if (!write_body(find_command(&h), &call, rsp + WA_SMP_HEADER_SIZE, rsp_cap - WA_SMP_HEADER_SIZE,
                    &body_len)) {
        return 0;
    }
    h.op = (uint8_t)(h.op + 1u);
    h.version = h.version > WA_SMP_VERSION_2 ? WA_SMP_VERSION_2 : h.version;
    h.len = (uint16_t)body_len;
    wa_smp_header_encode(&h, rsp);
    *after = call.after;
    return WA_SMP_HEADER_SIZE + body_len;
}
