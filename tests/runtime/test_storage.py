"""Key-value storage (kv_get, kv_set, kv_delete) through the real runtime in pywamr
and `wamr-agent run`: every call with the results every port gives
(tests/device_io.py), the quota, apps apart, the grant refused at load, and a store
file that a second run reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.device_io import KV_EXPECTED, kv_boots, kv_results
from tests.runtime.hosts import Lines
from wamr_agent.cli import app as cli_app
from wamr_agent.errors import LinkError
from wamr_agent.pywamr import Module, Runtime
from wamr_agent.pywamr.kvstore import KvStore

Example = Callable[[str], Path]


def run_probe(example: Example, store: KvStore, name: str = "probe",
              quota: int | None = None) -> list[str]:
    host = Lines()
    host.kv, host.app_name, host.kv_quota = store, name, quota
    with Runtime("esp32").instantiate(Module.from_file(example("kv_probe")), host) as app:
        app.call("setup")
    return host.lines


def test_probe_gets_the_results_every_port_gives(example: Example) -> None:
    store = KvStore()
    lines = run_probe(example, store)
    assert kv_results(lines) == KV_EXPECTED
    assert kv_boots(lines) == [1]
    assert store.apps["probe"] == {b"boots": bytes([1, 0, 0, 0])}, "probe cleans up"


def test_keys_persist_per_app_and_two_apps_share_key_names(example: Example) -> None:
    store = KvStore()
    assert kv_boots(run_probe(example, store, "a")) == [1]
    assert kv_boots(run_probe(example, store, "a")) == [2]
    assert kv_boots(run_probe(example, store, "b")) == [1], "b never sees a's keys"
    assert kv_boots(run_probe(example, store, "a")) == [3]
    store.drop("a")
    assert kv_boots(run_probe(example, store, "a")) == [1]


def test_the_quota_comes_from_the_board_or_the_manifest(example: Example) -> None:
    assert Runtime("esp32").board.kv_quota == 1024
    lines = run_probe(example, KvStore(), quota=9 + 2 * 202)
    assert kv_results(lines)["quota_stored"] == 2


def test_without_the_storage_grant_the_module_is_refused(example: Example) -> None:
    module = Module.from_file(example("kv_probe"))
    with pytest.raises(LinkError, match=r"kv_get.*storage"):
        Runtime("esp32", grants=["log", "wasi"]).check(module)


def test_run_keeps_the_store_in_a_file_between_runs(example: Example, tmp_path: Path) -> None:
    store = tmp_path / "kv.json"
    for boots in (1, 2):
        result = CliRunner().invoke(cli_app, ["run", str(example("kv_probe")), "--board",
                                              "esp32", "--kv", str(store)])
        assert result.exit_code == 0, result.output
        assert f"kv boots = {boots}" in result.output
    assert KvStore(store).get("kv_probe", b"boots") == bytes([2, 0, 0, 0])
    result = CliRunner().invoke(cli_app, ["run", str(example("kv_probe")), "--board", "esp32"])
    assert "kv boots = 1" in result.output, "without --kv the store is in memory"
