"""Building, parsing and verifying bundles, as ota/FORMAT.md specifies.

``parse_bundle`` checks the layout and the manifest (steps 1-2 of the spec);
``verify_bundle`` adds the key, the signature, the module hash, the board and
the capabilities (steps 3-7). Every failure raises the package's exception
for its class with the spec's agent_err code and a one-line message.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2

from ..agent_err import AgentErr
from ..aot.section import attach_aot
from ..capabilities import CAPABILITIES
from ..errors import BoardError, InputError, SignatureError
from .cbor_check import ShapeError, check_shape
from .health import Health as Health  # re-exported: its home before health.py
from .keys import KID_LEN, KeyPair, key_id, verify_signature

MAGIC = b"WAB2"
HEAD = struct.Struct("<4sII")  # magic, manifest_len, module_len
SIG_LEN = 64
MANIFEST_MAX = 2048
MODULE_MIN, MODULE_MAX = 8, 16 * 1024 * 1024
NAME_MAX, VERSION_MAX, LIST_MAX = 32, 16, 16  # LIST_MAX: boards, caps, entry
U32_MAX = 0xFFFFFFFF
CONFIRM_MODES = ("auto", "manual")
@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    seq: int
    boards: tuple[str, ...]
    caps: tuple[str, ...]
    module_len: int
    module_sha256: bytes
    kid: bytes
    mem: dict[str, int] | None = None
    entry: tuple[str, ...] | None = None
    health: Health = field(default_factory=Health)
    kv_quota: int | None = None  # key-value bytes; None: the board's default

    def to_cbor(self) -> bytes:
        body: dict[str, Any] = {
            "name": self.name, "version": self.version, "seq": self.seq,
            "boards": list(self.boards), "caps": list(self.caps),
            "module": {"len": self.module_len, "sha256": self.module_sha256},
            "health": self.health.to_cbor_map(),
            "kid": self.kid,
        }
        if self.mem is not None:
            body["mem"] = dict(self.mem)
        if self.entry is not None:
            body["entry"] = list(self.entry)
        if self.kv_quota is not None:
            body["kv_quota"] = self.kv_quota
        return cbor2.dumps(body, canonical=True)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "seq": self.seq,
                "boards": list(self.boards), "caps": list(self.caps),
                "module": {"len": self.module_len, "sha256": self.module_sha256.hex()},
                "mem": self.mem, "entry": list(self.entry) if self.entry else None,
                "health": self.health.to_cbor_map(), "kid": self.kid.hex(),
                "kv_quota": self.kv_quota}


@dataclass(frozen=True)
class Bundle:
    manifest: Manifest
    signed: bytes  # header + manifest: what the signature covers
    signature: bytes
    module: bytes


def build_bundle(module: bytes, *, name: str, version: str, seq: int, boards: list[str],
                 caps: list[str], key: KeyPair, mem: dict[str, int] | None = None,
                 entry: list[str] | None = None, health: Health | None = None,
                 kv_quota: int | None = None, aot: dict[str, bytes] | None = None) -> bytes:
    """A signed bundle; the inputs are checked as a verifier would. ``aot`` maps a
    CPU to its compiled code, attached to the module as custom sections aligned
    where the module lands in the bundle (docs/aot.md)."""
    if not aot:
        return _build(module, name=name, version=version, seq=seq, boards=boards, caps=caps,
                      key=key, mem=mem, entry=entry, health=health, kv_quota=kv_quota)
    base = 0
    while True:  # the module's offset depends on the manifest, which holds its length
        with_aot = attach_aot(module, aot, base)
        data = _build(with_aot, name=name, version=version, seq=seq, boards=boards, caps=caps,
                      key=key, mem=mem, entry=entry, health=health, kv_quota=kv_quota)
        offset = len(data) - len(with_aot)
        if offset == base:
            return data
        base = offset


def _build(module: bytes, *, name: str, version: str, seq: int, boards: list[str],
           caps: list[str], key: KeyPair, mem: dict[str, int] | None, entry: list[str] | None,
           health: Health | None, kv_quota: int | None) -> bytes:
    manifest = Manifest(name=name, version=version, seq=seq, boards=tuple(boards),
                        caps=tuple(caps), module_len=len(module),
                        module_sha256=hashlib.sha256(module).digest(), kid=key.kid, mem=mem,
                        entry=tuple(entry) if entry is not None else None,
                        health=health or Health(), kv_quota=kv_quota)
    encoded = manifest.to_cbor()
    _check_manifest(_decode_manifest(encoded), len(module))  # the builder's own check
    signed = HEAD.pack(MAGIC, len(encoded), len(module)) + encoded
    return signed + key.sign(signed) + module


def _malformed(why: str) -> InputError:
    return InputError(f"not a valid bundle: {why}", AgentErr.MALFORMED)


def parse_bundle(data: bytes) -> Bundle:
    """Layout and manifest checks (FORMAT.md steps 1-2), no signature check."""
    if len(data) < HEAD.size + SIG_LEN:
        raise _malformed(f"{len(data)} bytes is shorter than a bundle's header")
    magic, manifest_len, module_len = HEAD.unpack_from(data)
    if magic != MAGIC:
        raise _malformed(f"magic is {magic!r}, expected {MAGIC!r}")
    if not 1 <= manifest_len <= MANIFEST_MAX:
        raise _malformed(f"manifest length {manifest_len} is outside 1..{MANIFEST_MAX}")
    if not MODULE_MIN <= module_len <= MODULE_MAX:
        raise _malformed(f"module length {module_len} is outside {MODULE_MIN}..{MODULE_MAX}")
    expected = HEAD.size + manifest_len + SIG_LEN + module_len
    if len(data) != expected:
        raise _malformed(f"{len(data)} bytes, but its header says {expected}")
    end = HEAD.size + manifest_len
    manifest = _check_manifest(_decode_manifest(data[HEAD.size:end]), module_len)
    return Bundle(manifest, data[:end], data[end:end + SIG_LEN], data[end + SIG_LEN:])


def verify_bundle(data: bytes, trusted: list[bytes], board: str | None = None) -> Bundle:
    """Every check of FORMAT.md against the trusted public keys (and ``board``)."""
    bundle = parse_bundle(data)
    m = bundle.manifest
    keys = {key_id(k): k for k in trusted}
    public = keys.get(m.kid)
    if public is None:
        raise SignatureError(f"bundle {m.name} {m.version} is signed by key {m.kid.hex()}, "
                             "which is not trusted", AgentErr.UNTRUSTED_KEY)
    if not verify_signature(public, bundle.signature, bundle.signed):
        raise SignatureError(f"bundle {m.name} {m.version}: the signature does not verify",
                             AgentErr.BAD_SIGNATURE)
    if hashlib.sha256(bundle.module).digest() != m.module_sha256:
        raise SignatureError(f"bundle {m.name} {m.version}: the module does not match the "
                             "SHA-256 its manifest signs", AgentErr.BAD_SIGNATURE)
    if board is not None and board not in m.boards:
        raise BoardError(f"bundle {m.name} {m.version} is for {', '.join(m.boards)}, "
                         f"not {board}", AgentErr.WRONG_BOARD)
    unknown = [c for c in m.caps if c not in CAPABILITIES]
    if unknown:
        raise InputError(f"bundle {m.name} {m.version} grants unknown capabilities: "
                         f"{', '.join(unknown)}", AgentErr.NOT_SUPPORTED)
    return bundle


def _decode_manifest(raw: bytes) -> Any:
    try:
        check_shape(raw)
        return cbor2.loads(raw)
    except ShapeError as exc:
        raise _malformed(f"the manifest's CBOR is refused: {exc}") from exc
    except Exception as exc:  # cbor2 raises several types on bad input
        raise _malformed(f"the manifest is not CBOR ({exc})") from exc


def _get(m: dict[Any, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in m:
        raise _malformed(f"the manifest lacks {key!r}")
    value = m[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _malformed(f"manifest {key!r} has the wrong type")
    return value


def _text(m: dict[Any, Any], key: str, limit: int) -> str:
    value: str = _get(m, key, str)
    if not 1 <= len(value.encode()) <= limit or "\0" in value:
        raise _malformed(f"manifest {key!r} must be 1 to {limit} bytes, without NUL")
    return value


def _uint(m: dict[Any, Any], key: str) -> int:
    value: int = _get(m, key, int)
    if not 0 <= value <= U32_MAX:
        raise _malformed(f"manifest {key!r} is not a 32-bit unsigned integer")
    return value


def _texts(m: dict[Any, Any], key: str, low: int, high: int) -> tuple[str, ...]:
    items: list[Any] = _get(m, key, list)
    if not low <= len(items) <= high or not all(isinstance(i, str) and i for i in items):
        raise _malformed(f"manifest {key!r} must list {low} to {high} names")
    return tuple(items)


def _check_manifest(m: Any, module_len: int) -> Manifest:
    if not isinstance(m, dict):
        raise _malformed("the manifest is not a CBOR map")
    module = _get(m, "module", dict)
    sha = _get(module, "sha256", bytes)
    if len(sha) != 32:
        raise _malformed("manifest module.sha256 is not 32 bytes")
    if _uint(module, "len") != module_len:
        raise _malformed(f"manifest module.len differs from the header's {module_len}")
    kid = _get(m, "kid", bytes)
    if len(kid) != KID_LEN:
        raise _malformed(f"manifest 'kid' is not {KID_LEN} bytes")
    health = _health(_get(m, "health", dict)) if "health" in m else Health()
    mem = None
    if "mem" in m:
        raw = _get(m, "mem", dict)
        mem = {k: _uint(raw, k) for k in ("linear", "stack", "heap") if k in raw}
    return Manifest(name=_text(m, "name", NAME_MAX), version=_text(m, "version", VERSION_MAX),
                    seq=_uint(m, "seq"), boards=_texts(m, "boards", 1, LIST_MAX),
                    caps=_texts(m, "caps", 0, LIST_MAX), module_len=module_len,
                    module_sha256=sha, kid=kid, mem=mem,
                    entry=_texts(m, "entry", 0, LIST_MAX) if "entry" in m else None, health=health,
                    kv_quota=_uint(m, "kv_quota") if "kv_quota" in m else None)


def _health(h: dict[Any, Any]) -> Health:
    default = Health()
    confirm = _get(h, "confirm", str) if "confirm" in h else default.confirm
    if confirm not in CONFIRM_MODES:
        raise _malformed(f"manifest health 'confirm' must be one of {', '.join(CONFIRM_MODES)}")
    return Health(loops=_uint(h, "loops") if "loops" in h else default.loops,
                  traps=_uint(h, "traps") if "traps" in h else default.traps,
                  window_ms=_uint(h, "window") if "window" in h else default.window_ms,
                  confirm=confirm)
