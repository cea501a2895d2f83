"""Signed bundles (ota/FORMAT.md) deployed to real firmware: the device verifies
the signature against the keys built into it (the test key here), installs the
module inside with the manifest's capabilities, and refuses a tampered bundle,
a rollback to a lower security counter and another board's bundle, while the
installed app keeps running; a bundle signed by a key it does not trust is
refused by `deploy` before the upload (the device status lists the keys it
trusts), with the device's error. QEMU mps2-an386 and the simulated esp32."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wamr_agent import deploy as deploying
from wamr_agent.agent_err import AgentErr
from wamr_agent.emulator import EmulatedBoard, SimulatedBoard
from wamr_agent.errors import BoardError, SignatureError
from wamr_agent.ota import build_bundle, load_secret_key, new_key_pair
from wamr_agent.ota.keys import KeyPair
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = load_secret_key(ROOT / "ota" / "vectors" / "test.key")
KINDS = [pytest.param((EmulatedBoard, "mps2-an386"), id="qemu-mps2-an386"),
         pytest.param((SimulatedBoard, "esp32"), id="sim-esp32")]
CAPS = ["log", "sensor", "telemetry"]


@pytest.fixture(params=KINDS)
def device(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmulatedBoard]:
    cls, name = request.param
    with cls.start(name, workdir=tmp_path / "board") as board:
        yield board


def write(tmp_path: Path, module: bytes, version: str, seq: int, key: KeyPair = TEST_KEY,
          boards: tuple[str, ...] = ("mps2-an386", "esp32")) -> Path:
    path = tmp_path / f"sensor-{version}-{seq}.wab"
    path.write_bytes(build_bundle(module, name="sensor", version=version, seq=seq,
                                  boards=list(boards), caps=CAPS, key=key))
    return path


def test_signed_bundles_install_and_the_device_refuses_bad_ones(
        device: EmulatedBoard, example: Callable[[str], Path], tmp_path: Path) -> None:
    module = example("sensor").read_bytes()
    board, address = device.board.name, device.mgmt_address
    device.console.expect(r"trusted bundle keys=1 \(one is the published TEST key")
    report = deploying.deploy(write(tmp_path, module, "1.2.0", 5), board, address)
    assert report.name == "sensor" and not report.already_installed
    device.console.expect(rf"app sensor installed \({len(module)} bytes, slot \d, bundle seq 5\)")
    device.console.expect(r"telemetry sensor temp_c=")
    st = deploying.status(board, address, "sensor")
    assert st.version == "1.2.0" and st.module_ram == 0  # type: ignore[union-attr]

    good = write(tmp_path, module, "1.3.0", 6).read_bytes()
    refusals = [
        (good[:-10] + bytes([good[-10] ^ 1]) + good[-9:], AgentErr.BAD_SIGNATURE),
        (write(tmp_path, module, "1.3.1", 6, key=new_key_pair()).read_bytes(),
         AgentErr.UNTRUSTED_KEY),
        (write(tmp_path, module, "1.1.0", 4).read_bytes(), AgentErr.ROLLBACK),
    ]
    for data, code in refusals:
        path = tmp_path / "refused.wab"
        path.write_bytes(data)
        with pytest.raises(SignatureError) as caught:
            deploying.deploy(path, board, address)
        assert caught.value.code == code, str(caught.value)
        if code == AgentErr.UNTRUSTED_KEY:  # known from the device's status: not sent
            assert str(caught.value).startswith("sensor: not sent: "), str(caught.value)
        else:
            device.console.expect(r"app sensor refused: ")
    assert device.console.text.count("app sensor refused: ") == 2
    # the installed version ran throughout and still does
    [app] = deploying.list_apps(board, address)
    assert app.state == "running"
    st = deploying.status(board, address, "sensor")
    assert st.version == "1.2.0"  # type: ignore[union-attr]

    deploying.deploy(tmp_path / "sensor-1.3.0-6.wab", board, address)
    device.console.expect(r"bundle seq 6\)")
    assert deploying.status(board, address, "sensor").version == "1.3.0"  # type: ignore[union-attr]


def test_another_boards_bundle_is_refused_by_host_and_device(
        device: EmulatedBoard, example: Callable[[str], Path], tmp_path: Path) -> None:
    module = example("sensor").read_bytes()
    other = "nrf52840"
    path = write(tmp_path, module, "1.0.0", 1, boards=(other,))
    with pytest.raises(BoardError, match="not sent"):
        deploying.deploy(path, device.board.name, device.mgmt_address)
    data = path.read_bytes()
    with SmpLink(device.mgmt_address) as link:  # a client without the host's pre-flight
        with pytest.raises(BoardError) as caught:
            AppClient(link).upload("sensor", data, bundle=True,
                                   deploy_id="d-" + hashlib.sha256(data).hexdigest()[:12])
        assert caught.value.code == AgentErr.WRONG_BOARD
        assert AppClient(link).list() == []
