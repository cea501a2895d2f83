"""wamr_agent.smp framing: the shared vectors, round trips, robustness, and
interoperability with the PyPI `smp` package's console framing."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, load_tool, need
from wamr_agent.smp import (
    FrameDecoder,
    FrameStats,
    Framing,
    FramingError,
    Packet,
    decode,
    decode_console,
    decode_raw,
    encode,
    encode_console,
    encode_console_lines,
    encode_raw,
)
from wamr_agent.smp import framing as fr

VECTORS = ROOT / "tests" / "fixtures" / "smp" / "vectors.txt"


@dataclass
class Vector:
    name: str
    feeds: list[tuple[int, bytes]] = field(default_factory=list)
    packets: list[Packet] = field(default_factory=list)
    stats: FrameStats = field(default_factory=FrameStats)
    encode: tuple[Framing, bytes] | None = None


def unhex(text: str) -> bytes:
    return b"" if text == "-" else bytes.fromhex(text)


def load_vectors() -> tuple[tuple[int, int, int], list[Vector]]:
    config, cases = (0, 0, 0), []
    for line in VECTORS.read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        match words:
            case ["decoder", cap, timeout, line_max]:
                config = (int(cap), int(timeout), int(line_max))
            case ["case", name]:
                cases.append(Vector(name))
            case ["encode", framing, msg]:
                cases[-1].encode = (Framing[framing.upper()], unhex(msg))
            case ["feed", t, data]:
                cases[-1].feeds.append((int(t), unhex(data)))
            case ["packet", framing, msg]:
                cases[-1].packets.append(Packet(Framing[framing.upper()], unhex(msg)))
            case ["stats", *counts]:
                cases[-1].stats = FrameStats(*map(int, counts))
            case ["end"]:
                pass
            case _:
                raise AssertionError(f"bad vectors line: {line}")
    return config, cases


CONFIG, CASES = load_vectors()


def test_vectors_are_up_to_date() -> None:
    assert VECTORS.read_text() == load_tool("gen_smp_vectors").generate(), (
        "run `python3 firmware/tools/gen_smp_vectors.py`"
    )


def test_vectors_cover_the_required_shapes() -> None:
    names = {c.name for c in CASES}
    for framing in ("console", "raw"):
        for shape in ("empty", "one-full-line", "two-lines-plus-1", "multi-line", "capacity"):
            assert f"{framing}-{shape}" in names
    assert CONFIG[2] == fr.LINE_MAX
    assert sum(c.stats.timeouts for c in CASES) >= 2 and sum(c.stats.bad_crc for c in CASES) >= 2


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_vector(case: Vector) -> None:
    cap, timeout, line_max = CONFIG
    dec = FrameDecoder(cap, timeout, line_max)
    got = [p for t, data in case.feeds for p in dec.feed(data, t)]
    assert got == case.packets
    assert dec.stats == case.stats
    if case.encode:
        assert encode(*case.encode) == b"".join(d for _, d in case.feeds)


def test_console_layout() -> None:
    """The facts from Zephyr's SMP-over-console spec, spelled out."""
    msg = bytes(range(200))
    lines = encode_console_lines(msg)
    assert [ln[:2] for ln in lines] == [b"\x06\x09", b"\x04\x14", b"\x04\x14"]
    assert all(ln.endswith(b"\n") and len(ln) <= 127 for ln in lines)
    assert len(lines[0]) == 127  # 2 + 124 base64 characters (93 bytes) + newline
    stream = b"".join(base64.b64decode(ln[2:-1]) for ln in lines)
    assert stream[:2] == (len(msg) + 2).to_bytes(2, "big")  # length counts the CRC, not itself
    assert stream[2:-2] == msg
    assert stream[-2:] == fr.crc16_xmodem(msg).to_bytes(2, "big")
    assert fr.crc16_xmodem(b"123456789") == 0x31C3  # CRC-16/XMODEM check value


def test_raw_layout() -> None:
    wire = encode_raw(b"abc")
    assert wire[:6] == bytes.fromhex("c1a5 0003 fffc")
    assert wire[6:9] == b"abc"
    assert wire[9:] == fr.crc16_xmodem(wire[2:9]).to_bytes(2, "big")
    assert len(encode_raw(b"")) == fr.RAW_OVERHEAD


