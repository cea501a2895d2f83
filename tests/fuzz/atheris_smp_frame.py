"""atheris harness: the host's SMP frame decoder (wamr_agent.smp.decoder, framing).

Run by ``make fuzz`` and tests/fuzz/test_fuzz_smoke.py as
``python atheris_smp_frame.py [libFuzzer options] [corpus dirs]``; the input
format is fuzz_smp_frame.c's (byte 0: the buffer size; then byte, clock step).
An exception other than the package's WamrAgentError subclasses is a crash, and so
is a broken invariant: a delivered message fits the buffer and comes back the
same through ``encode`` and the strict ``decode`` of its framing.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from wamr_agent.errors import WamrAgentError
    from wamr_agent.smp.decoder import Feed, FrameDecoder
    from wamr_agent.smp.framing import decode, encode

CAPS = (4096, 1, 8, 64, 200, 1024)


def one_input(data: bytes) -> None:
    if not data:
        return
    cap = CAPS[data[0] % len(CAPS)]
    decoder = FrameDecoder(capacity=cap, timeout_ms=2000)
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
