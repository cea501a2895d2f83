"""Deploy completion time through a chaotic link (tests/chaoslink.py: lost,
duplicated, corrupted, delayed and stalled bursts, seeded) against a clean
one, both paced at 115200 baud 8N1 like the goodput table, for `make bench`.
A 64 KiB module to a simulated esp32, not started; a deploy that fails is run
again (its time counts), as an operator would. Target: at most 3x the clean
link's time at 5 % loss."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from goodput import LINE_RATE, Table, big_module

from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.errors import WamrAgentError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' link
from tests.chaoslink import Chaos, ChaosLink

PROFILES = [
    ("clean", Chaos()),
    ("1% loss", Chaos(loss=0.01)),
    ("5% loss", Chaos(loss=0.05)),
    ("10% loss", Chaos(loss=0.10)),
    ("5% loss, 2% dup, stalls", Chaos(loss=0.05, dup=0.02, delay=0.002, stall=0.01,
                                      stall_s=0.2)),
    ("BER 1e-4", Chaos(ber=1e-4)),
    ("all: 5% loss, dup, BER 1e-4, byte drop 1e-5, stalls",
     Chaos(loss=0.05, dup=0.02, ber=1e-4, byte_drop=1e-5, delay=0.002, stall=0.01,
           stall_s=0.2)),
]
RUNS_MAX = 5


def _through(chaos: Chaos, module: Path, workdir: Path) -> tuple[float, int, dict[str, int]]:
    """Seconds to a completed deploy (all runs), runs, and what the link did."""
    paced = Chaos(**{**chaos.__dict__, "rate": LINE_RATE})
    with SimulatedBoard.start("esp32", workdir=workdir) as board, \
            ChaosLink(board.mgmt_address, paced, seed=1) as link:
        began = time.monotonic()
        for run in range(1, RUNS_MAX + 1):
            try:
                deploying.deploy(module, "esp32", port=link.address, start=False)
                return time.monotonic() - began, run, dict(link.events)
            except WamrAgentError:
                if run == RUNS_MAX:
                    raise
        raise AssertionError("unreachable")


def chaos_link(table: Table) -> None:
    with tempfile.TemporaryDirectory(prefix="wamr-agent-chaos-") as tmp:
        module = big_module(Path(tmp) / "blob.wasm")
        rows, clean = [], 0.0
        for i, (label, chaos) in enumerate(PROFILES):
            seconds, runs, events = _through(chaos, module, Path(tmp) / f"b{i}")
            clean = clean or seconds
            faults = ", ".join(f"{n} {what}" for what, n in sorted(events.items())) or "-"
            rows.append([label, f"{seconds:.2f}", f"{seconds / clean:.2f}x", str(runs),
                         faults])
    table("Deploy through a chaotic link, 64 KiB module, 115200 baud 8N1 both ways "
          "(simulated esp32, seed 1; loss, dup and stalls per burst). Target: <= 3x "
          "clean at 5% loss", ["link", "seconds", "vs clean", "runs", "what the link did"],
          rows)
