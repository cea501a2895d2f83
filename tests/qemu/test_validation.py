"""The device validates what it installs and what it loads (issue 10, items 1a and
2): a valid module nesting blocks deeper than WA_MAX_NESTING, which would make
wasm3 recurse past the 16 KiB Cortex-M stack while compiling (a reset on every
boot), is refused by the runtime's own validator, naming the limit, both when
uploaded over SMP and when found in flash (written there by older firmware); the
board keeps running and answering SMP. A module using a feature the engine
lacks is refused naming it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import wasmtime

from tests.qemu.test_smp_apps import GROUP, apps, installed, upload
from wamr_agent.emulator import EmulatedBoard
from wamr_agent.smp.link import SmpLink

Example = Callable[[str], Path]
BOARD = "mps2-an386"
WA_ERR_NOT_SUPPORTED = 5
LIMIT = "nesting depth 130 is past the device's limit of 64 \\(WA_MAX_NESTING\\)"


def deep_module(depth: int = 130) -> bytes:
    body = "(block " * depth + ")" * depth
    return bytes(wasmtime.wat2wasm(f'(module (func (export "loop") {body}))'))


def test_deep_nesting_is_refused_on_upload_and_the_board_keeps_answering(
        tmp_path: Path, example: Example) -> None:
    with EmulatedBoard.start(BOARD, workdir=tmp_path) as board, \
            SmpLink(board.mgmt_address) as link:
        rsp = upload(link, "deep", deep_module())
        assert rsp == {"err": {"group": GROUP, "rc": WA_ERR_NOT_SUPPORTED}}
        board.console.expect(f"app deep refused: {LIMIT}")
        assert apps(link) == []
        installed(link, board, "sensor", example("sensor").read_bytes())
        assert [a["name"] for a in apps(link)] == ["sensor"]
        assert "FAULT" not in board.console.text
        assert board.console.text.count("boot ") == 1


def test_deep_nesting_found_in_flash_is_refused_on_load(tmp_path: Path) -> None:
    with EmulatedBoard.start(BOARD, workdir=tmp_path, preload=[("deep", deep_module())]) as board:
        board.console.expect(f"app deep refused: {LIMIT}")
        board.console.expect("agent ready")
        with SmpLink(board.mgmt_address) as link:
            assert [(a["name"], a["state"]) for a in apps(link)] == [("deep", "refused")]
        assert "FAULT" not in board.console.text
        assert board.console.text.count("boot ") == 1


def test_an_unsupported_feature_is_refused_on_upload_naming_it(tmp_path: Path) -> None:
    module = bytes(wasmtime.wat2wasm(
        '(module (memory 1) (data "ab") (func (export "loop") i32.const 0 i32.const 0'
        " i32.const 1 memory.init 0))"))
    with EmulatedBoard.start(BOARD, workdir=tmp_path) as board, \
            SmpLink(board.mgmt_address) as link:
        rsp = upload(link, "bulk", module)
        assert rsp == {"err": {"group": GROUP, "rc": WA_ERR_NOT_SUPPORTED}}
        board.console.expect(r"app bulk refused: unsupported: bulk memory \(memory.init\)")
        assert apps(link) == []
