#!/usr/bin/env python3
"""Writes tests/fixtures/smp/vectors.txt: SMP framing test vectors.

The host's encoder (agent/wamr_agent/smp) builds the wire bytes; each case
states the decoder outcome it expects, and this script refuses to write a case
the host decoder disagrees with. tests/crosscompile/test_smp_frame_c.py runs
the C decoder and encoder over the same file; tests/unit/test_smp_framing.py
checks the file is up to date.

Format (one record a line, '#' starts a comment, '-' is an empty hex string):
    decoder CAPACITY TIMEOUT_MS LINE_MAX
    case NAME
    encode console|raw HEX     optional: encoding HEX must give the fed bytes
    feed T_MS HEX              bytes fed at time T_MS (repeatable)
    packet console|raw HEX     a message the decoder must deliver, in order
    stats OK BAD_CRC OVERSIZED TIMEOUTS MALFORMED GARBAGE_BYTES
    end

    python3 firmware/tools/gen_smp_vectors.py [--check]
"""

from __future__ import annotations

import argparse
import base64
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "agent"))

from wamr_agent.smp import FrameDecoder, FrameStats, Framing, Packet  # noqa: E402
from wamr_agent.smp import framing as fr  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "smp" / "vectors.txt"
CAPACITY = 1024
TIMEOUT_MS = 1000
C, R = Framing.CONSOLE, Framing.RAW
# SMP v2 echo request {"d": "Hello world!"} (header: op 2 | v2, len 16, group 0, id 0).
ECHO = bytes.fromhex("0a00001000000000a161646c") + b"Hello world!"


@dataclass
class Case:
    name: str
    feeds: list[tuple[int, bytes]]
    packets: list[Packet]
    stats: FrameStats
    encode: tuple[Framing, bytes] | None = None
    notes: list[str] = field(default_factory=list)


def pattern(n: int) -> bytes:
    return bytes((i * 7 + 3) & 0xFF for i in range(n))


def ok(n: int = 1, garbage: int = 0, **kw: int) -> FrameStats:
    return FrameStats(frames_ok=n, garbage_bytes=garbage, **kw)


def encode_cases() -> list[Case]:
    per_line = fr.console_per_line()  # 93 stream bytes = message + 4
    sizes = {
        "empty": 0,
        "one": 1,
        "header-only": 8,
        "line-minus-1": per_line - 5,
        "one-full-line": per_line - 4,
        "line-plus-1": per_line - 3,
        "two-full-lines": 2 * per_line - 4,
        "two-lines-plus-1": 2 * per_line - 3,
        "multi-line": 500,
        "capacity": CAPACITY,
    }
    cases = []
    for framing in (C, R):
        wire = fr.encode(framing, ECHO)
        label = f"echo-{framing.name.lower()}"
        cases.append(Case(label, [(0, wire)], [Packet(framing, ECHO)], ok(), (framing, ECHO)))
    for framing in (C, R):
        for name, n in sizes.items():
            msg = pattern(n)
            wire = fr.encode(framing, msg)
            label = f"{framing.name.lower()}-{name}"
            cases.append(Case(label, [(0, wire)], [Packet(framing, msg)], ok(), (framing, msg)))
    return cases


def flip_last_crc_bit(wire: bytes) -> bytes:
    return wire[:-1] + bytes((wire[-1] ^ 1,))


def console_bad_crc() -> bytes:
    stream = bytearray(fr.BE16.pack(len(ECHO) + 2) + ECHO + fr.BE16.pack(fr.crc16_xmodem(ECHO)))
    stream[-1] ^= 0x01
    return fr.CONSOLE_START + base64.b64encode(bytes(stream)) + b"\n"


def per_line_padded(msg: bytes, chunk: int) -> bytes:
    """Legal but unusual: every line base64-encoded on its own, with padding."""
    stream = fr.BE16.pack(len(msg) + 2) + msg + fr.BE16.pack(fr.crc16_xmodem(msg))
    parts = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
    marks = [fr.CONSOLE_START] + [fr.CONSOLE_CONT] * (len(parts) - 1)
    return b"".join(m + base64.b64encode(p) + b"\n" for m, p in zip(marks, parts, strict=True))


