"""The MQTT clients' security settings without a broker or a subprocess: broker URLs
and the TLS and credentials options (mqtt/url.py), the CLI's options, and the TLS
errors a client reports (against an in-process TLS server: unknown CA, wrong host
name)."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main

from wamr_agent.access import via_option
from wamr_agent.cli import app
from wamr_agent.cli.broker_options import OPTION_NAMES
from wamr_agent.errors import TransportError, UsageError
from wamr_agent.mqtt.pki import Authority
from wamr_agent.mqtt.requester import Requester
from wamr_agent.mqtt.url import PASSWORD_ENV, BrokerOptions, BrokerSettings, resolve


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {name: tmp_path / name for name in ("ca.pem", "c.pem", "c.key")}
    for path in paths.values():
        path.write_text("x")
    (tmp_path / "pw").write_text("s3cret\nignored\n")
    return {**paths, "pw": tmp_path / "pw"}


def test_urls_schemes_ports_and_users() -> None:
    assert resolve("mqtt://h", environ={}) == BrokerSettings("h", 1883)
    assert resolve("mqtts://h", environ={}) == BrokerSettings("h", 8883, tls=True)
    assert resolve("mqtts://u%40x:p%3Aw@h:9", environ={}) == BrokerSettings(
        "h", 9, "u@x", "p:w", tls=True)
    assert str(BrokerSettings("h", 9, "u", "secret", tls=True)) == "mqtts://u@h:9"
    assert "secret" not in repr(BrokerSettings("h", 9, "u", "secret"))
    for bad in ("tcp://h:1", "mqtts://", "mqtt://h:x", "mqtt://h:1/p", "mqtt://h?x=1", "h:1"):
        with pytest.raises(UsageError, match=r"expected mqtt\[s\]://"):
            resolve(bad, environ={})


def test_options_tls_files_and_credentials(files: dict[str, Path]) -> None:
    options = BrokerOptions(files["ca.pem"], files["c.pem"], files["c.key"], "op", files["pw"])
    assert resolve("mqtts://h:1", options, environ={}) == BrokerSettings(
        "h", 1, "op", "s3cret", True, files["ca.pem"], files["c.pem"], files["c.key"])
    same_user = BrokerOptions(username="op", password_file=files["pw"])
    assert resolve("mqtt://op@h", same_user, environ={}).password == "s3cret"


def test_the_password_comes_from_the_url_the_file_or_the_environment(
        files: dict[str, Path]) -> None:
    env = {PASSWORD_ENV: "from-env"}
    assert resolve("mqtt://op:url@h", environ=env).password == "url"
    assert resolve("mqtt://h", BrokerOptions(username="op", password_file=files["pw"]),
                   environ=env).password == "s3cret"
    assert resolve("mqtt://op@h", environ=env).password == "from-env"
    assert resolve("mqtt://h", environ=env).password is None  # no user: no password
    assert resolve("mqtt://op@h", environ={}).password is None


@pytest.mark.parametrize(("url", "options", "message"), [
    ("mqtt://h", {"ca": "ca.pem"}, r"--ca: TLS options need an mqtts:// broker"),
    ("mqtts://h", {"cert": "c.pem"}, r"needs both --cert and --key"),
    ("mqtts://h", {"ca": "nope.pem"}, r"--ca .*nope\.pem: no such file"),
    ("mqtt://a@h", {"username": "b"}, r"user 'a' and --user 'b' differ"),
    ("mqtt://a:p@h", {"password_file": "pw"}, r"has a password and --password-file"),
    ("mqtt://h", {"password_file": "pw"}, r"a password needs a user name \(--user"),
    ("mqtt://:p@h", {}, r"a password needs a user name"),
    ("mqtt://h", {"username": "u", "password_file": "empty"}, r"empty"),
    ("mqtt://h", {"username": "u", "password_file": "none"}, r"--password-file .*none"),
])
def test_bad_options_are_one_line_usage_errors(files: dict[str, Path], tmp_path: Path,
                                               url: str, options: dict[str, str],
                                               message: str) -> None:
    (tmp_path / "empty").write_text("\n")
    given = BrokerOptions(**{k: v if k == "username" else tmp_path / v
                             for k, v in options.items()})  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=message) as raised:
        resolve(url, given, environ={})
    assert "\n" not in str(raised.value)


def test_via_takes_the_options_and_refuses_them_alone(files: dict[str, Path]) -> None:
    via = via_option("mqtts://h:2", "gw1/dev1", BrokerOptions(files["ca.pem"], username="op"))
    assert via is not None and via.broker == BrokerSettings("h", 2, "op", None, True,
                                                            files["ca.pem"])
    with pytest.raises(UsageError, match=r"--ca, --user: only with --via"):
        via_option(None, None, BrokerOptions(files["ca.pem"], username="op"))


def test_every_command_with_a_broker_has_the_security_options() -> None:
    """A command that connects to a broker (--via, --broker) and lacks --ca and the
    rest fails here."""
    with_broker = set()
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        options = {o for p in command.params for o in p.opts}
        if options & {"--via", "--broker"}:
            with_broker.add(name)
            assert set(OPTION_NAMES) <= options, f"{name}: missing {set(OPTION_NAMES) - options}"
    assert {"ps", "status", "logs", "start", "stop", "rm", "confirm", "rollback", "devices",
            "gateway"} <= with_broker


# -- TLS errors, against an in-process TLS server ----------------------------------------

@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server on a free loopback port whose certificate names example.org only;
    the CA that signed it."""
    ca = Authority.create(tmp_path / "ca")
    server = ca.issue(tmp_path, "server", "example.org", server_names=["example.org"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server.cert, server.key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], ca.cert_path
    stop.set()
    thread.join()
    listener.close()


def test_tls_errors_say_unknown_ca_or_wrong_host_name(tls_server: tuple[int, Path],
                                                     tmp_path: Path) -> None:
    port, ca = tls_server
    other = Authority.create(tmp_path / "other").cert_path
    with pytest.raises(TransportError, match=r"^TLS: .* not trusted by the CA in .*other"):
        Requester(BrokerSettings("127.0.0.1", port, tls=True, ca=other), timeout=5).connect()
    with pytest.raises(TransportError, match=r"^TLS: .* not valid for '127\.0\.0\.1'"):
        Requester(BrokerSettings("127.0.0.1", port, tls=True, ca=ca), timeout=5).connect()


def test_unreadable_tls_files_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    with pytest.raises(UsageError, match=r"TLS files .*ca\.pem"):
        Requester(BrokerSettings("127.0.0.1", 1, tls=True, ca=tmp_path / "ca.pem"))
