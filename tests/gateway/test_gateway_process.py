"""The gateway process itself, without devices: the last will when it is killed,
and the embedded default (no --broker: a local mosquitto it starts and stops)."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.gateway.conftest import GatewayProcess, Watch, gateway_config
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.broker import Mosquitto, broker_answers
from wamr_agent.mqtt.client import BrokerUrl

Start = Callable[..., GatewayProcess]
WILL_TIMEOUT = 30.0  # keepalive 10 s: the broker sends the will after 15 s of silence


def test_a_killed_gateway_reads_lost(broker: Mosquitto, gateway_process: Start) -> None:
    gateway = gateway_process(gateway_config("gw-will", {}), broker.url)
    with Watch(broker.url, topics.gateway_state("gw-will")) as watch:
        watch.expect(topics.gateway_state("gw-will"), lambda p: p == b"online")
        gateway.kill()  # SIGKILL: no offline, no clean disconnect
        assert watch.expect(topics.gateway_state("gw-will"), lambda p: p == b"lost",
                            timeout=WILL_TIMEOUT) == b"lost"
    with Watch(broker.url, topics.gateway_state("gw-will")) as late:  # and it is retained
        assert late.expect(topics.gateway_state("gw-will")) == b"lost"


def test_without_a_broker_the_gateway_starts_its_own(gateway_process: Start) -> None:
    gateway = gateway_process(gateway_config("gw-local", {}), None)
    found = gateway.wait_line(r"broker: local mosquitto on (mqtt://127\.0\.0\.1:(\d+)) "
                              r"\(started by the gateway\)")
    url = BrokerUrl("127.0.0.1", int(found[2]))
    with Watch(url, "wamr/v1/gw-local/#") as watch:
        assert watch.expect(topics.gateway_state("gw-local")) == b"online"
        info = topics.GatewayInfo.from_json(watch.expect(topics.gateway_info("gw-local")))
        assert info.devices == []
    conf = (gateway.directory / "state" / "broker" / "mosquitto.conf").read_text()
    assert re.search(rf"^listener {url.port} 127\.0\.0\.1$", conf, re.M)
    assert gateway.terminate() == 0
    assert not broker_answers(url)  # it stopped the broker it started
