"""The app lifecycle from the host, against a fake device (tests/fake_device.py):
confirm and rollback, the upload's `trial` answer, the wait for the device's
verdict (every outcome, with a fake clock), the verdicts as exceptions, and the
pre-flight against what runs on the device (free RAM and slots, with numbers).
No subprocess."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import pytest

from tests.fake_device import FakeDevice, Plan
from wamr_agent.agent_err import AgentErr
from wamr_agent.device_fit import RamEstimate, check_fit, survey_device
from wamr_agent.errors import (
    FitError,
    InstallFailed,
    Reverted,
    UsageError,
    VerdictTimeout,
    WamrAgentError,
)
from wamr_agent.installing import _finished_anyway
from wamr_agent.smp.app_results import AppStatus
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.lifecycle import Verdict, wait_for_verdict
from wamr_agent.smp.streams import SmpLinkError
from wamr_agent.verdicts import judge

V11, V12 = b"sensor 1.1 module", b"sensor 1.2 module"


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class Clock:
    """A clock that only sleeping moves."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def wait(client: AppClient, data: bytes, timeout: float | None = None,
         seen: list[AppStatus] | None = None) -> Verdict:
    clock = Clock()
    return wait_for_verdict(client, "sensor", sha(data), timeout=timeout, clock=clock,
                            sleep=clock.sleep, on_status=seen.append if seen is not None else None)


def installed(device: FakeDevice, plans: dict[str, Plan] | None = None) -> AppClient:
    """sensor 1.1 installed and confirmed on ``device``."""
    device.plans.update(plans or {})
    client = AppClient(device)
    client.upload("sensor", V11, version="1.1")
    assert wait(client, V11).outcome == "confirmed"
    return client


# ---- upload, confirm, rollback ---------------------------------------------------------


def test_upload_says_when_it_began_a_trial() -> None:
    device = FakeDevice()
    client = AppClient(device)
    first = client.upload("sensor", V11, version="1.1")
    assert (first.trial, first.already_installed) == (True, False)
    assert wait(client, V11).outcome == "confirmed"
    again = client.upload("sensor", V11, version="1.1")
    assert (again.trial, again.already_installed) == (False, True)  # confirmed and running


@pytest.mark.parametrize("life", ["staged", "reverted", "failed"])
def test_redeploy_of_a_module_not_running_restarts_its_trial(life: str) -> None:
    device = FakeDevice()
    client = AppClient(device)
    client.upload("sensor", V11, start=False)
    device.table[0].life = life
    result = client.upload("sensor", V11)
    assert (result.trial, result.already_installed) == (True, False)
    assert client.status("sensor", sha(V11)).life == "trial"


def test_confirm_and_rollback() -> None:
    device = FakeDevice()
    client = installed(device, {"1.2": Plan(end="manual")})
    client.upload("sensor", V12, version="1.2")
    client.rollback("sensor")
    now = client.status("sensor")
    assert (now.version, now.life, now.state) == ("1.1", "confirmed", "running")
    assert now.update is not None and now.update.life == "reverted"
    assert now.update.reason is not None and now.update.reason.code == "manual"
    client.upload("sensor", V12, version="1.2")  # the reverted module: on trial again
    client.confirm("sensor")
    assert [(a.version, a.life) for a in client.list()] == [("1.2", "confirmed")]


@pytest.mark.parametrize("verb", ["confirm", "rollback"])
def test_confirm_and_rollback_without_a_trial(verb: str) -> None:
    client = installed(FakeDevice())
    with pytest.raises(WamrAgentError) as caught:
        getattr(client, verb)("sensor")
    assert caught.value.code is AgentErr.BAD_STATE and caught.value.exit_code == 1
    assert "it has no version on trial (WA_ERR_BAD_STATE, 6)" in str(caught.value)
    with pytest.raises(UsageError, match="no such app"):
        getattr(client, verb)("nope")


# ---- the wait for the verdict ----------------------------------------------------------


def test_wait_until_confirmed_reports_progress() -> None:
    client = AppClient(FakeDevice())
    client.upload("sensor", V11, version="1.1")
    seen: list[AppStatus] = []
    verdict = wait(client, V11, seen=seen)
    assert verdict.outcome == "confirmed" and verdict.status.life == "confirmed"
    assert [s.trial.loops for s in seen if s.trial] == [2, 4, 6, 8]
    assert verdict.trial is not None and verdict.trial.need_loops == 10  # the last seen
    assert verdict.seconds == pytest.approx(0.8) and verdict.limit == 61.0


