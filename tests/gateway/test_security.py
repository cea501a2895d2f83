"""A secured broker (docs/mqtt.md, "Security"): a real mosquitto with a TLS-only
listener (a generated CA), a password per user and the ACL of each role, and a
real `wamr-agent gateway` process serving a simulated esp32 over mqtts://. The
operator's commands work; no credentials, a wrong password, an untrusted CA, a
missing client certificate are refused with exit 12; a gateway's credentials
write only its own topics and send no commands. The rollout controller serves
over mqtts:// as its own user, and no gateway can pose as it. And `wamr-agent
broker up --secure`, which makes such a broker for users."""

from __future__ import annotations

import json
import queue
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest
from paho.mqtt.client import Client, ConnectFlags, MQTTMessage
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from typer.testing import CliRunner

from tests.conftest import cli_json as cli
from tests.conftest import need
from tests.gateway.conftest import (
    WAMR_AGENT,
    ControllerProcess,
    GatewayProcess,
    Watch,
    gateway_config,
    state_of,
)
from wamr_agent.cli import app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.broker import BrokerError, Mosquitto, broker_answers, find_mosquitto_passwd
from wamr_agent.mqtt.client import new_client, unique_client_id
from wamr_agent.mqtt.pki import Authority
from wamr_agent.mqtt.requester import Requester
from wamr_agent.mqtt.secure_broker import Security
from wamr_agent.mqtt.url import PASSWORD_ENV, BrokerSettings

GW = "gw1"
ROOT = Path(__file__).resolve().parents[2]
NOT_AUTHORIZED = 135  # MQTT 5 reason code (CONNACK, PUBACK)
runner = CliRunner()


@dataclass
class Secured:
    broker: Mosquitto
    security: Security
    gateway: GatewayProcess
    root: Path

    @property
    def url(self) -> str:
        return f"mqtts://127.0.0.1:{self.broker.port}"

    def login(self, user: str) -> list[str]:
        """The CLI options of ``user``: the CA, the user, its password file."""
        return ["--ca", str(self.security.ca), "--user", user, "--password-file",
                str(self.security.accounts[user].password_file)]

    def via(self, *options: str) -> list[str]:
        return ["--via", self.url, "--device", f"{GW}/dev1", *options]


def secure_gateway_config(security: Security, url: str, user: str, ca: bool = True) -> str:
    """TOML of gateway gw1 (the device added by the caller) on ``url`` as ``user``."""
    account = security.accounts[user]
    lines = [f'broker = "{url}"', f'username = "{user}"',
             f'password_file = "{account.password_file}"']
    return "\n".join([*lines, *([f'ca = "{security.ca}"'] if ca else [])]) + "\n"


@pytest.fixture(scope="module", autouse=True)
def _mosquitto_passwd() -> None:
    try:
        find_mosquitto_passwd()
    except BrokerError as exc:
        need(False, "mosquitto_passwd", str(exc))


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    root = tmp_path_factory.mktemp("secured")
    security = Security.prepare(root / "pki", gateways=(GW, "gw2"))
    with Mosquitto.start_in(root / "broker", security=security) as broker:
        board = SimulatedBoard.start("esp32", workdir=root / "dev1")
        try:
            url = f"mqtts://127.0.0.1:{broker.port}"
            config = secure_gateway_config(security, url, GW) + gateway_config(
                GW, {"dev1": ("esp32", board.mgmt_address)})
            gateway = GatewayProcess(root / "gateway", config, None)  # the file's broker
            try:
                yield Secured(broker, security, gateway, root)
            finally:
                gateway.kill()
        finally:
            board.stop()