def robustness_cases() -> list[Case]:
    big = pattern(300)
    lines = fr.encode_console_lines(big)
    text = b"[sensor] t=23.5\r\n"
    over = pattern(CAPACITY + 1)
    raw_echo = fr.encode_raw(ECHO)
    con_echo = fr.encode_console(ECHO)
    long_line = fr.CONSOLE_START + b"/" * (fr.LINE_MAX - 2) + b"\n"
    return [
        Case("console-text-around", [(0, text + con_echo + text)], [Packet(C, ECHO)],
             ok(garbage=2 * len(text))),
        Case("console-text-between-lines", [(0, lines[0] + text + b"".join(lines[1:]))],
             [Packet(C, big)], ok(garbage=len(text))),
        Case("raw-text-around", [(0, text + raw_echo + text)], [Packet(R, ECHO)],
             ok(garbage=2 * len(text))),
        Case("mixed-back-to-back", [(0, raw_echo + con_echo + raw_echo)],
             [Packet(R, ECHO), Packet(C, ECHO), Packet(R, ECHO)], ok(3)),
        Case("console-bad-crc", [(0, console_bad_crc() + con_echo)], [Packet(C, ECHO)],
             ok(bad_crc=1)),
        Case("raw-bad-crc", [(0, flip_last_crc_bit(raw_echo) + raw_echo)], [Packet(R, ECHO)],
             ok(bad_crc=1)),
        Case("console-timeout", [(0, lines[0]), (1001, con_echo)], [Packet(C, ECHO)],
             ok(timeouts=1)),
        Case("console-just-in-time", [(0, lines[0]), (1000, b"".join(lines[1:]))],
             [Packet(C, big)], ok()),
        Case("raw-timeout", [(5, raw_echo[:10]), (2000, raw_echo)], [Packet(R, ECHO)],
             ok(timeouts=1)),
        Case("clock-wraps", [(0xFFFFFF00, lines[0]), (0x100, b"".join(lines[1:]))],
             [Packet(C, big)], ok()),
        Case("console-interrupted", [(0, lines[0] + con_echo)], [Packet(C, ECHO)],
             ok(malformed=1)),
        Case("raw-interrupts-console", [(0, lines[0] + raw_echo)], [Packet(R, ECHO)],
             ok(malformed=1)),
        Case("console-oversized", [(0, fr.encode_console(over) + con_echo)], [Packet(C, ECHO)],
             ok(oversized=1)),
        Case("raw-oversized", [(0, fr.encode_raw(over) + raw_echo)], [Packet(R, ECHO)],
             ok(oversized=1)),
        Case("console-line-too-long", [(0, long_line + con_echo)], [Packet(C, ECHO)],
             ok(oversized=1, garbage=1)),
        Case("console-bad-base64", [(0, fr.CONSOLE_START + b"AA*A\n" + con_echo)],
             [Packet(C, ECHO)], ok(malformed=1, garbage=2)),
        Case("console-partial-quad", [(0, fr.CONSOLE_START + b"AAoAAA\n" + con_echo)],
             [Packet(C, ECHO)], ok(malformed=1)),
        Case("console-length-below-2", [(0, fr.CONSOLE_START + b"AAE=\n" + con_echo)],
             [Packet(C, ECHO)], ok(malformed=1, garbage=1)),
        Case("console-excess-data", [(0, fr.CONSOLE_START + b"AAIAAAAA\n" + con_echo)],
             [Packet(C, ECHO)], ok(malformed=1, garbage=1)),
        Case("console-data-after-padding", [(0, fr.CONSOLE_START + b"AAQ=AAAA\n" + con_echo)],
             [Packet(C, ECHO)], ok(malformed=1, garbage=4)),
        Case("orphan-continuation", [(0, lines[1] + con_echo)], [Packet(C, ECHO)],
             ok(garbage=len(lines[1]))),
        Case("lone-marker-bytes", [(0, b"\x06x\x04y\xc1z\x06" + con_echo)], [Packet(C, ECHO)],
             ok(garbage=7)),
        Case("raw-false-sync", [(0, b"\xc1\xa5" + raw_echo)], [Packet(R, ECHO)],
             ok(malformed=1)),
        Case("console-per-line-padding", [(0, per_line_padded(ECHO, 5))], [Packet(C, ECHO)],
             ok()),
        Case("console-crlf", [(0, con_echo.replace(b"\n", b"\r\n"))], [Packet(C, ECHO)], ok()),
        Case("garbage-only", [(0, bytes(range(256)))], [], ok(0, garbage=256)),
    ]


def check(case: Case) -> None:
    dec = FrameDecoder(CAPACITY, TIMEOUT_MS)
    got = [p for t, data in case.feeds for p in dec.feed(data, t)]
    if got != case.packets or dec.stats != case.stats:
        raise SystemExit(f"{case.name}: host decoder gives {len(got)} packets, {dec.stats}")
    if case.encode and fr.encode(*case.encode) != b"".join(d for _, d in case.feeds):
        raise SystemExit(f"{case.name}: encoding differs")


def hexs(data: bytes) -> str:
    return data.hex() or "-"


def render(cases: list[Case]) -> str:
    out = [
        "# SMP framing vectors, generated by firmware/tools/gen_smp_vectors.py: do not edit.",
        "# Format: see that script. Checked by tests/unit/test_smp_framing.py (host)",
        "# and tests/crosscompile/test_smp_frame_c.py (firmware/core/smp/wa_smp_frame.c).",
        f"decoder {CAPACITY} {TIMEOUT_MS} {fr.LINE_MAX}",
    ]
    for case in cases:
        out.append(f"case {case.name}")
        if case.encode:
            out.append(f"encode {case.encode[0].name.lower()} {hexs(case.encode[1])}")
        out += [f"feed {t} {hexs(data)}" for t, data in case.feeds]
        out += [f"packet {p.framing.name.lower()} {hexs(p.data)}" for p in case.packets]
        s = case.stats
        out.append(f"stats {s.frames_ok} {s.bad_crc} {s.oversized} {s.timeouts} "
                   f"{s.malformed} {s.garbage_bytes}")
        out.append("end")
    return "\n".join(out) + "\n"


def generate() -> str:
    cases = encode_cases() + robustness_cases()
    for case in cases:
        check(case)
    return render(cases)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = generate()
    if args.check:
        stale = not OUT.exists() or OUT.read_text() != text
        print(f"{OUT.relative_to(ROOT)} is {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
