"""Rollouts through a real controller and gateway: one `wamr-agent gateway` with
two simulated esp32 boards and a QEMU mps2-an386, a `wamr-agent controller` with
its SQLite database, a real mosquitto. Waves that complete, a version that fails
its trial and halts the rollout, and a rollout that goes on through the gateway
killed with SIGKILL, the controller killed, the broker restarted and a device
offline during its wave; pause, resume, abort and selectors; a version that
waits for a manual confirm, given by the controller after the soak. Every version is
installed once per device: the device's console says so.

The tests run in this order on one fleet (module fixtures); each deploys a new
signed version (its security counter one higher)."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from typer.testing import CliRunner

from tests.conftest import cli_json as cli
from tests.conftest import need
from tests.gateway.conftest import ControllerProcess, GatewayProcess, Watch, gateway_config
from tests.gateway.conftest import state_of as state_where
from wamr_agent.emulator import EmulatedBoard, QemuNotFound, SimulatedBoard, find_qemu
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.broker import Mosquitto

GW = "gw1"
DEVICES = ("dev1", "dev2", "qemu1")
TEST_KEY = Path(__file__).resolve().parents[2] / "ota" / "vectors" / "test.key"
TRAPS = '(module (func (export "loop") (i32.div_s (i32.const 1) (i32.const 0)) drop))'
runner = CliRunner()



@dataclass
class Rig:
    boards: dict[str, EmulatedBoard | SimulatedBoard]
    gateway: GatewayProcess
    controller: ControllerProcess
    broker: Mosquitto
    root: Path
    sensor: Path

    @property
    def via(self) -> list[str]:
        return ["--via", str(self.broker.url)]

    def version(self, version: str, seq: int, module: Path | None = None) -> Path:
        """The sensor app (or ``module`` as the sensor app) as a signed bundle."""
        out = self.root / f"sensor-{version}.wab"
        cli("bundle", "build", str(module or self.sensor), "--name", "sensor", "--key",
            str(TEST_KEY), "--version", version, "--seq", str(seq), "--board", "esp32",
            "--board", "mps2-an386", "--health-loops", "1", "-o", str(out))
        return out

    def start(self, bundle: Path, *options: str) -> str:
        rollout = cli("rollout", "start", str(bundle), *self.via, *options)
        assert rollout["state"] == "running"
        return str(rollout["id"])

    def status(self, rollout_id: str) -> dict[str, Any]:
        return dict(cli("rollout", "status", rollout_id, *self.via))

    def wait(self, rollout_id: str, code: int = 0, timeout: float = 240) -> dict[str, Any]:
        answer = cli("rollout", "status", rollout_id, *self.via, "--wait", "--timeout",
                     str(timeout), code=code)
        return dict(answer if code == 0 else answer["rollout"])

    def until(self, rollout_id: str, check: Callable[[dict[str, Any]], bool],
              timeout: float = 120) -> dict[str, Any]:
        """The rollout's status once it passes ``check`` (read twice a second)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rollout = self.status(rollout_id)
            if check(rollout):
                return rollout
            time.sleep(0.5)
        raise AssertionError(f"rollout {rollout_id} never passed the check: {rollout}")

    def installs(self, dev: str, seq: int) -> int:
        """How many times the device installed the bundle with security counter ``seq``."""
        return len(re.findall(rf"app sensor installed \([^)]*bundle seq {seq}\)",
                              self.boards[dev].console.text))

    def running(self, dev: str) -> list[tuple[str | None, str | None]]:
        apps = cli("ps", *self.via, "--device", f"{GW}/{dev}")["apps"]
        return [(a["version"], a["life"]) for a in apps if a["state"] == "running"]


def _reachable(broker: Mosquitto) -> None:
    with Watch(broker.url, f"wamr/v1/{GW}/+/state") as watch:
        for dev in DEVICES:
            state_where(GW, dev, watch, lambda s: s.reachable, timeout=60)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, broker: Mosquitto,
        example: Callable[[str], Path]) -> Iterator[Rig]:
    try:
        find_qemu()
    except QemuNotFound as exc:
        need(False, "qemu-system-arm", str(exc))
    root = tmp_path_factory.mktemp("rollouts")
    boards: dict[str, EmulatedBoard | SimulatedBoard] = {}
    processes: list[GatewayProcess | ControllerProcess] = []
    try:
        for dev in ("dev1", "dev2"):
            boards[dev] = SimulatedBoard.start("esp32", workdir=root / dev)
        boards["qemu1"] = EmulatedBoard.start("mps2-an386", workdir=root / "qemu1")
        config = gateway_config(GW, {dev: (b.board.name, b.mgmt_address)
                                     for dev, b in boards.items()})
        processes.append(GatewayProcess(root / "gateway", config, broker.url))
        processes.append(ControllerProcess(root / "controller", broker.url))
        processes[1].wait_line(r"controller: serving rollouts on ")
        _reachable(broker)
        yield Rig(boards, processes[0], processes[1], broker, root,  # type: ignore[arg-type]
                  example("sensor"))
    finally:
        for process in processes:
            process.kill()
        for board in boards.values():
            board.stop()


