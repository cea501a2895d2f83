"""Pre-flight against what runs on the device: before `deploy` sends a byte of
the module, it asks the device for its free RAM, its free slots and the apps
holding RAM, and refuses an app that fits the board alone but not beside them.

**The RAM estimate** is what loading the module takes on the device, measured by
loading it in the device's own runtime on the host (pywamr: the same C code,
wasm3 with the same flags, the board's budget and the app's grants):

- ``pool``: the peak of the app's accounting heap during load (``wa_heap``:
  wasm3's runtime and module structures, the compiled code, linear memory at
  its initial size, the wasm stack). The device reports the same figure as the
  app's ``mem_hw`` once it runs.
- ``allowance``: what the device's allocator spends beside the pool: the
  ``wa_app_t`` outside the pool and a header per engine block. 2 KiB plus an
  eighth of the engine's part of the pool (the pool less linear memory and
  stack, where the blocks are).

- ``module_copy``: a copy of the module the runtime makes in RAM to load it, as
  the host's load of it shows (the same code decides): only for a module the
  engine refuses as it is, valid as it is (a memory section with no entries,
  element segments that change nothing), which loads through the metering
  rewrite. 0 otherwise: the device runs the module in place from its slot.

**AOT code** (docs/aot.md): a signed bundle with AOT code the board's firmware
runs (the first section named for the board's CPU, aligned, of this ABI and
CPU; a CPU the compiler has no code for runs no AOT code, ``aot.ram``) is
estimated as the device's loader allocates it instead, from the blob's header:
``pool`` is the one block it takes from the app's heap (its state, data image
and bss, import table, instance, tables, and the linear memory: its size at
load, shrunk or not, or for a memory that grows the pages its maximum and the
board's linear memory budget allow, which it reserves at load); the device
reports the same figure as ``mem_hw``. A memory that grows steps down to the
pages the heap has, to its size at load: ``least`` is the pool then, and what
must be free. No module copy (AOT code runs in place and needs no metered
image), the allowance as above (the block is the engine's part).
The device status says which AOT ABI its firmware runs (``aot_abi``): a firmware
that runs none (a simulated board's, whatever its CPU), or another ABI, runs
the bundle's module interpreted, and the interpreter's estimate is checked
instead (``need_on``); a device that does not say is taken to run what its
board's firmware runs.

Not included: what ``setup``/``_start`` and later calls add (``memory.grow``),
which the board's pool budget bounds instead, and heap fragmentation. The
runtime is compiled for this host: on the 64-bit simulated boards the pool is
the device's figure to the byte; a 32-bit MCU's engine structures and compiled
code are smaller (pointers), so there it is an upper bound (mps2-an386: the
sensor example 93,403 bytes on the device against 101,515 here).

**Free RAM** is the device status's ``heap_free``; for an update the version of
that name that runs stops while the new one is on trial, so its RAM (the list's
``mem``, or from a device without it the app status's ``mem_hw``) counts as free.
**Slots**: a new name needs a free slot (``free_slots``, or from a device
without it the slots less the installed apps and the one kept for updates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .aot.blob import ABI
from .aot.ram import AotRam, runnable_blob
from .boards import load_board
from .errors import FitError, WamrAgentError
from .payload import Payload
from .pywamr import Host, Module, Runtime
from .smp.app_results import AppInfo, DeviceStatus
from .smp.apps import AppClient

ALLOWANCE_BYTES = 2048
ALLOWANCE_SHARE = 8  # one eighth of the engine's part of the pool


@dataclass(frozen=True)
class RamEstimate:
    """The RAM an app needs to load on the device (see the module docstring)."""

    pool: int  # peak of the app's accounting heap during load
    engine: int  # the part of `pool` that is neither linear memory nor stack
    allowance: int  # the allocator's headers and the app's struct, outside the pool
    module_copy: int = 0  # a copy in RAM the runtime makes to load it (rarely: see above)
    aot: str | None = None  # the CPU whose AOT code the device runs; None: interpreted
    least: int | None = None  # a memory that grows: the pool stepped down to its size at load

    @property
    def total(self) -> int:
        return self.pool + self.allowance + self.module_copy

    @property
    def needed(self) -> int:
        """What must be free to load it: the total, or with the least pool."""
        pool = self.pool if self.least is None else self.least
        return pool + self.allowance + self.module_copy


class _Quiet(Host):
    """A host that prints nothing (an ``_initialize`` may log while it loads)."""

    def log(self, stream: str, text: str) -> None:
        pass

    def telemetry(self, key: str, value: float) -> None:
        pass

    def sleep_ms(self, ms: int) -> None:
        pass


def estimate_ram(path: str | Path, board: str, module: Module,
                 grants: tuple[str, ...] | None = None) -> RamEstimate:
    """Loads ``module`` as the device would (``grants``: None for all) and measures
    it, the copy of it the runtime makes included (rarely: ``module_copy``). The
    runtime's exception when it does not load within the board's budget."""
    try:
        with Runtime(board, grants=grants).instantiate(module, _Quiet()) as app:
            stats = app.stats()
    except WamrAgentError as exc:
        raise type(exc)(f"{path}: not sent: it does not load in {board}'s runtime: {exc}",
                        exc.code) from exc
    engine = max(0, stats.heap_peak - stats.linear_memory - stats.stack)
    return RamEstimate(stats.heap_peak, engine, ALLOWANCE_BYTES + engine // ALLOWANCE_SHARE,
                       stats.module_ram)


def estimate_payload(label: str | Path, board: str, payload: Payload) -> RamEstimate:
    """The RAM ``payload`` needs on ``board``: its AOT code's when it is a signed
    bundle with AOT code the board runs (:func:`estimate_aot`), else the
    interpreter's (:func:`estimate_interpreted`)."""
    cpu, module = load_board(board).cpu, payload.module.data
    blob = runnable_blob(module, cpu, len(payload.data) - len(module)) if payload.bundle else None
    if blob is None:
        return estimate_interpreted(label, board, payload)
    return estimate_aot(board, cpu, blob)


