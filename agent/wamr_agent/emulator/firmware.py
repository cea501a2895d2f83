"""The firmware ELF of a board, built on demand with `make firmware BOARD=<board>`.

The build runs from the repository root (found above this file) when the ELF is
missing or older than any firmware source, the Makefile or the board profile. A
lock file serialises concurrent builds (parallel test workers, two CLI calls).
"""

from __future__ import annotations

import fcntl
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..boards import Board
from .errors import EmulatorError, FirmwareBuildError

__all__ = ["BUILD_TIMEOUT", "ensure_firmware", "firmware_path", "needs_build", "repo_root",
           "source_files"]

BUILD_TIMEOUT = 1800.0
_OUTPUT_LINES = 25


def repo_root(start: Path | None = None) -> Path:
    """The wamr-agent source tree this package lives in (Makefile, boards/, firmware/)."""
    here = (start or Path(__file__)).resolve()
    for candidate in here.parents:
        if all((candidate / part).exists() for part in ("Makefile", "boards", "firmware")):
            return candidate
    raise EmulatorError(
        f"the wamr-agent source tree (Makefile, boards/, firmware/) is not above {here}, "
        "so the firmware cannot be built here; pass a built firmware ELF (--firmware)")


def firmware_path(board: str, root: Path) -> Path:
    return root / "build" / "firmware" / board / "firmware.elf"


def source_files(board: Board, root: Path) -> Iterator[Path]:
    """Everything the firmware ELF is built from."""
    yield root / "Makefile"
    yield board.path
    yield from (path for path in (root / "firmware").rglob("*")
                if path.is_file() and "__pycache__" not in path.parts)


def needs_build(elf: Path, sources: Iterable[Path]) -> bool:
    """True when ``elf`` is missing or older than one of ``sources``."""
    if not elf.exists():
        return True
    built = elf.stat().st_mtime
    return any(path.stat().st_mtime > built for path in sources if path.exists())


def ensure_built(board: Board, program: Path, target: str = "firmware") -> Path:
    """``program`` (built by `make <target> BOARD=<board>`), (re)built first when missing
    or out of date."""
    root = repo_root()
    program.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(program.parent.parent / ".build.lock"):
        if needs_build(program, source_files(board, root)):
            _make(root, board.name, target)
    if not program.exists():
        raise FirmwareBuildError(f"`make {target} BOARD={board.name}` succeeded but did not "
                                 f"produce {program}")
    return program


def ensure_firmware(board: Board) -> Path:
    """The board's firmware ELF, (re)built first when missing or out of date."""
    return ensure_built(board, firmware_path(board.name, repo_root()))


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    with path.open("a") as stream:
        fcntl.flock(stream, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(stream, fcntl.LOCK_UN)


def _make(root: Path, board: str, target: str = "firmware") -> None:
    command = ["make", target, f"BOARD={board}"]
    shown = " ".join(command)
    try:
        result = subprocess.run(command, cwd=root, capture_output=True, text=True,
                                timeout=BUILD_TIMEOUT, check=False)
    except FileNotFoundError as exc:
        raise FirmwareBuildError(f"cannot run `{shown}`: make is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise FirmwareBuildError(f"`{shown}` did not finish in {BUILD_TIMEOUT:g} s") from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-_OUTPUT_LINES:]
        raise FirmwareBuildError(f"`{shown}` failed (exit {result.returncode}) in {root}:\n"
                                 + "\n".join(output))
