"""`make bench` on the emulated Cortex-M4 (QEMU mps2-an386 with ``-icount shift=0``).

Under ``-icount shift=0`` QEMU advances its virtual clock by 1 ns per emulated
instruction, so the firmware's microsecond clock (wa_port_time_us) counts
instructions: t_us * 1000 = instructions since boot. The numbers are instruction
counts, repeatable from run to run, not host time.

- ``device_kernels()``: bench/kernels/kernels.c and the CoreMark-like workload
  (bench/kernels/coremark_like.c: not EEMBC CoreMark, its figures are not
  CoreMark scores) natively on the M4, as wasm (unmetered and metered) in the
  firmware image of firmware/bench/wa_bench_main.c and as AOT code under the
  CPU budget (docs/aot.md), the code sizes and RAM, an app's load time
  interpreted against AOT code, and in the same image the
  check of a signed bundle of the sensor example (Ed25519 signature, module
  SHA-256).
- ``boot_timing()``: the real firmware with the sensor example preloaded, to the
  banner, the app start and "agent ready".

``python bench/qemu_bench.py kernels`` prints only the first, ``boot`` only the
second; `make bench` (bench/run.py) prints both.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from footprint import sections
from tables import table

from wamr_agent.emulator.qemu import EmulatedBoard

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
BOARD = "mps2-an386"
ICOUNT = ["-icount", "shift=0"]  # 1 emulated instruction = 1 ns of virtual time
RUN_TIMEOUT = 300.0
BOOT_RUNS = 2
_FIELD = re.compile(r"(\w+)=(\S+)")
_T_US = re.compile(r"\bt_us=(\d+)")


def _make(target: str) -> None:
    subprocess.run(["make", "-s", target, f"BOARD={BOARD}"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def _fields(line: str) -> dict[str, str]:
    return dict(_FIELD.findall(line))


def aot_metered(kernel: dict[str, str], lines: list[str]) -> int:
    """Emulated instructions of the kernel's timed call (its iters, as the
    interpreter's), AOT-compiled and metered, on the device ('bench aot'
    lines); its result and its ticks must equal the interpreter's."""
    for a in (_fields(ln) for ln in lines if ln.startswith("bench aot ")):
        if a["kernel"] == kernel["kernel"]:
            if a["ok"] != "1" or a["ticks"] != kernel["ticks"]:
                sys.exit(f"bench_{kernel['kernel']}: AOT code gave another result or ticks")
            return int(a["aot_us"]) * 1000
    sys.exit(f"bench_{kernel['kernel']}: no AOT line")


def _ratio(instructions: int, native: int) -> str:
    digits = 2 if instructions < 2 * native else 1
    return f"{instructions / native:.{digits}f}x"


def device_kernels() -> None:
    _make("bench-firmware")
    elf = BUILD / "benchfw" / BOARD / "firmware.elf"
    with tempfile.TemporaryDirectory(prefix="wamr-agent-bench-") as tmp, \
            EmulatedBoard.start(BOARD, firmware=elf, workdir=Path(tmp),
                                extra_args=ICOUNT) as board:
        status = board.wait_exit(RUN_TIMEOUT)
        lines = board.console.lines()
    errors = [line for line in lines if line.startswith("bench error")]
    results = [_fields(line) for line in lines if line.startswith("bench kernel=")]
    if status != 0 or errors or not results or not any(ln.startswith("bench done")
                                                         for ln in lines):
        detail = "\n".join(errors or lines[-10:])
        sys.exit(f"device kernels failed (firmware exit status {status}):\n{detail}")
    rows = []
    for r in results:
        if r["ok"] != "1":
            sys.exit(f"bench_{r['kernel']}: native and wasm results differ on the device, "
                     "or its self-check failed")
        native, wasm, metered = (int(r[k]) * 1000 for k in ("native_us", "wasm_us",
                                                             "metered_us"))
        rows.append([r["kernel"], r["iters"], f"{native:,}", _ratio(wasm, native),
                     _ratio(metered, native), _ratio(aot_metered(r, lines), native),
                     f"{(metered - wasm) / wasm:+.1%}", f"{int(r['ticks']):,}"])
    table(f"Device kernels: wasm3 vs native arm-none-eabi-gcc -Os, Cortex-M4 ({BOARD} under "
          "QEMU -icount shift=0), emulated instructions of one call (clock resolution 1,000); "
          "same source, checksums equal. coremark_like is CoreMark-like, NOT EEMBC CoreMark",
          ["kernel", "iters", "native instructions", "interpreter", "interpreter metered",
           "AOT metered", "metering", "ticks/call"], rows)
    coremark_like_size(next(r for r in results if r["kernel"] == "coremark_like"))
    aot_sizes(lines)
    load_times(lines)
    bundle_check(lines)


