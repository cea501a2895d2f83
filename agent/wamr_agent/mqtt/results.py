"""The results of the gateway's commands (docs/mqtt.md, "Commands") as JSON objects,
both ways: the gateway encodes what :class:`~wamr_agent.smp.apps.AppClient`
returned, a client decodes the same dataclasses (AppInfo, AppStatus,
DeviceStatus, LogPage, ConfigState), so a command through a gateway returns what
it returns over a serial port."""

from __future__ import annotations

import types
from dataclasses import asdict, fields, is_dataclass
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from ..app_config import ConfigState
from ..errors import TransportError
from ..smp.app_results import AppInfo, AppStatus, DeviceStatus, LogPage

T = TypeVar("T")


def encode_apps(apps: list[AppInfo]) -> dict[str, Any]:
    return {"apps": [a.as_dict() for a in apps]}


def decode_apps(result: dict[str, Any]) -> list[AppInfo]:
    return [build(AppInfo, a) for a in _get(result, "apps")]


def encode_status(status: DeviceStatus | AppStatus) -> dict[str, Any]:
    key = "app" if isinstance(status, AppStatus) else "device"
    return {key: status.as_dict()}


def decode_status(result: dict[str, Any]) -> DeviceStatus | AppStatus:
    if "app" in result:
        return build(AppStatus, result["app"])
    return build(DeviceStatus, _get(result, "device"))


def encode_logs(page: LogPage) -> dict[str, Any]:
    return {"page": asdict(page)}


def decode_logs(result: dict[str, Any]) -> LogPage:
    return build(LogPage, _get(result, "page"))


def encode_config(state: ConfigState) -> dict[str, Any]:
    return {"config": state.as_dict()}


def decode_config(result: dict[str, Any]) -> ConfigState:
    return build(ConfigState, _get(result, "config"))


def _get(result: dict[str, Any], key: str) -> Any:
    if key not in result:
        raise TransportError(f"the gateway's answer has no {key!r}: {result!r}")
    return result[key]


def build(cls: type[T], data: Any) -> T:
    """A dataclass from its ``asdict`` form (nested dataclasses, tuples, optionals);
    keys that are not fields are ignored. TransportError when ``data`` does not fit."""
    if not isinstance(data, dict):
        raise TransportError(f"{cls.__name__}: expected an object, got {data!r}")
    hints = get_type_hints(cls)
    try:
        values = {f.name: _value(hints[f.name], data[f.name])
                  for f in fields(cls)  # type: ignore[arg-type]
                  if f.name in data}
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise TransportError(f"{cls.__name__}: cannot read {data!r}: {exc}") from None


def _value(hint: Any, value: Any) -> Any:
    origin = get_origin(hint)
    if value is None:
        return None
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _value(options[0], value) if len(options) == 1 else value
    if origin in (tuple, list):
        item = get_args(hint)[0]
        return origin(_value(item, v) for v in value)
    if isinstance(hint, type) and is_dataclass(hint):
        return build(hint, value)
    return value
