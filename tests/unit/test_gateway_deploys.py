"""A gateway's deploy jobs without a broker: the job store's bookkeeping (chunks in
order, duplicates, the SHA-256 check, what survives a restart, a deploy asked for
again), the client's transfer and resume against the dispatcher's handler in
process, and the device phase on a fake device (tests/fake_device.py): the
report, a verdict, and an untrusted bundle that never reaches the device."""

from __future__ import annotations

import hashlib
import importlib.util
import queue
import re
import threading
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from tests.conftest import need
from tests.fake_device import FakeDevice, Plan
from tests.tamper import OTHER_KEY, TEST_KEY, TRUSTED
from wamr_agent.errors import InstallFailed, TransportError, UsageError
from wamr_agent.gateway.devices import SmpDevice, Turn
from wamr_agent.gateway.install import Installer
from wamr_agent.gateway.jobs import KEEP_DONE, JobStore
from wamr_agent.gateway.transfer import Deploys
from wamr_agent.gateway.worker import Job, RunDeploy
from wamr_agent.installing import deploy_id
from wamr_agent.mqtt.deploys import CHUNK_BYTES, Chunk, DeploySpec, JobView
from wamr_agent.mqtt.topics import CommandReply, CommandRequest, WireError
from wamr_agent.ota import build_bundle
from wamr_agent.ota.bundle import Health
from wamr_agent.remote_deploy import Options, outcome, read_spec, run_job

_SEGMENT = "".join(f"\\{i % 251:02x}" for i in range(100_000))
DATA = wasmtime.wat2wasm(f'(module (memory 2) (data (i32.const 0) "{_SEGMENT}"))')  # 4 chunks
APP = wasmtime.wat2wasm('(module (memory 1) (func (export "loop")))')
DEV = "dev1"


def spec_of(data: bytes = DATA, **changes: Any) -> DeploySpec:
    sha = hashlib.sha256(data).digest()
    return replace(DeploySpec(deploy_id(sha), "app", len(data), sha.hex()), **changes)


def chunk(spec: DeploySpec, off: int, data: bytes = DATA) -> Chunk:
    return Chunk(spec.deploy, off, data[off:off + CHUNK_BYTES])


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "deploys")


def fill(store: JobStore, spec: DeploySpec, data: bytes = DATA) -> JobView:
    view, _ = store.begin(DEV, spec)
    while view.phase == "receiving":
        view, _ = store.write(DEV, chunk(spec, view.received, data))
    return view


def test_chunks_are_taken_in_order_and_verified(store: JobStore) -> None:
    spec = spec_of()
    view, run = store.begin(DEV, spec)
    assert (view.phase, view.received, view.len, run) == ("receiving", 0, len(DATA), False)
    view, _ = store.write(DEV, chunk(spec, 0))
    assert view.received == CHUNK_BYTES
    again, _ = store.write(DEV, chunk(spec, 0))  # a duplicate: nothing written twice
    ahead, _ = store.write(DEV, chunk(spec, 2 * CHUNK_BYTES))  # not the offset it has
    assert again.received == ahead.received == CHUNK_BYTES
    with pytest.raises(UsageError, match="past the deploy's"):
        store.write(DEV, Chunk(spec.deploy, CHUNK_BYTES, bytes(len(DATA))))
    for off in range(CHUNK_BYTES, len(DATA), CHUNK_BYTES):
        view, run = store.write(DEV, chunk(spec, off))
    assert (view.phase, view.received, run) == ("queued", len(DATA), True)
    assert store.data(DEV, spec.deploy) == DATA
    assert store.pending() == [(DEV, spec.deploy)]


def test_bytes_that_do_not_match_the_sha256_are_received_again(store: JobStore) -> None:
    spec = spec_of()
    wrong = bytes(len(DATA))
    with pytest.raises(TransportError, match="SHA-256 is not the deploy's"):
        fill(store, spec, wrong)
    view = store.view(DEV, spec.deploy)
    assert view is not None and (view.phase, view.received) == ("receiving", 0)
    assert fill(store, spec).phase == "queued"


