"""`wamr-agent gateway` (bridge serial-attached devices to MQTT) and `wamr-agent
devices` (the fleet, as the broker keeps it); docs/gateway.md, docs/mqtt.md."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..mqtt.url import BrokerOptions, resolve
from .broker_options import broker_options
from .common import JsonOpt, app, guard, print_json

if TYPE_CHECKING:  # paho and the SMP client are imported where a command runs
    from ..fleet import Fleet, GatewayView
    from ..mqtt.topics import AppSummary, DeviceState


def _say(line: str) -> None:
    print(line, flush=True)


@app.command()
@broker_options
def gateway(
    config: Annotated[Path, typer.Option("--config", help="The gateway's configuration "
                                         "(TOML: id, broker and its TLS and credentials "
                                         "keys, devices).",
                                         show_default=False)],
    broker: Annotated[str | None, typer.Option(help="The MQTT broker: "
                                               "mqtt://[USER@]HOST:PORT, or mqtts:// for TLS "
                                               "(default: the file's broker, else a local "
                                               "mosquitto the gateway starts).",
                                               show_default=False)] = None,
    state_dir: Annotated[Path | None, typer.Option(help="Where the gateway keeps its files "
                                                   "(the local broker's configuration and "
                                                   "log).", show_default=False)] = None,
    *, broker_options: BrokerOptions,
) -> None:
    """Serve the configured devices over MQTT: their state, telemetry and logs, and
    commands to them, until Ctrl-C or SIGTERM."""
    from ..gateway.run import serve

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    try:
        guard(False, lambda: serve(config, broker, state_dir, _say, broker_options))
    except KeyboardInterrupt:  # before the gateway served (it handles SIGINT itself)
        raise typer.Exit(130) from None


def _apps(apps: list[AppSummary]) -> str:
    return ", ".join(f"{a.name} {a.version or '-'} {a.state}/{a.life or '-'}"
                     for a in apps) or "-"


def _seen(state: DeviceState, now: float) -> str:
    return "-" if state.last_seen is None else f"{max(0.0, now - state.last_seen):.0f} s ago"


def _rows(view: GatewayView, now: float) -> list[tuple[str, ...]]:
    gw = (view.id, view.state or "?")
    if not view.devices:
        return [(*gw, "-", "-", "-", "-", "-", "-")]
    return [(*gw, dev, s.board, s.fw or "-", "yes" if s.reachable else "no", _seen(s, now),
             _apps(s.apps)) for dev, s in sorted(view.devices.items())]


def _print_fleet(fleet: Fleet) -> None:
    if not fleet.gateways:
        print(f"no gateway on {fleet.broker}")
        return
    now = time.time()
    header = ("gateway", "state", "device", "board", "firmware", "reachable", "last seen",
              "apps")
    rows = [header, *(row for view in fleet.gateways for row in _rows(view, now))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@app.command()
@broker_options
def devices(
    via: Annotated[str, typer.Option("--via", help="The MQTT broker: "
                                     "mqtt://[USER@]HOST:PORT, or mqtts:// for TLS.",
                                     show_default=False)],
    as_json: JsonOpt = False, *, broker_options: BrokerOptions,
) -> None:
    """List the gateways on a broker and their devices: gateway state, board, firmware,
    reachable, apps (version, run state/lifecycle), last seen."""
    from ..fleet import collect

    fleet: Fleet = guard(as_json, lambda: collect(resolve(via, broker_options)))
    if as_json:
        print_json(fleet.as_dict())
    else:
        _print_fleet(fleet)
