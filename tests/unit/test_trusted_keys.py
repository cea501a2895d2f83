"""firmware/tools/gen_trusted_keys.py reads PEM public keys with the standard
library only (it runs with the system python3): the same raw key as
`cryptography` reads, for our keys and for a public key written by
`cryptography`; a private key, an old hex key and another algorithm's public
key are refused in one line naming the file. A device's refusal of an untrusted
key says which keys a firmware trusts by default and how to sign for it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import ROOT, load_tool
from wamr_agent.agent_err import AgentErr
from wamr_agent.ota import load_public_key
from wamr_agent.smp.app_errors import device_error

gen = load_tool("gen_trusted_keys")
VECTORS = ROOT / "ota" / "vectors"
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


@pytest.mark.parametrize("name", ["test.pub", "other.pub"])
def test_reads_the_raw_key_of_a_pem_public_key(name: str) -> None:
    assert gen.read_key(VECTORS / name) == load_public_key(VECTORS / name)


def test_reads_a_key_written_by_cryptography(tmp_path: Path) -> None:
    public = Ed25519PrivateKey.generate().public_key()
    path = tmp_path / "k.pub"
    path.write_bytes(public.public_bytes(serialization.Encoding.PEM, SPKI))
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert gen.read_key(path) == raw


@pytest.mark.parametrize(("content", "why"), [
    ((VECTORS / "test.key").read_bytes(), "is a private key"),
    (b"01280cdf56ec6dabf040255478abccbddd919156d25e30f9d53235465122b079\n",
     "is not an Ed25519 public key in PEM"),
    (ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, SPKI), "is not an Ed25519 public key in PEM"),
    (b"-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n",
     "is not an Ed25519 public key in PEM"),
], ids=["private-key", "old-hex", "ecdsa-p256", "bad-base64"])
def test_refuses_other_forms(content: bytes, why: str, tmp_path: Path) -> None:
    path = tmp_path / "k.pub"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as caught:
        gen.read_key(path)
    message = str(caught.value.code)
    assert message.startswith(f"error: {path} {why}") and "\n" not in message


def test_header_lists_the_keys_and_flags_the_test_key() -> None:
    test, other = gen.read_key(VECTORS / "test.pub"), gen.read_key(VECTORS / "other.pub")
    text = gen.render([other, test], test, require_signed=True)
    assert "#define WA_TRUSTED_KEY_COUNT 2u" in text and "#define WA_TRUSTED_TEST_KEY 1" in text
    assert "#define WA_REQUIRE_SIGNED 1" in text
    assert "{" + ", ".join(f"0x{b:02x}" for b in other) + "}" in text
    kids = [hashlib.sha256(k).digest()[:8] for k in (other, test)]  # the status reports them
    assert "wa_trusted_kids[WA_TRUSTED_KEY_COUNT][8] = {\n" + ",\n".join(
        "    {" + ", ".join(f"0x{b:02x}" for b in kid) + "}" for kid in kids) + "\n};" in text


def test_an_untrusted_key_refusal_says_what_a_default_firmware_trusts() -> None:
    """A new user's first AOT deploy to an emulated board signs with a key of
    their own (`bundle keygen`): the one line says what to sign with."""
    err = device_error("upload", "probe", AgentErr.UNTRUSTED_KEY)
    assert str(err).startswith("device refused to upload app 'probe': the bundle is signed by "
                               "a key the device does not trust (its firmware's TRUSTED_KEYS;")
    assert "ota/vectors/test.pub" in str(err) and "sign with ota/vectors/test.key" in str(err)
    assert "TRUSTED_KEYS=YOUR_KEY.pub" in str(err)  # the way for a key of one's own
    assert "\n" not in str(err) and err.exit_code == 13
