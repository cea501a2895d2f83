"""`make demo`: the whole chain on one machine, with the commands a user types.

A local mosquitto (`wamr-agent broker up`), a rollout controller, and a gateway
serving three devices from a configuration without ports: the local simulated
esp32 and esp32-c3 and an emulated Cortex-M4 (QEMU mps2-an386), each started
like `deploy` starts it. Then: the sensor app 1.0.0 deployed to one device
through MQTT, a two-wave rollout of 1.1.0 to all three (a canary, then the
rest, each confirmed by its device and soaked), the fleet table, and the
sensor's telemetry arriving on its topic. Everything it starts is stopped at the
end; its files are in $WAMR_AGENT_STATE (build/demo).

Run from the repository root with the venv's Python: `make demo`.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from wamr_agent.mqtt import topics
from wamr_agent.mqtt.requester import Requester
from wamr_agent.mqtt.url import BrokerSettings

ROOT = Path(__file__).resolve().parents[2]
WAMR_AGENT = str(Path(sys.executable).with_name("wamr-agent"))
KEY = ROOT / "ota" / "vectors" / "test.key"  # the published test key the firmware trusts
SENSOR = ROOT / "build" / "examples" / "sensor.wasm"
DEVICES = {"dev1": "esp32", "dev2": "esp32-c3", "qemu1": "mps2-an386"}
BOARDS = [b for board in dict.fromkeys(DEVICES.values()) for b in ("--board", board)]


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def run(*args: str, show: bool = True) -> str:
    """Runs ``wamr-agent ARGS`` as a user would; stops the demo when it fails."""
    if show:
        print(f"$ wamr-agent {shlex.join(args)}", flush=True)
    done = subprocess.run([WAMR_AGENT, *args], capture_output=True, text=True, check=False)
    if show and done.stdout:
        print(done.stdout, end="", flush=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"demo: `wamr-agent {shlex.join(args)}` exited {done.returncode}")
    return done.stdout


def background(state: Path, name: str, *args: str) -> subprocess.Popen[bytes]:
    print(f"$ wamr-agent {shlex.join(args)} &    # log: {state / (name + '.log')}", flush=True)
    with (state / f"{name}.log").open("wb") as log:
        return subprocess.Popen([WAMR_AGENT, *args], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise SystemExit(f"demo: {log.stem} exited:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
    raise SystemExit(f"demo: no {text!r} in {log} within {timeout:g} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def bundle(state: Path, version: str, seq: int) -> Path:
    out = state / f"sensor-{version}.wab"
    run("bundle", "build", str(SENSOR), "--key", str(KEY), "--version", version, "--seq",
        str(seq), *BOARDS, "--health-loops", "5", "-o", str(out))
    return out


def telemetry(url: str, seconds: float) -> None:
    """Prints what arrives on the devices' telemetry topics for ``seconds``."""
    print(f"$ mosquitto_sub -V mqttv5 -L '{url}/wamr/v1/gw1/+/telemetry/#' -v", flush=True)
    seen = 0
    with Requester(BrokerSettings.parse(url)) as mqtt:
        mqtt.connect()
        mqtt.subscribe(topics.telemetry("gw1", "+", "#"))
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = mqtt.messages.get(timeout=left)
            except queue.Empty:
                break
            seen += 1
            if seen <= 12:
                print(f"{item.topic} {item.payload.decode()}", flush=True)
    print(f"({seen} telemetry messages in {seconds:g} s)")
    if not seen:
        raise SystemExit("demo: no telemetry arrived")


def main() -> None:
    state = Path(os.environ.setdefault("WAMR_AGENT_STATE", str(ROOT / "build" / "demo")))
    state.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup:
        step("a local MQTT broker")
        broker = json.loads(run("broker", "up", "--dir", str(state / "broker"), "--json",
                                show=False))
        cleanup.callback(run, "broker", "down", "--dir", str(state / "broker"), show=False)
        url = broker["url"]
        print(f"$ wamr-agent broker up --dir {state / 'broker'}\nbroker  {url}")

        step("the rollout controller, and a gateway with three devices")
        controller = background(state, "controller", "controller", "--broker", url, "--db",
                                str(state / "rollouts.sqlite3"))
        cleanup.callback(stop, controller)
        config = state / "gateway.toml"
        config.write_text('id = "gw1"\n' + "".join(
            f'\n[[devices]]\nid = "{dev}"\nboard = "{board}"    # no port: its local instance\n'
            for dev, board in DEVICES.items()))
        print(f"$ cat {config}\n{config.read_text()}")
        for board in DEVICES.values():  # the gateway starts them; these stop them at the end
            kind = "board" if board.startswith("mps2") else "sim"
            cleanup.callback(run, kind, "down", board, show=False)
        gateway = background(state, "gateway", "gateway", "--config", str(config), "--broker",
                             url)
        cleanup.callback(stop, gateway)
        wait_for(state / "gateway.log", "serving 3 device(s)", gateway)
        wait_for(state / "controller.log", "serving rollouts", controller)
        time.sleep(3)  # the gateway's first status polls
        run("devices", "--via", url)

        step("deploy the sensor app 1.0.0 to one device through MQTT")
        first = bundle(state, "1.0.0", 1)
        run("deploy", str(first), "--via", url, "--device", "gw1/dev1")

        step("a two-wave rollout of 1.1.0: a canary, then the rest")
        second = bundle(state, "1.1.0", 2)
        rollout_id = run("rollout", "start", str(second), "--via", url, "--waves", "1,100%",
                         "--soak", "5s").strip()
        run("rollout", "status", rollout_id, "--via", url, "--wait", "--timeout", "300")
        run("devices", "--via", url)

        step("telemetry from the sensor app, on its MQTT topic")
        telemetry(url, 6.0)
    print("\ndemo: done (everything it started is stopped)")


if __name__ == "__main__":
    main()
