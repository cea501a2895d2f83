"""The gateway's configuration file (docs/gateway.md), read with tomllib:

    id = "gw1"
    broker = "mqtts://gw1@broker:8883"   # optional; with ca, cert, key, username,
    password_file = "gw1.password"       # password_file (paths relative to the file)
    trusted_keys = ["release.pub"]       # optional; default: the published test key
    [[devices]]
    id = "dev1"
    board = "esp32"
    port = "socket://127.0.0.1:4444"     # optional: the board's local instance

A file that cannot be read is an InputError (exit 3); an unknown key, a missing one
or a value of the wrong type is a UsageError (exit 2)
naming the key. :func:`broker_settings` merges the broker keys with the command
line's (``--broker``, ``--ca``, ...; those win) into the settings the gateway uses.
``trusted_keys`` are PEM public keys (ota/keys.py), relative to the file's
directory: the bundles the gateway deploys must be signed by one of them, like the
firmware's TRUSTED_KEYS (whose default is the same test key).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..boards import load_board
from ..errors import BoardError, InputError, UsageError
from ..mqtt.topics import check_id
from ..mqtt.url import CLI_NAMES, CONFIG_NAMES, BrokerOptions, BrokerSettings, resolve

_BROKER: dict[str, type] = {"broker": str, "ca": str, "cert": str, "key": str,
                            "username": str, "password_file": str}
_TOP: dict[str, type] = {"id": str, **_BROKER, "devices": list, "trusted_keys": list}
TEST_KEY = Path(__file__).resolve().parents[3] / "ota" / "vectors" / "test.pub"
"""The published test key (ota/vectors): the default, as in the firmware."""
_DEVICE: dict[str, type] = {"id": str, "board": str, "port": str}
_REQUIRED_TOP = ("id",)
_REQUIRED_DEVICE = ("id", "board")


@dataclass(frozen=True)
class DeviceConfig:
    id: str
    board: str
    port: str | None = None  # None: the board's local simulated or QEMU instance


@dataclass(frozen=True)
class GatewayConfig:
    id: str
    devices: tuple[DeviceConfig, ...]
    broker: str | None = None  # the URL; None: start a local mosquitto
    broker_options: BrokerOptions = field(default_factory=BrokerOptions)  # paths: absolute
    path: Path | None = None  # the file, for errors
    trusted_keys: tuple[Path, ...] = (TEST_KEY,)  # public keys of the bundles it deploys


def _check_keys(table: dict[str, Any], types: dict[str, type], required: tuple[str, ...],
                where: str, path: Path) -> None:
    for key, value in table.items():
        if key not in types:
            raise UsageError(f"{path}: unknown key {where}{key!r} (known: "
                             f"{', '.join(types)})")
        if not isinstance(value, types[key]):
            raise UsageError(f"{path}: {where}{key!r} must be a "
                             f"{'table array' if types[key] is list else types[key].__name__}, "
                             f"not {type(value).__name__}")
    for key in required:
        if key not in table:
            raise UsageError(f"{path}: missing key {where}{key!r}")


def _device(table: object, index: int, path: Path) -> DeviceConfig:
    where = f"devices[{index}]."
    if not isinstance(table, dict):
        raise UsageError(f"{path}: devices[{index}] must be a table ([[devices]])")
    _check_keys(table, _DEVICE, _REQUIRED_DEVICE, where, path)
    _named(f"{where}'id'", table["id"], path)
    try:
        load_board(table["board"])
    except BoardError as exc:
        raise BoardError(f"{path}: {where}'board': {exc}") from None
    return DeviceConfig(table["id"], table["board"], table.get("port"))


def _named(where: str, value: str, path: Path) -> None:
    try:
        check_id("id", value)
    except UsageError as exc:
        raise UsageError(f"{path}: {where}: {exc}") from None


def _unique(devices: tuple[DeviceConfig, ...], path: Path) -> None:
    seen: dict[str, str] = {}
    for d in devices:
        key = f"id {d.id!r}"
        local = f"the local {d.board} instance" if d.port is None else None
        for taken in filter(None, (key, local)):
            if taken in seen:
                raise UsageError(f"{path}: devices {seen[taken]!r} and {d.id!r} both use "
                                 f"{taken}; give each its own id and port")
            seen[taken] = d.id


def parse_config(data: dict[str, Any], path: Path) -> GatewayConfig:
    _check_keys(data, _TOP, _REQUIRED_TOP, "", path)
    _named("'id'", data["id"], path)
    devices = tuple(_device(t, i, path) for i, t in enumerate(data.get("devices", [])))
    _unique(devices, path)
    config = GatewayConfig(data["id"], devices, data.get("broker"), _options(data, path), path,
                           _keys(data.get("trusted_keys"), path))
    if config.broker is not None:
        broker_settings(config, None, BrokerOptions(), environ={})  # checks the keys now
    return config


def _keys(names: list[Any] | None, path: Path) -> tuple[Path, ...]:
    if names is None:
        return (TEST_KEY,)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise UsageError(f"{path}: 'trusted_keys' must list one or more key files "
                         "(PEM public keys)")
    return tuple(path.parent / name for name in names)


def _options(data: dict[str, Any], path: Path) -> BrokerOptions:
    def file(key: str) -> Path | None:
        return path.parent / data[key] if key in data else None

    return BrokerOptions(file("ca"), file("cert"), file("key"), data.get("username"),
                         file("password_file"))


def broker_settings(config: GatewayConfig, url: str | None, options: BrokerOptions,
                    environ: dict[str, str] | None = None) -> BrokerSettings | None:
    """The broker of ``url`` (else the file's) with ``options`` over the file's; None
    for none (the gateway starts a local one). Errors name where an option came from."""
    where = config.path or "the configuration"
    given = {**asdict(options), "broker": url}
    cli = {**CLI_NAMES, "broker": "--broker"}
    names = {n: cli[n] if given[n] is not None else f"{CONFIG_NAMES[n]} ({where})"
             for n in CONFIG_NAMES}
    merged = options.over(config.broker_options)
    chosen = url or config.broker
    if chosen is None:
        if merged.given():
            raise UsageError(f"{', '.join(names[n] for n in merged.given())}: without a "
                             "broker (--broker or 'broker'), the gateway starts a local "
                             "one that takes no credentials")
        return None
    return resolve(chosen, merged, environ, names)


def load_config(path: Path) -> GatewayConfig:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not TOML: {exc}") from None
    return parse_config(data, path)
