"""`wamr-agent controller`: open the database, connect to the broker, serve until
SIGINT or SIGTERM (docs/rollouts.md)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from ..emulator.state import state_root
from ..mqtt.url import BrokerSettings
from .link import Link
from .service import Controller
from .store import Store

__all__ = ["default_db", "serve"]


def default_db() -> Path:
    """``$WAMR_AGENT_STATE/.controller/rollouts.sqlite3`` (default under ``build/boards``)."""
    return state_root() / ".controller" / "rollouts.sqlite3"


def serve(broker: BrokerSettings, db: Path | None = None,
          say: Callable[[str], None] = print) -> None:
    """Runs the controller until SIGINT or SIGTERM."""
    path = db or default_db()
    store = Store(path)
    controller = Controller(store, lambda on_command: Link(broker, on_command), say)

    def handler(signum: int, frame: FrameType | None) -> None:
        controller.stop()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        say(f"controller: serving rollouts on {broker} (database {path}; Ctrl-C stops it)")
        controller.run()
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)
        store.close()
    say("controller: stopped")
