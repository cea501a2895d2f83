"""What the chaotic-link tests share (tests/hostport, tests/qemu): modules of a
given size, the link's profile, and a deploy that is re-run after a failure
until it completes, checking on the way that a failure is one clear line and
that the device never holds a module other than the ones sent."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import wasmtime

from tests.chaoslink import Chaos, ChaosLink
from wamr_agent import deploy as deploying
from wamr_agent.errors import WamrAgentError
from wamr_agent.ota import build_bundle, load_secret_key
from wamr_agent.smp.apps import AppInfo

ROOT = Path(__file__).resolve().parents[1]
# 5 % of bursts lost, 2 % duplicated, bit error rate 1e-4, one byte in 100,000
# lost, up to 2 ms of delay per burst and 1 % of bursts held 0.2 s
CHAOS = Chaos(loss=0.05, dup=0.02, ber=1e-4, byte_drop=1e-5, delay=0.002, stall=0.01,
              stall_s=0.2)
RERUNS = 4  # deploys after the first before a case gives up


def sized_module(path: Path, size: int, salt: int = 0) -> Path:
    """A valid module of about ``size`` bytes (a data segment), distinct per salt."""
    data = "".join(f"\\{(i * 7 + salt) & 0xFF:02x}" for i in range(max(0, size - 40)))
    path.write_bytes(wasmtime.wat2wasm(
        f'(module (memory (export "memory") 2) (data (i32.const 0) "{data}"))'))
    return path


def signed(module: Path, out: Path, name: str, board: str) -> Path:
    out.write_bytes(build_bundle(
        module.read_bytes(), name=name, version="2.0.0", seq=1, boards=[board], caps=[],
        key=load_secret_key(ROOT / "ota" / "vectors" / "test.key")))
    return out


@dataclass
class Outcome:
    runs: int = 0
    errors: list[str] = field(default_factory=list)


def deploy_until_done(path: Path, board: str, link: ChaosLink, name: str,
                      known: set[str]) -> Outcome:
    """Deploys ``path`` (not started) through ``link``, re-running after each
    failure; asserts each failure is a one-line WamrAgentError and that the device
    holds only modules whose SHA-256 is in ``known`` (hex) after each run."""
    outcome = Outcome()
    while True:
        outcome.runs += 1
        try:
            deploying.deploy(path, board, port=link.address, name=name, start=False)
            return outcome
        except WamrAgentError as exc:
            message = str(exc)
            assert message and "\n" not in message and "Traceback" not in message
            outcome.errors.append(message)
            if outcome.runs > RERUNS:
                raise
        finally:
            held = {app.sha for app in deploying.list_apps(board, link.address)}
            assert held <= known, f"unknown modules on the device: {held - known}"


def sha_hex(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kept_and_staged(apps: list[AppInfo], name: str) -> dict[str, str]:
    """The app's slots: life by SHA-256 (hex)."""
    return {app.sha or "": str(app.life) for app in apps if app.name == name}