def estimate_interpreted(label: str | Path, board: str, payload: Payload) -> RamEstimate:
    """The RAM ``payload`` needs on ``board`` when its module is interpreted."""
    return estimate_ram(label, board, payload.module, payload.grants)


def need_on(status: DeviceStatus | None, need: RamEstimate | None,
            interpreted: Callable[[], RamEstimate] | None) -> RamEstimate | None:
    """The estimate to check against the device of ``status``: ``need`` (made for its
    board), or for AOT code, when the device says it runs no AOT code of this ABI
    (``aot_abi``: 0 for none, or another ABI), the interpreter's (``interpreted``;
    None: keep ``need``). A device that does not say (older firmware) is taken to
    run what its board's firmware runs."""
    if (need is None or need.aot is None or interpreted is None or status is None
            or status.aot_abi in (None, ABI)):
        return need
    return interpreted()


def estimate_aot(board: str, cpu: str, blob: bytes) -> RamEstimate:
    """What the device's loader takes for ``blob`` (AOT code for ``cpu``) on ``board``."""
    ram = AotRam.of(blob)
    pool = ram.fixed + ram.memory(load_board(board).budget.linear_memory_bytes)
    least = ram.fixed + ram.memory(0) if ram.grows else None
    return RamEstimate(pool, ram.fixed, ALLOWANCE_BYTES + ram.fixed // ALLOWANCE_SHARE,
                       aot=cpu, least=least)


@dataclass(frozen=True)
class Survey:
    """What the device said before an upload: its status, its slots, and the RAM
    each running slot holds (by slot number)."""

    status: DeviceStatus
    apps: list[AppInfo]
    held: dict[int, int] = field(default_factory=dict)


def survey_device(client: AppClient) -> Survey | None:
    """The device's status, slots and held RAM; None from a device without the
    status command (nothing to check against)."""
    status = client.device_status()
    if status is None:
        return None
    apps = client.list()
    return Survey(status, apps, {a.slot: _held(client, a) for a in apps})


def _held(client: AppClient, app: AppInfo) -> int:
    if app.mem is not None:
        return app.mem
    return client.status(app.name).mem_hw if app.state == "running" else 0


def check_fit(survey: Survey, name: str, need: RamEstimate | None) -> None:
    """FitError when a new ``name`` has no free slot, or when ``need`` (None: not
    checked) exceeds the RAM free for it."""
    same = [a for a in survey.apps if a.name == name]
    if not same and survey.status.slots_free <= 0:
        raise FitError(_no_slot(name, survey))
    freed = sum(survey.held.get(a.slot, 0) for a in same)
    free = survey.status.heap_free + freed
    if need is not None and need.needed > free:
        raise FitError(_no_ram(name, need, free, freed, survey))


def _slot_label(app: AppInfo) -> str:
    version = f" {app.version}" if app.version else ""
    return f"{app.name}{version} ({app.life or app.state})"


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _no_slot(name: str, survey: Survey) -> str:
    s = survey.status
    held = _names([_slot_label(a) for a in survey.apps]) if survey.apps else "no app"
    return (f"{name}: not sent: {s.board} has no free app slot for a new app: it holds "
            f"{held} ({s.slots} slots, one kept for updates); remove one with "
            "`wamr-agent rm NAME`")


def _no_ram(name: str, need: RamEstimate, free: int, freed: int, survey: Survey) -> str:
    others = [f"{a.name} ({a.state}, {survey.held[a.slot]:,} bytes)" for a in survey.apps
              if a.name != name and survey.held.get(a.slot, 0) > 0]
    beside = f" beside {_names(others)}" if others else " with no other app running"
    update = (f", counting the {freed:,} bytes the running {name} frees when it stops for "
              "the update") if freed else ""
    return (f"{name}: not sent: it needs {_need(need)} and {survey.status.board} has "
            f"{free:,} free{beside}{update} (--no-ram-check sends it anyway)")


def _need(need: RamEstimate) -> str:
    if need.aot is None:
        copy = (f" (with a {need.module_copy:,}-byte copy of its code the engine needs: "
                "wasm3 refuses the module as it is)") if need.module_copy else ""
        return f"about {need.total:,} bytes of RAM{copy}"
    if need.least is None:
        return f"about {need.total:,} bytes of RAM as AOT code for {need.aot}"
    return (f"at least {need.needed:,} bytes of RAM as AOT code for {need.aot} (its memory "
            f"grows: the device reserves up to {need.total:,} bytes at load, fewer pages when "
            "its heap has less, down to the memory's initial size)")
