"""The incremental frame decoder: a byte-for-byte mirror of wa_smp_frame.c.

Same states, same counters, same outcome for every input (the shared vectors
in ``tests/fixtures/smp/vectors.txt`` check that), so what the host accepts is
what the device accepts.
"""

from __future__ import annotations

import binascii
import enum
from dataclasses import dataclass

from .framing import CONSOLE_CONT, CONSOLE_START, LINE_MAX, RAW_SYNC, Framing

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}
_MARKER_FIRST = {CONSOLE_START[0], CONSOLE_CONT[0], RAW_SYNC[0]}


class Feed(enum.IntEnum):
    """wa_smp_feed_t: what one byte did."""

    BUSY = 0
    TEXT = 1
    PACKET = 2


class _St(enum.Enum):
    HUNT = enum.auto()
    MARK = enum.auto()
    LINE = enum.auto()
    RAW_HDR = enum.auto()
    RAW_BODY = enum.auto()


@dataclass
class FrameStats:
    """wa_smp_frame_stats_t."""

    frames_ok: int = 0
    bad_crc: int = 0
    oversized: int = 0
    timeouts: int = 0
    malformed: int = 0
    garbage_bytes: int = 0

    def problems(self) -> int:
        """Everything counted except delivered frames."""
        return self.bad_crc + self.oversized + self.timeouts + self.malformed + self.garbage_bytes


@dataclass(frozen=True)
class Packet:
    """A CRC-checked message and the framing it came in."""

    framing: Framing
    data: bytes


