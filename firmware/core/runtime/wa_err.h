/*
 * wa_err.h - the one error enum shared by the firmware and the host.
 *
 * The host mirrors it as wamr_agent.agent_err.AgentErr (an IntEnum); a test
 * compares both through the cffi binding, so a value changed on one side
 * only fails the build. Values are part of the wire protocol (SMP "rc"):
 * never renumber, only append.
 */
#ifndef WA_ERR_H
#define WA_ERR_H

enum agent_err {
    WA_OK = 0,
    WA_ERR_UNKNOWN = 1,       /* an error with no better code */
    WA_ERR_NO_MEMORY = 2,     /* engine heap or board RAM budget exhausted */
    WA_ERR_INVALID_ARG = 3,   /* a caller passed a bad value */
    WA_ERR_NOT_FOUND = 4,     /* named thing (export, app, channel) absent */
    WA_ERR_NOT_SUPPORTED = 5, /* feature the engine or board lacks */
    WA_ERR_BAD_STATE = 6,     /* operation not valid in the current state */
    WA_ERR_TOO_LARGE = 7,     /* a buffer or name is larger than allowed */
    WA_ERR_DENIED = 8,        /* a pin, bus or address the board profile does not allow */
    WA_ERR_NACK = 9,          /* an I2C device did not acknowledge (absent or busy) */
    WA_ERR_IO = 10,           /* a device or bus failed (stuck bus, lost arbitration) */
    WA_ERR_NO_SPACE = 11,     /* storage full: the app's quota or the flash area */

    /* loading a module */
    WA_ERR_MALFORMED = 16,        /* not a well-formed wasm binary */
    WA_ERR_MODULE_TOO_LARGE = 17, /* module bytes above the board's limit */
    WA_ERR_MEMORY_BUDGET = 18,    /* linear memory needs above the board's limit */
    WA_ERR_UNKNOWN_IMPORT = 19,   /* import not part of the native API */
    WA_ERR_NOT_GRANTED = 20,      /* import needs a capability not granted */
    WA_ERR_IMPORT_TYPE = 21,      /* import has the wrong signature */
    WA_ERR_NO_EXPORT = 22,        /* the requested export does not exist */
    WA_ERR_ARG_MISMATCH = 23,     /* wrong argument count or type for a call */
    WA_ERR_LOAD_FAILED = 24,      /* the engine refused the module */

    /* traps while running */
    WA_ERR_TRAP_UNREACHABLE = 32,
    WA_ERR_TRAP_OUT_OF_BOUNDS = 33,
    WA_ERR_TRAP_DIV_BY_ZERO = 34,
    WA_ERR_TRAP_INT_OVERFLOW = 35,
    WA_ERR_TRAP_CONVERSION = 36,
    WA_ERR_TRAP_INDIRECT_CALL = 37, /* type mismatch, null or undefined element */
    WA_ERR_TRAP_STACK_OVERFLOW = 38,
    WA_ERR_TRAP_CPU_BUDGET = 39, /* the call used up its CPU budget */
    WA_ERR_TRAP_EXIT = 40,       /* proc_exit with a non-zero status */
    WA_ERR_TRAP_HOST = 41,       /* a host function failed */
    WA_ERR_TRAP_OTHER = 42,

    /* OTA bundles (ota/FORMAT.md) */
    WA_ERR_BAD_SIGNATURE = 48, /* signature or module hash does not verify */
    WA_ERR_UNTRUSTED_KEY = 49, /* signed by a key the device does not trust */
    WA_ERR_WRONG_BOARD = 50,   /* the bundle is not for this board */
    WA_ERR_ROLLBACK = 51,      /* security counter below the installed app's */
    WA_ERR_UNSIGNED = 52,      /* a bare module where the device installs bundles only */

    WA_ERR_COUNT_ /* not a code: one past the highest */
};

#endif /* WA_ERR_H */
