"""`wamr-agent bundle build`: a module checked for every target board, then
bundled with the manifest those checks fill in (capabilities it needs, memory,
entry points) and signed; with ``aot``, AOT code for each target CPU the
compiler supports is carried in the module (docs/aot.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..boards import load_board
from ..capabilities import grant_mask
from ..errors import LinkError, UsageError
from ..inspection import inspect_module
from .bundle import build_bundle
from .files import write_output
from .health import Health
from .keys import KeyPair

ENTRY_POINTS = ("setup", "loop", "_start")


@dataclass(frozen=True)
class PackReport:
    path: str
    name: str
    version: str
    seq: int
    boards: list[str]
    caps: list[str]
    module_bytes: int
    bundle_bytes: int
    kid: str
    aot: dict[str, int] = field(default_factory=dict)  # cpu: blob bytes
    no_aot: list[str] = field(default_factory=list)  # boards whose CPU has no AOT


def aot_blobs(module: bytes, boards: list[str]) -> tuple[dict[str, bytes], list[str]]:
    """AOT code for each distinct CPU of boards the compiler supports, and the boards
    left to the interpreter. UsageError when no board's CPU is supported; AotError
    when the compiler refuses the module."""
    from ..aot import CPUS, AotError, compile_module

    cpus = {board: load_board(board).cpu for board in boards}
    left = [board for board, cpu in cpus.items() if cpu not in CPUS]
    wanted = sorted({cpu for cpu in cpus.values() if cpu in CPUS})
    if not wanted:
        raise UsageError(f"AOT (--aot, aot = true): no AOT code generation for the CPU "
                         f"of {', '.join(boards)} (supported: {', '.join(CPUS)})")
    blobs = {}
    for cpu in wanted:
        try:
            blobs[cpu] = compile_module(module, cpu).data
        except AotError as exc:
            raise AotError(f"no AOT code for {cpu}: {exc}; without --aot (aot = false) the "
                           "bundle runs it interpreted", output=exc.output) from None
    return blobs, left


def pack(module_path: Path, out: Path | None, *, key: KeyPair, version: str, seq: int,
         boards: list[str], name: str | None = None, grants: list[str] | None = None,
         health: Health | None = None, kv_quota: int | None = None,
         aot: bool = False) -> PackReport:
    """Checks the module against each board (validation, fit, imports), then writes
    the signed bundle (default: NAME-VERSION.wab next to the module), with AOT code
    for the boards' CPUs when ``aot`` (aot_blobs)."""
    if not boards:
        raise UsageError("name at least one target board (--board)")
    if grants is not None:
        grant_mask(grants)  # unknown names: UsageError
    needed: set[str] = set()
    linear = 0
    entry: list[str] = []
    for board in boards:
        report = inspect_module(module_path, board)  # grants are checked below
        if not report.verdict.fits:
            v = report.verdict
            how = "is refused for" if v.exit_code == LinkError.exit_code else "does not fit"
            raise v.error(f"{module_path} {how} {board}: " + "; ".join(v.reasons))
        needed.update(report.capabilities)
        linear = max(linear, report.initial_memory)
        entry = [e.name for e in report.exports if e.kind == "func" and e.name in ENTRY_POINTS]
    caps = sorted(needed) if grants is None else grants
    missing = sorted(needed - set(caps))
    if missing:
        raise LinkError(f"{module_path} imports need {', '.join(missing)}, "
                        "which --grant leaves out")
    app = name or module_path.stem
    module = module_path.read_bytes()
    blobs, left = aot_blobs(module, boards) if aot else ({}, [])
    data = build_bundle(module, name=app, version=version, seq=seq, boards=boards, caps=caps,
                        key=key, mem={"linear": linear}, entry=entry, health=health,
                        kv_quota=kv_quota, aot=blobs)
    target = out or module_path.with_name(f"{app}-{version}.wab")
    write_output(target, data, "bundle")
    return PackReport(str(target), app, version, seq, boards, caps, len(module), len(data),
                      key.kid.hex(), {cpu: len(b) for cpu, b in blobs.items()}, left)
