"""App names (docs/protocol.md, App names) on the host: what is allowed, and
every AppClient command that carries a name refuses a bad one before a byte is
sent. The device applies the same rule (tests/hostport/test_app_names.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from wamr_agent.errors import UsageError
from wamr_agent.payload import app_name
from wamr_agent.smp.app_names import check_app_name, name_problem
from wamr_agent.smp.apps import AppClient

GOOD = ["a", "sensor-v2", "x" * 32, "café", "温度计", "🌡" * 8, "a b", "~!@#$%^&*()"]
BAD = ["", "x" * 33, "é" * 17, "a\x00x", "\x00", "tab\t", "line\n", "del\x7f",
       "c1\x85", "\u009f", "lone\udcff", "\ud800"]


@pytest.mark.parametrize("name", GOOD)
def test_printable_utf8_names_up_to_32_bytes_are_allowed(name: str) -> None:
    assert name_problem(name) is None
    assert check_app_name(name) == name
    assert app_name("whatever.wasm", name) == name


@pytest.mark.parametrize("name", BAD)
def test_empty_long_control_and_non_utf8_names_are_refused(name: str) -> None:
    assert name_problem(name) is not None
    with pytest.raises(UsageError, match="app name"):
        check_app_name(name)
    with pytest.raises(UsageError, match="--name"):
        app_name("whatever.wasm", name)


class Silent:
    """A link that must never be used."""

    def request(self, message: bytes) -> bytes:
        raise AssertionError(f"sent {message.hex()}")


COMMANDS: list[Callable[[AppClient, str], object]] = [
    lambda c, n: c.upload(n, b"\0asm\1\0\0\0"), lambda c, n: c.start(n),
    lambda c, n: c.stop(n), lambda c, n: c.remove(n), lambda c, n: c.confirm(n),
    lambda c, n: c.rollback(n), lambda c, n: c.status(n)]


@pytest.mark.parametrize("command", COMMANDS)
def test_the_client_refuses_a_bad_name_before_sending(
        command: Callable[[AppClient, str], object]) -> None:
    with pytest.raises(UsageError, match="U\\+0000"):
        command(AppClient(Silent()), "a\x00x")