def test_limits() -> None:
    big = bytes(fr.CONSOLE_MSG_MAX)
    assert decode_console(encode_console(big)) == big
    assert decode_raw(encode_raw(bytes(fr.RAW_MSG_MAX))) == bytes(fr.RAW_MSG_MAX)
    with pytest.raises(FramingError):
        encode_console(bytes(fr.CONSOLE_MSG_MAX + 1))
    with pytest.raises(FramingError):
        encode_raw(bytes(fr.RAW_MSG_MAX + 1))


def test_strict_decode_refuses_extras() -> None:
    with pytest.raises(FramingError):
        decode_console(b"x" + encode_console(b"abc"))
    with pytest.raises(FramingError):
        decode(Framing.CONSOLE, encode_raw(b"abc"))
    with pytest.raises(FramingError):
        decode_raw(encode_raw(b"abc")[:-1])


def test_text_outside_frames_is_kept() -> None:
    dec = FrameDecoder(64, 1000)
    assert dec.feed(b"boot 1\n" + encode_raw(b"hi") + b"ok\n", 0) == [Packet(Framing.RAW, b"hi")]
    assert dec.take_text() == b"boot 1\nok\n"
    assert dec.take_text() == b""


def test_poll_expires_without_bytes() -> None:
    dec = FrameDecoder(64, 100)
    dec.feed(encode_raw(b"hello")[:5], 10)
    assert not dec.poll(110)
    assert dec.poll(111)
    assert dec.stats.timeouts == 1


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=700), st.sampled_from(Framing))
def test_round_trip(msg: bytes, framing: Framing) -> None:
    assert decode(framing, encode(framing, msg)) == msg


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(Framing), st.data())
def test_one_corrupted_byte_never_delivers_a_wrong_message(
    msg: bytes, framing: Framing, data: st.DataObject
) -> None:
    wire = bytearray(encode(framing, msg))
    at = data.draw(st.integers(0, len(wire) - 1))
    wire[at] = data.draw(st.integers(0, 255).filter(lambda b: b != wire[at]))
    dec = FrameDecoder(1024, 1000)
    assert all(p.data == msg for p in dec.feed(bytes(wire), 0))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000), st.integers(0, 64))
def test_garbage_never_crashes(noise: bytes, cap: int) -> None:
    dec = FrameDecoder(cap, 50)
    packets = [p for i in range(0, len(noise), 97) for p in dec.feed(noise[i : i + 97], i)]
    assert dec.stats.frames_ok == len(packets)
    for p in packets:  # only a frame whose CRC matched comes out: re-encoding finds it
        assert len(p.data) <= cap
        if p.framing is Framing.RAW:
            assert encode_raw(p.data) in noise


TEXT = st.binary(max_size=200).map(lambda b: bytes(0x20 + x % 0x5F for x in b))


@settings(max_examples=60, deadline=None)
@given(TEXT, st.binary(max_size=400), TEXT, st.sampled_from(Framing))
def test_frame_survives_surrounding_text(
    before: bytes, msg: bytes, after: bytes, framing: Framing
) -> None:
    dec = FrameDecoder(1024, 1000)
    assert dec.feed(before + encode(framing, msg) + after, 0) == [Packet(framing, msg)]
    assert dec.take_text() == before + after


# ---- interoperability with the PyPI `smp` package (smp.packet) ----


def smp_packet() -> Any:
    try:
        import smp.packet
    except ImportError:
        need(False, "the `smp` package", "pip install smp==4.2.0 (dev dependency)")
    return smp.packet


@pytest.mark.parametrize("size", [0, 1, 8, 88, 89, 90, 182, 183, 500, 4000])
def test_smp_package_decodes_our_lines(size: int) -> None:
    msg = bytes((i * 13) & 0xFF for i in range(size))
    gen = smp_packet().decode()
    next(gen)
    with pytest.raises(StopIteration) as done:
        for line in encode_console_lines(msg):
            gen.send(line)
    assert done.value.value == msg


@pytest.mark.parametrize("line_max", [8, 9, 64, 127, 128, 4096])
@pytest.mark.parametrize("size", [0, 13, 89, 300])
def test_we_decode_and_match_smp_package_lines(line_max: int, size: int) -> None:
    msg = bytes((i * 29) & 0xFF for i in range(size))
    theirs = list(smp_packet().encode(msg, line_length=line_max))
    dec = FrameDecoder(1024, 1000, line_max=max(line_max, fr.LINE_MAX))
    assert dec.feed(b"".join(theirs), 0) == [Packet(Framing.CONSOLE, msg)]
    # smp's line_length counts one byte more than ours; with that, the bytes are identical.
    assert b"".join(theirs) == encode_console(msg, line_max - 1)
