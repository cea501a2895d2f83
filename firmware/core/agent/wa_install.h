/*
 * wa_install.h - installing an app from an upload: the storage side of the
 * SMP upload command (wa_apps_smp.c decodes and answers the messages).
 *
 * An upload is written to a free slot, never over the version that runs:
 * the meta record first, then the module's bytes (hashed as they arrive,
 * progress recorded per flash page), then the checks, then the header and
 * its commit word. The new version is then STAGED, and with `start` its
 * trial begins (wa_lifecycle.h): the old version is retired only once the
 * new one is confirmed. A power cut at any point leaves the old version
 * installed; an upload cut short (link or power) resumes from what is in
 * flash.
 */
#ifndef WA_INSTALL_H
#define WA_INSTALL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct wa_install_req {
    const char *name;
    uint32_t name_len;
    uint32_t len;       /* module (or bundle) bytes */
    const uint8_t *sha; /* 32 bytes */
    const char *deploy; /* may be NULL */
    uint32_t deploy_len;
    const char *version; /* may be NULL */
    uint32_t version_len;
    uint32_t grants;   /* enum wa_cap bits */
    uint32_t kv_quota; /* key-value bytes; WA_SLOT_QUOTA_DEFAULT: the board's */
    bool start;        /* start the app once installed (on trial) */
    bool bundle;       /* the bytes are a signed bundle (ota/FORMAT.md), not a module */
} wa_install_req_t;

/* What an upload request answers. */
typedef struct wa_install_res {
    uint32_t next_off; /* the offset the device expects next */
    bool done;         /* the module is installed */
    bool unchanged;    /* it was installed already: nothing written */
    bool trial;        /* this request began a trial of it */
} wa_install_res_t;

/* The first chunk's request: answers an installed identical module (done;
 * a staged, reverted or failed one begins a new trial with start), resumes
 * an upload of the same module (in RAM, else from flash), or starts a new
 * one. Returns an agent_err. */
int wa_install_begin(const wa_install_req_t *r, wa_install_res_t *res);

/* Module bytes at off: written if off is the offset expected (else nothing
 * happens and res->next_off says where to continue). After the last byte
 * the module is checked and installed (res->done). Returns an agent_err. */
int wa_install_chunk(uint32_t off, const uint8_t *data, uint32_t len, wa_install_res_t *res);

/* Drops an upload of app `name` in progress (in RAM and in flash). */
void wa_install_forget(const char *name, uint32_t name_len);

#endif /* WA_INSTALL_H */
