"""The SMP client over a lossy link (agent/wamr_agent/smp/retry.py, apps.py):
a request that gets no answer is sent again with a new sequence number and
backoff, a late answer to an earlier attempt is dropped, all attempts stay
within the request's budget (the first upload chunk has its own), an upload
chunk that got no answer is sent again shorter, and an upload whose answer to
its last chunk was lost completes. A fake device; no subprocess."""

from __future__ import annotations

import struct
from typing import Any

import cbor2
import pytest

from tests.unit.test_smp_client import MODULE, FakeDevice
from wamr_agent.smp.apps import MIN_CHUNK, AppClient
from wamr_agent.smp.framing import Framing, encode
from wamr_agent.smp.link import SmpLink, SmpLinkTimeout
from wamr_agent.smp.retry import RetryPolicy, Rtt

HEADER = struct.Struct(">BBHHBB")


class Clock:
    """Time that passes only when the fake link waits."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class LossyLink:
    """A link with ``exchange`` to a FakeDevice: requests whose index (from 0) is in
    ``lose_requests`` never arrive, answers in ``lose_answers`` never come back
    (the device acted on the request); an answer takes ``rtt`` seconds of
    ``clock``. Records what was sent and every timeout it waited out."""

    def __init__(self, device: FakeDevice, lose_requests: set[int] = frozenset(),
                 lose_answers: set[int] = frozenset(), late_answers: set[int] = frozenset(),
                 timeout: float = 5.0) -> None:
        self.device, self.timeout = device, timeout
        self.lose_requests, self.lose_answers = lose_requests, lose_answers
        self.late_answers = late_answers  # they come during the next exchange
        self.held: list[bytes] = []
        self.sent: list[bytes] = []
        self.waits: list[float] = []
        self.clock = Clock()
        self.rtt = 0.01

    def policy(self, **kwargs: float) -> RetryPolicy:
        return RetryPolicy(clock=self.clock, **kwargs)  # type: ignore[arg-type]

    def exchange(self, message: bytes, matches: Any, timeout: float) -> bytes:
        index = len(self.sent)
        self.sent.append(message)
        if index in self.lose_requests:
            return self._lost(timeout)
        answers, self.held = [*self.held, self.device.request(message)], []
        if index in self.late_answers:
            self.held = answers
            return self._lost(timeout)
        if index in self.lose_answers:
            return self._lost(timeout)
        self.clock.now += self.rtt
        for answer in answers:
            if matches(answer):
                return answer
        return self._lost(timeout)

    def _lost(self, timeout: float) -> bytes:
        self.waits.append(timeout)
        self.clock.now += timeout
        raise SmpLinkTimeout(f"fake: no answer within {timeout:g} s")

    def request(self, message: bytes) -> bytes:
        raise AssertionError("a link with exchange is used through it")


def seqs(messages: list[bytes]) -> list[int]:
    return [m[6] for m in messages]


def body(message: bytes) -> dict[str, Any]:
    return cbor2.loads(message[HEADER.size:])  # type: ignore[no-any-return]


def test_a_lost_request_is_sent_again_with_a_new_sequence_and_backoff() -> None:
    link = LossyLink(FakeDevice(), lose_requests={0, 1})
    client = AppClient(link, link.policy(initial=0.2))
    assert client.device_status() is None  # the fake answers ENOTSUP
    assert len(link.sent) == 3 and len(set(seqs(link.sent))) == 3
    assert link.waits == [0.2, 0.4]  # initial, then doubled
    assert client.retry.retries == 2


def test_all_attempts_stay_within_the_budget() -> None:
    link = LossyLink(FakeDevice(), lose_requests=set(range(100)), timeout=1.0)
    with pytest.raises(SmpLinkTimeout, match=r"no answer within 1 s \(\d+ attempts\)"):
        AppClient(link, link.policy(initial=0.2)).list()
    assert sum(link.waits) <= 1.0 + 1e-6 and len(link.waits) >= 3


def test_the_attempt_timeout_follows_measured_round_trips() -> None:
    rtt = Rtt()
    assert rtt.timeout(0.05, 1.0) == 1.0  # nothing measured yet
    for _ in range(20):
        rtt.sample(0.01)
    assert 0.01 <= rtt.timeout(0.0, 1.0) < 0.02  # steady: little deviation
    assert rtt.timeout(0.05, 1.0) == 0.05


def test_a_late_answer_to_an_earlier_attempt_is_dropped() -> None:
    """Over a real SmpLink: the stream delivers an answer to sequence 0 (a stale
    one) before the answer to sequence 1; the request for 1 gets its own."""
    def answer(seq: int, text: str) -> bytes:
        payload = cbor2.dumps({"r": text})
        return encode(Framing.CONSOLE,
                      HEADER.pack(0x0B, 0, len(payload), 0, seq, 0) + payload)

    class Stream:
        def __init__(self) -> None:
            self.reads = [answer(0, "stale") + answer(1, "fresh")]

        def write(self, data: bytes) -> None: ...
        def read(self, timeout: float) -> bytes:
            return self.reads.pop(0) if self.reads else b""
        def close(self) -> None: ...

    link = SmpLink("fake", stream=Stream(), timeout=0.2)
    payload = cbor2.dumps({"d": "x"})
    request = HEADER.pack(0x0A, 0, len(payload), 0, 1, 0) + payload
    got = link.exchange(request, lambda m: m[6] == 1, 0.2)
    assert cbor2.loads(got[8:]) == {"r": "fresh"}


def test_an_upload_chunk_that_got_no_answer_is_sent_again_shorter() -> None:
    device = FakeDevice(buf_size=1024)
    # requests: 0 params, 1 first chunk, 2 second chunk (lost), 3 its retry, ...
    link = LossyLink(device, lose_requests={2})
    result = AppClient(link, link.policy(initial=0.1)).upload("app", MODULE)
    assert not result.already_installed and device.installed["app"][2] == MODULE
    second, retry = body(link.sent[2]), body(link.sent[3])
    assert retry["off"] == second["off"] and len(retry["data"]) == len(second["data"]) // 2
    assert seqs(link.sent)[3] != seqs(link.sent)[2]
    assert len(retry["data"]) >= MIN_CHUNK


def test_the_first_chunk_has_a_budget_of_its_own() -> None:
    """The first chunk (the device erases flash for it) may take longer than the
    link's timeout: its attempts go on for RetryPolicy.first_chunk seconds."""
    link = LossyLink(FakeDevice(), lose_requests={1, 2, 3, 4, 5}, timeout=0.5)
    AppClient(link, link.policy(initial=0.2, first_chunk=10.0)).upload("app", MODULE)
    assert sum(link.waits) > 0.5  # beyond the link's timeout
    assert [body(m)["off"] for m in link.sent[1:7]] == [0] * 6
    with pytest.raises(SmpLinkTimeout, match="within 10 s"):
        lossy = LossyLink(FakeDevice(), lose_requests=set(range(1, 100)), timeout=0.5)
        AppClient(lossy, lossy.policy(initial=0.2, first_chunk=10.0)).upload("app", MODULE)


