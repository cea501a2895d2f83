"""Tamper sweep on a simulated esp32 (tests/tamper.py): version 1 of an app
installed from a signed bundle, then over one SMP link every single-bit flip
of a version 2 bundle, its truncation at every length, trailing bytes, an
untrusted key, another board's bundle and an older seq. Each is refused with
the code the Python verifier gives (ROLLBACK from the install path for the
older seq), the device keeps answering, and version 1 stays installed and
running with its original sha. The table is printed (pytest -rA shows it) and
written to build/tamper/sim-esp32.txt."""

from __future__ import annotations

from tests.tamper import NEW_SEQ, Sweep, bundle, flips, named_cases, truncations
from wamr_agent.agent_err import AgentErr
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink


def test_every_flip_and_truncation_is_refused_and_v1_keeps_running(
        esp32: SimulatedBoard) -> None:
    v2 = bundle("esp32", 2, NEW_SEQ)
    assert len(v2) <= 400, len(v2)
    with SmpLink(esp32.mgmt_address) as link:
        sweep = Sweep(AppClient(link), "esp32")
        sweep.install_v1()
        sweep.run(flips(v2))
        sweep.run(truncations(v2))
        sweep.run(named_cases("esp32", "nrf52840"))
        sweep.check_v1()
    table = sweep.report("sim-esp32")
    assert sweep.attempts == 8 * len(v2) + len(v2) - 1 + 5, table
    assert not sweep.mismatches, "\n".join([table, *sweep.mismatches[:20]])
    codes = {code for (_category, code, _source) in sweep.seen}
    assert {"MALFORMED", "BAD_SIGNATURE", "UNTRUSTED_KEY", "WRONG_BOARD",
            AgentErr.ROLLBACK.name} <= codes, table
