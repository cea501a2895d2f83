"""The pytest plugin as a user's project sees it: a test file run with --board."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.qemu.conftest import BOARD

Example = Callable[[str], Path]

USER_TESTS = r'''
def test_boots(board, console):
    assert board.banner.startswith("wamr-agent firmware")
    assert board.mgmt_address.startswith("socket://127.0.0.1:")
    assert console is board.console
    assert any(line.startswith("wamr-agent firmware") for line in console.lines())


def test_reset(board):
    assert board.reset().startswith("wamr-agent firmware")


def test_my_app(board):
    board.console.expect(r"telemetry .*temp_c", timeout=10)


def test_a_new_users_first_test(board):
    board.console.expect(r"mps2-an386")  # issue 11's example, word for word: the banner


def test_the_boot_lines_are_there_to_match(board):
    board.console.expect(r"board=mps2-an\d+")  # the banner, as a new user writes it first
    board.console.expect(r"boot 1 reset=power-on")
'''

IMPOSSIBLE = '''
def test_impossible(console):
    console.expect(r"this line is never printed", timeout=1)
'''


def test_user_tests_pass(pytester: pytest.Pytester, firmware_args: list[str],
                         example: Example) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("--board", BOARD, "--preload",
                                           str(example("sensor")), *firmware_args)
    result.assert_outcomes(passed=USER_TESTS.count("\ndef test_"))


def test_failed_expect_names_the_console_log(pytester: pytest.Pytester,
                                            firmware_args: list[str]) -> None:
    pytester.makepyfile(test_user=IMPOSSIBLE)
    result = pytester.runpytest_subprocess("--board", BOARD, *firmware_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*ExpectTimeout: timed out after 1 s waiting for 'this line is never printed'*",
        "*console log: */board/console.log",
        "*wamr-agent console*",
        "console log: */board/console.log",
    ])


def test_plugin_does_not_start_qemu_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("--board", "no-such-board")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(("ci", "outcome"), [("", "skipped"), ("true", "errors")])
def test_missing_qemu_skips_outside_ci_and_fails_in_ci(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str,
        outcome: str) -> None:
    monkeypatch.setenv("WAMR_AGENT_QEMU", "qemu-system-nonesuch")
    monkeypatch.setenv("CI", ci)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-rsf")
    result.assert_outcomes(**{outcome: USER_TESTS.count("\ndef test_")})
    result.stdout.fnmatch_lines(["*qemu-system-nonesuch not found; install it with "
                                 "`apt-get install qemu-system-arm` (or `make setup`)*"])

