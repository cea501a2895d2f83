"""OTA bundles in Python (agent/wamr_agent/ota): the shared test vectors, the
builder's round trip, keys. The C verifier runs the same vectors
(tests/crosscompile/test_bundle_c.py)."""

from __future__ import annotations

import importlib.util
import stat
from pathlib import Path

import pytest

from wamr_agent.agent_err import AgentErr
from wamr_agent.errors import InputError, UsageError, WamrAgentError
from wamr_agent.ota import (
    build_bundle,
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
    assert load_secret_key(secret) == pair and load_public_key(public) == pair.public
    with pytest.raises(UsageError, match="not overwriting a secret key"):
        new_key_pair().save(tmp_path / "dev")
    public.write_text("not hex\n")
    with pytest.raises(InputError, match="is not a public key"):
        load_public_key(public)