def test_wait_ends_when_reverted_or_failed() -> None:
    device = FakeDevice(plans={"1.2": Plan(end="revert", at=4)})
    client = installed(device)
    client.upload("sensor", V12, version="1.2")
    reverted = wait(client, V12)
    assert (reverted.outcome, reverted.status.version) == ("reverted", "1.2")
    assert reverted.status.reason is not None and reverted.status.reason.code == "traps"

    other = AppClient(FakeDevice(plans={"sensor": Plan(end="fail", at=2)}))
    other.upload("sensor", V11)
    assert wait(other, V11).outcome == "failed"


class ResettingDevice(FakeDevice):
    """Loses the requests it gets while it resets (as a watchdog reset does), and
    counts the times the link was opened again."""

    def __init__(self, lost: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lost, self.reopened = lost, 0

    def request(self, message: bytes) -> bytes:
        if self.lost:
            self.lost -= 1
            raise SmpLinkError("no answer within 5 s")
        return super().request(message)

    def reopen(self) -> None:
        self.reopened += 1


def test_a_device_that_resets_during_the_wait_is_asked_again() -> None:
    device = ResettingDevice(0, plans={"sensor": Plan(end="fail", at=2)})
    client = AppClient(device)
    client.upload("sensor", V11)
    device.lost = 3
    verdict = wait(client, V11)
    assert verdict.outcome == "failed" and device.reopened == 3
    gone = ResettingDevice(0, plans={"sensor": Plan(end="never")})
    client = AppClient(gone)
    client.upload("sensor", V11)
    gone.lost = 10**6  # never back: the link error once the wait's time is up
    with pytest.raises(SmpLinkError):
        wait(client, V11, timeout=2.0)


def test_an_upload_whose_answer_was_lost_is_done_when_the_device_has_it() -> None:
    device = ResettingDevice(0, plans={"sensor": Plan(end="fail", at=2)})
    client = AppClient(device)
    client.upload("sensor", V11)  # the device finished it; say its answer was lost
    lost = SmpLinkError("no answer within 10 s")
    plan = SimpleNamespace(app="sensor", payload=SimpleNamespace(sha=sha(V11), data=V11))
    result = _finished_anyway(device, client, plan, lost)  # type: ignore[arg-type]
    assert (result.total, result.trial, result.already_installed) == (len(V11), True, False)
    assert device.reopened >= 1
    other = SimpleNamespace(app="sensor", payload=SimpleNamespace(sha=sha(V12), data=V12))
    with pytest.raises(SmpLinkError) as raised:  # no slot with those bytes: not done
        _finished_anyway(device, client, other, lost)  # type: ignore[arg-type]
    assert raised.value is lost


def test_wait_times_out_with_the_last_figures() -> None:
    client = AppClient(FakeDevice(plans={"sensor": Plan(end="never")}))
    client.upload("sensor", V11)
    verdict = wait(client, V11, timeout=1.0)
    assert verdict.outcome == "timeout" and verdict.limit == 1.0
    assert verdict.trial is not None and verdict.trial.loops == 12


def test_manual_confirm_waits_until_healthy() -> None:
    client = AppClient(FakeDevice(plans={"sensor": Plan(end="manual", window_ms=1600)}))
    client.upload("sensor", V11)
    verdict = wait(client, V11)
    assert verdict.outcome == "awaiting" and verdict.trial is not None
    assert (verdict.trial.loops, verdict.trial.elapsed_ms, verdict.trial.manual) == (16, 1600,
                                                                                    True)
    assert verdict.status.life == "trial"


def test_a_device_without_the_lifecycle_ends_the_wait_at_once() -> None:
    client = AppClient(FakeDevice(lifecycle=False))
    client.upload("sensor", V11)
    clock = Clock()
    verdict = wait_for_verdict(client, "sensor", sha(V11), clock=clock, sleep=clock.sleep)
    assert (verdict.outcome, verdict.status.state, clock.sleeps) == ("unknown", "running", [])


# ---- verdicts as exceptions --------------------------------------------------------------


def judged(device: FakeDevice, client: AppClient, data: bytes, version: str | None,
           timeout: float | None = None) -> Any:
    failure = judge(client, "sensor", sha(data), wait(client, data, timeout), version)
    return None if failure is None else failure.error({"life": "x"})


def test_reverted_names_what_runs_again() -> None:
    device = FakeDevice(plans={"1.2": Plan(end="revert", at=4)})
    client = installed(device)
    client.upload("sensor", V12, version="1.2")
    error = judged(device, client, V12, "1.2")
    assert isinstance(error, Reverted) and error.exit_code == 14
    assert str(error) == ("sensor 1.2 reverted on the device: loop trapped 1 time: integer "
                          "divide by zero; 1.1 runs again")
    assert error.code is AgentErr.TRAP_DIV_BY_ZERO and error.report == {"life": "x"}


def test_failed_first_install_and_timeout() -> None:
    device = FakeDevice(plans={"sensor": Plan(end="fail", at=2, reason={
        "code": "load", "rc": 2, "msg": "engine could not compile the module"})})
    client = AppClient(device)
    client.upload("sensor", V11)
    error = judged(device, client, V11, None)
    assert isinstance(error, InstallFailed) and error.exit_code == 15
    assert str(error) == ("sensor failed on the device: engine could not compile the module; "
                          "nothing of that name runs")
    assert error.code is AgentErr.NO_MEMORY

    slow = FakeDevice(plans={"sensor": Plan(end="never")})
    AppClient(slow).upload("sensor", V11)
    late = judged(slow, AppClient(slow), V11, "2.0", timeout=0.4)
    assert isinstance(late, VerdictTimeout) and late.exit_code == 16
    assert str(late) == ("sensor 2.0: no verdict from the device within 0.4 s; last seen on "
                         "trial: 6/10 loop rounds, 0/0 traps, 0.6/1.0 s")


def test_a_device_without_the_lifecycle_that_cannot_start_the_app() -> None:
    device = FakeDevice(lifecycle=False, plans={"sensor": Plan(end="refuse", reason={
        "msg": "engine could not compile the module: memory allocation failed"})})
    client = AppClient(device)
    client.upload("sensor", V11)
    error = judged(device, client, V11, None)
    assert isinstance(error, InstallFailed)
    assert str(error) == ("sensor could not start on the device: engine could not compile "
                          "the module: memory allocation failed; nothing of that name runs")
    ok = FakeDevice(lifecycle=False)
    AppClient(ok).upload("sensor", V11)
    assert judged(ok, AppClient(ok), V11, None) is None


# ---- pre-flight against the device -------------------------------------------------------


def need(total: int) -> RamEstimate:
    return RamEstimate(pool=total - 2048, engine=0, allowance=2048)


def test_refuses_an_app_that_does_not_fit_beside_what_runs() -> None:
    device = FakeDevice(heap_total=114_747, mem=93_403)
    installed(device)
    survey = survey_device(AppClient(device))
    assert survey is not None
    with pytest.raises(FitError) as caught:
        check_fit(survey, "hello_wasi", need(74_512))
    assert str(caught.value) == (
        "hello_wasi: not sent: it needs about 74,512 bytes of RAM and esp32 has 21,344 free "
        "beside sensor (running, 93,403 bytes) (--no-ram-check sends it anyway)")
    assert caught.value.exit_code == 5
    check_fit(survey, "hello_wasi", need(21_344))  # just fits
    check_fit(survey, "hello_wasi", None)  # not started: no RAM needed now


def test_an_update_counts_the_running_versions_ram_as_free() -> None:
    device = FakeDevice(heap_total=114_747, mem=93_403)
    installed(device)
    survey = survey_device(AppClient(device))
    assert survey is not None
    check_fit(survey, "sensor", need(114_747))
    with pytest.raises(FitError, match="it needs about 114,748 bytes of RAM and esp32 has "
                       "114,747 free with no other app running, counting the 93,403 bytes "
                       "the running sensor frees"):
        check_fit(survey, "sensor", need(114_748))


def test_refuses_a_new_app_when_no_slot_is_free() -> None:
    device = FakeDevice(slots=3, heap_total=10**6)
    installed(device)
    AppClient(device).upload("blink", b"blink", version="0.1")
    survey = survey_device(AppClient(device))
    assert survey is not None and survey.status.slots_free == 0
    with pytest.raises(FitError) as caught:
        check_fit(survey, "hello_wasi", None)
    assert str(caught.value) == (
        "hello_wasi: not sent: esp32 has no free app slot for a new app: it holds sensor 1.1 "
        "(confirmed) and blink 0.1 (trial) (3 slots, one kept for updates); remove one with "
        "`wamr-agent rm NAME`")
    check_fit(survey, "blink", need(1000))  # an update has the slot kept for it


def test_a_device_without_the_lifecycle_is_surveyed_by_app_status() -> None:
    device = FakeDevice(lifecycle=False, heap_total=200_000, mem=93_403, slots=4)
    AppClient(device).upload("sensor", V11)
    survey = survey_device(AppClient(device))
    assert survey is not None
    assert survey.held == {0: 93_403} and survey.status.slots_free == 2  # 4 - 1 app - 1 kept
    with pytest.raises(FitError, match="has 106,597 free beside sensor "
                       r"\(running, 93,403 bytes\)"):
        check_fit(survey, "hello_wasi", need(106_598))
