"""`deploy --via` through a gateway that trusts two keys (the test key and
ota/vectors/other.pub) to a device whose firmware trusts the second only (a
simulated esp32 built with TRUSTED_KEYS=ota/vectors/other.pub, into its own
directory): the gateway's deploy job reads the keys the device trusts from its
status and refuses a bundle signed by the test key before it uploads a byte,
with the device's exit code (13) and hint; a bundle signed by the other key
goes through the same job path and is confirmed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.conftest import cli_json as cli
from tests.gateway.conftest import GatewayProcess, bundle, gateway_config, wait_answering
from tests.tamper import OTHER_KEY, TEST_KEY
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.mqtt.broker import Mosquitto

GW = "gwk"
OUT = "build/sim-other-key"


@dataclass
class Setup:
    board: SimulatedBoard
    via: list[str]
    tmp: Path


def other_key_program() -> Path:
    subprocess.run(["make", "-s", "sim", "BOARD=esp32", f"SIM_OUT={OUT}",
                    "TRUSTED_KEYS=ota/vectors/other.pub"], cwd=ROOT, check=True,
                   capture_output=True)
    return ROOT / OUT / "esp32" / "wamr-agent-sim"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, broker: Mosquitto) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("device-keys")
    with SimulatedBoard.start("esp32", firmware=other_key_program(),
                              workdir=root / "dev1") as board:
        keys = [str(ROOT / "ota" / "vectors" / f"{k}.pub") for k in ("test", "other")]
        config = gateway_config(GW, {"dev1": ("esp32", board.mgmt_address)})
        config = f"trusted_keys = {keys!r}\n{config}".replace("'", '"')
        gateway = GatewayProcess(root / "gateway", config, broker.url)
        try:
            wait_answering(broker.url, GW, "dev1", gateway)
            yield Setup(board, ["--via", str(broker.url), "--device", f"{GW}/dev1"], root)
        finally:
            gateway.kill()


def test_a_bundle_the_device_does_not_trust_is_not_uploaded_by_the_gateway(
        setup: Setup, example: Callable[[str], Path]) -> None:
    signed = bundle(setup.tmp, example("sensor"), "bsensor", TEST_KEY)  # the gateway's key
    refused = cli("deploy", str(signed), *setup.via, code=13)["error"]
    assert (refused["type"], refused["code"]) == ("SignatureError", "UNTRUSTED_KEY")
    assert refused["message"].startswith(
        f"bsensor: not sent: the bundle is signed by key {TEST_KEY.kid.hex()}, which the "
        f"device does not trust: it trusts {OTHER_KEY.kid.hex()} (its firmware's TRUSTED_KEYS;")
    assert "upload to slot" not in setup.board.console.text  # not even a first chunk
    assert cli("ps", *setup.via)["apps"] == []
    trusted = bundle(setup.tmp, example("sensor"), "osensor", OTHER_KEY)
    report = cli("deploy", str(trusted), *setup.via)
    assert (report["name"], report["life"]) == ("osensor", "confirmed")