def by_device(rollout: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["dev"]: d for d in rollout["devices"]}


def test_a_three_wave_rollout_completes(rig: Rig) -> None:
    bundle = rig.version("1.1.0", 1)
    rollout_id = rig.start(bundle, "--waves", "1,2,3", "--soak", "1s")
    assert re.fullmatch(r"r-[0-9a-f]{8}", rollout_id)
    done = rig.wait(rollout_id)
    assert done["state"] == "completed" and done["sizes"] == [1, 2, 3]
    devices = by_device(done)
    assert {d: (r["outcome"], r["attempts"]) for d, r in devices.items()} == {
        d: ("succeeded", 1) for d in DEVICES}
    waves = sorted(done["devices"], key=lambda r: r["wave"])
    for earlier, later in itertools.pairwise(waves):  # one wave after another
        assert earlier["finished"] - earlier["soak_from"] >= 1.0  # the soak was kept
        assert later["started"] >= earlier["finished"]
    for dev in DEVICES:
        assert rig.running(dev) == [("1.1.0", "confirmed")]
        assert rig.installs(dev, 1) == 1
    listed = cli("rollout", "list", *rig.via)["rollouts"]
    assert [(r["id"], r["state"], r["counts"]["succeeded"]) for r in listed] == [
        (rollout_id, "completed", 3)]


def test_a_version_that_fails_its_trial_halts_the_rollout(rig: Rig) -> None:
    module = rig.root / "traps.wasm"
    module.write_bytes(bytes(wasmtime.wat2wasm(TRAPS)))
    rollout_id = rig.start(rig.version("1.2.0", 2, module), "--waves", "1,100%", "--soak",
                           "1s", "--max-failures", "0")
    halted = rig.wait(rollout_id, code=17)
    assert halted["state"] == "halted"
    assert "at the halt, 1 of 1 device(s) that answered had failed" in halted["reason"]
    devices = by_device(halted)
    assert devices["dev1"]["outcome"] == "failed"
    assert "reverted on the device: loop trapped" in devices["dev1"]["detail"]
    assert devices["dev1"]["exit_code"] == 14
    for dev in ("dev2", "qemu1"):  # the halt kept the next wave from starting
        assert (devices[dev]["outcome"], devices[dev]["attempts"]) == ("pending", 0)
        assert rig.installs(dev, 2) == 0
    for dev in DEVICES:  # dev1 reverted by itself; every device runs the last good one
        assert rig.running(dev) == [("1.1.0", "confirmed")]


def _in_flight(rollout: dict[str, Any]) -> bool:
    return any(d["outcome"] in ("deploying", "soaking") for d in rollout["devices"])


def test_the_gateway_killed_mid_rollout_costs_no_second_install(rig: Rig) -> None:
    rollout_id = rig.start(rig.version("1.3.0", 3), "--waves", "1,100%", "--soak", "3s")
    rig.until(rollout_id, _in_flight)
    rig.gateway.kill()  # SIGKILL: jobs stay on its disk
    rig.until(rollout_id, lambda r: r["counts"]["unreachable"] > 0, timeout=60)
    rig.gateway.start()
    done = rig.wait(rollout_id)
    assert done["state"] == "completed"
    assert all(d["outcome"] == "succeeded" for d in done["devices"])
    for dev in DEVICES:
        assert rig.installs(dev, 3) == 1
        assert rig.running(dev) == [("1.3.0", "confirmed")]


def test_the_controller_killed_mid_rollout_carries_on(rig: Rig) -> None:
    rollout_id = rig.start(rig.version("1.4.0", 4), "--waves", "1,100%", "--soak", "3s")
    rig.until(rollout_id, _in_flight)
    rig.controller.kill()
    gone = cli("rollout", "status", rollout_id, *rig.via, "--timeout", "1", code=12)
    assert "is `wamr-agent controller" in gone["error"]["message"]
    rig.controller.start()
    rig.controller.wait_line(r"controller: serving rollouts on ")
    done = rig.wait(rollout_id)
    assert done["state"] == "completed"
    for dev in DEVICES:
        assert rig.installs(dev, 4) == 1
        assert rig.running(dev) == [("1.4.0", "confirmed")]


