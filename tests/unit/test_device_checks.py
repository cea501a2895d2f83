"""What the device status says it accepts, and the check before an upload that uses
it: the ids of the keys its firmware trusts (a bundle signed by another is refused
before a byte is sent, as the device would refuse it after the whole upload). A
device that does not say (older firmware) is not checked by key."""

from __future__ import annotations

import pytest

from tests.fake_device import FakeDevice
from tests.tamper import OTHER_KEY, TEST_KEY, bundle, module
from wamr_agent.agent_err import AgentErr
from wamr_agent.aot.blob import ABI
from wamr_agent.device_fit import RamEstimate
from wamr_agent.device_trust import check_signer
from wamr_agent.errors import SignatureError
from wamr_agent.installing import DeployReport, Plan, install
from wamr_agent.payload import Payload
from wamr_agent.pywamr import Module
from wamr_agent.smp import app_management as am
from wamr_agent.smp.apps import AppClient, DeviceStatus
from wamr_agent.targets import Target

STATUS = {"board": "esp32", "fw": "0.2.0", "uptime_ms": 5, "boot": 1, "reset": "power-on",
          "heap_free": 1000, "slots": 4, "apps": 0, "buf_size": 4096}


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


def deploy_to(device: FakeDevice, payload: Payload,
              need: RamEstimate | None = None) -> DeployReport:
    client = AppClient(device)  # type: ignore[arg-type]
    plan = Plan("tamper", payload, need)
    return install(device, client, plan, "esp32", Target("socket://fake:1", "fake"))  # type: ignore[arg-type]


def test_the_device_refuses_nothing_that_was_sent() -> None:
    device = FakeDevice(kids=[TEST_KEY.kid])
    with pytest.raises(SignatureError, match="which the device does not trust"):
        deploy_to(device, signed_by(OTHER_KEY))
    assert (device.uploads, device.table) == (0, {})
    report = deploy_to(FakeDevice(kids=None), signed_by(OTHER_KEY))  # older: sent
    assert report.life == "confirmed"