def test_an_upload_whose_last_answer_was_lost_completes() -> None:
    """The last chunk installs the module but its answer is lost; the retry finds no
    upload in progress ({"off": 0}): the client sends the first chunk again, which
    the device answers `done` (that module is installed)."""
    device = FakeDevice(buf_size=4096)
    small = MODULE[:1500]  # one chunk holds it all
    link = LossyLink(device, lose_answers={1})
    result = AppClient(link, link.policy(initial=0.1)).upload("app", small)
    assert device.installed["app"][2] == small
    assert [body(m)["off"] for m in link.sent[1:]] == [0, 0, 0][:len(link.sent) - 1]
    assert result.total == len(small)


def test_a_late_answer_to_an_earlier_attempt_of_the_same_request_counts() -> None:
    """The last chunk installs the module but its answer comes late, after the
    repeat went out: that answer (`done`) is taken; the repeat's ({"off": 0}: no
    upload in progress) is not, so the first chunk is not sent again."""
    clean = LossyLink(FakeDevice(buf_size=1024))
    AppClient(clean, clean.policy()).upload("app", MODULE)
    last = len(clean.sent) - 1
    device = FakeDevice(buf_size=1024)
    link = LossyLink(device, late_answers={last})
    AppClient(link, link.policy(initial=0.1)).upload("app", MODULE)
    assert device.installed["app"][2] == MODULE
    assert len(link.sent) == len(clean.sent) + 1  # the last chunk's repeat, nothing more
    assert body(link.sent[-1])["off"] == body(clean.sent[-1])["off"] > 0