def test_a_rollout_goes_on_after_a_broker_restart(rig: Rig) -> None:
    rollout_id = rig.start(rig.version("1.5.0", 5), "--waves", "1,100%", "--soak", "2s")
    rig.until(rollout_id, _in_flight)
    rig.broker.stop()  # without persistence: retained state and sessions are gone
    rig.broker.start()
    _reachable(rig.broker)
    done = rig.wait(rollout_id)
    assert done["state"] == "completed"
    for dev in DEVICES:
        assert rig.installs(dev, 5) == 1


def test_a_device_offline_during_its_wave_is_finished_when_it_returns(rig: Rig) -> None:
    board = rig.boards["dev2"]
    with Watch(rig.broker.url, topics.device_state(GW, "dev2")) as watch:
        board.power_cut()
        state_where(GW, "dev2", watch, lambda s: not s.reachable)
    rollout_id = rig.start(rig.version("1.6.0", 6), "--waves", "1,100%", "--soak", "1s")
    waiting = rig.until(rollout_id, lambda r: r["reason"] is not None
                        and "unreachable" in r["reason"])
    assert waiting["state"] == "running"
    assert waiting["reason"] == "waiting for 1 unreachable device(s)"
    devices = by_device(waiting)
    assert devices["dev2"]["wave"] == 1  # unreachable devices go last
    assert devices["dev2"]["outcome"] == "unreachable"
    assert [devices[d]["outcome"] for d in ("dev1", "qemu1")] == ["succeeded"] * 2
    board.restart()
    done = rig.wait(rollout_id)
    assert done["state"] == "completed"
    assert by_device(done)["dev2"]["outcome"] == "succeeded"
    assert rig.installs("dev2", 6) == 1
    assert rig.running("dev2") == [("1.6.0", "confirmed")]


def test_pause_resume_and_a_selector(rig: Rig) -> None:
    rollout_id = rig.start(rig.version("1.7.0", 7), "--target", "board=esp32", "--waves",
                           "1,100%", "--soak", "2s")
    paused = cli("rollout", "pause", rollout_id, *rig.via)
    assert paused["state"] == "paused"
    assert sorted(by_device(paused)) == ["dev1", "dev2"]  # the selector left qemu1 out
    busy = cli("rollout", "start", str(rig.version("1.7.1", 8)), *rig.via, "--target",
               "device=dev2", code=2)  # one unfinished rollout of an app per device
    assert f"gw1/dev2 is in rollout {rollout_id} of sensor (paused)" in busy["error"]["message"]
    time.sleep(4)  # the first wave's device finishes; the next wave does not begin
    held = rig.status(rollout_id)
    assert held["state"] == "paused" and held["wave"] == 0
    assert by_device(held)["dev2"]["attempts"] == 0
    assert cli("rollout", "resume", rollout_id, *rig.via)["state"] == "running"
    done = rig.wait(rollout_id)
    assert [d["outcome"] for d in done["devices"]] == ["succeeded"] * 2
    assert rig.running("qemu1") == [("1.6.0", "confirmed")]


def test_a_manual_confirm_version_is_confirmed_by_the_controller_after_the_soak(
        rig: Rig) -> None:
    manual = rig.root / "sensor-1.8.0-manual.wab"
    cli("bundle", "build", str(rig.sensor), "--name", "sensor", "--key", str(TEST_KEY),
        "--version", "1.8.0", "--seq", "8", "--board", "esp32", "--health-loops", "1",
        "--confirm", "manual", "-o", str(manual))
    rollout_id = rig.start(manual, "--target", "device=gw1/dev1", "--soak", "2s")
    soaking = rig.until(rollout_id, lambda r: r["counts"]["soaking"] == 1)
    assert by_device(soaking)["dev1"]["detail"] == "trial (awaiting a confirm)"
    assert ("1.8.0", "trial") in rig.running("dev1")  # the device waits for a confirm
    done = rig.wait(rollout_id)
    assert by_device(done)["dev1"]["outcome"] == "succeeded"
    assert rig.running("dev1") == [("1.8.0", "confirmed")]


def test_abort_and_usage_errors(rig: Rig) -> None:
    rollout_id = rig.start(rig.version("1.9.0", 9), "--waves", "1,100%", "--soak", "30s")
    aborted = cli("rollout", "abort", rollout_id, *rig.via)
    assert aborted["state"] == "aborted"
    final = rig.wait(rollout_id, code=18)
    assert all(d["attempts"] == 0 for d in final["devices"] if d["wave"] == 1)
    again = cli("rollout", "resume", rollout_id, *rig.via, code=2)
    assert "is aborted" in again["error"]["message"]
    nobody = cli("rollout", "start", str(rig.version("1.10.0", 10)), *rig.via, "--target",
                 "board=nrf52840", code=2)
    assert "no device" in nobody["error"]["message"]
    assert cli("rollout", "status", "r-00000000", *rig.via, code=2)["error"]["code"] == (
        "INVALID_ARG")
