"""`wamr-agent config set` and `config get`: an app's configuration pushed from the
fleet, over SMP (a serial port, a socket, the board's local instance) or through
the device's gateway (``--via``, ``--device``); docs/config.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..mqtt.url import BrokerOptions
from .broker_options import broker_options
from .common import (
    BAUD,
    AppArg,
    BaudOpt,
    BoardOpt,
    DeviceOpt,
    JsonOpt,
    PortOpt,
    ViaOpt,
    app,
    guard,
    print_json,
    shown,
)

if TYPE_CHECKING:
    from ..app_config import ConfigState

config_app = typer.Typer(no_args_is_help=True, help="An app's configuration pushed from "
                         "the fleet: desired key/values, and what the app applied.")
app.add_typer(config_app, name="config")


def _print_state(state: ConfigState) -> None:
    print(f"{'app':9} {shown(state.name)}")
    print(f"{'desired':9} version {state.desired}")
    print(f"{'reported':9} applied version {state.applied}; last delivery {state.describe()}")
    for key, value in sorted((state.values or {}).items()):
        print(f"  {shown(key)}={shown(value)}")


@config_app.command("set")
@broker_options
def config_set(
    name: AppArg,
    values: Annotated[list[str] | None, typer.Argument(
        help="KEY=VALUE pairs to set (keys 1-32 bytes, values up to 256 bytes).",
        show_default=False)] = None,
    unset: Annotated[list[str] | None, typer.Option(
        "--unset", help="A key to remove (repeatable).", show_default=False)] = None,
    board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
    via: ViaOpt = None, device: DeviceOpt = None, as_json: JsonOpt = False, *,
    broker_options: BrokerOptions,
) -> None:
    """Set an app's configuration keys as its next version; exits 0 once the app applied
    it (its on_config returned 0), 24 if it rejected it, 25 if it does not run."""
    from ..access import via_option
    from ..app_config import parse_assignments, set_config
    from ..deploy import on_device

    pairs = guard(as_json, lambda: parse_assignments(values or []))
    state: ConfigState = guard(as_json, lambda: on_device(
        board, port, lambda d: set_config(d, name, pairs, unset or []), baud,
        via_option(via, device, broker_options)))
    if as_json:
        print_json(state.as_dict())
    else:
        print(f"{name}: config version {state.desired} applied")


@config_app.command("get")
@broker_options
def config_get(
    name: AppArg,
    board: BoardOpt = "esp32", port: PortOpt = None, baud: BaudOpt = BAUD,
    via: ViaOpt = None, device: DeviceOpt = None, as_json: JsonOpt = False, *,
    broker_options: BrokerOptions,
) -> None:
    """Show an app's configuration: the desired key/values and version, and what the app
    applied (the version, and how the last delivery went)."""
    from ..access import via_option
    from ..deploy import on_device

    state: ConfigState = guard(as_json, lambda: on_device(
        board, port, lambda d: d.config_get(name), baud, via_option(via, device, broker_options)))
    if as_json:
        print_json(state.as_dict())
    else:
        _print_state(state)
