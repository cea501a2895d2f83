"""The storage quota on its way to the device: the manifest's [storage] quota, the
board profile's default, a gateway deploy job's kv_quota (absent from an older
client's job: the default), a bundle manifest's kv_quota, and the Python store's
rules (the device's: key + value bytes of live keys)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wamr_agent.agent_err import AgentErr
from wamr_agent.appdev.manifest import load_manifest
from wamr_agent.boards import load_board
from wamr_agent.errors import ManifestError, UsageError
from wamr_agent.mqtt.deploys import DeploySpec
from wamr_agent.ota import build_bundle, load_secret_key
from wamr_agent.ota.bundle import parse_bundle
from wamr_agent.pywamr import DeviceError
from wamr_agent.pywamr.kvstore import KvStore

TEST_KEY = Path(__file__).resolve().parents[2] / "ota" / "vectors" / "test.key"
MODULE = b"\0asm\1\0\0\0"


def manifest(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "wamr.toml").write_text('name = "app"\nversion = "1.0.0"\nlanguage = "c"\n'
                                        + extra + '[build]\nsources = ["src/*.c"]\n')
    return tmp_path


def test_the_manifest_quota_and_the_board_default(tmp_path: Path) -> None:
    assert load_manifest(manifest(tmp_path, "")).kv_quota is None
    assert load_manifest(manifest(tmp_path, "[storage]\nquota = 300\n")).kv_quota == 300
    for bad in ("quota = 0", "quota = 9000", "size = 3"):
        with pytest.raises(ManifestError, match="storage"):
            load_manifest(manifest(tmp_path, f"[storage]\n{bad}\n"))
    assert load_board("mps2-an386").kv_quota == 1024


def test_a_deploy_job_carries_the_quota_and_an_old_one_means_the_default() -> None:
    spec = DeploySpec("d-" + "a" * 12, "app", 8, "a" * 64, kv_quota=300)
    assert DeploySpec.from_args(spec.to_args()) == spec
    old = spec.to_args()
    del old["kv_quota"]
    assert DeploySpec.from_args(old).kv_quota is None
    with pytest.raises(UsageError, match="kv_quota"):
        DeploySpec.from_args({**spec.to_args(), "kv_quota": 0})


def test_a_bundle_manifest_carries_the_quota() -> None:
    key = load_secret_key(TEST_KEY)
    data = build_bundle(MODULE, name="app", version="1", seq=1, boards=["esp32"], caps=[],
                        key=key, kv_quota=300)
    assert parse_bundle(data).manifest.kv_quota == 300
    plain = build_bundle(MODULE, name="app", version="1", seq=1, boards=["esp32"], caps=[],
                         key=key)
    assert parse_bundle(plain).manifest.kv_quota is None


def test_the_python_store_counts_live_key_and_value_bytes(tmp_path: Path) -> None:
    store = KvStore(tmp_path / "kv.json")
    store.set("a", b"k", b"123456789", 10)
    with pytest.raises(DeviceError) as full:
        store.set("a", b"j", b"", 10)
    assert full.value.code == AgentErr.NO_SPACE
    store.set("a", b"k", b"abcdefgh", 10)  # the old value does not count
    store.set("b", b"k", b"12345678", 10)  # another app, its own quota
    assert KvStore(tmp_path / "kv.json").get("a", b"k") == b"abcdefgh"
    store.drop("a")
    assert KvStore(tmp_path / "kv.json").apps == {"b": {b"k": b"12345678"}}
