"""The gateway's configuration file (docs/gateway.md), read with tomllib:

    id = "gw1"
    broker = "mqtt://127.0.0.1:1883"     # optional
    trusted_keys = ["release.pub"]       # optional; default: the published test key
    [[devices]]
    id = "dev1"
    board = "esp32"
    port = "socket://127.0.0.1:4444"     # optional: the board's local instance

An unknown key, a missing one or a value of the wrong type is a UsageError (exit 2)
naming the key. ``trusted_keys`` are PEM public keys (ota/keys.py), relative to the
file's directory: the bundles the gateway deploys must be signed by one of them,
like the firmware's TRUSTED_KEYS (whose default is the same test key).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..boards import load_board
from ..errors import BoardError, UsageError
from ..mqtt.client import BrokerUrl
from ..mqtt.topics import check_id

_TOP: dict[str, type] = {"id": str, "broker": str, "devices": list, "trusted_keys": list}
_DEVICE: dict[str, type] = {"id": str, "board": str, "port": str}
_REQUIRED_TOP = ("id",)
_REQUIRED_DEVICE = ("id", "board")
TEST_KEY = Path(__file__).resolve().parents[3] / "ota" / "vectors" / "test.pub"
"""The published test key (ota/vectors): the default, as in the firmware."""


@dataclass(frozen=True)
class DeviceConfig:
    id: str
    board: str
    port: str | None = None  # None: the board's local simulated or QEMU instance


@dataclass(frozen=True)
class GatewayConfig:
    id: str
    devices: tuple[DeviceConfig, ...]
    broker: BrokerUrl | None = None  # None: start a local mosquitto
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
    return GatewayConfig(data["id"], devices, _broker(data.get("broker"), path),
                         _keys(data.get("trusted_keys"), path))


def _keys(names: list[Any] | None, path: Path) -> tuple[Path, ...]:
    if names is None:
        return (TEST_KEY,)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise UsageError(f"{path}: 'trusted_keys' must list one or more key files "
                         "(PEM public keys)")
    return tuple(path.parent / name for name in names)


def _broker(url: str | None, path: Path) -> BrokerUrl | None:
    try:
        return BrokerUrl.parse(url) if url is not None else None
    except UsageError as exc:
        raise UsageError(f"{path}: 'broker': {exc}") from None


def load_config(path: Path) -> GatewayConfig:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not TOML: {exc}") from None
    return parse_config(data, path)
