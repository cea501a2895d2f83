"""firmware/core/smp/wa_cbor_depth.c, the bound on a request's nesting the SMP
dispatcher checks before any handler decodes (or recursively skips) it: agrees
with a reference depth computed here on CBOR from cbor2 and on hand-made items
(indefinite lengths, tags, truncated and malformed input), under ASan and UBSan,
and builds for the Cortex-M cores with -Werror."""

from __future__ import annotations

from pathlib import Path

import cbor2
import pytest

from tests.conftest import ROOT
from tests.crosscompile.ctools import (
    CORTEX_M,
    HOST_BUILDS,
    TEST_TEXT,
    build_driver,
    build_for_cortex_m,
    run_driver,
)

SMP = ROOT / "firmware" / "core" / "smp"
DRIVER = ROOT / "firmware" / "tests" / "wa_cbor_depth_test.c"


def nested(depth: int, leaf: object = 0) -> object:
    """``depth`` arrays, maps and tags in turn around ``leaf``."""
    item = leaf
    for level in range(depth):
        item = [item] if level % 3 == 0 else {"k": item} if level % 3 == 1 else \
            cbor2.CBORTag(1000, item)
    return item


def deep_arrays(depth: int) -> bytes:
    return b"\x81" * depth + b"\x00"


# (what, bytes, their nesting depth)
HANDMADE: list[tuple[str, bytes, int]] = [
    ("empty", b"", 0),
    ("scalar", b"\x18\x2a", 0),
    ("empty map", b"\xa0", 1),
    ("indefinite arrays", b"\x9f" * 5 + b"\xff" * 5, 5),
    ("indefinite map, array inside", b"\xbf\x61k\x9f\x01\xff\xff", 2),
    ("indefinite text chunks", b"\x7f\x61a\x61b\xff", 1),
    ("tag of tag of array", b"\xc6\xc6\x80", 3),
    ("bytes that look nested", b"\x58\x20" + b"\x81" * 32, 0),
    ("two items in sequence", b"\x81\x81\x00\x81\x00", 2),
    ("map of 2 entries", b"\xa2\x61a\x81\x81\x00\x61b\x00", 3),
]


def cases() -> list[tuple[int, bytes, bool]]:
    out: list[tuple[int, bytes, bool]] = []
    for depth in (0, 1, 2, 7, 8, 9, 31, 32, 33, 193):
        data = cbor2.dumps(nested(depth))
        for bound in (1, 8, 32):
            out.append((bound, data, depth <= bound))
        out.append((8, deep_arrays(depth), depth <= 8))
    for _, data, depth in HANDMADE:
        for bound in (depth - 1, depth, 8):
            if bound >= 0:
                out.append((bound, data, depth <= bound))
    # truncated or malformed: no fault, and the depth read so far counts
    out += [(8, deep_arrays(20)[:12], False), (8, deep_arrays(5)[:3], True),
            (8, b"\x5b" + b"\xff" * 8, True), (8, b"\x1c", True), (8, b"\xff\x81", True),
            (8, b"\xbb\xff\xff\xff\xff\xff\xff\xff\xff\x00", True),
            (2, b"\xa1\x61k" + b"\x9f" * 3, False)]
    return out


@pytest.mark.parametrize("flags", HOST_BUILDS.values(), ids=HOST_BUILDS.keys())
def test_depth_bound_agrees_with_the_reference(flags: list[str], tmp_path: Path) -> None:
    exe = build_driver(tmp_path / "wa_cbor_depth_test", [DRIVER, TEST_TEXT,
                                                         SMP / "wa_cbor_depth.c"],
                       [*flags, f"-I{SMP}"])
    todo = cases()
    file = tmp_path / "cases.txt"
    file.write_text("".join(f"{bound} {data.hex()}\n" for bound, data, _ in todo))
    lines = run_driver(exe, file).splitlines()
    assert lines[-1] == f"{len(todo)} cases"
    got = [line == "1" for line in lines[:-1]]
    wrong = [(bound, data.hex()[:40], want) for (bound, data, want), answer in zip(
        todo, got, strict=True) if answer != want]
    assert not wrong


@pytest.mark.parametrize("cpu", CORTEX_M)
def test_builds_for_cortex_m(cpu: str, tmp_path: Path) -> None:
    build_for_cortex_m(cpu, SMP / "wa_cbor_depth.c", tmp_path)
