#!/usr/bin/env python3
"""Writes ota/vectors/vectors.txt: bundles and the verdict FORMAT.md requires
of a verifier (key ota/vectors/test.pub, board mps2-an386). Deterministic:
Ed25519 signatures depend only on key and message, so re-running it reproduces
the file, which a test checks. Run: .venv/bin/python ota/vectors/make_vectors.py
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import cbor2
import wasmtime

from wamr_agent.ota.bundle import HEAD, MAGIC, SIG_LEN, Health, build_bundle
from wamr_agent.ota.keys import KeyPair, load_secret_key

HERE = Path(__file__).resolve().parent
BOARD = "mps2-an386"
MODULE = bytes(wasmtime.wat2wasm('(module (func (export "loop")))'))
# ok_health_policy's (the C test checks it reads so); every other bundle has the defaults
POLICY = Health(loops=20, traps=1, window_ms=60000, confirm="manual")
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493  # L of edwards25519


def bundle(key: KeyPair, **changes: object) -> bytes:
    fields: dict[str, object] = {"name": "blink", "version": "1.0.0", "seq": 7,
                                 "boards": [BOARD, "esp32"], "caps": ["log", "time"]}
    fields.update(changes)
    return build_bundle(MODULE, key=key, **fields)  # type: ignore[arg-type]


def resign(key: KeyPair, manifest: object, module: bytes = MODULE) -> bytes:
    """A bundle around an arbitrary manifest (the builder would refuse it), signed."""
    return resign_raw(key, cbor2.dumps(manifest, canonical=True), module)


def resign_raw(key: KeyPair, raw: bytes, module: bytes = MODULE) -> bytes:
    """The same around manifest bytes that need not be one well-formed CBOR map."""
    signed = HEAD.pack(MAGIC, len(raw), len(module)) + raw
    return signed + key.sign(signed) + module


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def s_plus_l(data: bytes, sig_at: int) -> bytes:
    """The signature's S replaced by S + L: the same scalar mod L, not canonical
    (RFC 8032 5.1.7 requires a verifier to refuse it)."""
    s_at = sig_at + 32
    s = int.from_bytes(data[s_at:s_at + 32], "little") + GROUP_ORDER
    return data[:s_at] + s.to_bytes(32, "little") + data[s_at + 32:]


def vectors() -> list[tuple[str, str, bytes]]:
    key, other = load_secret_key(HERE / "test.key"), load_secret_key(HERE / "other.key")
    good = bundle(key)
    manifest_len = struct.unpack_from("<I", good, 4)[0]
    sig_at = HEAD.size + manifest_len
    base = cbor2.loads(good[HEAD.size:sig_at])
    without_seq = {k: v for k, v in base.items() if k != "seq"}
    health = base["health"]
    raw = good[HEAD.size:sig_at]
    pairs = b"".join(cbor2.dumps(k) + (b"\x7f" + cbor2.dumps(v) + b"\xff" if k == "name"
                                       else cbor2.dumps(v, canonical=True))
                     for k, v in base.items())
    deep: object = 1
    for _ in range(9):  # the map and nine arrays: ten levels, the limit is eight
        deep = [deep]
    far: object = 1
    for _ in range(200):  # an unknown key nested as deep as the SMP request that reset
        far = [far]       # a board through a recursive skip (issue 10, item 4)
    cases: list[tuple[str, str, Callable[[], bytes]]] = [
        ("ok", "ok", lambda: good),
        ("ok_no_optional_keys", "ok", lambda: resign(key, {k: v for k, v in base.items()
                                                           if k not in ("health", "mem")})),
        ("ok_unknown_key_ignored", "ok", lambda: resign(key, {**base, "future": [1, 2]})),
        ("truncated_header", "MALFORMED", lambda: good[:40]),
        ("bad_magic", "MALFORMED", lambda: b"WAB3" + good[4:]),
        ("version_1_magic", "MALFORMED", lambda: b"WAB1" + good[4:]),
        ("one_byte_short", "MALFORMED", lambda: good[:-1]),
        ("one_byte_long", "MALFORMED", lambda: good + b"\0"),
        ("manifest_len_zero", "MALFORMED", lambda: good[:4] + b"\0\0\0\0" + good[8:]),
        ("manifest_not_a_map", "MALFORMED", lambda: resign(key, ["blink"])),
        ("manifest_not_cbor", "MALFORMED", lambda: resign(key, None)[:HEAD.size] + b"\xff"
                                                   + resign(key, None)[HEAD.size + 1:]),
        ("missing_seq", "MALFORMED", lambda: resign(key, without_seq)),
        ("seq_is_text", "MALFORMED", lambda: resign(key, {**base, "seq": "7"})),
        ("name_too_long", "MALFORMED", lambda: resign(key, {**base, "name": "n" * 33})),
        ("name_with_nul", "MALFORMED", lambda: resign(key, {**base, "name": "bl\0nk"})),
        ("name_indefinite_length", "MALFORMED",
         lambda: resign_raw(key, bytes([0xA0 + len(base)]) + pairs)),
        ("seq_twice", "MALFORMED",
         lambda: resign_raw(key, bytes([raw[0] + 1]) + raw[1:] + cbor2.dumps("seq")
                            + cbor2.dumps(8))),
        ("byte_after_the_map", "MALFORMED", lambda: resign_raw(key, raw + b"\x00")),
        ("nested_too_deep", "MALFORMED", lambda: resign(key, {**base, "future": deep})),
        ("nested_far_too_deep", "MALFORMED", lambda: resign(key, {**base, "future": far})),
        ("module_len_differs", "MALFORMED",
         lambda: resign(key, {**base, "module": {**base["module"], "len": len(MODULE) + 1}})),
        ("sha_too_short", "MALFORMED",
         lambda: resign(key, {**base, "module": {**base["module"], "sha256": b"\0" * 31}})),
        ("ok_health_policy", "ok", lambda: bundle(key, health=POLICY)),
        ("ok_health_defaults", "ok", lambda: resign(key, {**base, "health": {}})),
        ("health_confirm_unknown", "MALFORMED",
         lambda: resign(key, {**base, "health": {**health, "confirm": "always"}})),
        ("health_confirm_not_text", "MALFORMED",
         lambda: resign(key, {**base, "health": {**health, "confirm": 1}})),
        ("health_window_negative", "MALFORMED",
         lambda: resign(key, {**base, "health": {**health, "window": -1}})),
        ("health_window_too_big", "MALFORMED",
         lambda: resign(key, {**base, "health": {**health, "window": 1 << 32}})),
        ("untrusted_key", "UNTRUSTED_KEY", lambda: bundle(other)),
        ("kid_of_test_key_signed_by_other", "BAD_SIGNATURE", lambda: resign(other, base)),
        ("signature_flipped", "BAD_SIGNATURE", lambda: flip(good, sig_at + 5)),
        ("signature_s_not_canonical", "BAD_SIGNATURE", lambda: s_plus_l(good, sig_at)),
        ("manifest_flipped", "BAD_SIGNATURE",
         lambda: flip(good, good.index(b"1.0.0") + 4)),  # "1.0.1": still a valid manifest
        ("module_flipped", "BAD_SIGNATURE", lambda: flip(good, len(good) - 2)),
        ("wrong_board", "WRONG_BOARD", lambda: bundle(key, boards=["esp32"])),
        ("unknown_capability", "NOT_SUPPORTED",
         lambda: resign(key, {**base, "caps": ["log", "camera"]})),
    ]
    assert len(good) > HEAD.size + SIG_LEN
    return [(name, expect, make()) for name, expect, make in cases]


def render() -> str:
    lines = ["# ota/vectors/vectors.txt - generated by make_vectors.py; see ota/FORMAT.md.",
             f"# NAME EXPECT HEX; key test.pub, board {BOARD}."]
    lines += [f"{name} {expect} {data.hex()}" for name, expect, data in vectors()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    (HERE / "vectors.txt").write_text(render())
