"""Time from the end of an upload to the device's verdict (CONFIRMED) for the
sensor example on a simulated esp32, for `make bench`: DeployReport's
verdict_seconds, as `deploy` measures it (it polls the app's status every
0.2 s, so figures are in steps of about 0.2 s). A device whose firmware has no
app lifecycle reports no trial: the row says n/a."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.errors import VerdictError

RUNS = 3
Table = Callable[[str, list[str], list[list[str]]], None]
Outcome = tuple[str | None, float | None]  # the slot's life, verdict_seconds


def _deploy(example: Path, port: str) -> Outcome:
    try:
        report = deploying.deploy(example, "esp32", port=port).as_dict()
    except VerdictError as exc:  # reverted, failed, no verdict: reported, not timed
        report = exc.report or {}
    return report.get("life"), report.get("verdict_seconds")


def _runs(example: Path, workdir: Path) -> list[Outcome]:
    """``RUNS`` fresh installs of ``example`` (removed between runs)."""
    outcomes: list[Outcome] = []
    with SimulatedBoard.start("esp32", workdir=workdir) as board:
        for _ in range(RUNS):
            outcomes.append(_deploy(example, board.mgmt_address))
            deploying.remove_app("sensor", "esp32", board.mgmt_address)
            if outcomes[-1][0] is None:
                break  # no lifecycle: nothing to time
    return outcomes


def _row(outcomes: list[Outcome]) -> list[str]:
    times = [t for life, t in outcomes if life == "confirmed" and t is not None]
    if not times:
        life = outcomes[-1][0]
        why = "device does not report a trial" if life is None else f"ended {life}"
        return ["sensor", f"n/a ({why})", "-", str(len(outcomes))]
    return ["sensor", f"{statistics.median(times):.2f}", f"{max(times):.2f}", str(len(times))]


def verdict_time(table: Table, build: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wamr-agent-verdict-") as tmp:
        outcomes = _runs(build / "examples" / "sensor.wasm", Path(tmp))
    table("Deploy: end of upload to CONFIRMED (sensor example, simulated esp32; the device's "
          "health policy decides, polled every 0.2 s)",
          ["app", "median s", "max s", "runs"], [_row(outcomes)])
