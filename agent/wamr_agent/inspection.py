"""`wamr-agent inspect`: what a module imports, exports and needs, and
whether it fits a board (the verdict comes from the device runtime's own
checks, so host and device agree)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .aot.section import aot_sections
from .boards import Board, load_board
from .capabilities import CAPABILITIES
from .errors import BoardError, FitError, LinkError, WamrAgentError
from .pywamr import Module, Runtime
from .pywamr.module import PAGE, Extern


@dataclass(frozen=True)
class Verdict:
    fits: bool
    reasons: list[str] = field(default_factory=list)
    exit_code: int = 0  # why not, as `run` and `deploy` exit: 4 board, 5 fit, 6 an import

    @property
    def label(self) -> str:
        """``fits``, ``does not fit`` or (its imports) ``refused``."""
        return "fits" if self.fits else (
            "refused" if self.exit_code == LinkError.exit_code else "does not fit")

    def error(self, text: str) -> WamrAgentError:
        """The exception `deploy` raises for this verdict, with ``text``."""
        return refusal(self.exit_code, text)


def refusal(exit_code: int, text: str) -> WamrAgentError:
    """The error of a check that failed with ``exit_code``, as `run` and `deploy`
    raise it: BoardError (4), LinkError (6), else FitError (5)."""
    return {BoardError.exit_code: BoardError, LinkError.exit_code: LinkError}.get(
        exit_code, FitError)(text)


@dataclass(frozen=True)
class InspectReport:
    path: str
    board: str
    size: int
    imports: list[Extern]
    exports: list[Extern]
    capabilities: list[str]
    initial_memory: int
    max_memory: int | None
    static_memory: int
    device_memory: int  # the linear memory a device gives it (shrunk, or its pages)
    device_memory_note: str  # why it is (not) shrunk
    budget: dict[str, int]
    verdict: Verdict
    aot: list[dict[str, Any]]  # its AOT sections: cpu, offset (of the code), bytes

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def needed_capabilities(board: Board, module: Module) -> list[str]:
    """Capabilities without which the runtime refuses one of the module's imports
    (asked of the runtime itself, one capability withheld at a time); and config
    for a module exporting on_config, which a device delivers only with that grant
    (docs/config.md)."""
    needed = []
    for name in CAPABILITIES:
        others = [c for c in CAPABILITIES if c != name]
        try:
            Runtime(board, grants=others).check(module)
        except LinkError as exc:
            if f"capability '{name}'" in str(exc):
                needed.append(name)
        except FitError:
            pass
    if module.export("on_config") and "config" not in needed:
        needed.append("config")  # the last of CAPABILITIES: the order stays theirs
    return needed


def verdict_for(board: Board, module: Module, grants: list[str] | None) -> Verdict:
    if not board.supported:
        return Verdict(False, [board.unsupported_reason or "board unsupported"],
                       BoardError.exit_code)
    try:
        Runtime(board, grants=grants).check(module)
    except (FitError, LinkError) as exc:
        return Verdict(False, [str(exc)], exc.exit_code)
    return Verdict(True)


def inspect_module(path: str | Path, board_name: str,
                   grants: list[str] | None = None) -> InspectReport:
    board = load_board(board_name)
    module = Module.from_file(path)
    info = module.info
    caps: list[str] = []
    if board.supported:
        caps = needed_capabilities(board, module)
    max_mem = None if info.max_pages is None else info.max_pages * PAGE
    return InspectReport(
        path=str(path), board=board.name, size=info.size, imports=info.imports,
        exports=info.exports, capabilities=caps, initial_memory=info.initial_pages * PAGE,
        max_memory=max_mem, static_memory=info.static_memory_bytes,
        device_memory=info.linear_memory, device_memory_note=info.shrink_note,
        budget=asdict(board.budget), verdict=verdict_for(board, module, grants),
        aot=aot_listing(Path(path).read_bytes()))


def aot_listing(module: bytes) -> list[dict[str, Any]]:
    """The module's AOT sections (docs/aot.md), as inspect and bundle show list them."""
    return [{"cpu": s.cpu, "offset": s.offset, "bytes": len(s.blob)}
            for s in aot_sections(module)]
