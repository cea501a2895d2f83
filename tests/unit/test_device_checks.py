"""What the device status says it accepts, and the checks before an upload that use
it: the ids of the keys its firmware trusts (a bundle signed by another is refused
before a byte is sent, as the device would refuse it after the whole upload) and
the AOT ABI it runs (a bundle's AOT code is estimated as interpreted wasm on a
device that runs none, or another ABI). A device that says neither (older
firmware) is not checked by key, and its AOT estimate goes by its board."""

from __future__ import annotations

import pytest

from tests.fake_device import FakeDevice
from tests.tamper import OTHER_KEY, TEST_KEY, bundle, module
from wamr_agent.agent_err import AgentErr
from wamr_agent.aot.blob import ABI
from wamr_agent.device_fit import RamEstimate, need_on
from wamr_agent.device_trust import check_signer
from wamr_agent.errors import FitError, SignatureError
from wamr_agent.installing import DeployReport, Plan, install
from wamr_agent.payload import Payload
from wamr_agent.pywamr import Module
from wamr_agent.smp import app_management as am
from wamr_agent.smp.apps import AppClient, DeviceStatus
from wamr_agent.targets import Target

STATUS = {"board": "esp32", "fw": "0.2.0", "uptime_ms": 5, "boot": 1, "reset": "power-on",
          "heap_free": 1000, "slots": 4, "apps": 0, "buf_size": 4096}
AOT = RamEstimate(pool=4_000, engine=1_000, allowance=2_000, aot="cortex-m4")
INTERPRETED = RamEstimate(pool=40_000, engine=30_000, allowance=5_000)


def status(**extra: object) -> DeviceStatus:
    rsp = am.DeviceStatusReadResponse.model_validate({**STATUS, **extra})
    return DeviceStatus.from_response(rsp)


def signed_by(key: object) -> Payload:
    data = bundle("esp32", 1, 1, key=key)  # type: ignore[arg-type]
    return Payload(data, True, Module(module(1)), (), "tamper", "1.0.0",
                   kid=key.kid)  # type: ignore[attr-defined]


def test_the_status_reports_the_trusted_keys_and_the_aot_abi() -> None:
    said = status(kids=[TEST_KEY.kid, OTHER_KEY.kid], aot_abi=ABI)
    assert said.kids == (TEST_KEY.kid.hex(), OTHER_KEY.kid.hex()) and said.aot_abi == ABI
    assert said.as_dict()["kids"] == [TEST_KEY.kid.hex(), OTHER_KEY.kid.hex()]
    older = status()
    assert (older.kids, older.aot_abi) == (None, None)


def test_a_bundle_signed_by_a_key_the_device_does_not_trust_is_refused() -> None:
    with pytest.raises(SignatureError) as caught:
        check_signer(status(kids=[TEST_KEY.kid]), "tamper", signed_by(OTHER_KEY))
    err = caught.value
    assert (err.code, err.exit_code) == (AgentErr.UNTRUSTED_KEY, 13)
    text = str(err)
    assert text.startswith(f"tamper: not sent: the bundle is signed by key {OTHER_KEY.kid.hex()}, "
                           f"which the device does not trust: it trusts {TEST_KEY.kid.hex()} "
                           "(its firmware's TRUSTED_KEYS;")
    assert "ota/vectors/test.pub" in text and "TRUSTED_KEYS=YOUR_KEY.pub" in text
    assert text.endswith("(WA_ERR_UNTRUSTED_KEY, 49)") and "\n" not in text


def test_a_trusted_key_a_module_and_older_firmware_pass() -> None:
    check_signer(status(kids=[OTHER_KEY.kid, TEST_KEY.kid]), "tamper", signed_by(TEST_KEY))
    plain = Payload(module(1), False, Module(module(1)))
    check_signer(status(kids=[TEST_KEY.kid]), "tamper", plain)  # no key to check
    check_signer(status(), "tamper", signed_by(OTHER_KEY))  # it does not say: it refuses


@pytest.mark.parametrize(("said", "expected"), [
    ({}, AOT),  # older firmware: what the board's firmware runs
    ({"aot_abi": ABI}, AOT),
    ({"aot_abi": 0}, INTERPRETED),  # runs no AOT code
    ({"aot_abi": ABI + 1}, INTERPRETED),  # another ABI: the code is not run
])
def test_aot_code_is_estimated_as_the_device_runs_it(said: dict[str, int],
                                                     expected: RamEstimate) -> None:
    assert need_on(status(**said), AOT, lambda: INTERPRETED) == expected


def test_an_interpreted_estimate_stands_on_any_device() -> None:
    def never() -> RamEstimate:
        raise AssertionError("estimated again")

    assert need_on(status(aot_abi=0), INTERPRETED, never) == INTERPRETED
    assert need_on(status(aot_abi=0), None, never) is None  # no RAM check
    assert need_on(None, AOT, never) == AOT  # a device without the status command


def deploy_to(device: FakeDevice, payload: Payload,
              need: RamEstimate | None = None) -> DeployReport:
    client = AppClient(device)  # type: ignore[arg-type]
    plan = Plan("tamper", payload, need, interpreted=lambda: INTERPRETED)
    return install(device, client, plan, "esp32", Target("socket://fake:1", "fake"))  # type: ignore[arg-type]


def test_the_device_refuses_nothing_that_was_sent() -> None:
    device = FakeDevice(kids=[TEST_KEY.kid])
    with pytest.raises(SignatureError, match="which the device does not trust"):
        deploy_to(device, signed_by(OTHER_KEY))
    assert (device.uploads, device.table) == (0, {})
    report = deploy_to(FakeDevice(kids=None), signed_by(OTHER_KEY))  # older: sent
    assert report.life == "confirmed"


def test_the_ram_check_uses_the_estimate_for_what_the_device_runs() -> None:
    payload = signed_by(TEST_KEY)
    heap = 20_000  # room for the AOT code's 6,000 bytes, not the interpreter's 45,000
    no_aot = FakeDevice(heap_total=heap, aot_abi=0)
    with pytest.raises(FitError, match="it needs about 45,000 bytes of RAM and esp32 has "
                                       "20,000 free"):
        deploy_to(no_aot, payload, AOT)
    assert no_aot.uploads == 0
    for said in (ABI, None):
        report = deploy_to(FakeDevice(heap_total=heap, aot_abi=said, mem=5_000), payload, AOT)
        assert report.ram_estimate == AOT.total, said

