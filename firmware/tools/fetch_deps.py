#!/usr/bin/env python3
"""Fetch the pinned third-party C sources listed in firmware/deps/deps.toml.

Each entry names a PyPI artifact, its sha256 and the archive members to keep.
The artifact is downloaded with pip into build/deps/cache/, its hash checked,
and the members unpacked (prefix stripped) into build/deps/<name>/.  A stamp
file holding the hash makes re-runs free.  Standard library only: this runs
before anything is installed, also inside pip's isolated build of the binding.

    python3 firmware/tools/fetch_deps.py wasm3 [zcbor monocypher]
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "firmware" / "deps" / "deps.toml"
OUT = ROOT / "build" / "deps"


class FetchError(Exception):
    """A dependency could not be fetched or did not match its pin."""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(name: str, entry: dict[str, object], cache: Path) -> Path:
    """Return the cached artifact, downloading it with pip when absent."""
    target = cache / str(entry["artifact"])
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--dest", tmp, str(entry["pin"])]
        if str(entry["artifact"]).endswith((".tar.gz", ".zip")):
            cmd[4:4] = ["--no-binary", ":all:"]
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        got = Path(tmp) / str(entry["artifact"])
        if run.returncode != 0 or not got.exists():
            last = (run.stderr.strip().splitlines() or ["no output"])[-1]
            raise FetchError(f"{name}: could not download {entry['artifact']} "
                             f"({entry['pin']}) from PyPI: {last}")
        shutil.move(str(got), target)
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
