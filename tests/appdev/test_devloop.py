"""The app developer's loop (docs/dev-loop.md): `new` then `build` (checked against
the manifest's boards), `deploy` with no module in an app folder, `up` on a local
simulated board, and `watch` picking up an edit, reporting a broken source and
going on until a fix deploys."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.appdev.conftest import need_toolchain
from tests.conftest import ROOT, board_cli, cli_json, need_aot_tools
from wamr_agent.aot.section import aot_sections
from wamr_agent.appdev.devloop import Loop as DevLoop
from wamr_agent.appdev.devloop import LoopEvents, app_line, deploy_artifact, needs_build
from wamr_agent.appdev.langs import LANGUAGE_MODULES
from wamr_agent.appdev.manifest import load_manifest
from wamr_agent.appdev.toolchains import LANGUAGES
from wamr_agent.capabilities import grant_mask
from wamr_agent.cli import app
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.state import STATE_ENV
from wamr_agent.errors import LinkError, ManifestError
from wamr_agent.inspection import inspect_module
from wamr_agent.installing import upload_grants
from wamr_agent.ota import parse_bundle
from wamr_agent.payload import check_payload

runner = CliRunner()
NAME = "demo"
WAIT = 90.0  # seconds a line of the loop may take to appear (a wait, not a measurement)
LANGS = [lang for lang in LANGUAGES if lang in LANGUAGE_MODULES]  # those built in so far
TEST_KEY = ROOT / "ota" / "vectors" / "test.key"  # the key simulated boards trust


def new_app(tmp_path: Path, lang: str = "c", template: str = "sensor") -> Path:
    need_toolchain(lang)
    folder = tmp_path / NAME
    made = cli_json("new", NAME, "--lang", lang, "--template", template, "--dir", str(folder))
    assert made == {"name": NAME, "dir": str(folder), "lang": lang, "template": template}
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("lang", LANGS)
def test_new_then_build_then_inspect(lang: str, tmp_path: Path) -> None:
    folder = new_app(tmp_path, lang)
    assert (folder / "README.md").read_text().count("\n") == 5
    assert "build/" in (folder / ".gitignore").read_text().splitlines()
    m = load_manifest(folder)
    assert (m.name, m.language, m.kind, m.boards) == (NAME, lang, "reactor", ("esp32",))
    assert needs_build(m)

    report = cli_json("build", str(folder))
    assert report["out"] == str(m.out) and report["size"] == m.out.stat().st_size > 0
    assert report["boards"] == [{"board": "esp32", "fits": True, "reason": "", "exit_code": 0}]
    assert not needs_build(m)
    inspected = inspect_module(m.out, "esp32", m.grant_list())
    assert inspected.verdict.fits
    assert set(inspected.capabilities) <= set(m.grants or ())
    assert {"setup", "loop"} <= {e.name for e in inspected.exports}

    text = runner.invoke(app, ["build", str(folder)])
    assert text.exit_code == 0, text.output
    assert re.fullmatch(r"built \S+demo\.wasm: \d+ bytes in [\d.]+ s \(\w+\); fits esp32\n",
                        text.stdout), text.stdout


def test_new_refuses_a_folder_in_use_and_a_bad_name(tmp_path: Path) -> None:
    need_toolchain("c")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "notes.txt").write_text("mine")
    for args, text in (
            (["new", NAME, "--lang", "c", "--dir", str(tmp_path / "used")], "not an empty"),
            (["new", "x" * 33, "--lang", "c", "--dir", str(tmp_path / "long")], "33 bytes"),
            (["new", "a\x01b", "--lang", "c", "--dir", str(tmp_path / "ctl")], "U+0001"),
            (["new", "a/b", "--lang", "c"], "give --dir"),
            (["new", NAME, "--lang", "cobol", "--dir", str(tmp_path / "c")], "cobol"),
            (["new", NAME, "--lang", "c", "--template", "x", "--dir", str(tmp_path / "t")],
             "unknown template")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert text in result.output and result.output.count("\n") == 1, result.output
    assert (tmp_path / "used" / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "long").exists()


def test_build_names_the_board_it_does_not_fit_and_the_compilers_error(tmp_path: Path
                                                                     ) -> None:
    folder = new_app(tmp_path)
    edit(folder / "wamr.toml", 'boards = ["esp32"]', 'boards = ["esp32", "nrf52840"]')
    (folder / "wamr.toml").write_text((folder / "wamr.toml").read_text()
                                      + "\n[budget]\ncpu_ticks = 4000000000\n")
    result = runner.invoke(app, ["build", str(folder)])
    assert result.exit_code == 5, result.output
    assert result.output.count("\n") == 1
    assert "does not fit esp32: its CPU budget is" in result.output

    edit(folder / "wamr.toml", "cpu_ticks = 4000000000", "cpu_ticks = 1000")
    edit(folder / "src" / "main.c", "return WA_OK;", "return WA_OK")  # a syntax error
    result = runner.invoke(app, ["build", str(folder)])
    assert result.exit_code == 20, result.output
    assert "main.c" in result.output and "expected ';'" in result.output  # clang's text
    assert result.output.splitlines()[-1] == "error: c: build failed (clang exited 1)"


def test_build_exits_6_for_an_import_the_device_refuses(tmp_path: Path) -> None:
    """An import that is not in the native API fails `build` as it fails `deploy` and
    `inspect`: LinkError, exit 6 (was FitError, 5: "does not fit")."""
    folder = new_app(tmp_path)
    edit(folder / "src" / "main.c", "WA_EXPORT(setup)",
         '__attribute__((import_module("env"), import_name("blink_led"))) void blink(int);\n'
         "WA_EXPORT(setup)")
    edit(folder / "src" / "main.c", "    return WA_OK;", "    blink(1);\n    return WA_OK;")
    result = runner.invoke(app, ["build", str(folder)])
    assert result.exit_code == 6, result.output
    assert result.output.count("\n") == 1, result.output
    assert "is refused for esp32" not in result.output  # build's own wording
    assert "does not fit esp32: unknown import env.blink_led" in result.output


def test_deploy_with_no_module_deploys_the_app_of_the_folder(
        tmp_path: Path, esp32: SimulatedBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = new_app(tmp_path)
    edit(folder / "wamr.toml", 'version = "0.1.0"', 'version = "2.0.1"')
    monkeypatch.chdir(folder)
    report = board_cli(esp32, "deploy")  # builds it: no module built yet
    assert (report["name"], report["version"], report["life"]) == (NAME, "2.0.1", "confirmed")
    listed = board_cli(esp32, "ps")["apps"]
    assert [(a["name"], a["version"], a["state"]) for a in listed] == [
        (NAME, "2.0.1", "running")]

    # an option wins over the manifest
    renamed = board_cli(esp32, "deploy", "--name", "other")
    assert (renamed["name"], renamed["version"], renamed["life"]) == (
        "other", "2.0.1", "confirmed")
    # the manifest's grants go with the module: without telemetry it is refused
    edit(folder / "wamr.toml", '"sensor", "telemetry"]', '"sensor"]')
    refused = board_cli(esp32, "deploy", code=6)
    assert refused["error"]["message"].endswith(
        "imports need telemetry, which the manifest's grants leave out")


def test_a_modules_upload_carries_the_manifests_version_and_grants(
        wat: Callable[[str], bytes]) -> None:
    data = wat("imports_sensor")
    name, payload = check_payload(data, "probe.wasm", "esp32", None, version="2.0.1",
                                  grants=["log", "sensor"])
    assert (name, payload.version, payload.grants) == ("probe", "2.0.1", ("log", "sensor"))
    assert upload_grants(payload) == grant_mask(["log", "sensor"]) == 0b101
    assert upload_grants(check_payload(data, "probe.wasm", "esp32", None)[1]) is None  # all
    with pytest.raises(LinkError, match="capability 'sensor'"):
        check_payload(data, "probe.wasm", "esp32", None, grants=["log"])


def test_deploy_with_a_signing_key_sends_a_signed_bundle(
        tmp_path: Path, esp32: SimulatedBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = new_app(tmp_path)
    with (folder / "wamr.toml").open("a") as f:
        f.write('\n[signing]\nkey_env = "WAMR_TEST_SIGNING_KEY"\nseq = 3\n')
    monkeypatch.setenv("WAMR_TEST_SIGNING_KEY", str(TEST_KEY))
    monkeypatch.chdir(folder)
    report = board_cli(esp32, "deploy")
    assert (report["name"], report["version"], report["life"]) == (NAME, "0.1.0", "confirmed")
    assert (folder / "build" / f"{NAME}-0.1.0.wab").exists()
    status = board_cli(esp32, "status", NAME)
    assert (status["signed"], status["seq"]) == (True, 3)


def test_aot_true_in_the_manifest_bundles_aot_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``aot = true``: bundle build (and deploy, which packs the same way) carries AOT
    code for the manifest's boards; without [signing] deploy refuses it (AOT code
    runs only from a signed bundle)."""
    need_aot_tools()
    folder = new_app(tmp_path)
    manifest = folder / "wamr.toml"
    edit(manifest, 'boards = ["esp32"]', 'aot = true\nboards = ["mps2-an386"]')
    monkeypatch.chdir(folder)
    with pytest.raises(ManifestError, match="aot = true needs \\[signing\\]"):
        deploy_artifact(load_manifest(folder), "mps2-an386")
    with manifest.open("a") as f:
        f.write(f'\n[signing]\nkey = "{TEST_KEY}"\nseq = 1\n')
    built = runner.invoke(app, ["bundle", "build"])
    assert built.exit_code == 0, built.output
    bundle = parse_bundle((folder / "build" / f"{NAME}-0.1.0.wab").read_bytes())
    assert [s.cpu for s in aot_sections(bundle.module)] == ["cortex-m4"]


