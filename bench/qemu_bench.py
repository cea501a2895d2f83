"""`make bench` on the emulated Cortex-M4 (QEMU mps2-an386 with ``-icount shift=0``).

Under ``-icount shift=0`` QEMU advances its virtual clock by 1 ns per emulated
instruction, so the firmware's microsecond clock (wa_port_time_us) counts
instructions: t_us * 1000 = instructions since boot. The numbers are instruction
counts, repeatable from run to run, not host time.

- ``device_kernels()``: bench/kernels/kernels.c natively on the M4 and as wasm
  (unmetered and metered) in the firmware image of firmware/bench/wa_bench_main.c,
  as AOT code under the CPU budget (``aot_kernels()``, docs/aot.md), and in the
  same image the check of a signed bundle of the sensor example
  (Ed25519 signature, module SHA-256).
- ``boot_timing()``: the real firmware with the sensor example preloaded, to the
  banner, the app start and "agent ready".
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

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
            sys.exit(f"bench_{r['kernel']}: native and wasm results differ on the device")
        native, wasm, metered = (int(r[k]) for k in ("native_us", "wasm_us", "metered_us"))
        rows.append([r["kernel"], r["iters"], f"{native:,}", f"{wasm:,}", f"{metered:,}",
                     f"{wasm / native:.1f}x", f"{metered / native:.1f}x",
                     f"{(metered - wasm) / wasm:+.0%}", f"{int(r['ticks']):,}"])
    table(f"Interpreter on the device: wasm3 vs native arm-none-eabi-gcc -Os, Cortex-M4 "
          f"({BOARD} under QEMU -icount shift=0: 1 us = 1000 instructions); same source, "
          "checksums equal", ["kernel", "iters", "native us", "wasm us", "metered us",
                              "wasm/native", "metered/native", "metering", "ticks/call"], rows)
    aot_kernels(lines, results)
    bundle_check(lines)


def aot_kernels(lines: list[str], kernels: list[dict[str, str]]) -> None:
    """The 'bench aot' lines: each kernel as AOT code under the CPU budget
    (docs/aot.md) against native and the metered interpreter, and the sizes."""
    aot = {r["kernel"]: r for r in (_fields(ln) for ln in lines if ln.startswith("bench aot "))}
    sizes = [_fields(ln) for ln in lines if ln.startswith("bench aot_size ")]
    rows = []
    for r in kernels:
        a = aot.get(r["kernel"])
        if a is None or a["ok"] != "1" or a["ticks"] != r["ticks"]:
            sys.exit(f"bench_{r['kernel']}: AOT code missing, wrong or metered differently")
        native, metered, us = (int(x) for x in (r["native_us"], r["metered_us"], a["aot_us"]))
        rows.append([r["kernel"], f"{native:,}", f"{us:,}", f"{us / native:.2f}x",
                     f"{metered / native:.1f}x", f"{int(a['ticks']):,}"])
    table(f"AOT metered on the device: wasm2c + arm-none-eabi-gcc -Os, run in place, CPU "
          f"budget enforced, Cortex-M4 ({BOARD}, QEMU -icount shift=0); checksums and ticks "
          "equal to the interpreter's", ["kernel", "native us", "AOT metered us",
                                          "AOT metered/native", "interp. metered/native",
                                          "ticks/call"], rows)
    if len(sizes) != 1:
        sys.exit("bench: the AOT size line is missing")
    z = {k: int(v) for k, v in sizes[0].items()}
    table("AOT code size (kernels module, Cortex-M4)",
          ["wasm bytes", "AOT code bytes", "code/wasm", "blob bytes", "RAM (data, GOT, instance)"],
          [[f"{z['wasm_bytes']:,}", f"{z['code_bytes']:,}",
            f"{z['code_bytes'] / z['wasm_bytes']:.2f}x", f"{z['blob_bytes']:,}",
            f"{z['ram_bytes']:,} + linear memory"]])


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
    device_kernels()
    boot_timing()


if __name__ == "__main__":
    main()