def refused(*args: str) -> str:
    """The one error line of a command that must exit 12."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 12, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


class Raw:
    """A bare paho client, for what the package's clients never do (connect without
    credentials, publish where the ACL forbids it): it reports the broker's reason
    codes (CONNACK, PUBACK) and keeps what arrives."""

    def __init__(self, settings: BrokerSettings) -> None:
        self.acks: queue.Queue[int] = queue.Queue()
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.client = new_client(settings, unique_client_id("raw"))
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect(settings.host, settings.port)
        self.client.loop_start()
        self.connack = self.acks.get(timeout=10)

    def _on_connect(self, client: Client, userdata: Any, flags: ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        self.acks.put(reason.value)

    def _on_publish(self, client: Client, userdata: Any, mid: int, reason: ReasonCode,
                    properties: Properties | None) -> None:
        self.acks.put(reason.value)

    def _on_subscribe(self, client: Client, userdata: Any, mid: int,
                      reasons: list[ReasonCode], properties: Properties | None) -> None:
        self.acks.put(reasons[0].value)

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        self.messages.put((message.topic, bytes(message.payload)))

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> int:
        """The reason code of the PUBACK (QoS 1); 0 once a QoS 0 message is sent."""
        self.client.publish(topic, payload, qos=qos)
        return self.acks.get(timeout=10)

    def subscribe(self, topic_filter: str) -> int:
        self.client.subscribe(topic_filter, qos=1)
        return self.acks.get(timeout=10)

    def until(self, topic: str) -> list[tuple[str, bytes]]:
        """What arrived before (and with) the first message on ``topic``."""
        seen = [self.messages.get(timeout=10)]
        while seen[-1][0] != topic:
            seen.append(self.messages.get(timeout=10))
        return seen

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_the_gateway_serves_over_mqtts(secured: Secured) -> None:
    with Watch(secured.broker.settings("operator"), f"wamr/v1/{GW}/#") as watch:
        assert watch.expect(topics.gateway_state(GW), lambda p: p == b"online") == b"online"
        assert state_of(GW, "dev1", watch, lambda s: s.reachable).board == "esp32"
    assert "broker: mqtts://gw1@127.0.0.1:" in secured.gateway.output()


def test_the_operator_and_the_controller_run_commands(secured: Secured) -> None:
    assert cli("ps", *secured.via(*secured.login("operator"))) == {"apps": []}
    assert cli("status", *secured.via(*secured.login("operator")))["board"] == "esp32"
    error = cli("start", "nope", *secured.via(*secured.login("operator")), code=2)
    assert error["error"]["code"] == "NOT_FOUND"  # the device's answer, through the gateway
    password = secured.security.accounts["controller"].password  # from the environment
    assert cli("ps", *secured.via("--ca", str(secured.security.ca), "--user", "controller"),
               env={PASSWORD_ENV: password}) == {"apps": []}
    fleet = cli("devices", "--via", f"mqtts://operator@127.0.0.1:{secured.broker.port}",
                "--ca", str(secured.security.ca),
                "--password-file", str(secured.security.accounts["operator"].password_file))
    assert [g["state"] for g in fleet["gateways"] if g["id"] == GW] == ["online"]


def test_no_credentials_or_a_wrong_password_are_not_authorized(secured: Secured) -> None:
    ca = ["--ca", str(secured.security.ca)]
    assert "not authorized" in refused("ps", *secured.via(*ca))
    wrong = secured.root / "wrong.password"
    wrong.write_text("not-the-password\n")
    line = refused("ps", *secured.via(*ca, "--user", "operator", "--password-file", str(wrong)))
    assert "refused the connection: not authorized" in line and "operator@" in line
    assert "not authorized" in refused("ps", *secured.via(*ca, "--user", "nobody"))
    with Raw(secured.broker.url) as anonymous:  # so it cannot publish a command either
        assert anonymous.connack == NOT_AUTHORIZED


def test_a_client_that_does_not_trust_the_ca_fails_with_a_tls_error(secured: Secured) -> None:
    login = secured.login("operator")[2:]  # the user and password, no --ca: the system's CAs
    assert "TLS: the certificate of the broker" in refused("ps", *secured.via(*login))
    other = Authority.create(secured.root / "other-ca").cert_path
    line = refused("devices", "--via", secured.url, "--ca", str(other), *login)
    assert "not trusted by the CA in" in line


def test_a_gateway_writes_only_its_own_topics(secured: Secured) -> None:
    operator = secured.broker.settings("operator")
    with Watch(operator, "wamr/v1/+/$state") as watch, \
            Raw(secured.broker.settings("gw2")) as gw2:
        assert gw2.publish(topics.gateway_state(GW), b"forged") == NOT_AUTHORIZED
        gw2.publish(topics.gateway_state(GW), b"forged-qos0", qos=0)  # dropped silently
        assert gw2.publish(topics.gateway_state("gw2"), b"marker") == 0  # its own: allowed
        watch.expect(topics.gateway_state("gw2"), lambda p: p == b"marker")
        assert not [i for i in watch.seen if i.payload.startswith(b"forged")]
    with Watch(operator, topics.gateway_state(GW)) as late:  # the retained one is gw1's
        assert late.expect(topics.gateway_state(GW)) == b"online"


def test_a_gateway_sends_no_commands_and_reads_only_its_own(secured: Secured) -> None:
    with Raw(secured.broker.settings(GW)) as gw1:
        for topic in (topics.command("gw2", "dev1", "ps"), topics.command(GW, "dev1", "rm")):
            assert gw1.publish(topic, b'{"id": "x", "args": {}}') == NOT_AUTHORIZED
    with Raw(secured.broker.settings("gw2")) as gw2, \
            Requester(secured.broker.settings("operator")).connect() as operator:
        assert gw2.subscribe("wamr/v1/#") == 1  # granted; the ACL filters what it gets
        assert operator.wait(operator.send(GW, "dev1", "ps")).ok  # gw1's command and answer
        operator.send("gw2", "dev1", "ps")  # gw2's own command: the marker
        seen = gw2.until(topics.command("gw2", "dev1", "ps"))
    assert [t for t, _ in seen] == [topics.command("gw2", "dev1", "ps")]


def test_the_controller_serves_rollouts_over_mqtts(secured: Secured) -> None:
    controller = ControllerProcess(secured.root / "controller", secured.url,
                                   *secured.login("controller"))
    try:
        controller.wait_line(r"controller: serving rollouts on mqtts://controller@")
        bundle = secured.root / "sensor.wab"
        cli("bundle", "build", str(ROOT / "build" / "examples" / "sensor.wasm"), "--key",
            str(ROOT / "ota" / "vectors" / "test.key"), "--version", "2.0.0", "--seq", "1",
            "--board", "esp32", "--health-loops", "1", "-o", str(bundle))
        operator = ["--via", secured.url, *secured.login("operator")]
        started = cli("rollout", "start", str(bundle), *operator, "--soak", "0s")
        done = cli("rollout", "status", started["id"], *operator, "--wait", "--timeout", "120")
        assert [(d["dev"], d["outcome"]) for d in done["devices"]] == [("dev1", "succeeded")]
        with Raw(secured.broker.settings(GW)) as gw1:  # a gateway cannot pose as it
            assert gw1.publish(topics.controller_state(), b"online") == NOT_AUTHORIZED
            assert gw1.publish(topics.controller_command("list"),
                               b'{"id": "x", "args": {}}') == NOT_AUTHORIZED
        refused_line = refused("rollout", "list", "--via", secured.url,
                               "--ca", str(secured.security.ca))  # no credentials
        assert "not authorized" in refused_line
    finally:
        controller.kill()


def test_a_gateway_turned_away_exits_12(secured: Secured) -> None:
    wrong = secured.root / "gw-wrong.password"
    wrong.write_text("nope\n")
    config = secure_gateway_config(secured.security, secured.url, GW).replace(
        str(secured.security.accounts[GW].password_file), str(wrong))
    bad_password = GatewayProcess(secured.root / "gw-bad", config + f'id = "{GW}"\n', None)
    untrusted = GatewayProcess(secured.root / "gw-untrusted", secure_gateway_config(
        secured.security, secured.url, GW, ca=False) + f'id = "{GW}"\n', None)
    assert bad_password.proc.wait(30) == 12 and untrusted.proc.wait(30) == 12
    assert "refused the connection: not authorized" in bad_password.output()
    assert "error: TLS: the certificate of the broker" in untrusted.output()


def test_a_broker_that_requires_client_certificates(secured: Secured) -> None:
    security = Security.prepare(secured.root / "mtls-pki", gateways=(), require_certificate=True)
    with Mosquitto.start_in(secured.root / "mtls", security=security) as broker:
        url = f"mqtts://127.0.0.1:{broker.port}"
        account = security.accounts["operator"]
        login = ["--ca", str(security.ca), "--user", "operator", "--password-file",
                 str(account.password_file)]
        fleet = cli("devices", "--via", url, *login, "--cert", str(account.cert.cert),
                    "--key", str(account.cert.key))
        assert fleet == {"broker": f"mqtts://operator@127.0.0.1:{broker.port}", "gateways": []}
        assert "client certificate" in refused("devices", "--via", url, *login)
        with Requester(broker.settings("operator")).connect():
            pass  # settings() of such a broker carry the certificate


def run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(WAMR_AGENT), *args], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == code, done.stdout + done.stderr
    return done


def test_broker_up_secure_prints_what_clients_need(tmp_path: Path) -> None:
    up = json.loads(run("broker", "up", "--secure", "--dir", str(tmp_path), "--gateway", "gw9",
                        "--json").stdout)
    try:
        assert up["url"].startswith("mqtts://127.0.0.1:")
        assert {name: user["role"] for name, user in up["users"].items()} == {
            "gw9": "gateway", "operator": "operator", "controller": "controller"}
        operator = up["users"]["operator"]
        fleet = json.loads(run("devices", "--via", up["url"], "--ca", up["ca"], "--user",
                               "operator", "--password-file", operator["password_file"],
                               "--json").stdout)
        assert fleet["gateways"] == []
        assert "already running" in run("broker", "up", "--dir", str(tmp_path), code=2).stderr
    finally:
        down = run("broker", "down", "--dir", str(tmp_path)).stdout
    assert f"(pid {up['pid']}) stopped" in down
    assert not broker_answers(BrokerSettings("127.0.0.1", int(up["url"].rsplit(":", 1)[1])))
    assert "no broker is running" in run("broker", "down", "--dir", str(tmp_path),
                                         code=2).stderr
