"""Key-value storage a local run gives its apps (kv_get, kv_set, kv_delete;
docs/device-api.md "Storage"): the device's rules (firmware/core/agent/wa_kv.h)
on a dict per app, in memory or kept in a JSON file (``wamr-agent run --kv``),
so that a second run sees what the first stored.

The natives check key (1-32 bytes) and value (0-256 bytes) lengths before the
store is called; the quota counts key + value bytes of an app's live keys, as
the device does. The device's store also fills up (WA_ERR_NO_SPACE when its
flash pages are full); this one does not.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..agent_err import AgentErr
from ..errors import UsageError
from .devices import DeviceError


class KvStore:
    """Each app's keys (bytes -> bytes), saved to ``path`` after every change
    when one is given."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.apps: dict[str, dict[bytes, bytes]] = {}
        if path is not None and path.exists():
            self.apps = _load(path)

    def get(self, app: str, key: bytes) -> bytes | None:
        return self.apps.get(app, {}).get(key)

    def used(self, app: str) -> int:
        """Bytes of app's keys and values (what its quota bounds)."""
        return sum(len(k) + len(v) for k, v in self.apps.get(app, {}).items())

    def set(self, app: str, key: bytes, value: bytes, quota: int) -> None:
        """Raises DeviceError(NO_SPACE) when app would hold more than quota bytes."""
        keys = self.apps.setdefault(app, {})
        old = len(key) + len(keys[key]) if key in keys else 0
        if self.used(app) - old + len(key) + len(value) > quota:
            raise DeviceError(AgentErr.NO_SPACE, f"{app}: storage quota of {quota} bytes")
        keys[key] = value
        self._save()

    def delete(self, app: str, key: bytes) -> None:
        """Raises DeviceError(NOT_FOUND) when app has no such key."""
        if self.apps.get(app, {}).pop(key, None) is None:
            raise DeviceError(AgentErr.NOT_FOUND, f"{app}: no key {key!r}")
        self._save()

    def drop(self, app: str) -> None:
        """Every key of app goes (the device does this on `app remove`)."""
        if self.apps.pop(app, None) is not None:
            self._save()

    def _save(self) -> None:
        if self.path is not None:
            data = {app: {k.hex(): v.hex() for k, v in keys.items()}
                    for app, keys in self.apps.items() if keys}
            self.path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def _load(path: Path) -> dict[str, dict[bytes, bytes]]:
    try:
        data = json.loads(path.read_text())
        return {str(app): {bytes.fromhex(k): bytes.fromhex(v) for k, v in keys.items()}
                for app, keys in data.items()}
    except (OSError, ValueError, AttributeError) as exc:
        raise UsageError(f"{path}: not a key-value store file written by wamr-agent run "
                         f"({exc})") from exc
