"""Key-value storage on a simulated esp32: the probe's results (the same on every
port), keys that survive a reset and a power cut, two apps with the same key names
that never see each other's, the quota an upload sets, the keys dropped by
`app remove`, the grant refused at load, and many sets whose compactions spread
the erases evenly over the store's pages (counted in the flash trace)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.device_io import KV_EXPECTED, kv_boots, kv_results, refused_without
from tests.tamper import TEST_KEY
from wamr_agent.capabilities import ALL
from wamr_agent.emulator import SimulatedBoard
from wamr_agent.emulator.faults import read_trace
from wamr_agent.emulator.flashimage import KV_PAGES, PAGE, Layout
from wamr_agent.ota import build_bundle
from wamr_agent.smp.apps import AppClient
from wamr_agent.smp.link import SmpLink

Example = Callable[[str], Path]


def upload(board: SimulatedBoard, name: str, module: Path, **kwargs: int) -> None:
    with SmpLink(board.mgmt_address) as link:
        AppClient(link).upload(name, module.read_bytes(), grants=ALL, **kwargs)


def boots_of(board: SimulatedBoard, app: str) -> list[int]:
    return kv_boots(line for line in board.console.lines() if line.startswith(f"[{app}]"))


def test_probe_results_and_keys_per_app_across_resets(esp32: SimulatedBoard,
                                                       example: Example) -> None:
    probe = example("kv_probe")
    upload(esp32, "a", probe)
    esp32.console.expect(r"app a confirmed")
    assert kv_results(esp32.console.lines()) == KV_EXPECTED
    upload(esp32, "b", probe)  # the same key names, its own keys
    esp32.console.expect(r"app b confirmed")
    assert boots_of(esp32, "b") == [1]
    esp32.reset()
    esp32.console.expect(r"agent ready")
    esp32.restart()  # a power cut and a boot
    esp32.console.expect(r"agent ready")
    assert boots_of(esp32, "a") == [1, 2, 3] and boots_of(esp32, "b") == [1, 2, 3]
    with SmpLink(esp32.mgmt_address) as link:
        AppClient(link).remove("a")
    upload(esp32, "a", probe)
    esp32.console.expect(r"app a confirmed")
    assert boots_of(esp32, "a") == [1, 2, 3, 1], "`app remove` dropped a's keys"
    assert boots_of(esp32, "b") == [1, 2, 3]


def test_the_upload_sets_the_quota(esp32: SimulatedBoard, example: Example) -> None:
    upload(esp32, "q", example("kv_probe"), kv_quota=9 + 2 * 202)
    esp32.console.expect(r"\[q\] kv done")
    assert kv_results(esp32.console.lines())["quota_stored"] == 2


def test_without_the_storage_grant_the_app_is_refused(esp32: SimulatedBoard,
                                                      example: Example) -> None:
    refused_without(esp32, example("kv_probe"), ["log", "wasi"], "storage", "kv_get")


def test_erases_go_round_the_pages_evenly(tmp_path: Path, example: Example) -> None:
    args = ["--flash-trace", "trace.txt"]
    with SimulatedBoard.start("esp32", workdir=tmp_path, extra_args=args) as board:
        board.console.expect(r"agent ready")
        upload(board, "probe", example("kv_probe"))
        board.console.expect(r"app probe confirmed")
        for boots in range(2, 46):  # each start writes about 1.5 KiB of records
            board.reset()
            board.console.expect(rf"\[probe\] kv boots = {boots}")
            board.console.expect(r"\[probe\] kv done")
    kv = Layout.for_board(board.board).kv_offset
    erases = Counter((op.offset - kv) // PAGE for op in read_trace(tmp_path / "trace.txt")
                     if op.kind == "E" and op.offset >= kv)
    assert len(erases) == KV_PAGES and min(erases.values()) >= 3, erases
    assert max(erases.values()) - min(erases.values()) <= 1, erases


def test_a_signed_bundle_carries_its_quota(esp32: SimulatedBoard, example: Example) -> None:
    bundle = build_bundle(example("kv_probe").read_bytes(), name="sb", version="1", seq=1,
                          boards=["esp32"], caps=["log", "storage"],
                          key=TEST_KEY, kv_quota=9 + 3 * 202)
    with SmpLink(esp32.mgmt_address) as link:
        AppClient(link).upload("sb", bundle, bundle=True)
    esp32.console.expect(r"\[sb\] kv done")
    assert kv_results(esp32.console.lines())["quota_stored"] == 3
