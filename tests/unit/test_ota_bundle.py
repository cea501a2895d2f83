"""OTA bundles in Python (agent/wamr_agent/ota): the shared test vectors, the
builder's round trip, keys. The C verifier runs the same vectors
(tests/crosscompile/test_bundle_c.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import stat
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import InputError, UsageError, WamrAgentError
from wamr_agent.ota import (
    Health,
    build_bundle,
    key_id,
    load_public_key,
    load_secret_key,
    new_key_pair,
    parse_bundle,
    verify_bundle,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "ota" / "vectors"
BOARD = "mps2-an386"


def load_vectors() -> list[tuple[str, str, bytes]]:
    rows = []
    for line in (VECTORS / "vectors.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, expect, data = line.split()
            rows.append((name, expect, bytes.fromhex(data)))
    return rows


@pytest.mark.parametrize(("name", "expect", "data"), load_vectors(),
                         ids=[v[0] for v in load_vectors()])
def test_vector(name: str, expect: str, data: bytes) -> None:
    trusted = [load_public_key(VECTORS / "test.pub")]
    if expect == "ok":
        bundle = verify_bundle(data, trusted, BOARD)
        assert (bundle.manifest.name, bundle.manifest.version) == ("blink", "1.0.0")
        assert bundle.manifest.seq == 7 and bundle.module.startswith(b"\0asm")
        policy = Health(20, 1, 60000, "manual") if name == "ok_health_policy" else Health()
        assert bundle.manifest.health == policy
        return
    with pytest.raises(WamrAgentError) as caught:
        verify_bundle(data, trusted, BOARD)
    assert caught.value.code == AgentErr[expect], str(caught.value)
    assert "\n" not in str(caught.value)


def test_vectors_file_is_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.render() == (VECTORS / "vectors.txt").read_text()
    kinds = {expect for _, expect, _ in load_vectors()}
    assert kinds == {"ok", "MALFORMED", "UNTRUSTED_KEY", "BAD_SIGNATURE", "WRONG_BOARD",
                     "NOT_SUPPORTED"}


def test_build_parse_round_trip() -> None:
    key = new_key_pair()
    module = b"\0asm\1\0\0\0" + bytes(100)
    data = build_bundle(module, name="app", version="2.0", seq=9, boards=["esp32"],
                        caps=["log"], key=key, mem={"linear": 65536}, entry=["loop"])
    parsed = verify_bundle(data, [key.public], "esp32")
    m = parsed.manifest
    assert (m.name, m.version, m.seq, m.boards, m.caps) == ("app", "2.0", 9, ("esp32",), ("log",))
    assert (m.mem, m.entry, m.kid) == ({"linear": 65536}, ("loop",), key.kid)
    assert parsed.module == module and parse_bundle(data).signature == parsed.signature
    assert len(data) == len(parsed.signed) + 64 + len(module)


@pytest.mark.parametrize(("changes", "text"), [
    ({"name": ""}, "'name' must be 1 to 32 bytes"),
    ({"version": "v" * 17}, "'version' must be 1 to 16 bytes"),
    ({"boards": []}, "'boards' must list 1 to 16 names"),
    ({"seq": 1 << 32}, "'seq' is not a 32-bit unsigned integer"),
])
def test_builder_refuses_what_a_verifier_would(changes: dict[str, object], text: str) -> None:
    fields: dict[str, object] = {"name": "a", "version": "1", "seq": 1, "boards": ["esp32"],
                                 "caps": [], **changes}
    with pytest.raises(InputError, match=text):
        build_bundle(b"\0asm\1\0\0\0", key=new_key_pair(), **fields)  # type: ignore[arg-type]


def test_keys_save_load_and_refuse_to_overwrite(tmp_path: Path) -> None:
    pair = new_key_pair()
    secret, public = pair.save(tmp_path / "dev")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert secret.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----\n")
    assert load_secret_key(secret) == pair and load_public_key(public) == pair.public
    assert load_public_key(secret) == pair.public  # a private key names its public key
    assert pair.kid == key_id(pair.public) == hashlib.sha256(pair.public).digest()[:8]
    before = secret.read_bytes()
    with pytest.raises(UsageError, match="not overwriting a private key"):
        new_key_pair().save(tmp_path / "dev")
    assert secret.read_bytes() == before


def pem_private(key: ec.EllipticCurvePrivateKey | Ed25519PrivateKey,
                password: bytes = b"") -> bytes:
    crypt = (serialization.BestAvailableEncryption(password) if password
             else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, crypt)


@pytest.mark.parametrize(("content", "loader"), [
    (b"2b695c24bec8429539909f143c77d5476726256500e8e9d1b850ead654b45534" * 2 + b"\n",
     load_secret_key),  # a format 1 (Monocypher hex) key
    (b"01280cdf56ec6dabf040255478abccbddd919156d25e30f9d53235465122b079\n", load_public_key),
    (pem_private(ec.generate_private_key(ec.SECP256R1())), load_secret_key),
    (pem_private(ec.generate_private_key(ec.SECP256R1())), load_public_key),
    (pem_private(Ed25519PrivateKey.generate(), b"pass"), load_secret_key),
    (b"", load_public_key),
], ids=["old-hex-key", "old-hex-pub", "ecdsa-key", "ecdsa-as-pub", "encrypted", "empty"])
def test_other_key_forms_are_refused_in_one_line(content: bytes, loader: object,
                                                 tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        loader(path)  # type: ignore[operator]
    text = str(caught.value)
    assert "\n" not in text and str(path) in text and "wamr-agent bundle keygen" in text
    assert "Ed25519" in text and "PEM" in text


def test_keys_from_cryptography_sign_bundles(tmp_path: Path) -> None:
    """A key written by `cryptography` itself (what an HSM export or a script makes)."""
    private = Ed25519PrivateKey.generate()
    (tmp_path / "k.pem").write_bytes(pem_private(private))
    (tmp_path / "k.pub").write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    data = build_bundle(b"\0asm\1\0\0\0", name="a", version="1", seq=1, boards=["esp32"],
                        caps=[], key=load_secret_key(tmp_path / "k.pem"))
    assert verify_bundle(data, [load_public_key(tmp_path / "k.pub")], "esp32").manifest.seq == 1
    signed = parse_bundle(data)
    private.public_key().verify(signed.signature, signed.signed)  # plain RFC 8032 Ed25519


def test_health_policy_round_trip() -> None:
    key = new_key_pair()
    policy = Health(loops=3, traps=2, window_ms=5000, confirm="manual")
    data = build_bundle(b"\0asm\1\0\0\0", name="a", version="1", seq=1, boards=["esp32"],
                        caps=[], key=key, health=policy)
    m = verify_bundle(data, [key.public]).manifest
    assert m.health == policy
    assert m.as_dict()["health"] == {"loops": 3, "traps": 2, "window": 5000, "confirm": "manual"}
    raw = cbor2.loads(parse_bundle(data).signed[12:])
    assert raw["health"] == {"loops": 3, "traps": 2, "window": 5000, "confirm": "manual"}
    plain = build_bundle(b"\0asm\1\0\0\0", name="a", version="1", seq=1, boards=["esp32"],
                         caps=[], key=key)
    assert parse_bundle(plain).manifest.health == Health()


@pytest.mark.parametrize("policy", [Health(confirm="Manual"), Health(window_ms=-1),
                                    Health(loops=1 << 32)])
def test_builder_refuses_a_bad_health_policy(policy: Health) -> None:
    with pytest.raises(InputError, match="not a valid bundle: manifest") as caught:
        build_bundle(b"\0asm\1\0\0\0", name="a", version="1", seq=1, boards=["esp32"],
                     caps=[], key=new_key_pair(), health=policy)
    assert caught.value.code == AgentErr.MALFORMED