def test_a_stop_ends_the_loops_waits(tmp_path: Path) -> None:
    """Ctrl-C in `up`/`watch` sets the loop's stop as well as raising
    KeyboardInterrupt: should Python drop that exception (raised inside a finalizer
    the garbage collector ran), the next step of a wait raises it again."""
    def unused(*_args: object) -> None:
        raise AssertionError("the loop must not get this far")

    stop = threading.Event()
    events = LoopEvents(unused, unused, unused, unused)
    loop = DevLoop(tmp_path, unused, unused, events, watch=True, poll=0.01,  # type: ignore[arg-type]
                   stop=stop)
    loop.stamps = loop.stamp()
    loop.pause(0.05)  # nothing changed, no stop: the wait runs out
    stop.set()
    with pytest.raises(KeyboardInterrupt):
        loop.pause(60.0)
    with pytest.raises(KeyboardInterrupt):
        loop.wait_for_change()


def test_app_lines() -> None:
    assert app_line("demo", "[demo] hello") and app_line("demo", "telemetry demo t=1")
    assert app_line("demo", "app demo confirmed (slot 0)") and app_line("demo", "app demo: x")
    assert not app_line("demo", "[demo2] hello") and not app_line("demo", "app demox started")


class Loop:
    """`wamr-agent ARGS` as a process (what a user runs), its output read line by line."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from wamr_agent.cli import main; main()", *args],
            cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, pattern: str) -> str:
        """The next line matching ``pattern`` within WAIT seconds (a wait, not a
        measurement); fails with the last lines seen."""
        end = time.monotonic() + WAIT
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} in {WAIT} s; "
                                     "last lines:\n" + "\n".join(self.seen[-30:])) from None
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def stop(self) -> int:
        """Ctrl-C, as a user stops the loop; a loop that does not end fails with
        where it hangs (Python's fault handler prints every thread's stack on
        SIGABRT)."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)
            self.proc.wait(timeout=WAIT)
            time.sleep(0.5)  # the reader thread takes the last lines
            while not self.lines.empty():
                self.seen.append(self.lines.get())
            raise AssertionError(f"still running {WAIT} s after Ctrl-C; last lines:\n"
                                 + "\n".join(self.seen[-60:])) from None


