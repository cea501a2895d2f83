"""The payloads of the ``deploy`` and ``job`` commands (docs/mqtt.md, "Deploying
through a gateway"), both ways: what a client sends in ``args`` and what the
gateway answers in ``result``. Topics are built by :mod:`.topics`; this module is
the rest of that format.

``deploy`` with a :class:`DeploySpec` (no ``off``) begins or finds a deploy job;
``deploy`` with a :class:`Chunk` (``off`` and base64 ``data``) carries bytes;
``job`` with :class:`JobQuery` follows the job. Every answer is the job as the
gateway has it (:class:`JobView`). Malformed ``args`` are a UsageError.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from ..boards import KV_QUOTA_MAX
from ..capabilities import grant_mask
from ..errors import UsageError
from ..smp.app_names import version_problem
from .topics import WireError

CHUNK_BYTES = 32 * 1024  # module bytes per chunk the CLI sends (44 KiB of JSON)
CHUNK_MAX = 64 * 1024  # the most a gateway takes in one chunk
WAIT_MAX = 5.0  # seconds a ``job`` request may wait for a change (under a client's 10 s)
Phase = Literal["receiving", "queued", "checking", "uploading", "trial", "done"]
PHASES: tuple[Phase, ...] = ("receiving", "queued", "checking", "uploading", "trial", "done")
DEVICE_PHASES: tuple[Phase, ...] = ("queued", "checking", "uploading", "trial")
_DEPLOY_ID = re.compile(r"d-[0-9a-f]{12}")
_SHA = re.compile(r"[0-9a-f]{64}")


def _get(args: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = ...,
         ) -> Any:
    """``args[key]`` of type ``kind`` (a bool is not an int here); ``default`` when it
    is missing or null (none given: UsageError)."""
    if args.get(key) is None:
        if default is ...:
            raise UsageError(f"the command needs args.{key}")
        return default
    value, kinds = args[key], kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise UsageError(f"args.{key} has the wrong type: {value!r}")
    return value


def _count(args: dict[str, Any], key: str) -> int:
    value: int = _get(args, key, int)
    if value < 0:
        raise UsageError(f"args.{key} must be >= 0, not {value}")
    return value


def deploy_of(args: dict[str, Any]) -> str:
    """``args.deploy``, a deploy id: ``d-`` and 12 lowercase hex digits."""
    value: str = _get(args, "deploy", str)
    if not _DEPLOY_ID.fullmatch(value):
        raise UsageError(f"args.deploy {value!r} is not a deploy id (d- and 12 hex digits)")
    return value


@dataclass(frozen=True)
class DeploySpec:
    """What a deploy is: the first ``deploy`` request. ``version``: the app's version
    (a bundle's: its manifest's; a module's: what its upload carries, None: none);
    ``grants``: a module's capabilities (None: all, the device's default; a bundle
    carries its own); ``kv_quota``: a module's storage quota in bytes (None, or absent
    from an older client's job: the board's default). ``file`` is the client's name
    for the bytes (in messages); ``board`` the board the client expects (None: the
    device's)."""

    deploy: str
    name: str
    len: int
    sha256: str  # hex, of all the bytes
    bundle: bool = False
    version: str | None = None
    start: bool = True
    wait: bool = True
    timeout: float | None = None
    ram_check: bool = True
    framing: str = "auto"
    file: str = ""
    board: str | None = None
    grants: list[str] | None = None
    kv_quota: int | None = None

    def to_args(self) -> dict[str, Any]:
        return asdict(self)

    def same(self, other: DeploySpec) -> bool:
        """The same deploy with the same options (``file`` and ``board`` aside: they
        only name the bytes and check the device)."""
        return replace(self, file="", board=None) == replace(other, file="", board=None)

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> DeploySpec:
        sha = _get(args, "sha256", str)
        if not _SHA.fullmatch(sha) or deploy_of(args) != f"d-{sha[:12]}":
            raise UsageError(f"args.sha256 {sha!r}: 64 lowercase hex digits, whose first 12 "
                             "are the deploy id's")
        timeout = _get(args, "timeout", (int, float), None)
        return cls(deploy_of(args), _get(args, "name", str), _count(args, "len"), sha,
                   _get(args, "bundle", bool, False), _version(args),
                   _get(args, "start", bool, True), _get(args, "wait", bool, True),
                   float(timeout) if timeout is not None else None,
                   _get(args, "ram_check", bool, True), _get(args, "framing", str, "auto"),
                   _get(args, "file", str, ""), _get(args, "board", str, None),
                   _grants(args), _kv_quota(args))


def _version(args: dict[str, Any]) -> str | None:
    """``args.version``: an app version as a direct deploy's upload carries it."""
    version: str | None = _get(args, "version", str, None)
    problem = None if version is None else version_problem(version)
    if problem is not None:
        raise UsageError(f"args.version {version!r} {problem}")
    return version


def _grants(args: dict[str, Any]) -> list[str] | None:
    """``args.grants``: capability names (UsageError naming an unknown one)."""
    grants: list[Any] | None = _get(args, "grants", list, None)
    if grants is None:
        return None
    if not all(isinstance(g, str) for g in grants):
        raise UsageError(f"args.grants must be a list of capability names: {grants!r}")
    grant_mask(grants)
    return grants


def _kv_quota(args: dict[str, Any]) -> int | None:
    """``args.kv_quota``: bytes of key-value storage, 1 to KV_QUOTA_MAX."""
    quota: int | None = _get(args, "kv_quota", int, None)
    if quota is not None and not 1 <= quota <= KV_QUOTA_MAX:
        raise UsageError(f"args.kv_quota must be 1 to {KV_QUOTA_MAX} bytes: {quota!r}")
    return quota


@dataclass(frozen=True)
class Chunk:
    """Bytes ``off`` .. ``off + len(data)`` of a deploy."""

    deploy: str
    off: int
    data: bytes

    def to_args(self) -> dict[str, Any]:
        return {"deploy": self.deploy, "off": self.off,
                "data": base64.b64encode(self.data).decode()}

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Chunk:
        try:
            data = base64.b64decode(_get(args, "data", str), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UsageError(f"args.data is not base64: {exc}") from None
        if not 0 < len(data) <= CHUNK_MAX:
            raise UsageError(f"a chunk carries 1 to {CHUNK_MAX} bytes, not {len(data)}")
        return cls(deploy_of(args), _count(args, "off"), data)


def is_chunk(args: dict[str, Any]) -> bool:
    return "off" in args


@dataclass(frozen=True)
class JobQuery:
    """``job``: the job now, or once its ``rev`` is above ``after`` (waiting at most
    ``wait`` seconds, :data:`WAIT_MAX`)."""

    deploy: str
    after: int = -1
    wait: float = 0.0

    def to_args(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> JobQuery:
        wait = float(_get(args, "wait", (int, float), 0.0))
        if not 0 <= wait <= WAIT_MAX:
            raise UsageError(f"args.wait must be 0 to {WAIT_MAX:g} s, not {wait:g}")
        return cls(deploy_of(args), int(_get(args, "after", int, -1)), wait)


@dataclass(frozen=True)
class JobView:
    """A deploy job as the gateway answers it. ``rev`` grows with every change a
    client would show (phase, bytes received, trial figures, the end); ``sent`` is
    the device's upload offset while ``uploading``; ``status`` the app's last status
    on trial (AppStatus.as_dict); at ``done``, ``report`` (DeployReport.as_dict) and
    ``error`` (as a command error) say how it ended."""

    deploy: str
    device: str
    name: str
    len: int
    received: int
    phase: Phase
    rev: int = 0
    sent: int = 0
    status: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    error: WireError | None = None

    def to_result(self) -> dict[str, Any]:
        return {"job": asdict(self)}

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> JobView:
        """The job in a gateway's answer (KeyError, TypeError or ValueError when it is
        not one)."""
        d = dict(result["job"])
        if d["phase"] not in PHASES:
            raise ValueError(f"unknown job phase {d['phase']!r}")
        error = d.get("error")
        d["error"] = WireError(**error) if error is not None else None
        return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})
