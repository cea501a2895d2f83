"""OTA bundles (ota/FORMAT.md): a signed manifest and a wasm module in one file.

``bundle``: build, parse and verify bundles; ``keys``: Ed25519 signing keys (PEM);
``health``: a version's trial policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from .health import Health

if TYPE_CHECKING:
    from .bundle import Bundle, Manifest, build_bundle, parse_bundle, verify_bundle
    from .keys import KeyPair, key_id, load_public_key, load_secret_key, new_key_pair

# cbor2 and cryptography load on first use (wamr_agent._lazy).
__getattr__ = lazy_attributes(__name__, {
    **dict.fromkeys(("Bundle", "Manifest", "build_bundle", "parse_bundle", "verify_bundle"),
                    "bundle"),
    **dict.fromkeys(("KeyPair", "key_id", "load_public_key", "load_secret_key",
                     "new_key_pair"), "keys")})

__all__ = ["Bundle", "Health", "KeyPair", "Manifest", "build_bundle", "key_id",
           "load_public_key", "load_secret_key", "new_key_pair", "parse_bundle",
           "verify_bundle"]