@pytest.fixture
def loop_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a loop process: board instances under tmp_path; every
    instance it leaves is stopped afterwards."""
    env = {**os.environ, STATE_ENV: str(tmp_path / "state"), "PYTHONUNBUFFERED": "1",
           "PYTHONFAULTHANDLER": "1"}
    yield env
    state = tmp_path / "state"
    for instance in state.iterdir() if state.exists() else []:
        runner.invoke(app, ["sim", "down", instance.name], env={STATE_ENV: str(state)})


def test_up_shows_the_apps_log_and_leaves_the_board_running(
        tmp_path: Path, loop_env: dict[str, str]) -> None:
    folder = new_app(tmp_path)
    up = Loop(["up"], folder, loop_env)
    up.expect(r"^target: local simulated esp32 \(instance 'esp32', started now")
    up.expect(rf"^deployed {NAME} 0\.1\.0 .*confirmed")
    up.expect(rf"\[{NAME}\] {NAME} started$")
    up.expect(rf"\[{NAME}\] temperature [\d.]+ C$")
    assert up.stop() == 0
    assert up.expect(r"^stopped") == ("stopped; the board keeps running "
                                      "(`wamr-agent sim down esp32`)")
    listed = cli_json("sim", "list", env={STATE_ENV: loop_env[STATE_ENV]})["instances"]
    assert [(i["name"], i["status"]) for i in listed] == [("esp32", "running")]

    again = Loop(["up"], folder, loop_env)  # reuses the board; the app is there already
    again.expect(r"^target: local simulated esp32 \(instance 'esp32', socket://")
    again.expect(rf"^deployed {NAME} 0\.1\.0 .*nothing to do")
    again.expect(rf"\[{NAME}\] temperature [\d.]+ C$")
    assert again.stop() == 0


def test_watch_redeploys_an_edit_and_survives_a_broken_source(
        tmp_path: Path, esp32: SimulatedBoard, loop_env: dict[str, str]) -> None:
    folder = new_app(tmp_path)
    source = folder / "src" / "main.c"
    watch = Loop(["watch", "--port", esp32.mgmt_address], folder, loop_env)
    watch.expect(rf"\[{NAME}\] {NAME} started$")

    edit(source, f'"{NAME} started"', f'"{NAME} edited once"')
    watch.expect(r"^changed: main\.c$")
    watch.expect(rf"\[{NAME}\] {NAME} edited once$")

    edit(source, "return WA_OK;", "return WA_OK")  # the compiler refuses it
    watch.expect(r"main\.c:\d+:\d+: error: expected ';'")
    watch.expect(r"^error: c: build failed \(clang exited 1\)$")
    watch.expect(rf"\[{NAME}\] temperature")  # the running version keeps running

    edit(source, "return WA_OK\n", "return WA_OK;\n")
    edit(source, f'"{NAME} edited once"', f'"{NAME} fixed"')
    watch.expect(rf"^deployed {NAME} 0\.1\.0 .*confirmed")
    watch.expect(rf"\[{NAME}\] {NAME} fixed$")
    assert watch.stop() == 0
    watch.expect(r"^stopped$")


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "c"])
def test_watch_redeploys_an_edit_in_every_language(
        lang: str, tmp_path: Path, esp32: SimulatedBoard, loop_env: dict[str, str]) -> None:
    folder = new_app(tmp_path, lang)
    source = sorted(folder.glob(load_manifest(folder).sources[0]))[0]
    watch = Loop(["watch", "--port", esp32.mgmt_address], folder, loop_env)
    watch.expect(rf"^deployed {NAME} 0\.1\.0 .*confirmed")
    watch.expect(rf"\[{NAME}\] {NAME} started$")
    edit(source, f"{NAME} started", f"{NAME} edited")
    watch.expect(rf"^built build/{NAME}\.wasm: \d+ bytes .*\({lang}\); fits esp32$")
    watch.expect(rf"\[{NAME}\] {NAME} edited$")
    assert watch.stop() == 0


def test_a_changed_header_needs_a_build(tmp_path: Path) -> None:
    folder = new_app(tmp_path)
    (folder / "src" / "config.h").write_text("#define PERIOD 1\n")
    m = load_manifest(folder)
    cli_json("build", str(folder))
    assert not needs_build(m)
    later = m.out.stat().st_mtime_ns + 1_000_000_000
    os.utime(folder / "src" / "config.h", ns=(later, later))
    assert needs_build(m)