def coremark_like_size(r: dict[str, str]) -> None:
    """Code and RAM of the CoreMark-like workload: native (the object the
    Makefile compiles for the M4 as the firmware does, without LTO; the C
    stack the device measured) and as the metered app on the device."""
    sec = sections(BUILD / "bench" / "coremark_like-cortex-m4.o")
    text = sum(n for name, n in sec.items() if name.startswith(".text"))
    data = sum(n for name, n in sec.items() if name.startswith((".data", ".bss", ".rodata")))
    row = [f"{text:,}", f"{data:,}", f"{int(r['native_stack']):,}",
           f"{int(r['wasm_bytes']):,}", f"{int(r['wasm_ram']):,}", f"{int(r['wasm_linear']):,}"]
    table(f"CoreMark-like (not EEMBC CoreMark) code and RAM, bytes: native Cortex-M4 "
          f"(arm-none-eabi-gcc -Os) vs the wasm module metered under wasm3 on {BOARD}",
          ["native .text", "native data+bss+rodata", "native stack peak", "wasm module",
           "interpreter RAM (heap peak)", "of it linear memory"], [row])


def aot_sizes(lines: list[str]) -> None:
    """The 'bench aot_size' lines: AOT code against the wasm, per module."""
    rows = []
    for z in (_fields(ln) for ln in lines if ln.startswith("bench aot_size ")):
        n = {k: int(v) for k, v in z.items() if k != "module"}
        rows.append([z["module"], f"{n['wasm_bytes']:,}", f"{n['code_bytes']:,}",
                     f"{n['code_bytes'] / n['wasm_bytes']:.2f}x", f"{n['blob_bytes']:,}",
                     f"{n['ram_bytes']:,} + linear memory"])
    if not rows:
        sys.exit("bench: the AOT size lines are missing")
    table("AOT code size (Cortex-M4, docs/aot.md): wasm2c + arm-none-eabi-gcc -Os, run in place",
          ["module", "wasm bytes", "AOT code bytes", "code/wasm", "blob bytes",
           "RAM (data, GOT, instance)"], rows)


def load_times(lines: list[str]) -> None:
    """The 'bench load' lines: instructions from an app's load to its first call's
    return, interpreted (the module in place, the engine counting its loops) against AOT
    code."""
    rows = []
    for z in (_fields(ln) for ln in lines if ln.startswith("bench load ")):
        if z["ok"] != "1":
            sys.exit(f"bench load {z['module']}: its load or first call failed")
        n = {k: int(v) * 1000 for k, v in z.items() if k.endswith("_us")}
        interp = n["interp_load_us"] + n["interp_call_us"]
        aot = n["aot_load_us"] + n["aot_call_us"]
        rows.append([z["module"], f"{int(z['wasm_bytes']):,}", z["entry"],
                     f"{n['interp_load_us']:,}", f"{n['interp_call_us']:,}", f"{interp:,}",
                     f"{n['aot_load_us']:,}", f"{n['aot_call_us']:,}", f"{aot:,}",
                     f"{aot / interp:.2f}x"])
    if not rows:
        sys.exit("bench: the load lines are missing")
    table(f"App load on the device ({BOARD}, QEMU -icount shift=0, docs/aot.md): emulated "
          "instructions from the load's start to its first call's return, interpreted "
          "as at boot (the module's CRC and wa_app_load_checked of the module the install "
          "checked) vs AOT code (the module's CRC and wa_app_load_aot); "
          "clock resolution 1,000",
          ["module", "wasm bytes", "first call", "interp load", "interp call", "interp total",
           "AOT load", "AOT call", "AOT total", "AOT/interp"], rows)