class FrameDecoder:
    """Feed it received bytes; it returns messages and counts what it drops."""

    def __init__(self, capacity: int, timeout_ms: int, line_max: int = LINE_MAX) -> None:
        self.capacity = capacity
        self.timeout_ms = timeout_ms
        self.line_max = line_max
        self.stats = FrameStats()
        self._text = bytearray()
        self._state = _St.HUNT
        self._marker = 0
        self._active = self._pending = self._line_done = self._dropping = False
        self._framing = Framing.CONSOLE
        self._start_ms = self._pos = self._want = self._crc = self._rx_crc = 0
        self._quad = self._quad_n = self._quad_pad = self._line_len = 0
        self._hdr = bytearray()
        self._msg = bytearray()

    def feed(self, data: bytes, now_ms: int) -> list[Packet]:
        """Feeds every byte at the same time; returns the messages completed."""
        out: list[Packet] = []
        for byte in data:
            if self.feed_byte(byte, now_ms) is Feed.PACKET:
                out.append(Packet(self._framing, bytes(self._msg)))
        return out

    def feed_byte(self, byte: int, now_ms: int) -> Feed:
        """wa_smp_frame_feed. Bytes reported as TEXT are kept for take_text()."""
        self.poll(now_ms)
        result = self._step(byte, now_ms)
        if result is Feed.TEXT:
            self._text.append(byte)
        return result

    @property
    def last_packet(self) -> Packet:
        """The message delivered by the last Feed.PACKET."""
        return Packet(self._framing, bytes(self._msg))

    def take_text(self) -> bytes:
        """Console text seen outside frames since the last call."""
        text, self._text = bytes(self._text), bytearray()
        return text

    def poll(self, now_ms: int) -> bool:
        """wa_smp_frame_poll: drops a frame that has outlived the timeout."""
        if not self._active or (now_ms - self._start_ms) % (1 << 32) <= self.timeout_ms:
            return False
        self.stats.timeouts += 1
        self._active = self._pending = False
        if self._state is not _St.MARK:
            self._state = _St.HUNT
        return True

    # ---- the state machine, function for function as in the C ----

    def _step(self, byte: int, now_ms: int) -> Feed:
        if self._state is _St.MARK:
            return self._mark(byte, now_ms)
        if self._state is _St.LINE:
            return self._line(byte)
        if self._state is _St.RAW_HDR:
            return self._raw_header(byte, now_ms)
        if self._state is _St.RAW_BODY:
            return self._raw_body(byte)
        return self._hunt(byte)

    def _end_frame(self) -> None:
        self._state = _St.HUNT
        self._active = self._pending = False

    def _fail(self, counter: str) -> Feed:
        setattr(self.stats, counter, getattr(self.stats, counter) + 1)
        self._end_frame()
        return Feed.BUSY

    def _begin_frame(self, framing: Framing, now_ms: int) -> None:
        if self._active:
            self.stats.malformed += 1
        self._active, self._pending, self._dropping = True, False, False
        self._framing, self._start_ms = framing, now_ms
        self._pos = self._want = self._crc = self._rx_crc = 0
        self._hdr = bytearray()
        self._msg = bytearray()

    def _begin_line(self) -> None:
        self._state = _St.LINE
        self._line_len = 2
        self._quad = self._quad_n = self._quad_pad = 0
        self._line_done = False

    def _finish(self) -> Feed:
        self._end_frame()
        if self._dropping:
            self.stats.oversized += 1
            return Feed.BUSY
        if self._rx_crc != self._crc:
            self.stats.bad_crc += 1
            return Feed.BUSY
        self.stats.frames_ok += 1
        return Feed.PACKET

    def _put_msg_byte(self, byte: int) -> None:
        self._crc = binascii.crc_hqx(bytes((byte,)), self._crc)
        if not self._dropping:
            self._msg.append(byte)

    def _hunt(self, byte: int) -> Feed:
        if byte in _MARKER_FIRST:
            self._marker, self._state = byte, _St.MARK
            return Feed.BUSY
        self.stats.garbage_bytes += 1
        return Feed.TEXT

    def _mark(self, byte: int, now_ms: int) -> Feed:
        pair = bytes((self._marker, byte))
        if pair == CONSOLE_START:
            self._begin_frame(Framing.CONSOLE, now_ms)
            self._begin_line()
            return Feed.BUSY
        if pair == CONSOLE_CONT and self._pending:
            self._pending = False
            self._begin_line()
            return Feed.BUSY
        if pair == RAW_SYNC:
            self._begin_frame(Framing.RAW, now_ms)
            self._state = _St.RAW_HDR
            return Feed.BUSY
        self.stats.garbage_bytes += 1
        self._state = _St.HUNT
        return self._hunt(byte)

    def _put_console_byte(self, byte: int) -> bool:
        i, self._pos = self._pos, self._pos + 1
        if i < 2:
            self._want = (self._want << 8) | byte
            if i == 1:
                if self._want < 2:
                    return False
                self._dropping = self._want - 2 > self.capacity
            return True
        if i < self._want:
            self._put_msg_byte(byte)
            return True
        if i < self._want + 2:
            self._rx_crc = ((self._rx_crc << 8) | byte) & 0xFFFF
            return True
        return False

    def _put_quad(self) -> Feed:
        for k in range(3 - self._quad_pad):
            if not self._put_console_byte((self._quad >> (16 - 8 * k)) & 0xFF):
                return self._fail("malformed")
        self._line_done = self._quad_pad != 0
        self._quad = self._quad_n = self._quad_pad = 0
        return Feed.BUSY

    def _end_line(self) -> Feed:
        if self._quad_n != 0 or self._pos < 2:
            return self._fail("malformed")
        if self._pos < self._want + 2:
            self._pending, self._state = True, _St.HUNT
            return Feed.BUSY
        return self._finish()

    def _line(self, byte: int) -> Feed:
        if byte == 0x0A:
            return self._end_line()
        self._line_len += 1
        if self._line_len >= self.line_max:
            return self._fail("oversized")
        if byte == 0x0D:
            return Feed.BUSY
        if self._line_done:
            return self._fail("malformed")
        value = 0
        if byte == ord("="):
            if self._quad_n < 2:
                return self._fail("malformed")
            self._quad_pad += 1
        else:
            found = _B64_VALUE.get(byte)
            if found is None or self._quad_pad:
                return self._fail("malformed")
            value = found
        self._quad = (self._quad << 6) | value
        self._quad_n += 1
        return Feed.BUSY if self._quad_n < 4 else self._put_quad()

    def _raw_header(self, byte: int, now_ms: int) -> Feed:
        self._hdr.append(byte)
        if len(self._hdr) < 4:
            return Feed.BUSY
        length, check = self._hdr[0] << 8 | self._hdr[1], self._hdr[2] << 8 | self._hdr[3]
        if length ^ check != 0xFFFF:
            replay = bytes(self._hdr)
            self._fail("malformed")
            for b in replay:
                self._step(b, now_ms)
            return Feed.BUSY
        self._want, self._dropping = length, length > self.capacity
        self._crc = binascii.crc_hqx(bytes(self._hdr), 0)
        self._pos, self._state = 0, _St.RAW_BODY
        return Feed.BUSY

    def _raw_body(self, byte: int) -> Feed:
        i, self._pos = self._pos, self._pos + 1
        if i < self._want:
            self._put_msg_byte(byte)
            return Feed.BUSY
        self._rx_crc = ((self._rx_crc << 8) | byte) & 0xFFFF
        return self._finish() if i == self._want + 1 else Feed.BUSY
