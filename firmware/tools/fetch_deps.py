#!/usr/bin/env python3
"""Fetch the pinned third-party C sources listed in firmware/deps/deps.toml.

Each entry names a PyPI artifact, its sha256 and the archive members to keep.
The artifact file is downloaded by name from the package index pip is set to use
(its simple API) into build/deps/cache/, its hash checked, and the members
unpacked (prefix stripped) into build/deps/<name>/.  Nothing is built: `pip
download` of an sdist would prepare its metadata, and with `--no-binary :all:`
compile its build requirements (Cython) from source.  A stamp file holding the
hash makes re-runs free.  Standard library only: this runs before anything is
installed, also inside pip's isolated build of the binding.

    python3 firmware/tools/fetch_deps.py wasm3 [zcbor monocypher]
"""

from __future__ import annotations

import hashlib
import html.parser
import json
import os
import re
import shutil
import ssl
import sys
import tarfile
import tomllib
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "firmware" / "deps" / "deps.toml"
OUT = ROOT / "build" / "deps"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
TIMEOUT = 60  # seconds without an answer from the index


class FetchError(Exception):
    """A dependency could not be fetched or did not match its pin."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def index_url() -> str:
    """The package index pip is set to use (PIP_INDEX_URL, pip.conf's index-url),
    else pip's default: these are pip's own settings, read without running pip."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"].split()[0]
    try:
        from pip._internal.configuration import Configuration
        from pip._internal.models.index import PyPI
    except ImportError as exc:
        raise FetchError("no package index: pip is not installed here; set PIP_INDEX_URL "
                         "to the index's simple API") from exc
    config = Configuration(isolated=False)
    config.load()
    settings = dict(config.items())
    for key in ("global.index-url", "download.index-url"):
        if settings.get(key):
            return str(settings[key]).split()[0]
    return str(PyPI.simple_url)


class _Links(html.parser.HTMLParser):
    """The file links of a PEP 503 (HTML) project page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links[urllib.parse.unquote(href.split("#")[0].rsplit("/", 1)[-1])] = href


def _open(url: str, accept: str = "*/*") -> Any:
    cafile = os.environ.get("PIP_CERT")  # the CA bundle pip is told to use, if any
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    request = urllib.request.Request(url, headers={"Accept": accept})
    return urllib.request.urlopen(request, timeout=TIMEOUT, context=context)


def artifact_url(project: str, artifact: str, sha256: str, index: str) -> str:
    """Where the index keeps the file ``artifact`` of ``project`` (its simple API page,
    PEP 691 JSON or PEP 503 HTML). The index's hash must be the pinned one."""
    page = f"{index.rstrip('/')}/{re.sub(r'[-_.]+', '-', project).lower()}/"
    with _open(page, SIMPLE_JSON + ", text/html;q=0.1") as answer:
        body, kind = answer.read(), answer.headers.get("Content-Type", "")
    if "json" in kind:
        files = {f["filename"]: (f["url"], f.get("hashes", {}).get("sha256"))
                 for f in json.loads(body)["files"]}
    else:
        parser = _Links()
        parser.feed(body.decode("utf-8", "replace"))
        files = {name: (href, dict(urllib.parse.parse_qsl(
            urllib.parse.urlsplit(href).fragment)).get("sha256"))
            for name, href in parser.links.items()}
    if artifact not in files:
        raise FetchError(f"the index lists no {artifact} for {project} ({page})")
    url, listed = files[artifact]
    if listed is not None and listed != sha256:
        raise FetchError(f"the index's sha256 of {artifact} is {listed}, not the pinned "
                         f"{sha256}")
    return urllib.parse.urljoin(page, url)


def download(name: str, entry: dict[str, object], cache: Path) -> Path:
    """Return the cached artifact, downloading the pinned file from the package index
    when absent: the file itself, by name, so nothing is built (pip would prepare an
    sdist's metadata, building its build requirements)."""
    target = cache / str(entry["artifact"])
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    project = str(entry["pin"]).split("==")[0]
    partial = target.with_name(target.name + ".part")
    try:
        url = artifact_url(project, str(entry["artifact"]), str(entry["sha256"]), index_url())
        with _open(url) as answer, partial.open("wb") as out:
            shutil.copyfileobj(answer, out)
    except (OSError, ValueError, KeyError, FetchError) as exc:
        partial.unlink(missing_ok=True)
        raise FetchError(f"{name}: could not download {entry['artifact']} "
                         f"({entry['pin']}) from the package index: {exc}") from exc
    partial.replace(target)
    return target


def members_of(archive: Path) -> dict[str, bytes]:
    """All regular files of a .tar.gz or wheel, by member name."""
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zf:
            return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    with tarfile.open(archive, "r:gz") as tf:
        out = {}
        for m in tf.getmembers():
            f = tf.extractfile(m) if m.isfile() else None
            if f is not None:
                out[m.name] = f.read()
        return out


def unpack(archive: Path, prefixes: list[str], dest: Path) -> int:
    """Write the members under each prefix into dest, stripping the prefix's folder."""
    files = members_of(archive)
    count = 0
    for prefix in prefixes:
        strip = prefix if prefix.endswith("/") else prefix.rsplit("/", 1)[0] + "/"
        for name, data in files.items():
            if name == prefix or (prefix.endswith("/") and name.startswith(prefix)):
                rel = Path(name[len(strip):])
                if ".." in rel.parts or rel.is_absolute():
                    raise FetchError(f"{archive.name}: unsafe member path {name}")
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                (dest / rel).write_bytes(data)
                count += 1
    return count


def fetch(name: str, table: dict[str, dict[str, object]]) -> Path:
    """Make build/deps/<name> hold the verified sources; return that folder."""
    if name not in table:
        raise FetchError(f"unknown dependency {name!r}; known: {', '.join(table)}")
    entry = table[name]
    dest = OUT / name
    stamp = dest / ".sha256"
    if stamp.exists() and stamp.read_text().strip() == entry["sha256"]:
        return dest
    archive = download(name, entry, OUT / "cache")
    digest = sha256_of(archive)
    if digest != entry["sha256"]:
        archive.unlink()
        raise FetchError(f"{name}: {entry['artifact']} sha256 mismatch: "
                         f"expected {entry['sha256']}, got {digest} (download removed)")
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if unpack(archive, list(entry["members"]), dest) == 0:  # type: ignore[call-overload]
        raise FetchError(f"{name}: {entry['artifact']} holds none of {entry['members']}")
    stamp.write_text(str(entry["sha256"]) + "\n")
    print(f"fetched {name} {entry['version']} from {entry['artifact']} (sha256 ok)")
    return dest


def main(argv: list[str]) -> int:
    table = tomllib.loads(TABLE.read_text())
    try:
        for name in argv or list(table):
            fetch(name, table)
    except FetchError as exc:
        print(f"fetch_deps: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
