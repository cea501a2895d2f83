/*
 * wa_install.h - installing an app from an upload: the storage side of the
 * SMP upload command (wa_apps_smp.c decodes and answers the messages).
 *
 * An upload is written to a free slot, never over the version that runs:
 * the meta record first, then the module's bytes (hashed as they arrive,
 * progress recorded per flash page), then the checks, then the header. Only
 * then is the old version's slot retired. A power cut at any point leaves
 * the old version installed; an upload cut short (link or power) resumes
 * from what is in flash.
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
    uint32_t grants; /* enum wa_cap bits */
    bool start;      /* start the app once installed */
    bool bundle;     /* the bytes are a signed bundle (ota/FORMAT.md), not a module */
} wa_install_req_t;

/* The first chunk's request: answers an installed identical module (*done),
 * resumes an upload of the same module (in RAM, else from flash), or starts
 * a new one. *next_off is the offset the device expects next. Returns an
 * agent_err. */
int wa_install_begin(const wa_install_req_t *r, uint32_t *next_off, bool *done);

/* Module bytes at off: written if off is the offset expected (else nothing
 * happens and *next_off says where to continue). After the last byte the
 * module is checked and installed (*done). Returns an agent_err. */
int wa_install_chunk(uint32_t off, const uint8_t *data, uint32_t len, uint32_t *next_off,
                     bool *done);

/* Drops an upload of app `name` in progress (in RAM and in flash). */
void wa_install_forget(const char *name, uint32_t name_len);

/* At boot, before apps are loaded: finishes an update a power cut
 * interrupted after its header was written (retires the older copy). */
void wa_install_settle(void);

#endif /* WA_INSTALL_H */
