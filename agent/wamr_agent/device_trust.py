"""Whether the device trusts a bundle's signing key, checked before `deploy` (or a
gateway's deploy job) sends a byte of it. The device status lists the ids of the
keys its firmware trusts (``kids``: its TRUSTED_KEYS); a bundle signed by any
other key would be refused by the device only once the whole bundle is uploaded
(``wa_bundle_verify``), so it is refused here instead, with the device's error
(SignatureError, UNTRUSTED_KEY, exit 13) and the same hint.

A device whose status does not list its keys (older firmware) is not checked
here: it still refuses such a bundle itself, after the upload. A module (no
bundle) names no key: a device built with REQUIRE_SIGNED, or one holding the
app from a signed bundle, refuses it at the upload's first chunk (UNSIGNED).
"""

from __future__ import annotations

from .agent_err import AgentErr
from .errors import SignatureError
from .payload import Payload
from .smp.app_errors import TRUSTED_KEYS_HINT
from .smp.app_results import DeviceStatus


def check_signer(status: DeviceStatus, app: str, payload: Payload) -> None:
    """SignatureError (UNTRUSTED_KEY) when ``payload`` is a bundle signed by a key
    the device's status says it does not trust; nothing when it trusts it, when
    the payload is a module, or when the status does not say."""
    if payload.kid is None or status.kids is None or payload.kid.hex() in status.kids:
        return
    err = AgentErr.UNTRUSTED_KEY
    trusted = ", ".join(status.kids) or "no key"
    raise SignatureError(f"{app}: not sent: the bundle is signed by key {payload.kid.hex()}, "
                         f"which the device does not trust: it trusts {trusted} "
                         f"({TRUSTED_KEYS_HINT}) (WA_ERR_{err.name}, {err.value})", err)
