"""Firmware built with REQUIRE_SIGNED=1 installs signed bundles only: a bare
module upload is refused (WA_ERR_UNSIGNED, exit 13) and a bundle signed by a
trusted key installs. A simulated esp32 built into its own directory."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from wamr_agent import deploy as deploying
from wamr_agent.agent_err import AgentErr
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.errors import SignatureError, WamrAgentError
from wamr_agent.ota import build_bundle, load_secret_key
from wamr_agent.smp import app_requests as rq
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

ROOT = Path(__file__).resolve().parents[2]
OUT = "build/sim-signed-only"


@pytest.fixture(scope="module")
def signed_only_program() -> Path:
    subprocess.run(["make", "-s", "sim", "BOARD=esp32", f"SIM_OUT={OUT}", "REQUIRE_SIGNED=1"],
                   cwd=ROOT, check=True, capture_output=True)
    return ROOT / OUT / "esp32" / "wamr-agent-sim"


def test_bare_modules_are_refused_and_bundles_install(
        signed_only_program: Path, example: Callable[[str], Path], tmp_path: Path) -> None:
    sensor = example("sensor")
    with SimulatedBoard.start("esp32", firmware=signed_only_program,
                              workdir=tmp_path / "board") as board:
        board.console.expect(r"trusted bundle keys=1 \(signed bundles only\)")
        with pytest.raises(SignatureError, match="only signed bundles") as caught:
            deploying.deploy(sensor, "esp32", board.mgmt_address)
        assert caught.value.code == AgentErr.UNSIGNED
        assert deploying.list_apps("esp32", board.mgmt_address) == []

        bundle = tmp_path / "sensor.wab"
        bundle.write_bytes(build_bundle(
            sensor.read_bytes(), name="sensor", version="1.0.0", seq=1, boards=["esp32"],
            caps=["log", "sensor", "telemetry"],
            key=load_secret_key(ROOT / "ota" / "vectors" / "test.key")))
        deploying.deploy(bundle, "esp32", board.mgmt_address)
        board.console.expect(r"telemetry sensor temp_c=")


def test_a_partial_upload_left_by_permissive_firmware_is_checked_as_a_bundle(
        signed_only_program: Path, example: Callable[[str], Path], tmp_path: Path) -> None:
    """Issue 10 item 3: permissive firmware leaves a partial bare upload (its meta says
    "not a bundle", every capability granted) in flash; firmware built with
    REQUIRE_SIGNED=1 boots on that flash, and a peer resumes the same name, length and
    SHA-256 claiming a bundle. What is in flash is then verified as a bundle, not
    installed on the strength of the stored flags."""
    module = example("sensor").read_bytes()
    workdir = tmp_path / "board"
    with SimulatedBoard.start("esp32", workdir=workdir) as permissive, \
            SmpLink(permissive.mgmt_address) as link:
        first = AppClient(link).request(rq.UploadWrite(
            off=0, len=len(module), sha=hashlib.sha256(module).digest(), name="sensor",
            start=True, data=module[:1024], sequence=0))
        assert first.off == 1024 and not first.done  # type: ignore[union-attr]
        permissive.power_cut()
    with SimulatedBoard.start("esp32", firmware=signed_only_program,
                              workdir=workdir) as board:
        board.console.expect(r"signed bundles only")
        with SmpLink(board.mgmt_address) as link:
            with pytest.raises(WamrAgentError):
                AppClient(link).upload("sensor", module, bundle=True)
            assert AppClient(link).list() == []
        board.console.expect(r"app sensor upload resumed")
        board.console.expect(r"app sensor refused: not a valid bundle")
