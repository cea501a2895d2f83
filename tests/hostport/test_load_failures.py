"""Loads that fail, on a simulated esp32 over SMP: a module the engine cannot
compile may be started again and again without the device losing heap."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from wamr_agent.emulator import SimulatedBoard
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

Wat = Callable[[str], bytes]


@pytest.fixture
def client(esp32: SimulatedBoard) -> Iterator[AppClient]:
    with SmpLink(esp32.mgmt_address) as link:
        yield AppClient(link)


def test_failed_loads_leave_the_device_heap_as_it_was(esp32: SimulatedBoard, client: AppClient,
                                                      wat: Wat) -> None:
    client.upload("broken", wat("compile_fails_in_else"))
    esp32.console.expect(r"app broken failed its trial \(slot 0\): engine could not compile")
    before = client.status().heap_free
    for _ in range(20):
        client.start("broken")  # a new trial each time, and the same failure
    status = client.status("broken")
    assert (status.life, status.state) == ("failed", "stopped")
    assert status.reason is not None and "could not compile" in status.reason.msg
    assert esp32.console.text.count("app broken failed its trial") == 21
    assert client.status().heap_free == before
