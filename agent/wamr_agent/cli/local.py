"""`wamr-agent run` and `inspect`: a module on this machine, through the same C
runtime the devices run (pywamr)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .common import (
    BoardOpt,
    JsonOpt,
    ModuleArg,
    app,
    guard,
    kib,
    print_json,
    split_values,
)

if TYPE_CHECKING:  # the C runtime and wasmtime are imported where a command runs
    from ..inspection import InspectReport
    from ..run import RunReport

_SIZE = re.compile(r"(\d+)\s*([KM]i?B?)?", re.IGNORECASE)


def size_bytes(text: str | int) -> int:
    """``262144``, ``256K`` or ``1M`` (KiB, MiB) as bytes (typer passes a default
    through here too)."""
    found = _SIZE.fullmatch(str(text).strip())
    if found is None:
        raise typer.BadParameter(f"{text!r} is not a size (bytes, or with K or M)")
    unit = (found[2] or "B")[0].upper()
    return int(found[1]) * {"B": 1, "K": 1024, "M": 1024 * 1024}[unit]


CpuTicksOpt = Annotated[int | None, typer.Option(
    "--cpu-ticks", min=0, show_default=False, help="CPU budget of each call, in ticks, "
    "instead of the board's cpu_ticks; 0: none (a call runs to its end).")]
HeapOpt = Annotated[int | None, typer.Option(
    "--heap-bytes", parser=size_bytes, metavar="<size>", show_default=False,
    help="Engine heap (the compiled code and the engine's data) instead of the board's "
    "heap_bytes: bytes, or with K or M (KiB, MiB), e.g. 1M.")]


@app.command()
def run(
    module: ModuleArg,
    board: BoardOpt = "esp32",
    invoke: Annotated[str | None, typer.Option(help="Export to call (default: _start, or "
                                               "setup then loop).")] = None,
    args: Annotated[list[str] | None, typer.Option("--args", help="Arguments for --invoke, "
                                                   "comma-separated or repeated.")] = None,
    grant: Annotated[list[str] | None, typer.Option(help="Capabilities to grant, e.g. "
                                                    "sensor,log (default: all).")] = None,
    sensor_data: Annotated[Path | None, typer.Option(help="CSV of recorded sensor samples "
                                                     "(header ch0,ch1,...).")] = None,
    repeat: Annotated[int, typer.Option(min=1, help="Call the (last) entry point this many "
                                        "times; a reactor's loop stops early on non-zero.")] = 1,
    cpu_ticks: CpuTicksOpt = None,
    heap_bytes: HeapOpt = None,
    gpio: Annotated[Path | None, typer.Option(help="Input pin levels, re-read at every GPIO "
                                              "call (gpio.in format, docs/device-api.md).")] = None,
    tmp105: Annotated[float, typer.Option(help="Temperature (degC) the TMP105 model at I2C "
                                          "bus 0, address 0x48 measures.")] = 25.0,
    for_ms: Annotated[int, typer.Option(min=0, help="Simulated device time (ms) for which an "
                                        "app exporting on_timer, on_message or on_gpio gets "
                                        "its callbacks, after the entry points (the clock "
                                        "jumps to each event).")] = 1000,
    message: Annotated[list[str] | None, typer.Option(
        "--message", metavar="TEXT@MS", help="Send the app a message (UTF-8 text) MS ms "
        "of device time after the entry points, as `wamr-agent send` does; repeat it for "
        "more.")] = None,
    kv: Annotated[Path | None, typer.Option(help="File that keeps the app's key-value "
                                            "storage between runs (JSON; default: in memory). "
                                            "The app's name is the module's file name.")] = None,
    kv_quota: Annotated[int | None, typer.Option(min=1, show_default=False, help="Bytes of "
                                                 "key-value storage the app may use instead of "
                                                 "the board's default_quota.")] = None,
    config: Annotated[list[str] | None, typer.Option(
        "--config", help="KEY=VALUE of the app's configuration (repeatable), delivered at "
        "start as on a device: on_config(1) after setup (docs/config.md).",
        show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a module locally under a board's memory and CPU budget; print its log.

    --cpu-ticks and --heap-bytes override the board's budget for this run (a
    line on stderr says so), e.g. for a benchmark whose compiled code exceeds the
    board's engine heap."""
    from ..app_config import parse_assignments
    from ..errors import ConfigRejected
    from ..run import LocalDevices, Message, run_module, with_limits

    profile, notices = guard(as_json, lambda: with_limits(board, cpu_ticks=cpu_ticks,
                                                          heap_bytes=heap_bytes))
    for notice in notices:
        print(f"note: {notice}", file=sys.stderr)
    messages = guard(as_json, lambda: [Message.parse(m) for m in message or []])
    values = None if config is None else guard(as_json, lambda: parse_assignments(config))
    report: RunReport = guard(as_json, lambda: run_module(
        module, profile, invoke=invoke, args=split_values(args), grants=split_values(grant),
        sensor_data=sensor_data, repeat=repeat, echo=None if as_json else print,
        devices=LocalDevices(gpio_inputs=gpio, tmp105_celsius=tmp105, kv_file=kv,
                             kv_quota=kv_quota), for_ms=for_ms, messages=messages,
        config=values))
    rejected = report.config is not None and report.config.status != "applied"
    if as_json:
        print_json(report.as_dict())
        raise typer.Exit(ConfigRejected.exit_code if rejected else 0)
    for call in report.calls:
        if call.export not in ("loop", "setup", "_start", "on_timer", "on_gpio", "on_message"):
            print(f"{call.export}({', '.join(map(str, call.args))}) = {call.result}")
    if report.config is not None:
        print(f"config: version {report.config.desired} {report.config.describe()}")
    if report.stopped:
        print(f"stopped: {report.stopped}")
    s = report.stats
    if s is not None:
        print(f"-- {report.board}: {s.calls} call(s), linear memory {kib(s.linear_memory)}, "
              f"RAM peak {kib(s.heap_peak)} of {kib(s.heap_limit)}, "
              f"last call {s.ticks_last_call} ticks")
    if rejected:
        raise typer.Exit(ConfigRejected.exit_code)  # as `config set` exits


