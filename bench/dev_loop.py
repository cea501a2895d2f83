"""`wamr-agent watch`'s save-to-running time for `make bench` (docs/dev-loop.md): the
sensor template of every language whose toolchain is here, on a simulated esp32,
through the loop `watch` runs (appdev.devloop.Loop with the CLI's deploy).

Each run changes the app's start-up log line and saves it, then takes the time
until the loop noticed it (it polls every 0.05 s), the build, the upload, and the
new version running (the upload's end: the device has loaded and started it on
trial) and confirmed (the health policy: 10 loop rounds of the template's 0.2 s
loop, so about 2 s more). Jaguar (Toit) pushes a change in under 2 s: that is the
anchor for save-to-running.
"""

from __future__ import annotations

import queue
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from wamr_agent.access import open_device
from wamr_agent.appdev.devloop import BuildReport, Loop, LoopEvents
from wamr_agent.appdev.scaffold import new_app
from wamr_agent.appdev.toolchains import LANGUAGES, find_toolchain, template_info
from wamr_agent.cli.deploy import app_runner
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.errors import WamrAgentError
from wamr_agent.installing import DeployReport
from wamr_agent.remote_deploy import Options

RUNS = 5
WAIT = 120.0  # seconds one save may take before the bench gives up on the language
Table = Callable[[str, list[str], list[list[str]]], None]


class _Stop(BaseException):
    """Ends the loop's thread (not an error the loop reports)."""


class _Timed:
    """The loop's events, time-stamped, for the runs to wait on."""

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[str, float, object]] = queue.Queue()
        self.stop = False

    def put(self, kind: str, value: object) -> None:
        self.events.put((kind, time.monotonic(), value))
        if self.stop:
            raise _Stop

    def loop_events(self) -> LoopEvents:
        return LoopEvents(lambda r: self.put("build", r), lambda r: self.put("deploy", r),
                          lambda e: self.put("error", e), lambda _e: self.put("log", None),
                          lambda paths: self.put("change", paths))

    def next(self, kind: str) -> tuple[float, object]:
        end = time.monotonic() + WAIT
        while True:
            got, at, value = self.events.get(timeout=max(0.0, end - time.monotonic()))
            if got == "error":
                raise RuntimeError(f"the loop reported: {value}")
            if got == kind:
                return at, value


def _source(app: Path, lang: str) -> Path:
    """The template's first source file (the one holding the start-up line)."""
    pattern = template_info(lang, "sensor").sources[0]
    return sorted(app.glob(pattern))[0]


def _run(timed: _Timed, source: Path, n: int) -> list[float]:
    """One save; [detect, build, upload, to running, to confirmed] in seconds."""
    text = source.read_text()
    source.write_text(text.replace("started", f"started {n}", 1) if n == 1 else
                      text.replace(f"started {n - 1}", f"started {n}", 1))
    saved = time.monotonic()
    detected, _ = timed.next("change")
    _, built = timed.next("build")
    done, report = timed.next("deploy")
    assert isinstance(built, BuildReport) and isinstance(report, DeployReport)
    running = done - saved - (report.verdict_seconds or 0.0)
    return [detected - saved, built.seconds, report.seconds, running, done - saved]


def _language(lang: str, tmp: Path) -> list[str]:
    try:
        find_toolchain(lang)
    except WamrAgentError as exc:
        return [lang, "-", "-", "-", "-", "-", "-", "no toolchain" if exc else "-"]
    app = new_app("sensor", lang, "sensor", tmp / lang)
    timed = _Timed()
    with SimulatedBoard.start("esp32", workdir=tmp / f"{lang}-board") as board:
        port = board.mgmt_address
        make = app_runner("esp32", port, 115200, None,
                          Options(None, "esp32", True, True, None, True, "auto"))
        loop = Loop(app, lambda m: make(m)(None), lambda: open_device("esp32", port),
                    timed.loop_events(), watch=True)
        thread = threading.Thread(target=lambda: _quiet(loop.run), daemon=True)
        thread.start()
        timed.next("deploy")  # the first build and deploy
        time.sleep(0.5)
        runs = [_run(timed, _source(app, lang), n) for n in range(1, RUNS + 1)]
        timed.stop = True
        thread.join(timeout=WAIT)
    med = [statistics.median(col) for col in zip(*runs, strict=True)]
    verdict = "yes" if med[3] < 2.0 else "no"
    return [lang, str(len(runs)), f"{med[0] * 1000:.0f}", f"{med[1] * 1000:.0f}",
            f"{med[2] * 1000:.0f}", f"{med[3]:.2f}", f"{med[4]:.2f}", verdict]


def _quiet(run: Callable[[], None]) -> None:
    try:
        run()
    except _Stop:
        return


def dev_loop(table: Table) -> None:
    with tempfile.TemporaryDirectory(prefix="wamr-agent-devloop-") as tmp:
        rows = [_language(lang, Path(tmp)) for lang in LANGUAGES]
    table("wamr-agent watch: save to new version running (sensor template, simulated "
          "esp32; medians; confirmed = after the 10-round health policy)",
          ["lang", "runs", "detect ms", "build ms", "upload ms", "to running s",
           "to confirmed s", "< 2 s"], rows)


if __name__ == "__main__":
    from tables import table

    dev_loop(table)
