"""SMP packets on a byte stream: the console framing and our raw framing.

Mirrors ``firmware/core/smp/wa_smp_frame.h`` (constants, encoders) and
``docs/smp-framing.md`` (the byte layouts). Encoders are pure functions; the
strict ``decode_*`` functions run the incremental :class:`FrameDecoder`
(``decoder.py``) over one whole frame, so both agree on what is valid.
"""

from __future__ import annotations

import base64
import binascii
import enum
import struct
from typing import Final

from ..errors import WamrAgentError

CONSOLE_START: Final = b"\x06\x09"
CONSOLE_CONT: Final = b"\x04\x14"
RAW_SYNC: Final = b"\xc1\xa5"
LINE_MAX: Final = 127  # WA_SMP_CONSOLE_LINE_MAX: marker and newline included
CONSOLE_MSG_MAX: Final = 0xFFFD  # the length word counts the 2-byte CRC too
RAW_MSG_MAX: Final = 0xFFFF
BE16: Final = struct.Struct(">H")
RAW_HEADER: Final = struct.Struct(">2sHH")  # sync, length, ~length
RAW_OVERHEAD: Final = RAW_HEADER.size + BE16.size
assert RAW_HEADER.size == 6 and RAW_OVERHEAD == 8  # WA_SMP_RAW_OVERHEAD


class Framing(enum.IntEnum):
    """wa_smp_framing_t."""

    CONSOLE = 0
    RAW = 1


class FramingError(WamrAgentError):
    """Bytes that are not exactly one well-formed frame, or a message too large to frame."""


def crc16_xmodem(data: bytes, crc: int = 0) -> int:
    """CRC-16/XMODEM (poly 0x1021, init 0): the CRC of both framings."""
    return binascii.crc_hqx(data, crc)


def console_per_line(line_max: int = LINE_MAX) -> int:
    """Raw stream bytes one console line carries: whole base64 quads only."""
    if line_max < 7:
        raise ValueError(f"line_max {line_max} < 7 cannot hold a marker, a quad and a newline")
    return (line_max - 3) // 4 * 3


def encode_console_lines(msg: bytes, line_max: int = LINE_MAX) -> list[bytes]:
    """The lines (each ending in ``\\n``) carrying msg in the console framing."""
    if len(msg) > CONSOLE_MSG_MAX:
        raise FramingError(f"message of {len(msg)} bytes above {CONSOLE_MSG_MAX}")
    stream = BE16.pack(len(msg) + 2) + msg + BE16.pack(crc16_xmodem(msg))
    step = console_per_line(line_max)
    chunks = [stream[i : i + step] for i in range(0, len(stream), step)]
    markers = [CONSOLE_START] + [CONSOLE_CONT] * (len(chunks) - 1)
    return [m + base64.b64encode(c) + b"\n" for m, c in zip(markers, chunks, strict=True)]


def encode_console(msg: bytes, line_max: int = LINE_MAX) -> bytes:
    """msg in the console framing, all lines joined."""
    return b"".join(encode_console_lines(msg, line_max))


def encode_raw(msg: bytes) -> bytes:
    """msg in the raw framing: sync, length, ~length, msg, CRC over all but the sync."""
    if len(msg) > RAW_MSG_MAX:
        raise FramingError(f"message of {len(msg)} bytes above {RAW_MSG_MAX}")
    head = RAW_HEADER.pack(RAW_SYNC, len(msg), len(msg) ^ 0xFFFF)
    return head + msg + BE16.pack(crc16_xmodem(msg, crc16_xmodem(head[2:])))


def encode(framing: Framing, msg: bytes) -> bytes:
    """msg in the given framing."""
    return encode_console(msg) if framing is Framing.CONSOLE else encode_raw(msg)


def decode(framing: Framing, wire: bytes) -> bytes:
    """The one message in wire; raises FramingError unless wire is exactly one clean frame."""
    from .decoder import FrameDecoder  # decoder.py imports this module

    decoder = FrameDecoder(capacity=RAW_MSG_MAX, timeout_ms=0)
    packets = decoder.feed(wire, now_ms=0)
    if len(packets) != 1 or decoder.stats.problems() or packets[0].framing is not framing:
        raise FramingError(f"not one {framing.name.lower()} frame: {decoder.stats}")
    return packets[0].data


def decode_console(wire: bytes) -> bytes:
    """The message in a console-framed packet (lines joined)."""
    return decode(Framing.CONSOLE, wire)


def decode_raw(wire: bytes) -> bytes:
    """The message in a raw frame."""
    return decode(Framing.RAW, wire)
