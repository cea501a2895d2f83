"""Interop: the PyPI `smpclient` (its SMPClient and its own serial transport) sends
our wasm-app group's request models (wamr_agent.smp.app_requests) to a simulated
esp32 on a pty: the models follow smpclient's conventions (each request names its
response and error types, sequence numbers, chunk sizes within buf_size)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from smpclient import SMPClient
from smpclient.generics import error_v2, success
from smpclient.requests.os_management import MCUMgrParametersRead
from smpclient.transport.serial import SMPSerialTransport

from wamr_agent.agent_err import AgentErr
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.ptybridge import PtyBridge
from wamr_agent.smp import app_requests as rq

CHUNK = 1000  # module bytes per upload request: several requests for the sensor app


@pytest.fixture
def board(esp32: SimulatedBoard) -> SimulatedBoard:
    return esp32


async def upload(client: SMPClient, name: str, module: bytes) -> int:
    """Sends the module in CHUNK-byte requests from where the device says; the count."""
    first = rq.UploadWrite(off=0, data=module[:CHUNK], len=len(module),
                           sha=hashlib.sha256(module).digest(), name=name, start=False)
    rsp = await client.request(first)
    sent = 1
    while success(rsp) and not rsp.done:
        rsp = await client.request(rq.UploadWrite(off=rsp.off,
                                                  data=module[rsp.off:rsp.off + CHUNK]))
        sent += 1
    assert success(rsp) and rsp.off == len(module), rsp
    return sent


async def session(path: str, module: bytes) -> None:
    async with SMPClient(SMPSerialTransport(), path, timeout_s=10) as client:
        params = await client.request(MCUMgrParametersRead())
        assert success(params) and params.buf_size >= CHUNK + 100

        listed = await client.request(rq.ListRead())
        assert success(listed) and listed.apps == []

        assert await upload(client, "sensor", module) > 2
        relisted = await client.request(rq.ListRead())
        assert success(relisted)
        [app] = relisted.apps
        assert (app.name, app.state, app.sha) == ("sensor", "stopped",
                                                  hashlib.sha256(module).digest())

        started = await client.request(rq.StartWrite(name="sensor"))
        assert success(started)
        status = await client.request(rq.AppStatusRead(name="sensor"))
        assert success(status), status
        assert (status.name, status.state, status.size) == ("sensor", "running", len(module))

        device = await client.request(rq.DeviceStatusRead())
        assert success(device) and device.board == "esp32" and "raw" in device.framings

        missing = await client.request(rq.StopWrite(name="nope"))
        assert error_v2(missing) and missing.err.rc is AgentErr.NOT_FOUND


def test_smpclient_speaks_our_group_over_serial(board: SimulatedBoard,
                                                example: Callable[[str], Path]) -> None:
    module = example("sensor").read_bytes()
    with PtyBridge(board.mgmt_address) as bridge:
        asyncio.run(session(bridge.path, module))
    board.console.expect(r"app sensor installed")
    board.console.expect(r"app sensor started")
    board.console.expect(r"telemetry sensor temp_c=")
