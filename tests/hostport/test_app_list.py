"""The wasm-app group's list (1) on a simulated esp32 when the slots' entries do
not fit one answer (WA_MGMT_TX_BUF, 1 KiB): the device answers what fits and
"next", the host asks on from there (docs/protocol.md, "list"). Apps of 32-byte
names and 16-byte versions in every free slot go beyond 1 KiB; before, the list
failed with EMSGSIZE, and with it `ps` and every deploy's pre-flight."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import cli_json
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.smp import app_requests as rq
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

VERSION = "1.0.0-" + "r" * 10  # 16 bytes, the longest


def names(n: int) -> list[str]:
    return [str(k).rjust(32, "n") for k in range(n)]  # 32 bytes, the longest


def test_a_list_longer_than_one_answer_comes_in_pages(
        esp32: SimulatedBoard, example: Callable[[str], Path]) -> None:
    sensor = example("sensor").read_bytes()
    with SmpLink(esp32.mgmt_address) as link:
        client = AppClient(link)
        status = client.device_status()
        assert status is not None
        free = status.slots_free
        for name in names(free):
            client.upload(name, sensor, start=False, version=VERSION)
        first = client._ok("list apps", rq.ListRead(sequence=client.sequence()))
        assert first.next is not None and 0 < len(first.apps) < free  # one answer: a page
        rest = client._ok("list apps", rq.ListRead(off=first.next, sequence=client.sequence()))
        assert rest.apps[0].slot >= first.next > first.apps[-1].slot
        listed = client.list()
    assert [a.name for a in listed] == names(free)
    assert len({a.slot for a in listed}) == free
    assert all(a.version == VERSION for a in listed)
    ps = cli_json("ps", "--board", "esp32", "--port", esp32.mgmt_address)
    assert sorted(e["name"] for e in ps["apps"]) == names(free)
