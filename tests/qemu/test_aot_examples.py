"""Every example installed the real way under both engines (docs/aot.md): on one
boot of a board, each example goes over SMP as a signed bundle with AOT code
(runs its AOT code) and as the same module unsigned (interpreted); the app's console
lines (log, telemetry) must be the same, and neither may trap. mps2-an386 runs
every example, each other mps2 board one. The sensor is compared in
test_aot_deploy.py, on all four boards with a boot per engine: its synthetic
sensor counts reads from boot, so a second run on the same boot reads other
values. The CPU ticks of each call are compared in
test_aot_diff.py (the status reply has no tick count); every example compiles
for every mps2 CPU, so none is listed as refused (a refusal fails the bundle
build here)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.appdev.conftest import APP_NAME, need_toolchain
from tests.conftest import need_aot_tools
from tests.device_io import CELSIUS
from tests.qemu.signed_bundle import build_signed
from wamr_agent import deploy as deploying
from wamr_agent.appdev import toolchains
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.ota import parse_bundle

# example or app template -> (the console line that ends what is compared, how many times)
COMPARED: dict[str, tuple[str, int]] = {
    "thermostat": (r"tmp105 raw=", 3),
    "io_probe": (r"probe done", 1),
    "kv_probe": (r"kv done", 1),
    "kv_writer": (r"kv set = ", 1),
    "hello_wasi": (r"monotonic clock", 1),
    # the app templates (agent/wamr_agent/appdev/templates): the wasi one whole; the
    # sensor and actuator ones up to their first reading, which depends on the
    # synthetic sensor's read count since boot (see above)
    "wasi": (r"2 \+ 3 = 5", 1),
    "sensor": (r"started", 1),
    "actuator": (r"started", 1),
}
EXAMPLES = ["thermostat", "io_probe", "kv_probe", "kv_writer", "hello_wasi"]
# mps2-an386 runs them all; each other board one
BOARDS = {"mps2-an386": EXAMPLES, "mps2-an385": ["thermostat"],
          "mps2-an500": ["io_probe"], "mps2-an505": ["hello_wasi"]}
TIMING = re.compile(r"\d+(\.\d+)? s since boot, main took \d+ us")  # hello_wasi's clock


def app_lines(device: EmulatedBoard, name: str, example: str) -> list[str]:
    """The app's console lines up to its example's last compared one, its name
    replaced by the example's, hello_wasi's clock reading left out."""
    end, count = COMPARED[example]
    mine = re.compile(rf"^(\[{name}\] .*|telemetry {name} .*)$", re.M)
    device.console.expect(rf"(?s)(\[{name}\] [^\n]*{end}.*?){{{count}}}", timeout=30)
    lines = mine.findall(device.console.text)
    last = max(i for i, line in enumerate(lines) if re.search(end, line))
    return [TIMING.sub("(time)", line.replace(name, example)) for line in lines[: last + 1]]


# Languages whose templates the AOT compiler refuses, with its reason (a bundle
# build --aot fails with it, exit code 26): none since memory.grow compiles
# (AssemblyScript's runtime grows its heap).
REFUSED: dict[str, str] = {}


def bundle(module: Path, board: str, name: str, out: Path, refused: str | None = None) -> Path:
    """A signed bundle of module with AOT code for the board's CPU (refused: the
    build must fail with that reason)."""
    built = build_signed(module, [board], out, "--aot", "--name", name)
    if refused is not None:
        assert built.exit_code == 26 and refused in built.output, built.output
        return out
    assert built.exit_code == 0 and "AOT code for cortex-m" in built.output, built.output
    return out


def both_engines(device: EmulatedBoard, signed: Path, example: str, name: str,
                 tmp_path: Path) -> None:
    """signed (a bundle with AOT code) and its module unsigned: the same lines."""
    aot = run(device, signed, f"a_{name}", example, aot=True)
    plain = tmp_path / f"{name}.wasm"  # the same module, AOT section and all, unsigned
    plain.write_bytes(parse_bundle(signed.read_bytes()).module)
    interpreted = run(device, plain, f"i_{name}", example, aot=False)
    assert len(aot) >= COMPARED[example][1], aot
    assert aot == interpreted, name


def run(device: EmulatedBoard, path: Path, name: str, example: str, aot: bool) -> list[str]:
    """Installs path as app name, checks its engine; its lines; removes it."""
    board = device.board.name
    report = deploying.deploy(path, board, device.mgmt_address, name=name, wait=False)
    assert report.life in ("trial", "confirmed"), report
    device.console.expect(f"app {name}: runs its AOT code" if aot else
                          rf"app {name}: interpreted \(not from a signed bundle\)")
    lines = app_lines(device, name, example)
    status = deploying.status(board, device.mgmt_address, name)
    assert status.aot is aot and status.traps == 0, status  # type: ignore[union-attr]
    deploying.remove_app(name, board, device.mgmt_address)
    return lines


@pytest.mark.parametrize("board", list(BOARDS))
def test_every_example_prints_the_same_as_aot_code_and_interpreted(
        board: str, example: Callable[[str], Path], tmp_path: Path) -> None:
    need_aot_tools()
    bundles = {ex: bundle(example(ex), board, f"a_{ex}", tmp_path / f"{ex}.wab")
               for ex in BOARDS[board]}
    with EmulatedBoard.start(board, workdir=tmp_path / "board") as device:
        device.set_temperature(CELSIUS)
        for ex in BOARDS[board]:
            both_engines(device, bundles[ex], ex, ex, tmp_path)


@pytest.mark.parametrize("lang", toolchains.LANGUAGES)
def test_every_app_template_prints_the_same_as_aot_code_and_interpreted(
        lang: str, tmp_path: Path) -> None:
    """Each template of each language whose toolchain is installed (else skipped;
    a failure with CI=true), on mps2-an386; a language in REFUSED: its refusal."""
    need_aot_tools()
    need_toolchain(lang)
    board = "mps2-an386"
    bundles = {}
    for template in toolchains.TEMPLATES:
        folder = tmp_path / template
        info = toolchains.write_template(lang, template, folder, APP_NAME)
        module = folder / f"{APP_NAME}.wasm"
        toolchains.build(lang, folder, info.sources, module, kind=info.kind)
        bundles[template] = bundle(module, board, f"a_{template}", folder / "app.wab",
                                   REFUSED.get(lang))
    if lang in REFUSED:
        return
    with EmulatedBoard.start(board, workdir=tmp_path / "board") as device:
        for template in toolchains.TEMPLATES:
            both_engines(device, bundles[template], template, template, tmp_path)
