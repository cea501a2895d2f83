"""firmware/tools/fetch_deps.py: verified unpacking, and failures that name
the artifact. The download itself is replaced by a fake pip here; the real
one runs in every build (`make deps`, `make build`)."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_tool

fetch = load_tool("fetch_deps")


def make_sdist(path: Path, files: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(fetch, "OUT", tmp_path / "deps")
    return tmp_path / "deps"


def entry(sha: str) -> dict[str, Any]:
    return {"version": "1.0", "pin": "libfoo==1.0", "artifact": "libfoo-1.0.tar.gz",
            "sha256": sha, "members": ["libfoo-1.0/src/", "libfoo-1.0/LICENSE"]}


def test_verified_artifact_is_unpacked_with_prefix_stripped(out: Path) -> None:
    (out / "cache").mkdir(parents=True)
    sha = make_sdist(out / "cache" / "libfoo-1.0.tar.gz", {
        "libfoo-1.0/src/foo.c": b"int foo;", "libfoo-1.0/LICENSE": b"MIT",
        "libfoo-1.0/setup.py": b"ignored"})
    dest = fetch.fetch("foo", {"foo": entry(sha)})
    assert sorted(p.name for p in dest.iterdir()) == [".sha256", "LICENSE", "foo.c"]
    assert (dest / "foo.c").read_bytes() == b"int foo;"


def test_hash_mismatch_names_the_artifact_and_removes_it(out: Path) -> None:
    (out / "cache").mkdir(parents=True)
    make_sdist(out / "cache" / "libfoo-1.0.tar.gz", {"libfoo-1.0/src/foo.c": b"evil"})
    with pytest.raises(fetch.FetchError, match=r"foo: libfoo-1\.0\.tar\.gz sha256 mismatch"):
        fetch.fetch("foo", {"foo": entry("0" * 64)})
    assert not (out / "cache" / "libfoo-1.0.tar.gz").exists()
    assert not (out / "foo" / "foo.c").exists()


def test_failed_download_names_the_artifact(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_pip(cmd: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution\n")

    monkeypatch.setattr(fetch.subprocess, "run", fake_pip)
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch("foo", {"foo": entry("0" * 64)})
    assert "libfoo-1.0.tar.gz (libfoo==1.0)" in str(info.value)
    assert "No matching distribution" in str(info.value)


def test_unsafe_member_path_is_refused(out: Path) -> None:
    (out / "cache").mkdir(parents=True)
    sha = make_sdist(out / "cache" / "libfoo-1.0.tar.gz", {"libfoo-1.0/src/../../x": b"x"})
    with pytest.raises(fetch.FetchError, match="unsafe member path"):
        fetch.fetch("foo", {"foo": entry(sha)})


def test_unknown_dependency() -> None:
    with pytest.raises(fetch.FetchError, match="unknown dependency 'bar'"):
        fetch.fetch("bar", {"foo": entry("0")})


def test_table_pins_every_dependency_by_version_and_hash() -> None:
    import tomllib

    table = tomllib.loads(fetch.TABLE.read_text())
    assert set(table) == {"wasm3", "zcbor", "monocypher"}
    for name, e in table.items():
        assert "==" in e["pin"], name
        assert len(e["sha256"]) == 64, name
        assert e["members"], name