def describe_aot(sections: list[dict[str, Any]]) -> str:
    """A module's AOT sections in one line (inspect, bundle show)."""
    return ", ".join(f"{s['cpu']} ({s['bytes']:,} bytes at offset {s['offset']})"
                     for s in sections) or "none (interpreted everywhere)"


def _print_inspect(r: InspectReport) -> None:
    b = r.budget
    print(f"module   {r.path} ({r.size} bytes)")
    print(f"board    {r.board}: linear memory {kib(b['linear_memory_bytes'])}, stack "
          f"{kib(b['stack_bytes'])}, heap {kib(b['heap_bytes'])}, module "
          f"{kib(b['module_bytes'])}, CPU {b['cpu_ticks']} ticks/call")
    for title, items in (("imports", r.imports), ("exports", r.exports)):
        if not items:
            print(f"{title:8} none")
        for i, e in enumerate(items):
            name = f"{e.module}.{e.name}" if e.module else e.name
            print(f"{title if i == 0 else '':8} {e.kind:6} {name} {e.sig}")
    print(f"memory   initial {kib(r.initial_memory)}, max {kib(r.max_memory)}, "
          f"data+stack {kib(r.static_memory)}")
    print(f"device   {r.device_memory:,} bytes of linear memory ({r.device_memory_note})")
    print(f"needs    {', '.join(r.capabilities) or 'no capabilities'}")
    print(f"aot      {describe_aot(r.aot)}")
    why = ": " + "; ".join(r.verdict.reasons) if r.verdict.reasons else ""
    print(f"verdict  {r.verdict.label}{why}")


@app.command()
def inspect(
    module: ModuleArg,
    board: BoardOpt = "esp32",
    grant: Annotated[list[str] | None, typer.Option(help="Capabilities the verdict may assume "
                                                    "(default: all).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a module's imports, exports and memory needs, and whether it fits a board."""
    from ..inspection import inspect_module

    report: InspectReport = guard(as_json, lambda: inspect_module(module, board,
                                                                   split_values(grant)))
    if as_json:
        print_json(report.as_dict())
    else:
        _print_inspect(report)
    if not report.verdict.fits:
        raise typer.Exit(report.verdict.exit_code)
