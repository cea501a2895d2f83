"""The gateway's configuration file: what it accepts and the one-line errors
naming the key (exit 2 through the CLI). No broker, no device."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wamr_agent.cli import app
from wamr_agent.errors import BoardError, UsageError
from wamr_agent.gateway.config import DeviceConfig, broker_settings, load_config
from wamr_agent.mqtt.url import BrokerOptions, BrokerSettings

GOOD = """
id = "gw1"
broker = "mqtt://127.0.0.1:1883"
[[devices]]
id = "dev1"
board = "esp32"
port = "socket://127.0.0.1:4444"
[[devices]]
id = "dev2"
board = "mps2-an386"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    return path


def test_a_full_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.id == "gw1" and config.broker == "mqtt://127.0.0.1:1883"
    assert broker_settings(config, None, BrokerOptions()) == BrokerSettings("127.0.0.1", 1883)
    assert config.devices == (DeviceConfig("dev1", "esp32", "socket://127.0.0.1:4444"),
                              DeviceConfig("dev2", "mps2-an386", None))
    bare = load_config(write(tmp_path, 'id = "gw2"\n'))
    assert (bare.broker, bare.devices) == (None, ())


SECURE = """
id = "gw1"
broker = "mqtts://broker.example:8883"
ca = "pki/ca.pem"
username = "gw1"
password_file = "gw1.password"
"""


def test_the_broker_keys_with_files_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "ca.pem").write_text("x")
    (tmp_path / "gw1.password").write_text("from-file\n")
    (tmp_path / "pw").write_text("from-cli\n")
    config = load_config(write(tmp_path, SECURE))
    assert config.broker_options == BrokerOptions(tmp_path / "pki" / "ca.pem", None, None,
                                                  "gw1", tmp_path / "gw1.password")
    assert broker_settings(config, None, BrokerOptions()).password == "from-file"  # type: ignore[union-attr]
    settings = broker_settings(config, None, BrokerOptions(password_file=tmp_path / "pw"))
    assert settings == BrokerSettings("broker.example", 8883, "gw1", "from-cli", True,
                                      tmp_path / "pki" / "ca.pem")
    other = broker_settings(config, "mqtts://other:1", BrokerOptions(username="gw1"))
    assert other is not None and (other.host, other.password) == ("other", "from-file")


@pytest.mark.parametrize(("text", "message"), [
    ('id = "g"\nbroker = "mqtt://h"\nca = "ca.pem"\n', r"'ca' \(.*\): TLS options need"),
    ('id = "g"\nbroker = "mqtts://h"\ncert = "c.pem"\n', r"both 'cert' \(.*\) and 'key'"),
    ('id = "g"\nbroker = "mqtts://h"\nca = "none.pem"\n', r"'ca' .*none\.pem: no such file"),
    ('id = "g"\nbroker = "mqtts://a@h"\nusername = "b"\n', r"'username' .* differ"),
    ('id = "g"\nusername = 3\n', r"'username' must be a str"),
])
def test_broker_key_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_config(write(tmp_path, text))


def test_credentials_without_a_broker_are_refused(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'id = "g"\nusername = "g"\n'))
    with pytest.raises(UsageError, match=r"'username' \(.*\): without a broker"):
        broker_settings(config, None, BrokerOptions())
    with pytest.raises(UsageError, match=r"^--user: without a broker"):
        broker_settings(load_config(write(tmp_path, 'id = "g"\n')), None,
                        BrokerOptions(username="g"))


@pytest.mark.parametrize(("text", "message"), [
    ('id = "gw1"\ncolour = "red"\n', r"unknown key 'colour'"),
    ('id = 3\n', r"'id' must be a str, not int"),
    ('broker = "mqtt://h:1"\n', r"missing key 'id'"),
    ('id = "gw1"\ndevices = 3\n', r"'devices' must be a table array, not int"),
    ('id = "gw1"\n[[devices]]\nid = "d"\nboard = "esp32"\nbaud = 9600\n',
     r"unknown key devices\[0\]\.'baud'"),
    ('id = "gw1"\n[[devices]]\nid = "d"\nboard = "esp32"\nport = 4444\n',
     r"devices\[0\]\.'port' must be a str, not int"),
    ('id = "gw1"\n[[devices]]\nid = "d"\n', r"missing key devices\[0\]\.'board'"),
    ('id = "gw/1"\n', r"'id': id 'gw/1': use letters"),
    ('id = "gw1"\n[[devices]]\nid = "d+"\nboard = "esp32"\n', r"devices\[0\]\.'id'"),
    ('id = "gw1"\nbroker = "http://x"\n', r"expected mqtt\[s\]://"),
    ('id = "gw1"\n[[devices]]\nid = "a"\nboard = "esp32"\n[[devices]]\nid = "a"\n'
     'board = "esp32"\nport = "/dev/ttyUSB0"\n', r"both use id 'a'"),
    ('id = "gw1"\n[[devices]]\nid = "a"\nboard = "esp32"\n[[devices]]\nid = "b"\n'
     'board = "esp32"\n', r"'a' and 'b' both use the local esp32 instance"),
    ('id = "gw1"\n[devices\n', r"not TOML"),
])
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as raised:
        load_config(write(tmp_path, text))
    assert "\n" not in str(raised.value) and str(tmp_path) in str(raised.value)


def test_an_unknown_board_is_a_board_error(tmp_path: Path) -> None:
    with pytest.raises(BoardError, match=r"devices\[0\]\.'board'"):
        load_config(write(tmp_path, 'id = "g"\n[[devices]]\nid = "d"\nboard = "esp33"\n'))


def test_the_cli_exits_2_with_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["gateway", "--config",
                                      str(write(tmp_path, 'id = "gw1"\nport = 1\n'))])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown key 'port'" in result.stderr
    # a configuration file that is not there is a missing input, as for any command
    missing = CliRunner().invoke(app, ["gateway", "--config", str(tmp_path / "none.toml")])
    assert missing.exit_code == 3 and "cannot read" in missing.stderr
