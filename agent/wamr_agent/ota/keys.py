"""Signing keys for bundles: Ed25519 (RFC 8032), in the PEM files OpenSSL, MCUboot's
imgtool and ``cryptography`` write: ``NAME.key`` a PKCS#8 private key (mode 0600)
and ``NAME.pub`` a SubjectPublicKeyInfo public key. A key is named in a manifest
by its id: the first 8 bytes of the SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..errors import InputError
from .files import write_output

SEED_LEN, PUBLIC_LEN, KID_LEN = 32, 32, 8
NEW_KEY_HINT = "make a new key with `wamr-agent bundle keygen`"
_RAW = serialization.Encoding.Raw


def key_id(public_key: bytes) -> bytes:
    """The 8-byte id a manifest names its signing key by."""
    return hashlib.sha256(public_key).digest()[:KID_LEN]


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature of ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class KeyPair:
    seed: bytes  # the 32-byte Ed25519 private key (RFC 8032's secret key)
    public: bytes

    @property
    def kid(self) -> bytes:
        return key_id(self.public)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    def save(self, stem: Path) -> tuple[Path, Path]:
        """Writes STEM.key (PKCS#8 PEM, 0600) and STEM.pub (SubjectPublicKeyInfo PEM);
        refuses to overwrite a private key."""
        secret_path, public_path = stem.with_suffix(".key"), stem.with_suffix(".pub")
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        pem = private.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        write_output(secret_path, pem, "private key", secret=True)
        write_output(public_path, private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            "public key")
        return secret_path, public_path


def new_key_pair() -> KeyPair:
    return _pair(Ed25519PrivateKey.generate())


def _pair(private: Ed25519PrivateKey) -> KeyPair:
    return KeyPair(private.private_bytes(_RAW, serialization.PrivateFormat.Raw,
                                         serialization.NoEncryption()),
                   private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc


def _private(data: bytes) -> Ed25519PrivateKey | None:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (TypeError, ValueError, UnsupportedAlgorithm):  # TypeError: encrypted
        return None
    return key if isinstance(key, Ed25519PrivateKey) else None


def load_secret_key(path: Path) -> KeyPair:
    """An Ed25519 private key from a PEM file (PKCS#8, unencrypted)."""
    return secret_key_from_pem(_read(path, "private key"), str(path))


def secret_key_from_pem(data: bytes, label: str) -> KeyPair:
    """An Ed25519 private key from PEM text (PKCS#8, unencrypted); ``label`` names
    where it came from in the error (a file, an environment variable)."""
    private = _private(data)
    if private is None:
        raise InputError(f"{label} is not an unencrypted Ed25519 private key in PEM "
                         f"(PKCS#8); {NEW_KEY_HINT}")
    return _pair(private)


def load_public_key(path: Path) -> bytes:
    """The raw public key from a PEM file: a SubjectPublicKeyInfo public key, or a
    private key (its public half)."""
    data = _read(path, "public key")
    key: object
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        private = _private(data)
        key = private.public_key() if private is not None else None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path} is not an Ed25519 public key in PEM (SubjectPublicKeyInfo) "
                         f"or private key; {NEW_KEY_HINT}")
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)
