"""SMP (MCUmgr's Simple Management Protocol) on the host side.

``framing``: the serial framings (console and raw) as pure functions;
``decoder``: the incremental decoder mirroring the firmware's;
``streams`` and ``link``: request/response over a serial device or a TCP socket;
``app_management``: the wasm-app group's messages (PyPI ``smp`` models);
``app_requests``: its requests in ``smpclient``'s convention;
``apps``: :class:`~wamr_agent.smp.apps.AppClient`, the group's client, with
``app_results`` (what it returns) and ``logreader`` (paging and following logs).
"""

from __future__ import annotations

from .decoder import Feed, FrameDecoder, FrameStats, Packet
from .framing import (
    Framing,
    FramingError,
    crc16_xmodem,
    decode,
    decode_console,
    decode_raw,
    encode,
    encode_console,
    encode_console_lines,
    encode_raw,
)

__all__ = [
    "Feed",
    "FrameDecoder",
    "FrameStats",
    "Framing",
    "FramingError",
    "Packet",
    "crc16_xmodem",
    "decode",
    "decode_console",
    "decode_raw",
    "encode",
    "encode_console",
    "encode_console_lines",
    "encode_raw",
]
