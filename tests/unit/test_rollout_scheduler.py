"""The controller's scheduler decisions (controller/service.py, ``_advance``) on a
stored rollout whose devices have given their outcomes: open the next wave, wait,
halt, complete. A stand-in for the MQTT link says every gateway is lost, so no
device's part starts here; the same decisions on real gateways:
tests/gateway/test_rollouts.py."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wamr_agent.controller.plan import Candidate
from wamr_agent.controller.service import Controller
from wamr_agent.controller.store import DeviceRun, Outcome, Rollout, Spec, Store
from wamr_agent.errors import BoardError
from wamr_agent.ota import build_bundle, new_key_pair


class LostLink:
    """The link as the scheduler uses it, with every gateway gone."""

    def __init__(self, on_command: Callable[[Any], None]) -> None:
        self.broker = "mqtt://test"

    def gateway_state(self, gw: str) -> str:
        return "lost"

    def reachable(self, gw: str, dev: str) -> bool:
        return False


def _rollout(store: Store, outcomes: list[Outcome], sizes: list[int], wave: int = 0,
             max_failures: str = "10%") -> Rollout:
    spec = Spec("sensor", "1.0.0", "ab" * 32, "d-abababababab", 3, True, "s.wab", [],
                [str(n) for n in sizes], sizes, 0.0, max_failures)
    rollout = Rollout("r-0000000a", "running", None, spec, wave, 1.0, 1.0)
    wave_of = [next(i for i, n in enumerate(sizes) if k < n) for k in range(sizes[-1])]
    runs = [DeviceRun("gw1", f"dev{k}", "esp32", wave_of[k],
                      outcomes[k] if k < len(outcomes) else "pending")
            for k in range(sizes[-1])]
    store.create(rollout, "req", runs, b"bytes")
    return rollout


@pytest.fixture
def controller(tmp_path: Path) -> Controller:
    return Controller(Store(tmp_path / "r.sqlite3"), LostLink, lambda line: None)  # type: ignore[arg-type]


def _after(controller: Controller, rollout: Rollout) -> Rollout:
    controller._advance(rollout)
    got = controller.store.get(rollout.id)
    assert got is not None
    return got


def test_a_wave_that_succeeded_opens_the_next(controller: Controller) -> None:
    rollout = _rollout(controller.store, ["succeeded"], [1, 3])
    assert (_after(controller, rollout).wave, _after(controller, rollout).state) == (1, "running")


def test_an_unreachable_canary_holds_the_next_wave(controller: Controller) -> None:
    rollout = _rollout(controller.store, ["unreachable"], [1, 3])
    after = _after(controller, rollout)
    assert (after.wave, after.state, after.reason) == (
        0, "running", "waiting for 1 unreachable device(s)")


def test_unreachable_devices_do_not_hold_back_a_wave_with_a_success(
        controller: Controller) -> None:
    rollout = _rollout(controller.store, ["succeeded", "unreachable"], [2, 4],
                       max_failures="50%")
    assert _after(controller, rollout).wave == 1


def test_failures_the_threshold_allows_open_the_next_wave(controller: Controller) -> None:
    rollout = _rollout(controller.store, ["failed"], [1, 2], max_failures="100%")
    assert _after(controller, rollout).wave == 1


def test_failures_past_the_threshold_halt(controller: Controller) -> None:
    rollout = _rollout(controller.store, ["succeeded", "failed", "soaking"], [3, 6],
                       max_failures="1")
    assert _after(controller, rollout).state == "running"  # 1 failure: not past 1
    controller.store.set_device(rollout.id, DeviceRun("gw1", "dev2", "esp32", 0, "failed"))
    halted = _after(controller, rollout)
    assert (halted.state, halted.wave) == ("halted", 0)
    assert halted.reason == ("at the halt, 2 of 3 device(s) that answered had failed, past "
                             "--max-failures 1; deploys under way finish")


def test_the_last_wave_completes_once_nobody_is_unreachable(controller: Controller) -> None:
    rollout = _rollout(controller.store, ["succeeded", "unreachable"], [1, 2], wave=1,
                       max_failures="100%")
    assert _after(controller, rollout).state == "running"
    controller.store.set_device(rollout.id, DeviceRun("gw1", "dev1", "esp32", 1, "succeeded"))
    done = _after(controller, rollout)
    assert (done.state, done.reason) == ("completed", "2 succeeded, 0 failed")


class FleetLink(LostLink):
    """A connected link whose retained state shows two esp32 boards and an mps2-an386."""

    def settled(self) -> bool:
        return True

    def candidates(self) -> list[Candidate]:
        return [Candidate("gw1", "dev1", "esp32"), Candidate("gw1", "dev2", "esp32"),
                Candidate("gw1", "qemu1", "mps2-an386")]


def test_a_bundle_for_no_targeted_board_is_refused_at_start(tmp_path: Path,
                                                           wat: Callable[[str], bytes]) -> None:
    """A bundle for nrf52840 rolled out to esp32 boards would fail on every device
    (it was started, then halted); it is refused before, exit 4, and a bundle for one
    of the boards targeted starts."""
    controller = Controller(Store(tmp_path / "r.sqlite3"), FleetLink, lambda line: None)  # type: ignore[arg-type]
    key = new_key_pair()

    def start(boards: list[str], *targets: str) -> dict[str, Any]:
        data = build_bundle(wat("add"), name="probe", version="1.0.0", seq=1, boards=boards,
                            caps=[], key=key, mem={"linear": 0}, entry=[])
        sha = hashlib.sha256(data).hexdigest()
        controller.store.upload(sha, len(data), 0, data)
        return controller._start(f"req-{sha[:8]}", {"sha256": sha, "targets": list(targets),
                                                    "waves": ["100%"], "soak": 0})

    with pytest.raises(BoardError, match=r"^the bundle is for nrf52840; none of the 2 "
                       r"device\(s\) targeted is \(esp32\)"):
        start(["nrf52840"], "board=esp32")
    with pytest.raises(BoardError, match=r"none of the 3 device\(s\) targeted is "
                       r"\(esp32, mps2-an386\)"):
        start(["nrf52840"])
    assert start(["esp32", "nrf52840"])["counts"]["pending"] == 3
