"""Tamper sweep on QEMU mps2-an386 (tests/tamper.py), sampled: 40 single-bit
flips of a version 2 bundle at bits drawn with a fixed seed, truncations at
the edges of its parts, trailing bytes, an untrusted key, another board's
bundle and an older seq, and a version 2 bundle with AOT code for the board's
CPU (docs/aot.md) with one byte of its blob inverted (in the header, the code,
the tables), over one SMP link. Each is refused with the code the
Python verifier gives (ROLLBACK from the install path for the older seq), the
firmware keeps answering, and version 1 stays installed and running with its
original sha. The table is printed (pytest -rA) and written to
build/tamper/qemu-mps2-an386.txt. The full sweep runs on the simulated esp32."""

from __future__ import annotations

import random
from pathlib import Path

from tests.tamper import (
    NEW_SEQ,
    Sweep,
    aot_bundle,
    aot_byte_flips,
    bundle,
    flips,
    named_cases,
    truncations,
)
from wamr_agent.boards import load_board
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.ota.bundle import HEAD, SIG_LEN
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

BOARD = "mps2-an386"
FLIPS = 40
SEED = 8032
AOT_BYTES = [0, 4, 8, 80, 81, 200, 320, 480]  # magic, abi, cpu, the code's first bytes, ...


def test_sampled_flips_and_truncations_are_refused_and_v1_keeps_running(
        tmp_path: Path) -> None:
    v2 = bundle(BOARD, 2, NEW_SEQ)
    manifest_end = HEAD.size + int.from_bytes(v2[4:8], "little")
    bits = random.Random(SEED).sample(range(8 * len(v2)), FLIPS)
    cuts = [1, HEAD.size - 1, HEAD.size, manifest_end, manifest_end + SIG_LEN, len(v2) - 1]
    v2aot = aot_bundle(BOARD, load_board(BOARD).cpu, 2, NEW_SEQ)
    with EmulatedBoard.start(BOARD, workdir=tmp_path / "board") as board, \
            SmpLink(board.mgmt_address) as link:
        sweep = Sweep(AppClient(link), BOARD)
        sweep.install_v1()
        sweep.run(flips(v2, bits))
        sweep.run(truncations(v2, cuts))
        sweep.run(named_cases(BOARD, "esp32"))
        sweep.run(aot_byte_flips(v2aot, AOT_BYTES))
        sweep.check_v1()
    table = sweep.report("qemu-mps2-an386")
    assert sweep.attempts == FLIPS + len(cuts) + 5 + len(AOT_BYTES), table
    assert "AOT blob byte" in table, table
    assert not sweep.mismatches, "\n".join([table, *sweep.mismatches])
