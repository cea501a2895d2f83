"""firmware/tools/fetch_deps.py: verified unpacking, and failures that name
the artifact. The download is from a package index on loopback here (its
simple API, JSON and HTML); the real one runs in every build (`make deps`,
`make build`)."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

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


class Index(http.server.BaseHTTPRequestHandler):
    """A package index on loopback: the project page (PEP 691 JSON, or PEP 503 HTML
    when asked for) and its files; ``requests`` records the paths asked for."""

    files: ClassVar[dict[str, bytes]] = {}
    listed_sha: ClassVar[str | None] = None
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path == "/simple/libfoo/":
            self._page()
        elif self.path.startswith("/files/") and self.path[7:] in self.files:
            self._send(self.files[self.path[7:]], "application/octet-stream")
        else:
            self.send_error(404)

    def _page(self) -> None:
        entries = [(n, self.listed_sha or hashlib.sha256(d).hexdigest())
                   for n, d in self.files.items()]
        if "json" in self.headers.get("Accept", ""):
            body = json.dumps({"files": [{"filename": n, "url": f"../../files/{n}",
                                          "hashes": {"sha256": h}} for n, h in entries]})
            self._send(body.encode(), fetch.SIMPLE_JSON)
        else:
            links = "".join(f'<a href="/files/{n}#sha256={h}">{n}</a>' for n, h in entries)
            self._send(f"<html><body>{links}</body></html>".encode(), "text/html")

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[Index]]:
    """The fake index as PIP_INDEX_URL, holding libfoo-1.0.tar.gz."""
    Index.requests, Index.listed_sha = [], None
    make_sdist(tmp_path / "libfoo-1.0.tar.gz", {"libfoo-1.0/src/foo.c": b"int foo;"})
    Index.files = {"libfoo-1.0.tar.gz": (tmp_path / "libfoo-1.0.tar.gz").read_bytes(),
                   "libfoo-1.0-py3-none-any.whl": b"a wheel"}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PIP_INDEX_URL", f"http://127.0.0.1:{server.server_port}/simple/")
    yield Index
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("page", ["json", "html"])
def test_artifact_is_downloaded_by_name_and_nothing_is_built(
        out: Path, index: type[Index], page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if page == "html":
        monkeypatch.setattr(fetch, "SIMPLE_JSON", "text/html")
    sha = hashlib.sha256(index.files["libfoo-1.0.tar.gz"]).hexdigest()
    dest = fetch.fetch("foo", {"foo": entry(sha)})
    assert (dest / "foo.c").read_bytes() == b"int foo;"
    # the project page and the one file: no pip, no build, no other file
    assert index.requests == ["/simple/libfoo/", "/files/libfoo-1.0.tar.gz"]
    assert sorted(p.name for p in (out / "cache").iterdir()) == ["libfoo-1.0.tar.gz"]


def test_index_listing_another_hash_is_refused_before_download(
        out: Path, index: type[Index]) -> None:
    index.listed_sha = "1" * 64
    with pytest.raises(fetch.FetchError, match=r"index's sha256 of libfoo-1\.0\.tar\.gz is 1+"):
        fetch.fetch("foo", {"foo": entry("0" * 64)})
    assert index.requests == ["/simple/libfoo/"]


def test_failed_download_names_the_artifact(out: Path, index: type[Index]) -> None:
    index.files = {}
    with pytest.raises(fetch.FetchError) as info:
        fetch.fetch("foo", {"foo": entry("0" * 64)})
    assert "libfoo-1.0.tar.gz (libfoo==1.0)" in str(info.value)
    assert "lists no libfoo-1.0.tar.gz" in str(info.value)
    assert not list((out / "cache").iterdir())


def test_unreachable_index_names_the_artifact(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # discard: refused
    with pytest.raises(fetch.FetchError, match=r"could not download libfoo-1\.0\.tar\.gz"):
        fetch.fetch("foo", {"foo": entry("0" * 64)})


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
