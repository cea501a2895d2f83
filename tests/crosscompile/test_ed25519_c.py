"""firmware/core/crypto/wa_ed25519.c: Ed25519 verification with our SHA-512 and
Monocypher's EdDSA core passes RFC 8032's test vectors (section 7.1: TEST 1, 2,
3, 1024, SHA(abc)) and refuses each with a bit flipped in R, S, the key or the
message, and with a non-canonical S (S + L, L). The vectors file is checked
against `cryptography` first (each secret key gives the public key and, signing
the message, the signature), so a transcription error cannot pass. Built with
the host compiler (also under ASan and UBSan) and for the Cortex-M cores."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import ROOT
from tests.crosscompile.ctools import (
    CORTEX_M,
    HOST_BUILDS,
    TEST_TEXT,
    build_driver,
    build_for_cortex_m,
    fetch_deps,
    host_cc,
    run,
    run_driver,
)

CRYPTO = ROOT / "firmware" / "core" / "crypto"
MONOCYPHER = ROOT / "build" / "deps" / "monocypher"
DRIVER = ROOT / "firmware" / "tests" / "wa_ed25519_test.c"
VECTORS = ROOT / "tests" / "fixtures" / "ed25519" / "rfc8032.txt"
NAMES = ["TEST_1", "TEST_2", "TEST_3", "TEST_1024", "TEST_SHA_abc"]


def vectors() -> list[list[str]]:
    lines = VECTORS.read_text().splitlines()
    return [ln.split() for ln in lines if ln.strip() and not ln.startswith("#")]


def test_the_vectors_are_rfc_8032s() -> None:
    rows = vectors()
    assert [r[0] for r in rows] == NAMES
    for name, secret, public, message, signature in rows:
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        msg = b"" if message == "-" else bytes.fromhex(message)
        assert raw.hex() == public and key.sign(msg).hex() == signature, name
    assert len(bytes.fromhex(rows[3][3])) == 1023


@pytest.mark.parametrize("flags", HOST_BUILDS.values(), ids=HOST_BUILDS.keys())
def test_c_check_passes_rfc_8032(flags: list[str], tmp_path: Path) -> None:
    fetch_deps("monocypher")
    cc = host_cc()
    mono = tmp_path / "monocypher.o"
    build = run([cc, *flags, "-w", "-c", MONOCYPHER / "monocypher.c", "-o", mono])
    assert build.returncode == 0, build.stderr
    exe = build_driver(tmp_path / "wa_ed25519_test",
                       [DRIVER, TEST_TEXT, CRYPTO / "wa_ed25519.c", CRYPTO / "wa_sha512.c", mono],
                       [*flags, f"-I{CRYPTO}", f"-I{MONOCYPHER}"])
    out = run_driver(exe, VECTORS)
    for name in NAMES:
        assert f"ok   {name} " in out
    # 6 refusals a vector, 5 for the empty message of TEST 1
    assert "5 vectors checked, 29 refusals checked, 0 failures" in out


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    fetch_deps("monocypher")
    build_for_cortex_m(cpu, CRYPTO / "wa_ed25519.c", tmp_path, [f"-I{MONOCYPHER}"])
