"""AOT code as custom sections of the module (agent/wamr_agent/aot/section.py):
aligned where the module lands, found again, stripped, and ignored by a validator."""

from __future__ import annotations

import pytest
import wasmtime

from wamr_agent.aot.section import ALIGN, aot_sections, attach_aot, strip_aot
from wamr_agent.errors import InputError
from wamr_agent.ota.bundle import HEAD, SIG_LEN, build_bundle, parse_bundle
from wamr_agent.ota.keys import new_key_pair

# (module (func (export "f") (result i32) i32.const 7))
MODULE = bytes.fromhex("0061736d010000000105016000017f030201000705010166000"
                       "00a06010400410" "70b")


@pytest.mark.parametrize("base", range(ALIGN * 2))
def test_each_blob_is_aligned_in_the_file_and_found_again(base: int) -> None:
    blobs = {"cortex-m4f": b"\x01\x02\x03" * 11, "cortex-m3": b"\xaa" * 5}
    out = attach_aot(MODULE, blobs, base)
    found = aot_sections(out)
    assert [s.cpu for s in found] == ["cortex-m3", "cortex-m4f"]
    for s in found:
        assert s.blob == blobs[s.cpu]
        assert out[s.offset : s.offset + len(s.blob)] == s.blob
        assert (base + s.offset) % ALIGN == 0
    assert strip_aot(out) == MODULE


def test_attaching_again_replaces_the_old_sections() -> None:
    once = attach_aot(MODULE, {"cortex-m4f": b"old"})
    twice = attach_aot(once, {"cortex-m4f": b"new code"})
    assert [(s.cpu, s.blob) for s in aot_sections(twice)] == [("cortex-m4f", b"new code")]


def test_a_module_with_aot_sections_still_validates() -> None:
    out = attach_aot(MODULE, {"cortex-m4f": bytes(range(256)) * 3}, 5)
    wasmtime.Module.validate(wasmtime.Engine(), out)


def test_a_bad_pad_is_refused() -> None:
    out = bytearray(attach_aot(MODULE, {"cortex-m4f": b"xyz"}))
    pad_at = len(MODULE) + 1 + 1 + 1 + len("wamr-aot/cortex-m4f")
    out[pad_at] = ALIGN
    with pytest.raises(InputError, match="bad pad"):
        aot_sections(bytes(out))


@pytest.mark.parametrize("name", ["a", "a-much-longer-app-name-here"])
def test_a_bundle_places_the_code_aligned_in_the_file(name: str) -> None:
    key = new_key_pair()
    data = build_bundle(MODULE, name=name, version="1.0", seq=1, boards=["esp32"], caps=[],
                        key=key, aot={"cortex-m4f": b"\x10" * 40})
    bundle = parse_bundle(data)
    _, manifest_len, _ = HEAD.unpack_from(data)
    module_at = HEAD.size + manifest_len + SIG_LEN
    (section,) = aot_sections(bundle.module)
    assert (module_at + section.offset) % ALIGN == 0
    assert data[module_at + section.offset :][:40] == b"\x10" * 40
    assert strip_aot(bundle.module) == MODULE