def test_jobs_survive_a_restart(store: JobStore, tmp_path: Path) -> None:
    spec, other = spec_of(), spec_of(DATA[:5000])
    store.begin(DEV, spec)
    store.write(DEV, chunk(spec, 0))
    fill(store, other, DATA[:5000])
    store.set_phase(DEV, other.deploy, "uploading")
    again = JobStore(tmp_path / "deploys")  # the gateway killed and started again
    assert again.pending() == [(DEV, other.deploy)]
    resumed = again.view(DEV, spec.deploy)
    assert resumed is not None and (resumed.phase, resumed.received) == ("receiving",
                                                                         CHUNK_BYTES)
    (tmp_path / "deploys" / DEV / f"{spec.deploy}.bin").write_bytes(b"")  # bytes lost
    lost = JobStore(tmp_path / "deploys").view(DEV, spec.deploy)
    assert lost is not None and (lost.phase, lost.received) == ("receiving", 0)


def test_a_deploy_asked_again_continues_is_checked_or_runs_again(store: JobStore) -> None:
    spec = spec_of()
    fill(store, spec)
    store.set_phase(DEV, spec.deploy, "uploading")
    view, run = store.begin(DEV, replace(spec, file="elsewhere/app.wasm"))  # followed
    assert (view.phase, run) == ("uploading", False)
    with pytest.raises(UsageError, match="with other options"):
        store.begin(DEV, replace(spec, start=False))
    store.finish(DEV, spec.deploy, {"life": "confirmed"}, None, final=True)
    view, run = store.begin(DEV, spec)  # final: its worker checks the device has it
    assert (view.phase, view.report, run) == ("queued", {"life": "confirmed"}, True)
    store.finish(DEV, spec.deploy, None, None, final=False)  # e.g. refused before upload
    view, run = store.begin(DEV, spec)  # runs again, from its bytes
    assert (view.phase, view.received, run) == ("queued", len(DATA), True)
    record = store.record(DEV, spec.deploy)
    assert record is not None and not record.final and record.report is None
    store.finish(DEV, spec.deploy, None, None, final=True)
    view, run = store.begin(DEV, replace(spec, wait=False))  # other options: a new job
    assert (view.phase, run) == ("queued", True)


def test_finished_jobs_are_pruned(store: JobStore, tmp_path: Path) -> None:
    specs = [spec_of(bytes([i]) * 10) for i in range(KEEP_DONE + 2)]
    for spec in specs:
        fill(store, spec, bytes([specs.index(spec)]) * 10)
        store.finish(DEV, spec.deploy, {}, None, final=True)
    kept = sorted(p.stem for p in (tmp_path / "deploys" / DEV).glob("*.json"))
    assert kept == sorted(s.deploy for s in specs[2:])
    assert store.view(DEV, specs[0].deploy) is None


# -- the client against the dispatcher's handler, in process --------------------------


class FakeWorker:
    """A device worker whose deploy jobs end at once with a report."""

    board = "esp32"

    def __init__(self) -> None:
        self.deploys: Deploys | None = None
        self.ran: list[str] = []

    def submit(self, job: Job) -> None:
        assert isinstance(job, RunDeploy) and self.deploys is not None
        self.ran.append(job.deploy)
        store = self.deploys.store
        threading.Thread(target=lambda: (
            store.set_phase(DEV, job.deploy, "uploading"),
            store.finish(DEV, job.deploy, report(), None, final=True))).start()



def report() -> dict[str, Any]:
    return {"name": "app", "board": "esp32", "bytes": len(DATA), "seconds": 0.5,
            "goodput": 1.0, "target": "dev1 at socket://fake:1", "address": "socket://fake:1",
            "resumed_from": 0, "already_installed": False, "started_instance": False,
            "framing": "raw", "life": "confirmed"}


