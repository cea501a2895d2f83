"""Keys made by OpenSSL (`openssl genpkey -algorithm ed25519`) and MCUboot's
imgtool (`imgtool keygen -t ed25519`) sign bundles that a device built to
trust them (TRUSTED_KEYS=<their PEM public keys>) installs over SMP, and the
device, which does not trust the published test key in this build, refuses a
bundle signed by it; its status lists the keys it trusts, so `deploy` refuses
such a bundle before sending it. A simulated esp32 built into its own directory."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from tests.conftest import board_cli
from tests.foreign_keys import imgtool_pair, openssl_pair
from tests.tamper import TEST_KEY, module
from wamr_agent.agent_err import AgentErr
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.errors import SignatureError
from wamr_agent.ota import build_bundle, load_public_key, load_secret_key
from wamr_agent.ota.bundle import Health
from wamr_agent.ota.keys import KeyPair, key_id
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.lifecycle import wait_for_verdict
from wamr_agent.smp.link import SmpLink

ROOT = Path(__file__).resolve().parents[2]
OUT = "build/sim-foreign-keys"


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("keys")
    return {"openssl": openssl_pair(folder), "imgtool": imgtool_pair(folder)}


@pytest.fixture(scope="module")
def program(pairs: dict[str, tuple[Path, Path]]) -> Path:
    keys = " ".join(str(pub) for _key, pub in pairs.values())
    subprocess.run(["make", "-s", "sim", "BOARD=esp32", f"SIM_OUT={OUT}",
                    f"TRUSTED_KEYS={keys}"], cwd=ROOT, check=True, capture_output=True)
    return ROOT / OUT / "esp32" / "wamr-agent-sim"


def signed(key: KeyPair, version: int, seq: int) -> bytes:
    return build_bundle(module(version), name="app", version=f"{version}.0.0", seq=seq,
                        boards=["esp32"], caps=[], key=key, health=Health(loops=1))


def test_openssl_and_imgtool_keys_sign_bundles_the_device_installs(
        program: Path, pairs: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    with SimulatedBoard.start("esp32", firmware=program, workdir=tmp_path / "board") as board:
        board.console.expect(r"trusted bundle keys=2\n")  # no test-key warning
        with SmpLink(board.mgmt_address) as link:
            client = AppClient(link)
            for seq, (tool, (key, _pub)) in enumerate(pairs.items(), 1):
                data = signed(load_secret_key(key), seq, seq)
                client.upload("app", data, bundle=True, version=f"{seq}.0.0")
                board.console.expect(rf"app app installed \(\d+ bytes, slot \d, .*bundle "
                                     rf"seq {seq}\)")
                verdict = wait_for_verdict(client, "app", hashlib.sha256(data).digest())
                assert verdict.outcome == "confirmed", (tool, verdict)
                assert client.status("app").version == f"{seq}.0.0", tool
            with pytest.raises(SignatureError) as caught:
                client.upload("app", signed(TEST_KEY, 3, 3), bundle=True, version="3.0.0")
            assert caught.value.code == AgentErr.UNTRUSTED_KEY
            assert client.status("app").version == "2.0.0"


def test_the_device_says_which_keys_it_trusts_and_no_other_bundle_is_sent(
        program: Path, pairs: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    """Its status lists the ids of the keys built in (and no AOT code: a simulated
    board interprets every module); `deploy` of a bundle signed by the test key is
    refused before a byte of it is sent, with the device's exit code and hint."""
    kids = [key_id(load_public_key(pub)).hex() for _key, pub in pairs.values()]
    path = tmp_path / "app.wab"
    path.write_bytes(signed(TEST_KEY, 1, 1))
    with SimulatedBoard.start("esp32", firmware=program, workdir=tmp_path / "board") as board:
        said = board_cli(board, "status")
        assert (said["kids"], said["aot_abi"]) == (kids, 0)
        refused = board_cli(board, "deploy", str(path), code=13)["error"]
        assert (refused["type"], refused["code"]) == ("SignatureError", "UNTRUSTED_KEY")
        assert refused["message"].startswith(
            f"app: not sent: the bundle is signed by key {TEST_KEY.kid.hex()}, which the device "
            f"does not trust: it trusts {', '.join(kids)} (its firmware's TRUSTED_KEYS;")
        assert "TRUSTED_KEYS=YOUR_KEY.pub" in refused["message"]
        assert "upload to slot" not in board.console.text  # not even a first chunk
        assert board_cli(board, "status")["apps"] == 0
