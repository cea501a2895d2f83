"""atheris harness: the host's SMP frame decoder (wamr_agent.smp.decoder, framing).

Run by ``make fuzz`` and tests/fuzz/test_fuzz_smoke.py as
``python atheris_smp_frame.py [libFuzzer options] [corpus dirs]``; the input
format is fuzz_smp_frame.c's (byte 0: the buffer size; bit 7 clear: then byte,
clock step pairs; set: records of framing, be16 length, message that the harness
encodes). An exception other than the package's WamrAgentError subclasses is a
crash, and so is a broken invariant: a delivered message fits the buffer and comes
back the same through ``encode`` and the strict ``decode`` of its framing; an
encoded frame is delivered intact when it fits, dropped as oversized when not.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from wamr_agent.errors import WamrAgentError
    from wamr_agent.smp.decoder import Feed, FrameDecoder
    from wamr_agent.smp.framing import Framing, decode, encode

CAPS = (4096, 1, 8, 64, 200, 1024)


def valid_frames(decoder: FrameDecoder, cap: int, body: bytes) -> None:
    at = 0
    while at < len(body):
        framing = Framing.RAW if body[at] & 1 else Framing.CONSOLE
        length = int.from_bytes(body[at + 1:at + 3].ljust(2, b"\0"), "big") % (cap + 64)
        msg = body[at + 3:at + 3 + length]
        at += 3 + length
        oversized = decoder.stats.oversized
        packets = decoder.feed(encode(framing, msg), now_ms=0)
        if len(msg) <= cap:
            if len(packets) != 1 or packets[0].data != msg or packets[0].framing is not framing:
                raise AssertionError(f"a valid frame of {len(msg)} bytes was not delivered")
        elif packets or decoder.stats.oversized != oversized + 1:
            raise AssertionError(f"a frame of {len(msg)} bytes above {cap} was not dropped")


def one_input(data: bytes) -> None:
    if not data:
        return
    cap = CAPS[(data[0] & 0x7F) % len(CAPS)]
    decoder = FrameDecoder(capacity=cap, timeout_ms=2000)
    if data[0] & 0x80:
        valid_frames(decoder, cap, data[1:])
        return
    now = 0
    body = data[1:]
    try:
        for i in range(0, len(body), 2):
            step = body[i + 1] if i + 1 < len(body) else 0
            now += step % 4 if step < 250 else step * 100
            if decoder.feed_byte(body[i], now) is Feed.PACKET:
                packet = decoder.last_packet
                if len(packet.data) > cap:
                    raise AssertionError(f"{len(packet.data)} bytes delivered into {cap}")
                again = decode(packet.framing, encode(packet.framing, packet.data))
                if again != packet.data:
                    raise AssertionError("a delivered message does not round-trip")
            if step == 0xFF:
                decoder.poll(now)
    except WamrAgentError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