class LocalCaller:
    """RemoteDevice.call against a Deploys in this process; ``drop_after`` chunks it
    fails like a lost connection."""

    def __init__(self, deploys: Deploys, answers: dict[str, queue.Queue[CommandReply]],
                 drop_after: int | None = None) -> None:
        self.deploys, self.answers, self.drop_after = deploys, answers, drop_after
        self.offsets: list[int] = []

    def call(self, verb: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        args = args or {}
        if "off" in args:
            if self.drop_after is not None and len(self.offsets) >= self.drop_after:
                raise TransportError("no answer from the gateway within 10 s")
            self.offsets.append(args["off"])
        request_id = uuid.uuid4().hex
        self.answers[request_id] = queue.Queue()
        self.deploys.handle(DEV, verb, CommandRequest(request_id, args))
        reply = self.answers[request_id].get(timeout=10)
        if reply.error is not None:
            raise reply.error.exception()
        return reply.result or {}


@pytest.fixture
def gateway(tmp_path: Path) -> tuple[Deploys, FakeWorker, dict[str, queue.Queue[CommandReply]]]:
    answers: dict[str, queue.Queue[CommandReply]] = {}
    worker = FakeWorker()
    deploys = Deploys(tmp_path / "deploys", {DEV: worker},
                      lambda rid, reply: answers[rid].put(reply))
    worker.deploys = deploys
    return deploys, worker, answers


def test_a_dropped_transfer_continues_from_the_gateways_offset(
        gateway: tuple[Deploys, FakeWorker, dict[str, Any]], tmp_path: Path) -> None:
    deploys, worker, answers = gateway
    path = tmp_path / "app.wasm"
    path.write_bytes(DATA)
    spec, data = read_spec(path, Options(name="app"))
    assert spec.deploy == "d-" + hashlib.sha256(DATA).hexdigest()[:12] and data == DATA
    dropped = LocalCaller(deploys, answers, drop_after=2)
    with pytest.raises(TransportError):
        run_job(dropped, spec, data)
    rerun = LocalCaller(deploys, answers)
    view = run_job(rerun, spec, data)
    assert dropped.offsets == [0, CHUNK_BYTES]
    assert rerun.offsets == [2 * CHUNK_BYTES, 3 * CHUNK_BYTES]  # nothing sent twice
    assert view.phase == "done" and worker.ran == [spec.deploy]
    done = outcome(view, "gw1/dev1 via mqtt://127.0.0.1:1883")
    assert (done.life, done.target, done.bytes) == ("confirmed", "gw1/dev1 via "
                                                    "mqtt://127.0.0.1:1883", len(DATA))
    again = LocalCaller(deploys, answers)  # the whole deploy again: no bytes sent
    assert run_job(again, spec, data).report == view.report and again.offsets == []
    assert worker.ran == [spec.deploy] * 2  # the second: its worker's check


def test_a_spec_carries_a_modules_version_and_grants(tmp_path: Path) -> None:
    module = tmp_path / "app.wasm"
    module.write_bytes(APP)
    spec, _ = read_spec(module, Options(version="2.0.1", grants=["log", "sensor"]))
    assert DeploySpec.from_args(spec.to_args()) == spec
    assert (spec.version, spec.grants) == ("2.0.1", ["log", "sensor"])
    old = {k: v for k, v in spec.to_args().items() if k not in ("version", "grants")}
    assert (DeploySpec.from_args(old).version, DeploySpec.from_args(old).grants) == (None, None)
    for key, value, message in (
            ("grants", ["log", "gps"], "unknown capability 'gps'"),
            ("grants", "log", "args.grants has the wrong type"),
            ("grants", ["log", 3], "args.grants must be a list of capability names"),
            ("version", "x" * 17, "must be 1 to 16 bytes of printable text"),
            ("version", "1.0\n", "must be 1 to 16 bytes of printable text")):
        with pytest.raises(UsageError, match=re.escape(message)):
            DeploySpec.from_args({**spec.to_args(), key: value})


def test_a_failed_job_raises_the_error_with_its_report() -> None:
    error = WireError.of(InstallFailed("app failed on the device: traps"))
    view = JobView("d-000000000000", DEV, "app", 1, 1, "done", report=report(), error=error)
    with pytest.raises(InstallFailed) as caught:
        outcome(view, "gw1/dev1")
    assert caught.value.exit_code == 15
    assert caught.value.report is not None and caught.value.report["target"] == "gw1/dev1"


# -- the device phase on a fake device ------------------------------------------------


class FakeLink(FakeDevice):
    address = "socket://fake:1"

    def close(self) -> None:
        pass


def run_installer(store: JobStore, spec: DeploySpec, device: FakeLink) -> JobView:
    need(importlib.util.find_spec("wamr_agent.pywamr._wamr") is not None,
         "the compiled runtime binding", "run `make build`")
    stop = threading.Event()

    def check() -> None:
        assert not stop.is_set()

    turn = Turn(lambda: SmpDevice(device), lambda seconds: None, check)  # type: ignore[arg-type]
    Installer(store, TRUSTED).run(DEV, "esp32", spec.deploy, turn)
    view = store.view(DEV, spec.deploy)
    assert view is not None
    return view


def test_the_device_phase_reports_as_a_direct_deploy(store: JobStore) -> None:
    module = APP
    spec = spec_of(module, file="app.wasm")
    fill(store, spec, module)
    device = FakeLink()
    view = run_installer(store, spec, device)
    assert view.phase == "done" and view.error is None and view.report is not None
    assert (view.report["life"], view.report["bytes"], view.report["framing"]) == (
        "confirmed", len(module), "raw")
    assert view.status is not None and view.status["life"] in ("trial", "confirmed")
    assert device.framing.name == "CONSOLE"  # back to the worker's framing

    store.begin(DEV, spec)  # asked again: the device has it, so the result stands
    again = run_installer(store, spec, device)
    assert (again.phase, again.report, device.uploads) == ("done", view.report, 1)
    device.table.clear()  # removed since: it runs again
    store.begin(DEV, spec)
    again = run_installer(store, spec, device)
    assert (again.phase, device.uploads) == ("done", 2)
    assert again.report is not None and again.report["life"] == "confirmed"


def test_a_failed_trial_is_the_direct_deploys_error(store: JobStore) -> None:
    module = APP
    spec = spec_of(module, file="app.wasm")
    fill(store, spec, module)
    device = FakeLink(plans={"app": Plan(end="fail", at=2)})
    view = run_installer(store, spec, device)
    assert view.error is not None and (view.error.type, view.error.exit_code) == (
        "InstallFailed", 15)
    assert view.report is not None and view.report["life"] == "failed"
    record = store.record(DEV, spec.deploy)
    assert record is not None and record.final


def test_an_untrusted_bundle_never_reaches_the_device(store: JobStore) -> None:
    def bundle(key: Any) -> bytes:
        return build_bundle(APP, name="app", version="1.0.0", seq=1,
                            boards=["esp32"], caps=[], key=key, health=Health(loops=1))

    untrusted = bundle(OTHER_KEY)
    spec = spec_of(untrusted, bundle=True, version="1.0.0", file="app.wab")
    fill(store, spec, untrusted)
    device = FakeLink()
    view = run_installer(store, spec, device)
    assert view.error is not None and (view.error.type, view.error.code, view.error.exit_code) \
        == ("SignatureError", "UNTRUSTED_KEY", 13)
    assert view.error.message.startswith("app.wab: not sent: bundle app 1.0.0 is signed by key")
    assert device.uploads == 0 and device.table == {}

    trusted = bundle(TEST_KEY)
    spec = spec_of(trusted, bundle=True, version="1.0.0", file="app.wab")
    fill(store, spec, trusted)
    view = run_installer(store, spec, device)
    assert view.error is None and view.report is not None and view.report["version"] == "1.0.0"


def test_a_bundle_the_device_does_not_trust_never_reaches_it(store: JobStore) -> None:
    """Trusted by the gateway, not by the device's firmware (its status lists the
    keys it trusts): refused before the upload, as the device would after it."""
    data = build_bundle(APP, name="app", version="1.0.0", seq=1, boards=["esp32"], caps=[],
                        key=TEST_KEY, health=Health(loops=1))
    spec = spec_of(data, bundle=True, version="1.0.0", file="app.wab")
    fill(store, spec, data)
    device = FakeLink(kids=[OTHER_KEY.kid])
    view = run_installer(store, spec, device)
    assert view.error is not None and (view.error.type, view.error.code, view.error.exit_code) \
        == ("SignatureError", "UNTRUSTED_KEY", 13)
    assert view.error.message.startswith(f"app: not sent: the bundle is signed by key "
                                         f"{TEST_KEY.kid.hex()}, which the device does not trust")
    assert device.uploads == 0 and device.table == {}
    assert view.sent == 0
