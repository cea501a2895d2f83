"""Every command of the typer tree with hostile or missing inputs: a missing file, a
folder, a binary file, a path in a missing folder, a 5,000-character string, escape
sequences and bytes that are not UTF-8, out-of-range numbers, unreachable ports
and brokers. Whatever a command answers, it is never a traceback: a one-line error
and an exit code (or a usage error). The commands come from the tree itself, so a
new command or option is swept without being listed here."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from wamr_agent.cli import app
from wamr_agent.emulator.state import STATE_ENV

runner = CliRunner()
SECONDS = 30  # per invocation: every hostile input fails at once
# services retry an unreachable broker by design: they get only malformed addresses
SERVICES = {"controller", "gateway"}
UNREACHABLE_BROKER = "mqtt://127.0.0.1:1"
TEXTS = ["x" * 5000, "\x1b[2J\x07", "caf\udcff", ""]  # \udcff: the byte 0xff in argv
INTS = ["-1", "12345678901", "abc"]
FLOATS = ["-1", "nan", "1e400"]


def leaf_commands() -> Iterator[tuple[list[str], Any]]:
    def walk(cmd: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, cmd
    yield from walk(typer.main.get_command(app), [])


class Inputs:
    """Hostile values by the kind of a parameter, in ``tmp``."""

    def __init__(self, tmp: Path) -> None:
        self.missing = tmp / "missing" / "file.wasm"
        self.binary = tmp / "binary.bin"
        self.binary.write_bytes(bytes(range(256)) * 8)
        self.folder = tmp / "folder"
        self.folder.mkdir()

    def paths(self, command: str, name: str) -> list[str]:
        if command == "broker up":  # a usable folder would start a broker
            return [str(self.binary), str(self.binary / "sub")]
        return [str(self.missing), str(self.folder), str(self.binary), str(self.missing.parent)]

    def values(self, command: str, param: Any) -> list[str]:
        kind, name = _kind(param), param.name
        if "Path" in kind:
            return self.paths(command, name)
        if kind == "int":
            return INTS
        if kind == "float":
            return FLOATS
        if name in ("via", "broker"):
            reachable = [] if command in SERVICES else [UNREACHABLE_BROKER]
            return [*reachable, "nope://x", "mqtt://", *TEXTS[:3]]
        if name == "port":
            return ["/dev/ttyNOPE0", "socket://127.0.0.1:1", "socket://nohost", *TEXTS[:3]]
        return TEXTS

    def base(self, command: str, param: Any) -> str:
        """A value for a required parameter: wrong, but not the one under test."""
        kind, name = _kind(param), param.name
        if command == "broker up" or "Path" in kind:
            return str(self.missing)
        if kind in ("int", "float"):
            return "1"
        if name in ("via", "broker"):
            return "nope://x" if command in SERVICES else UNREACHABLE_BROKER
        return "nope"


def _kind(param: Any) -> str:
    """The option's value type as the inputs pick them: Path, int, float or str."""
    type_name = type(param.type).__name__
    for kind in ("Path", "Int", "Float"):
        if kind in type_name:
            return kind if kind == "Path" else kind.lower()
    return "str"


def invocation(params: list[Any], values: dict[str, str]) -> list[str]:
    args: list[str] = []
    for p in params:
        if p.name in values:
            args += [values[p.name]] if not p.opts[0].startswith("-") else [p.opts[0],
                                                                            values[p.name]]
    return args


def cases(inputs: Inputs) -> Iterator[list[str]]:
    for path, cmd in leaf_commands():
        command = " ".join(path)
        params = [p for p in cmd.params if p.name != "help" and not getattr(p, "is_flag", False)]
        required = {p.name: inputs.base(command, p) for p in params if p.required}
        if command == "broker up":
            required["directory"] = str(inputs.binary)
        yield [*path, *invocation(params, required)]
        for p in params:
            for value in inputs.values(command, p):
                yield [*path, *invocation(params, {**required, p.name: value})]


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError(f"no answer within {SECONDS} s")


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Inputs:
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))  # no local instance runs
    monkeypatch.chdir(tmp_path)
    return Inputs(tmp_path)


def test_no_command_answers_hostile_inputs_with_a_traceback(inputs: Inputs) -> None:
    previous = signal.signal(signal.SIGALRM, _alarm)
    failures: list[str] = []
    count = 0
    try:
        for args in cases(inputs):
            count += 1
            signal.alarm(SECONDS)
            result = runner.invoke(app, args)
            signal.alarm(0)
            crashed = result.exception is not None and not isinstance(result.exception,
                                                                       SystemExit)
            if crashed or "Traceback" in result.output:
                shown = [a if len(a) < 40 else a[:20] + "..." for a in args]
                failures.append(f"{shown}: {result.exception!r}")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert count > 500  # the whole tree, not an empty sweep
    assert not failures, f"{len(failures)} of {count} crashed:\n" + "\n".join(failures)
