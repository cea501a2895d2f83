"""A rollout's plan (controller/plan.py) and its database (controller/store.py),
without a broker: targets, waves, the failure threshold, durations; rollouts and
uploads that outlive the store object. The controller driving real gateways:
tests/gateway/test_rollouts.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from wamr_agent.controller.plan import (
    Candidate,
    Target,
    Threshold,
    parse_duration,
    parse_waves,
    select,
    wave_sizes,
)
from wamr_agent.controller.store import DeviceRun, Rollout, Spec, Store
from wamr_agent.errors import UsageError
from wamr_agent.mqtt import topics

FLEET = [Candidate("gw2", "a", "esp32"), Candidate("gw1", "b", "mps2-an386"),
         Candidate("gw1", "a", "esp32", reachable=False), Candidate("gw1", "c", "esp32")]


def keys(chosen: list[Candidate]) -> list[str]:
    return [c.key for c in chosen]


def test_targets_are_anded_alternatives_and_globs_ored() -> None:
    assert keys(select(FLEET, [Target.parse("board=esp32")])) == ["gw1/c", "gw2/a", "gw1/a"]
    assert keys(select(FLEET, [Target.parse("board=esp32"), Target.parse("gw=gw1")])) == [
        "gw1/c", "gw1/a"]
    assert keys(select(FLEET, [Target.parse("device=gw1/b,gw2/*")])) == ["gw1/b", "gw2/a"]
    assert keys(select(FLEET, [Target.parse("board=mps2-*")])) == ["gw1/b"]
    assert keys(select(FLEET, [])) == ["gw1/b", "gw1/c", "gw2/a", "gw1/a"]  # unreachable last
    for bad in ("esp32", "colour=red", "board="):
        with pytest.raises(UsageError, match="KEY=VALUE"):
            Target.parse(bad)


@pytest.mark.parametrize(("waves", "total", "sizes"), [
    (["1", "10%", "50%", "100%"], 3, [1, 2, 3]),
    (["1", "10%", "50%", "100%"], 50, [1, 5, 25, 50]),
    (["1", "10%", "50%", "100%"], 1, [1]),
    (["2", "1"], 5, [2, 5]),  # a wave adding nobody is dropped; the last takes the rest
    (["50%"], 4, [2, 4]),
    (["100%"], 7, [7]),
])
def test_waves_are_cumulative_and_end_with_every_device(waves: list[str], total: int,
                                                       sizes: list[int]) -> None:
    assert wave_sizes(parse_waves(waves), total) == sizes


def test_waves_are_checked() -> None:
    assert parse_waves(["1,10%", "100%"]) == ["1", "10%", "100%"]
    for bad in (["0"], ["101%"], ["x"], [""], ["-1"]):
        with pytest.raises(UsageError):
            parse_waves(bad)


def test_the_threshold_is_a_count_or_a_share_of_the_answers() -> None:
    share = Threshold.parse("10%")
    assert share.exceeded(1, 1) and not share.exceeded(1, 10) and share.exceeded(2, 10)
    count = Threshold.parse("2")
    assert not count.exceeded(2, 3) and count.exceeded(3, 100)
    assert Threshold.parse("0").exceeded(1, 50) and not Threshold.parse("0").exceeded(0, 50)
    for bad in ("-1", "x", "200%"):
        with pytest.raises(UsageError):
            Threshold.parse(bad)


def test_durations() -> None:
    assert [parse_duration(t) for t in ("30", "30s", "500ms", "2m", "1h", "0.5s")] == [
        30.0, 30.0, 0.5, 120.0, 3600.0, 0.5]
    with pytest.raises(UsageError, match="--soak"):
        parse_duration("soon")


def test_the_controller_s_topics_are_no_gateway_s() -> None:
    with pytest.raises(UsageError):
        topics.check_id("gateway id", "controller")
    assert topics.parse(topics.controller_state()) is None  # the fleet view skips it
    assert topics.parse(topics.controller_command("start")) is None
    assert topics.parse_controller_command(topics.controller_command("start")) == "start"
    assert topics.parse_controller_command(topics.command("gw1", "dev1", "ps")) is None


def _spec() -> Spec:
    return Spec("sensor", "1.1.0", "ab" * 32, "d-abababababab", 3, True, "v.wab",
                ["board=esp32"], ["1", "100%"], [1, 2], 30.0, "10%")


def test_the_store_keeps_rollouts_devices_and_uploads_across_opens(tmp_path: Path) -> None:
    path = tmp_path / "db" / "rollouts.sqlite3"
    store = Store(path)
    assert store.upload("ab" * 32, 5, 0, b"abc") == 3
    assert store.upload("ab" * 32, 5, 0, b"abc") == 3  # a chunk sent again is not written
    rollout = Rollout("r-00000001", "running", None, _spec(), 0, 1.0, 1.0)
    runs = [DeviceRun("gw1", "dev1", "esp32", 0), DeviceRun("gw1", "dev2", "esp32", 1)]
    store.create(rollout, "request-1", runs, b"\x00\xffWAB2")
    store.set_device(rollout.id, DeviceRun("gw1", "dev2", "esp32", 1, "soaking", attempts=1,
                                           soak_from=5.0))
    store.close()
    again = Store(path)
    assert again.by_request("request-1") == "r-00000001"
    assert again.get("r-00000001") == rollout
    assert again.data("r-00000001") == b"\x00\xffWAB2"
    dev2 = again.devices("r-00000001")[1]
    assert (dev2.outcome, dev2.attempts, dev2.soak_from) == ("soaking", 1, 5.0)
    assert again.upload("ab" * 32, 5, 3, b"de") == 5  # the upload resumes where it was
    assert again.uploaded("ab" * 32) == (5, b"abcde")
    assert again.upload("ab" * 32, 6, 0, b"") == 0  # another length starts again
