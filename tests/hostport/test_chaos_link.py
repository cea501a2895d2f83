"""Deploys through a chaotic link (tests/chaoslink.py: lost, duplicated,
corrupted, delayed and stalled bytes, seeded) to a simulated esp32: modules and
signed bundles from 1 KiB to 64 KiB either complete or fail with one clear line
and complete on a re-run; the device never holds a module other than the ones
sent (checked by SHA-256 after each run); the app's confirmed version keeps
running beside the new one. Speed through the link is `make bench`'s."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.chaos_deploy import (
    CHAOS,
    deploy_until_done,
    kept_and_staged,
    sha_hex,
    signed,
    sized_module,
)
from tests.chaoslink import ChaosLink
from tests.hostport.powercut_cases import FULL
from wamr_agent import deploy as deploying
from wamr_agent.emulator import SimulatedBoard

ALL_CASES = [(1024, False), (16384, False), (65536, False), (16384, True), (65536, True)]
# `make test` sends the smallest module and the largest bundle; `make sweep`
# (WAMR_SWEEP=full) every size of both
CASES = ALL_CASES if FULL else [(1024, False), (65536, True)]


@pytest.mark.parametrize(("size", "bundle"), CASES,
                         ids=[f"{s // 1024}KiB-{'bundle' if b else 'module'}" for s, b in CASES])
def test_deploys_through_a_chaotic_link_complete_and_never_install_corruption(
        esp32: SimulatedBoard, example: Callable[[str], Path], tmp_path: Path, size: int,
        bundle: bool) -> None:
    good = example("sensor")
    deploying.deploy(good, "esp32", port=esp32.mgmt_address, name="app")
    new = sized_module(tmp_path / "new.wasm", size, salt=size)
    sent = signed(new, tmp_path / "new.wab", "app", "esp32") if bundle else new
    with ChaosLink(esp32.mgmt_address, CHAOS, seed=size + bundle) as link:
        outcome = deploy_until_done(sent, "esp32", link, "app", {sha_hex(good), sha_hex(sent)})
        assert link.events["bursts lost"] + link.events["bits flipped"] > 0  # chaos happened
    apps = deploying.list_apps("esp32", esp32.mgmt_address)
    assert kept_and_staged(apps, "app") == {sha_hex(good): "confirmed", sha_hex(sent): "staged"}
    assert [a.state for a in apps if a.sha == sha_hex(good)] == ["running"], outcome
    esp32.console.skip()
    esp32.console.expect(r"telemetry app temp_c=")  # the kept version still runs


def test_the_link_is_reproducible_for_a_seed(esp32: SimulatedBoard) -> None:
    """The same bytes through two links of the same seed meet the same faults."""
    import socket

    from wamr_agent.smp.link import parse_socket_address
    payload = bytes(range(256)) * 64
    seen = []
    for _ in range(2):
        server = socket.create_server(("127.0.0.1", 0))
        with ChaosLink(f"socket://127.0.0.1:{server.getsockname()[1]}", CHAOS, seed=7) as link:
            host, port = parse_socket_address(link.address)
            with socket.create_connection((host, port)) as out:
                inner, _ = server.accept()
                out.sendall(payload)
                out.shutdown(socket.SHUT_WR)
                got = b""
                while chunk := inner.recv(65536):
                    got += chunk
                inner.close()
        server.close()
        seen.append((got, dict(link.events)))
    assert seen[0] == seen[1] and seen[0][0] != payload
