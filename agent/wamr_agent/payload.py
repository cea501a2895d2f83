"""What `deploy` sends, checked on the host first: a module (Wasmtime validation
and the device runtime's own fit and import checks for the board), or a signed
bundle (``.wab``, ota/FORMAT.md: its layout, its target boards, and the module
inside with the capabilities its manifest grants; the signature is the device's
to check, and a gateway's, which checks it against the keys it trusts, before it
touches the device). One that fails is never sent."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .agent_err import AgentErr
from .boards import load_board
from .errors import BoardError, InputError, UsageError, WamrAgentError
from .ota.bundle import MAGIC as BUNDLE_MAGIC
from .ota.bundle import parse_bundle, verify_bundle
from .pywamr import Module, Runtime
from .smp.app_names import NAME_MAX, name_problem
from .wasmfile import read_wasm_file


@dataclass(frozen=True)
class Payload:
    """The bytes to upload (a module or a whole bundle) and the module they carry."""

    data: bytes
    bundle: bool
    module: Module
    grants: tuple[str, ...] | None = None  # a bundle's capabilities; None: all
    name: str | None = None  # a bundle's app name
    version: str | None = None  # a bundle's app version
    kv_quota: int | None = None  # a module's storage quota; None: the board's default
    kid: bytes | None = None  # the id of the key that signed a bundle

    @property
    def sha(self) -> bytes:
        """SHA-256 of what is uploaded (the device names the slot by it)."""
        return hashlib.sha256(self.data).digest()


def _checked(label: str, board: str, module: Module,
             grants: list[str] | None = None) -> None:
    try:
        Runtime(board, grants=grants).check(module)
    except WamrAgentError as exc:
        raise type(exc)(f"{label}: not sent, pre-flight check for {board} failed: {exc}",
                        exc.code) from exc


def _not_sent(label: str, exc: WamrAgentError) -> WamrAgentError:
    return type(exc)(f"{label}: not sent: {exc}", exc.code)


def module_preflight(data: bytes, label: str, board: str,
                     grants: list[str] | None = None) -> Module:
    """The validated module, after the device runtime's fit and import checks for
    ``board`` with ``grants`` (None: all); raises (InputError, FitError, LinkError,
    ...) otherwise. ``label`` names the bytes in messages (their file)."""
    module = Module(data, name=label)
    _checked(label, board, module, grants)
    return module


def bundle_payload(data: bytes, label: str, board: str,
                   trusted: list[bytes] | None = None) -> Payload:
    """A bundle's layout, its signature by one of the ``trusted`` public keys (None:
    not checked here, the device checks it), its target boards, and the host
    pre-flight of its module with the capabilities it grants."""
    try:
        m = (verify_bundle(data, trusted) if trusted is not None else parse_bundle(data)).manifest
    except WamrAgentError as exc:
        raise _not_sent(label, exc) from exc
    if load_board(board).name not in m.boards:
        raise BoardError(f"{label}: not sent: the bundle is for {', '.join(m.boards)}, not "
                         f"{board}", AgentErr.WRONG_BOARD)
    module = Module(data[-m.module_len:], name=m.name)
    _checked(label, board, module, list(m.caps))
    return Payload(data, True, module, tuple(m.caps), m.name, m.version, kid=m.kid)


def is_bundle(path: str | Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(BUNDLE_MAGIC)) == BUNDLE_MAGIC
    except OSError:
        return False  # the module pre-flight reports the file


def app_name(path: str | Path, name: str | None) -> str:
    result = name if name is not None else Path(path).stem[:NAME_MAX]
    problem = name_problem(result)
    if problem is not None:
        raise UsageError(f"app name {result!r} {problem} (--name)")
    return result


def read_payload(path: str | Path) -> bytes:
    """The bytes of a module or bundle file (InputError when it cannot be read, or
    is neither)."""
    if not is_bundle(path):
        return read_wasm_file(path)
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc


def check_payload(data: bytes, label: str, board: str, name: str | None,
                  trusted: list[bytes] | None = None, *, version: str | None = None,
                  grants: list[str] | None = None,
                  kv_quota: int | None = None) -> tuple[str, Payload]:
    """The app name and the checked payload for ``data`` (a module or a bundle) from
    file ``label``; ``trusted``: also check a bundle's signature against these keys.
    ``version``, ``grants`` (None: all) and ``kv_quota`` (None: the board's) go with
    a module's upload; a bundle carries its own."""
    if not data.startswith(BUNDLE_MAGIC):
        module = module_preflight(data, label, board, grants)
        return app_name(label, name), Payload(data, False, module,
                                              None if grants is None else tuple(grants),
                                              version=version, kv_quota=kv_quota)
    if version is not None or grants is not None or kv_quota is not None:
        raise UsageError(f"{label} is a bundle: its version, grants and storage quota are "
                         "its manifest's")
    payload = bundle_payload(data, label, board, trusted)
    if name is not None and name != payload.name:
        raise UsageError(f"{label} is a bundle for app {payload.name!r}; --name cannot "
                         "rename it")
    return payload.name or app_name(label, name), payload


def load_payload(path: str | Path, board: str, name: str | None, *,
                 version: str | None = None, grants: list[str] | None = None,
                 kv_quota: int | None = None) -> tuple[str, Payload]:
    """The app name and the checked payload for ``path`` (a module or a bundle)."""
    return check_payload(read_payload(path), str(path), board, name, version=version,
                         grants=grants, kv_quota=kv_quota)
