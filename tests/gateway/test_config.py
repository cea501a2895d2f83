"""Configuration from the fleet through a gateway (docs/config.md, docs/mqtt.md): a
real `wamr-agent gateway` process on a real mosquitto with a simulated esp32;
`config set` and `config get` with `--via` exit and answer as over the port, and the
device's retained state carries the app's desired vs reported configuration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.config_app import CONFIG_REJECTED, NO_SUCH_APP, REJECT, config_app
from tests.conftest import cli_json as cli
from tests.gateway.conftest import GatewayProcess, Watch, gateway_config, state_of
from tests.timer_app import app_log
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.mqtt import topics
from wamr_agent.mqtt.broker import Mosquitto

GW = "gwc"


def test_config_set_and_get_via_the_gateway(
        tmp_path: Path, broker: Mosquitto, esp32: SimulatedBoard,
        gateway_process: Callable[..., GatewayProcess]) -> None:
    cli("deploy", str(config_app(tmp_path / "cfg.wasm")), "--name", "cfg",
        "--board", "esp32", "--port", esp32.mgmt_address)
    gateway_process(gateway_config(GW, {"dev": ("esp32", esp32.mgmt_address)}), broker.url)
    via = ["--via", str(broker.url), "--device", f"{GW}/dev"]
    with Watch(broker.url, topics.device_state(GW, "dev")) as watch:
        first = state_of(GW, "dev", watch, lambda s: s.reachable and bool(s.apps))
        assert first.apps[0].config == {"desired": 0, "applied": 0, "status": "none",
                                        "code": 0, "values": {}}
        got = cli("config", "set", "cfg", "mode=fast", "rate=5", *via)
        assert (got["name"], got["desired"], got["applied"], got["status"]) == (
            "cfg", 1, 1, "applied")
        esp32.console.expect(r"\[cfg\] config 1 mode=fast")
        shown = cli("config", "get", "cfg", *via)
        assert (shown["values"], shown["desired"], shown["applied"]) == (
            {"mode": "fast", "rate": "5"}, 1, 1)
        cli("config", "set", "cfg", "mode=bad", *via, code=CONFIG_REJECTED)
        state = state_of(GW, "dev", watch, lambda s: (s.apps[0].config or {}).get(
            "desired") == 2)
    assert state.apps[0].config == {"desired": 2, "applied": 1, "status": "rejected",
                                    "code": REJECT, "values": {"mode": "bad", "rate": "5"}}
    cli("config", "get", "nope", *via, code=NO_SUCH_APP)
    esp32.console.expect(r"\[cfg\] config 2 mode=bad")  # the console may lag the SMP answer
    assert app_log(esp32.console.lines(), "cfg") == ["setup", "config 1 mode=fast",
                                                     "config 2 mode=bad"]