def bundle_check(lines: list[str]) -> None:
    """The bundle line of the bench image: instructions of each check."""
    found = [_fields(line) for line in lines if line.startswith("bench bundle ")]
    if len(found) != 1 or found[0].get("ok") != "1":
        sys.exit("bundle check failed on the device:\n" + "\n".join(lines[-10:]))
    r = {k: int(v) for k, v in found[0].items()}
    row = [f"{r['module_bytes']:,}", f"{r['signed_bytes']:,}", f"{r['ed25519_us'] * 1000:,}",
           f"{r['sha256_us'] * 1000:,}", f"{r['verify_us'] * 1000:,}"]
    table(f"Signed bundle check on the device: sensor example, Cortex-M4 ({BOARD}, QEMU "
          "-icount shift=0), emulated instructions (1 us of its clock = 1000)",
          ["module bytes", "signed bytes", "Ed25519 (SHA-512 + EdDSA)", "module SHA-256",
           "wa_bundle_verify whole"], [row])


def _boot_once(elf: Path) -> dict[str, int | None]:
    """t_us of each boot milestone (None when its line carries no t_us)."""
    events: dict[str, int | None] = {}
    with tempfile.TemporaryDirectory(prefix="wamr-agent-boot-") as tmp, \
            EmulatedBoard.start(BOARD, firmware=elf, workdir=Path(tmp), extra_args=ICOUNT,
                                preload=[BUILD / "examples" / "sensor.wasm"]) as board:
        board.console.expect(r"first loop round done [^\r\n]*\n", RUN_TIMEOUT)
        lines = board.console.lines()

    def first(match: Callable[[str], bool]) -> str:
        found = next((line for line in lines if match(line)), None)
        if found is None:
            sys.exit("boot timing: expected line missing on the console:\n" + "\n".join(lines))
        return found

    def t_us(line: str) -> int | None:
        m = _T_US.search(line)
        return int(m.group(1)) if m else None

    events["banner"] = t_us(first(lambda ln: ln.startswith("wamr-agent firmware")))
    events["app started"] = t_us(first(lambda ln: re.match(r"app \S+ started", ln) is not None))
    events["agent ready"] = t_us(first(lambda ln: ln.startswith("agent ready")))
    events["first loop"] = t_us(first(lambda ln: ln.startswith("first loop round done")))
    return events


def boot_timing() -> None:
    _make("firmware")
    elf = BUILD / "firmware" / BOARD / "firmware.elf"
    runs = [_boot_once(elf) for _ in range(BOOT_RUNS)]
    labels = {"banner": "banner 'wamr-agent firmware ...'",
              "app started": "'app sensor started' (then its setup() logs)",
              "agent ready": "'agent ready' (apps set up)",
              "first loop": "first loop() round done (first telemetry printed)"}
    rows = []
    for key, label in labels.items():
        values = [run[key] for run in runs]
        rows.append([label] + [f"{v * 1000:,}" if v is not None else "-" for v in values])
    table(f"Boot on the emulated Cortex-M4 ({BOARD}, QEMU -icount shift=0), sensor example "
          f"preloaded: emulated instructions since reset (t_us * 1000), {BOOT_RUNS} boots",
          ["milestone"] + [f"boot {i + 1} instructions" for i in range(BOOT_RUNS)], rows)


def main() -> None:
    """Both parts; ``kernels`` or ``boot`` as the argument runs only that one."""
    parts = {"kernels": device_kernels, "boot": boot_timing}
    chosen = sys.argv[1:] or list(parts)
    unknown = [name for name in chosen if name not in parts]
    if unknown:
        sys.exit(f"usage: qemu_bench.py [{' | '.join(parts)}] (unknown: {' '.join(unknown)})")
    for name in chosen:
        parts[name]()


if __name__ == "__main__":
    main()
