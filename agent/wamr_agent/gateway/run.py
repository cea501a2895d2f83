"""`wamr-agent gateway`: read the configuration, pick the broker (``--broker``,
the file's ``broker``, each with its TLS and credentials options, or a local
mosquitto it starts: the embedded default),
find each device's management UART (its ``port``, or the board's local instance,
started like `deploy` starts it), and serve until SIGINT or SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from ..emulator.state import state_root
from ..mqtt import topics
from ..mqtt.broker import Mosquitto
from ..mqtt.url import BrokerOptions, BrokerSettings
from ..ota.keys import key_id, load_public_key
from ..targets import resolve_target
from .config import TEST_KEY, GatewayConfig, broker_settings, load_config
from .service import DeviceLink, Gateway

__all__ = ["default_state_dir", "serve"]

Say = Callable[[str], None]


def default_state_dir(gw: str) -> Path:
    """``$WAMR_AGENT_STATE/.gateways/<id>`` (default under ``build/boards``)."""
    return state_root() / ".gateways" / gw


@contextmanager
def _broker(config: GatewayConfig, url: str | None, options: BrokerOptions, state_dir: Path,
            say: Say) -> Iterator[BrokerSettings]:
    chosen = broker_settings(config, url, options)
    if chosen is not None:
        say(f"broker: {chosen}")
        yield chosen
        return
    with Mosquitto.start_in(state_dir / "broker") as local:
        say(f"broker: local mosquitto on {local.url} (started by the gateway)")
        yield local.url


def _devices(config: GatewayConfig, say: Say) -> dict[str, DeviceLink]:
    links = {}
    for d in config.devices:
        target = resolve_target(d.board, d.port, start=True)
        say(f"device {d.id}: {d.board} at {target.description}")
        links[d.id] = DeviceLink(d.board, target.address)
    return links


def _trusted(config: GatewayConfig, say: Say) -> list[bytes]:
    keys = [load_public_key(path) for path in config.trusted_keys]
    names = ", ".join(f"{p.name} ({key_id(k).hex()})" for p, k in zip(config.trusted_keys,
                                                                      keys, strict=True))
    test = " (the published test key: for development only)" if (
        config.trusted_keys == (TEST_KEY,)) else ""
    say(f"gateway {config.id}: deploys bundles signed by {names}{test}")
    return keys


@contextmanager
def _stopped_by_signals(gateway: Gateway) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        gateway.stop()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def serve(config_path: Path, broker: str | None = None, state_dir: Path | None = None,
          say: Say = print, options: BrokerOptions | None = None) -> None:
    """Runs the gateway until SIGINT or SIGTERM; stops the broker it started.
    ``options`` (TLS, credentials) go over the file's."""
    config = load_config(config_path)
    directory = state_dir or default_state_dir(config.id)
    trusted = _trusted(config, say)
    with _broker(config, broker, options or BrokerOptions(), directory, say) as url:
        gateway = Gateway(config.id, url, _devices(config, say), directory / "deploys",
                          trusted)
        say(f"gateway {config.id}: serving {len(config.devices)} device(s) under "
            f"{topics.gateway_root(config.id)}/ (Ctrl-C stops it)")
        with _stopped_by_signals(gateway):
            gateway.run()
    say(f"gateway {config.id}: stopped")
