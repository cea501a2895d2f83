"""Signing keys for bundles: Monocypher EdDSA (edwards25519, BLAKE2b-512), the
same code the firmware verifies with. Stored as one line of hex in a text file:
``NAME.key`` (64-byte secret key, mode 0600) and ``NAME.pub`` (32-byte public key).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import monocypher

from ..errors import InputError, UsageError

SECRET_LEN, PUBLIC_LEN, KID_LEN = 64, 32, 8


def key_id(public_key: bytes) -> bytes:
    """The 8-byte id a manifest names its signing key by."""
    return bytes(monocypher.blake2b(public_key))[:KID_LEN]


@dataclass(frozen=True)
class KeyPair:
    secret: bytes
    public: bytes

    @property
    def kid(self) -> bytes:
        return key_id(self.public)

    def save(self, stem: Path) -> tuple[Path, Path]:
        """Writes STEM.key (0600) and STEM.pub; refuses to overwrite a secret key."""
        secret_path, public_path = stem.with_suffix(".key"), stem.with_suffix(".pub")
        if secret_path.exists():
            raise UsageError(f"{secret_path} exists; not overwriting a secret key")
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.secret.hex() + "\n")
        public_path.write_text(self.public.hex() + "\n")
        return secret_path, public_path


def new_key_pair() -> KeyPair:
    secret, public = monocypher.generate_signing_key_pair()
    return KeyPair(bytes(secret), bytes(public))


def _read_hex(path: Path, length: int, what: str) -> bytes:
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    try:
        data = bytes.fromhex(text)
    except ValueError:
        data = b""
    if len(data) != length:
        raise InputError(f"{path} is not a {what} ({length} bytes as hex on one line)")
    return data


def load_secret_key(path: Path) -> KeyPair:
    secret = _read_hex(path, SECRET_LEN, "secret key")
    public = bytes(monocypher.compute_signing_public_key(secret))
    return KeyPair(secret, public)


def load_public_key(path: Path) -> bytes:
    return _read_hex(path, PUBLIC_LEN, "public key")
