"""Writing what the `bundle` commands make (keys, bundles): a path the command
line named that cannot be written is a UsageError with one line, never an
OSError's traceback."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ..errors import UsageError


def write_output(path: Path, data: bytes, what: str, *, secret: bool = False) -> None:
    """Writes ``data`` to ``path``; ``secret``: mode 0600 and never over an existing
    file. UsageError when it cannot be written (a missing folder, a folder, no
    permission, a full disk)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if secret else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o600 if secret else 0o666)
    except FileExistsError:
        raise UsageError(f"{path} exists; not overwriting a private key") from None
    except OSError as exc:
        raise UsageError(_cannot(path, what, exc)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise UsageError(_cannot(path, what, exc)) from None


def _cannot(path: Path, what: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"cannot write {what} {path}: no such folder {path.parent}"
    return f"cannot write {what} {path}: {exc.strerror or exc}"
