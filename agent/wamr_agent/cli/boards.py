"""`wamr-agent board ...` and `sim ...`: local emulated (QEMU) and simulated
(host process) boards kept as named instances."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..emulator.state import QEMU, SIM
from .common import (
    JsonOpt,
    app,
    guard,
    kib,
    print_json,
)

if TYPE_CHECKING:  # imported where a command runs (quick start-up)
    from ..emulator import instances

# ---- wamr-agent board / sim: QEMU boards and simulated boards -----------------

board_app = typer.Typer(no_args_is_help=True, help="Emulated boards under QEMU: list, start "
                        "in the background, watch the console, stop.")
app.add_typer(board_app, name="board")
sim_app = typer.Typer(no_args_is_help=True, help="Simulated boards (esp32, nrf52840, ...: "
                      "the firmware core as a host process): list, start in the background, "
                      "watch the console, stop.")
app.add_typer(sim_app, name="sim")
NameArg = Annotated[str, typer.Argument(help="Instance name (see `board list`, `sim list`).",
                                        show_default=False)]
InstanceNameOpt = Annotated[str | None, typer.Option(help="Instance name (default: the board "
                                                     "name).")]
PreloadOpt = Annotated[list[Path] | None, typer.Option(help="App (.wasm) to install before "
                                                      "boot; repeatable.")]
EraseOpt = Annotated[bool, typer.Option(help="Start with an erased flash.")]
FollowOpt = Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new output "
                                         "until the instance stops.")]
_GROUPS = {QEMU: "board up BOARD", SIM: "sim up --board BOARD"}


def _print_instance(info: instances.InstanceInfo) -> None:
    print(f"name        {info.name} ({info.board}, {info.status})")
    print(f"management  {info.mgmt_address}")
    print(f"console log {info.console_log}")


def _list(kind: str, as_json: bool) -> None:
    from ..emulator import instances

    rows, running = guard(as_json, lambda: (
        instances.board_rows(None if kind == QEMU else kind),
        instances.instances(kind)))
    if as_json:
        print_json({"boards": rows, "instances": [i.as_dict() for i in running]})
        return
    print(f"{'board':12} {'RAM':>9} {'flash':>9}  {'emulation':9}  supported")
    for r in rows:
        verdict = "yes" if r.supported else f"no: {r.reason}"
        print(f"{r.name:12} {kib(r.ram_bytes):>9} {kib(r.flash_bytes):>9}  "
              f"{r.emulation:9}  {verdict}")
    print("\ninstances" + ("" if running else f": none (start one with `{_GROUPS[kind]}`)"))
    for i in running:
        print(f"  {i.name:12} {i.board:12} {i.status:8} {i.mgmt_address}  {i.console_log}")


def _up(kind: str, board: str, name: str | None, preload: list[Path] | None,
        firmware: Path | None, erase: bool, as_json: bool) -> None:
    from ..emulator import instances

    info: instances.InstanceInfo = guard(as_json, lambda: instances.up(
        board, name, preload or [], firmware, erase, kind))
    if as_json:
        print_json(info.as_dict())
    else:
        _print_instance(info)


@board_app.command("list")
def board_list(as_json: JsonOpt = False) -> None:
    """Every board profile (RAM, flash, emulation, supported or why not); QEMU instances."""
    _list(QEMU, as_json)


@board_app.command("up")
def board_up(
    board: Annotated[str, typer.Argument(help="Board profile, e.g. mps2-an386.",
                                         show_default=False)],
    name: InstanceNameOpt = None,
    preload: PreloadOpt = None,
    firmware: Annotated[Path | None, typer.Option(help="Firmware ELF (default: built with "
                                                  "`make firmware`).")] = None,
    erase: EraseOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Boot a board under QEMU in the background; print its management address."""
    _up(QEMU, board, name, preload, firmware, erase, as_json)


@sim_app.command("list")
def sim_list(as_json: JsonOpt = False) -> None:
    """The simulated board profiles (RAM, flash, supported or why not) and the instances."""
    _list(SIM, as_json)


@sim_app.command("up")
def sim_up(board: Annotated[str, typer.Option("--board", "-b", show_default=False,
                                              help="Board profile, e.g. esp32.")],
           name: InstanceNameOpt = None, preload: PreloadOpt = None,
           firmware: Annotated[Path | None, typer.Option(
               help="Simulator program (default: built with `make sim`).")] = None,
           erase: EraseOpt = False, as_json: JsonOpt = False) -> None:
    """Start a simulated board in the background; print its management address."""
    _up(SIM, board, name, preload, firmware, erase, as_json)


def _instance_commands(group: typer.Typer, kind: str, console: str) -> None:
    """`down` and `console` of one command group: the same for both kinds."""

    @group.command("down", help="Stop an instance (its flash and logs stay in its directory).")
    def down(name: NameArg, as_json: JsonOpt = False) -> None:
        from ..emulator import instances

        info: instances.InstanceInfo = guard(as_json, lambda: instances.down(name, kind))
        if as_json:
            print_json(info.as_dict())
        else:
            print(f"{info.name} stopped; console log {info.console_log}")

    @group.command("console", help=f"Print an instance's console ({console}) log.")
    def console_log(name: NameArg, follow: FollowOpt = False, as_json: JsonOpt = False) -> None:
        from ..emulator import instances

        if follow:
            for line in guard(as_json, lambda: instances.follow(name, kind)):
                print(json.dumps({"line": line}) if as_json else line, flush=True)
            return
        path, lines = guard(as_json, lambda: instances.console_lines(name, kind))
        if as_json:
            print_json({"name": name, "console_log": str(path), "lines": lines})
        else:
            print("\n".join(lines))


_instance_commands(board_app, QEMU, "UART0")
_instance_commands(sim_app, SIM, "stdout")
