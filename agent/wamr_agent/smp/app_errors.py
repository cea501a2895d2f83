"""The wasm-app group's error answers as the package's exceptions:
``{"err": {"group": 64, "rc": N}}`` by the shared error code
(:class:`~wamr_agent.agent_err.AgentErr`), ``{"rc": N}`` (MCUmgr's management
layer) as a :class:`ManagementError`. Used by :mod:`wamr_agent.smp.apps`."""

from __future__ import annotations

from collections.abc import Mapping

from ..agent_err import AgentErr
from ..errors import (
    BoardError,
    FitError,
    InputError,
    LinkError,
    LoadError,
    SignatureError,
    TransportError,
    UsageError,
    WamrAgentError,
)

__all__ = ["TRUSTED_KEYS_HINT", "ManagementError", "ResponseError", "coded_refusal", "device_error",
           "management_error", "refusal"]

# MCUmgr's management-layer codes (the `{"rc": N}` answers)
MGMT_RC = {1: "unknown error", 2: "out of memory", 3: "invalid request (EINVAL)",
           4: "timeout", 5: "no entry", 6: "bad state", 7: "message too large (EMSGSIZE)",
           8: "command not supported (ENOTSUP)"}

TRUSTED_KEYS_HINT = ("its firmware's TRUSTED_KEYS; a firmware built by default, as the emulated "
                     "and simulated boards', trusts only the published test key "
                     "ota/vectors/test.pub: sign with ota/vectors/test.key there, or build the "
                     "firmware with TRUSTED_KEYS=YOUR_KEY.pub")
"""What a device trusts, and how to sign for it: the untrusted-key refusal's hint."""

Why = Mapping[AgentErr, str]
"""What an error code means for one command, where it differs from the usual."""


class ManagementError(TransportError):
    """The device's management layer refused a request (an SMP ``rc``)."""

    def __init__(self, message: str, rc: int) -> None:
        super().__init__(message)
        self.rc = rc


class ResponseError(TransportError):
    """An answer that is not the response to the request sent, or that fits none of
    the request's response models. ``body`` is its CBOR map, when it decodes."""

    def __init__(self, message: str, body: object = None) -> None:
        super().__init__(message)
        self.body = body


_BY_CODE: dict[AgentErr, type[WamrAgentError]] = {
    AgentErr.MALFORMED: InputError,
    AgentErr.MODULE_TOO_LARGE: FitError,
    AgentErr.MEMORY_BUDGET: FitError,
    AgentErr.NOT_SUPPORTED: FitError,
    AgentErr.NO_MEMORY: FitError,
    AgentErr.UNKNOWN_IMPORT: LinkError,
    AgentErr.NOT_GRANTED: LinkError,
    AgentErr.IMPORT_TYPE: LinkError,
    AgentErr.NOT_FOUND: UsageError,
    AgentErr.INVALID_ARG: UsageError,
    AgentErr.TOO_LARGE: UsageError,
    AgentErr.LOAD_FAILED: LoadError,
    AgentErr.BAD_SIGNATURE: SignatureError,
    AgentErr.UNTRUSTED_KEY: SignatureError,
    AgentErr.ROLLBACK: SignatureError,
    AgentErr.UNSIGNED: SignatureError,
    AgentErr.WRONG_BOARD: BoardError,
}

_WHY = {AgentErr.NO_MEMORY: "no free app slot", AgentErr.NOT_FOUND: "no such app",
        AgentErr.BAD_STATE: "not in this state: a version of the app is on trial (confirm or "
                            "roll it back first), or it is disabled after a watchdog or "
                            "fault reset",
        AgentErr.MALFORMED: "SHA-256 mismatch after upload",
        AgentErr.MODULE_TOO_LARGE: "module larger than the board's module budget",
        AgentErr.MEMORY_BUDGET: "does not fit the board's memory budget",
        AgentErr.INVALID_ARG: "invalid argument", AgentErr.TOO_LARGE: "name or id too long",
        AgentErr.BAD_SIGNATURE: "the bundle's signature or module hash does not verify",
        AgentErr.UNTRUSTED_KEY: "the bundle is signed by a key the device does not trust "
                                f"({TRUSTED_KEYS_HINT})",
        AgentErr.ROLLBACK: "the bundle's security counter is below one installed for this app "
                           "before (anti-rollback)",
        AgentErr.WRONG_BOARD: "the bundle is not for this board",
        AgentErr.UNSIGNED: "the device takes only signed bundles for this app (firmware built "
                           "with REQUIRE_SIGNED, or the app was installed from a signed bundle "
                           "before): use `wamr-agent bundle build`"}


def refusal(what: str, rc: int, why: Why | None = None) -> WamrAgentError:
    """The exception for a group-64 error code: ``device refused to <what>: ...``;
    ``why`` overrides the usual meaning of a code for this command."""
    try:
        err = AgentErr(rc)
    except ValueError:
        err = AgentErr.UNKNOWN
    text = (why or {}).get(err) or _WHY.get(err, err.name.lower().replace("_", " "))
    cls = _BY_CODE.get(err, WamrAgentError)
    return cls(f"device refused to {what}: {text} (WA_ERR_{err.name}, {rc})", err)


def device_error(action: str, app: str, rc: int) -> WamrAgentError:
    """The exception for a group-64 error code, with a one-line message naming the app."""
    return refusal(f"{action} app {app!r}", rc)


def management_error(what: str, rc: int) -> ManagementError:
    return ManagementError(f"device refused to {what}: SMP rc {rc} "
                           f"({MGMT_RC.get(rc, 'unknown code')})", rc)


def coded_refusal(what: str, body: object, why: Why | None = None) -> WamrAgentError | None:
    """An error answer whose code the models do not know (a newer device's)."""
    if not isinstance(body, dict):
        return None
    err, rc = body.get("err"), body.get("rc")
    if isinstance(err, dict) and isinstance(err.get("rc"), int):
        return refusal(what, err["rc"], why)
    return management_error(what, rc) if isinstance(rc, int) and rc != 0 else None
