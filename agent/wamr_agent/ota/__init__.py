"""OTA bundles (ota/FORMAT.md): a signed manifest and a wasm module in one file.

``bundle``: build, parse and verify bundles; ``keys``: Ed25519 signing keys (PEM).
"""

from __future__ import annotations

from .bundle import Bundle, Health, Manifest, build_bundle, parse_bundle, verify_bundle
from .keys import KeyPair, key_id, load_public_key, load_secret_key, new_key_pair

__all__ = ["Bundle", "Health", "KeyPair", "Manifest", "build_bundle", "key_id",
           "load_public_key", "load_secret_key", "new_key_pair", "parse_bundle",
           "verify_bundle"]
