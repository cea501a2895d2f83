#!/usr/bin/env python3
"""Builds the seed corpora of the libFuzzer harnesses (firmware/fuzz/*.c) from the
project's test vectors: build/fuzz/corpus/<target>/, one file per seed.

    make_corpus.py --out build/fuzz/corpus --wasm DIR [--wasm DIR ...]

smp_frame: the frames of tests/fixtures/smp/vectors.txt (each byte with a clock
step of 0) and frames as long as each buffer size; bundle: the bundles of
ota/vectors/vectors.txt; wasm: every .wasm in the --wasm folders
(tests/fixtures/wat compiled, the examples); install: the same modules and the
valid bundles with the harness's mode bytes; smp: requests of every command of
both groups (an upload of the smallest module among them).
"""

from __future__ import annotations

import argparse
import hashlib
import struct
from pathlib import Path

import cbor2

ROOT = Path(__file__).resolve().parents[2]


def frame_seeds() -> dict[str, bytes]:
    seeds: dict[str, bytes] = {}
    case = ""
    for line in (ROOT / "tests/fixtures/smp/vectors.txt").read_text().splitlines():
        words = line.split()
        if words[:1] == ["case"]:
            case = words[1]
        elif words[:1] == ["feed"] and len(words) == 3 and words[2] != "-":
            stream = bytes.fromhex(words[2])
            seeds[case] = b"\x00" + bytes(b for byte in stream for b in (byte, 0))
    # Structured mode (byte 0 bit 7): frames the harness encodes, as long as each
    # buffer size of fuzz_smp_frame.c (its caps[]) in both framings.
    for i, cap in enumerate((4096, 1, 8, 64, 200, 1024)):
        for framing in (0, 1):
            msg = bytes(range(256)) * (cap // 256) + bytes(range(cap % 256))
            head = bytes([0x80 | i, framing]) + struct.pack(">H", cap)
            seeds[f"valid-{cap}-{framing}"] = head + msg
    return seeds


def bundle_seeds() -> dict[str, bytes]:
    seeds = {}
    for line in (ROOT / "ota/vectors/vectors.txt").read_text().splitlines():
        words = line.split()
        if len(words) == 3 and not line.startswith("#"):
            try:
                seeds[words[0]] = bytes.fromhex(words[2])
            except ValueError:
                continue
    return seeds


def request(op: int, group: int, cmd: int, body: dict) -> bytes:
    """One record of fuzz_smp.c's input."""
    data = cbor2.dumps(body)
    group_byte = 1 if group == 64 else 0
    return bytes([op | (1 << 3), group_byte, cmd]) + struct.pack(">H", len(data)) + data


def smp_seeds(module: bytes) -> dict[str, bytes]:
    read, write = 0, 2
    sha = hashlib.sha256(module).digest()
    upload = request(write, 64, 0, {"name": "a", "len": len(module), "sha": sha, "off": 0,
                                    "data": module[:200], "start": True})
    off = 200
    while off < len(module):
        upload += request(write, 64, 0, {"off": off, "data": module[off:off + 200]})
        off += 200
    app = {"name": "a"}
    return {
        "os-echo": request(write, 0, 0, {"d": "hello"}),
        "os-params": request(read, 0, 6, {}),
        "os-info": request(read, 0, 7, {"format": "sv"}),
        "upload-start": upload,
        "list": request(read, 64, 1, {}),
        "status": request(read, 64, 5, app),
        "logs": request(read, 64, 6, {"name": "a", "since": 0}),
        "lifecycle": b"".join(request(write, 64, cmd, app) for cmd in (2, 3, 7, 8, 2, 4)),
        "upload-bundle": request(write, 64, 0, {"name": "b", "len": 300, "sha": sha, "off": 0,
                                                "data": module[:100], "bundle": True,
                                                "version": "1.0.0", "deploy": "d1", "grants": 3}),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--wasm", type=Path, action="append", default=[])
    args = ap.parse_args()
    modules = {p.stem: p.read_bytes() for d in args.wasm for p in sorted(d.glob("*.wasm"))}
    bundles = bundle_seeds()
    valid_bundles = {k: v for k, v in bundles.items() if k.startswith("ok")}
    smallest = min(modules.values(), key=len) if modules else b"\0asm\1\0\0\0"
    corpora = {
        "smp_frame": frame_seeds(),
        "bundle": bundles,
        "wasm": modules,
        "install": {**{k: b"\x08\x00" + v for k, v in modules.items()},
                    **{k: b"\x09\x05" + v for k, v in valid_bundles.items()}},
        "smp": smp_seeds(smallest),
    }
    for target, seeds in corpora.items():
        folder = args.out / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data)
        print(f"corpus {target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
