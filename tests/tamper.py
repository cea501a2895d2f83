"""The tamper sweep both device tiers run (tests/hostport/test_tamper_sweep.py on
a simulated esp32, tests/qemu/test_tamper_sweep.py on QEMU mps2-an386, sampled).

Version 1 of a small app (tests/fixtures/wat/tamper_app.wat) is installed from
a bundle signed by the test key (seq 2). Then, over the same SMP link, damaged
or unfit variants of a version 2 bundle (seq 3) are uploaded; each must be
refused with the code the Python verifier gives the same bytes (``verify_bundle``
with the trusted test key and the board), while the device keeps answering and
version 1 stays installed and running, unchanged. A version 2 bundle carrying AOT
code (docs/aot.md) with a byte of its blob flipped is refused the same way: the
module hash covers the blob, so no damaged code reaches a slot. The device's install path
checks one thing after the verifier: a ``seq`` below the installed app's is
``WA_ERR_ROLLBACK`` (51), where the verifier, which knows no installed app,
accepts the bundle; ``expected_code`` applies that mapping.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import BUILD, WAT_DIR
from wamr_agent.agent_err import AgentErr
from wamr_agent.aot import compile_module
from wamr_agent.aot.section import aot_sections
from wamr_agent.errors import TransportError, WamrAgentError
from wamr_agent.ota import build_bundle, load_public_key, load_secret_key, verify_bundle
from wamr_agent.ota.bundle import Health
from wamr_agent.ota.keys import KeyPair
from wamr_agent.smp.apps import AppClient, AppInfo
from wamr_agent.smp.lifecycle import wait_for_verdict

VECTORS = Path(__file__).resolve().parents[1] / "ota" / "vectors"
TEST_KEY = load_secret_key(VECTORS / "test.key")
OTHER_KEY = load_secret_key(VECTORS / "other.key")  # not trusted by the firmware
TRUSTED = [load_public_key(VECTORS / "test.pub")]
APP = "tamper"
INSTALLED_SEQ, NEW_SEQ = 2, 3
CHECK_EVERY = 200  # attempts between checks that version 1 is still in place


@dataclass(frozen=True)
class Case:
    category: str
    data: bytes


def module(version: int) -> bytes:
    import wasmtime

    text = (WAT_DIR / "tamper_app.wat").read_text()
    return bytes(wasmtime.wat2wasm(text.replace("version 1", f"version {version}")))


def bundle(board: str, version: int, seq: int, key: KeyPair = TEST_KEY,
           boards: list[str] | None = None) -> bytes:
    return build_bundle(module(version), name=APP, version=f"{version}.0.0", seq=seq,
                        boards=boards or [board], caps=[], key=key, health=Health(loops=1))


def aot_bundle(board: str, cpu: str, version: int, seq: int) -> bytes:
    """The bundle with AOT code for ``cpu`` in its module (``bundle build --aot``)."""
    wasm = module(version)
    return build_bundle(wasm, name=APP, version=f"{version}.0.0", seq=seq, boards=[board],
                        caps=[], key=TEST_KEY, health=Health(loops=1),
                        aot={cpu: compile_module(wasm, cpu).data})


def aot_byte_flips(data: bytes, offsets: Iterable[int]) -> Iterator[Case]:
    """``data`` (an aot_bundle) with one byte of its AOT blob inverted at each of
    ``offsets`` (from the blob's start: its header, code, tables)."""
    wasm = verify_bundle(data, TRUSTED).module  # the bundle's tail
    [section] = aot_sections(wasm)
    start = len(data) - len(wasm) + section.offset
    for at in offsets:
        assert at < len(section.blob), f"offset {at} is past the {len(section.blob)}-byte blob"
        changed = bytearray(data)
        changed[start + at] ^= 0xFF
        yield Case("AOT blob byte", bytes(changed))


def flips(data: bytes, bits: Iterable[int] | None = None) -> Iterator[Case]:
    """The bundle with one bit flipped: every bit, or those given."""
    for bit in range(8 * len(data)) if bits is None else bits:
        changed = bytearray(data)
        changed[bit // 8] ^= 1 << (bit % 8)
        yield Case("bit flip", bytes(changed))


def truncations(data: bytes, lengths: Iterable[int] | None = None) -> Iterator[Case]:
    """The bundle cut short: at every length 1..len-1, or those given."""
    for n in range(1, len(data)) if lengths is None else lengths:
        yield Case("truncation", data[:n])


def named_cases(board: str, other_board: str) -> list[Case]:
    good = bundle(board, 2, NEW_SEQ)
    return [Case("trailing bytes", good + b"\0"),
            Case("trailing bytes", good + bytes(range(100))),
            Case("untrusted key", bundle(board, 2, NEW_SEQ, key=OTHER_KEY)),
            Case("other board", bundle(board, 2, NEW_SEQ, boards=[other_board])),
            Case("older seq", bundle(board, 2, INSTALLED_SEQ - 1))]


def expected_code(data: bytes, board: str) -> tuple[AgentErr, str]:
    """The verifier's code for ``data`` on ``board`` (and who gives it); a bundle the
    verifier accepts with a seq below the installed one: the device's ROLLBACK."""
    try:
        checked = verify_bundle(data, TRUSTED, board)
    except WamrAgentError as exc:
        return exc.code, "verifier"
    if checked.manifest.seq < INSTALLED_SEQ:
        return AgentErr.ROLLBACK, "install path"
    return AgentErr.OK, "verifier"


@dataclass
class Sweep:
    """Uploads cases over one client and tallies what the device answers."""

    client: AppClient
    board: str
    installed: AppInfo | None = None
    attempts: int = 0
    seen: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    mismatches: list[str] = field(default_factory=list)

    def install_v1(self) -> None:
        v1 = bundle(self.board, 1, INSTALLED_SEQ)
        self.client.upload(APP, v1, bundle=True, version="1.0.0")
        verdict = wait_for_verdict(self.client, APP, hashlib.sha256(v1).digest(), timeout=60)
        assert verdict.outcome == "confirmed", verdict
        [self.installed] = self.client.list()
        assert self.installed.name == APP and self.installed.state == "running"

    def run(self, cases: Iterable[Case]) -> None:
        for case in cases:
            want, source = expected_code(case.data, self.board)
            got = self.upload(case.data)
            self.seen[(case.category, got.name, source)] += 1
            if got != want or want == AgentErr.OK:
                self.mismatches.append(f"{case.category} ({len(case.data)} bytes, "
                                       f"{case.data.hex()}): device {got.name}, "
                                       f"{source} {want.name}")
            self.attempts += 1
            if self.attempts % CHECK_EVERY == 0:
                self.check_v1()

    def upload(self, data: bytes) -> AgentErr:
        try:
            self.client.upload(APP, data, bundle=True, version="2.0.0")
        except TransportError:
            raise  # the device stopped answering (or answered garbage): a failure
        except WamrAgentError as exc:
            return exc.code
        return AgentErr.OK

    def check_v1(self) -> None:
        """Version 1 is still the installed app, running, with its original sha."""
        assert self.client.list() == [self.installed], f"after {self.attempts} attempts"
        status = self.client.status(APP)
        assert status.version == "1.0.0", f"after {self.attempts} attempts: {status}"

    def table(self) -> str:
        by_category: Counter[str] = Counter()
        for (category, _code, _source), n in self.seen.items():
            by_category[category] += n
        rows = [f"tamper sweep on {self.board}: {self.attempts} attempts, "
                f"{len(self.mismatches)} mismatches",
                f"{'category':16} {'attempts':>8}  device code (expected from)"]
        for category, total in by_category.items():
            codes = ", ".join(f"{code} x{n} ({source})" for (cat, code, source), n
                              in sorted(self.seen.items()) if cat == category)
            rows.append(f"{category:16} {total:8}  {codes}")
        return "\n".join(rows)

    def report(self, name: str) -> str:
        """The table, also written to build/tamper/<name>.txt."""
        text = self.table()
        out = BUILD / "tamper" / f"{name}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        print(text)
        return text
