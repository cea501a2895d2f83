"""How `--help` reads (issue 11): every command's help, rendered at 80 and 120
columns, has no `<bool>` for a flag, paragraphs that wrap to the width (a line
ends only where the next word would not have fitted, never at a line break of
the source's docstring), and help texts that are sentences."""

from __future__ import annotations

import contextlib
import io
import itertools
import textwrap
from collections.abc import Iterator

import pytest
import typer.main
from typer._click import Command

from wamr_agent.cli import app

WIDTHS = (80, 120)
MAX_WIDTH = 120  # cli/helptext.py; click leaves a margin of 2


def commands() -> Iterator[tuple[list[str], Command]]:
    def walk(command: Command, path: list[str]) -> Iterator[tuple[list[str], Command]]:
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


PATHS = [path for path, _ in commands()]


def render(path: list[str], columns: int) -> str:
    """The help as a terminal of ``columns`` shows it (typer's CliRunner would force
    80 columns)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(out):
        env.setenv("COLUMNS", str(columns))
        code = typer.main.get_command(app).main([*path, "--help"], "wamr-agent",
                                                standalone_mode=False)
    assert code == 0
    return out.getvalue()


def early_breaks(text: str, width: int) -> list[str]:
    """Lines of a paragraph (the description, or the text of an option or command
    row) that end although the next line's first word would have fitted."""
    found = []
    lines = text.splitlines()
    section = "usage"
    for line, after in itertools.pairwise(lines):
        if not line.strip():
            section = "description" if section == "usage" else section
            continue
        if not line.startswith(" "):
            section = "usage" if line.startswith("Usage:") else line  # "Options:", ...
            continue
        indent = len(after) - len(after.lstrip())
        new_item = section != "description" and indent <= 2
        continues = (after.strip() and indent > 0 and not new_item and section != "usage"
                     and line[indent - 1] == " " and line[indent] != " ")
        if continues and len(line.rstrip()) + 1 + len(after.split()[0]) <= width:
            found.append(f"{line.rstrip()!r} / {after.strip()!r}")
    return found


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "wamr-agent")
def test_help_has_no_bool_metavar_and_reflows_its_paragraphs(path: list[str],
                                                             columns: int) -> None:
    text = render(path, columns)
    assert "<bool>" not in text
    assert "<list[" not in text
    width = min(columns, MAX_WIDTH) - 2
    assert max(len(line) for line in text.splitlines()) <= width + 1
    assert early_breaks(text, width) == []


def test_the_check_finds_a_hard_wrapped_paragraph() -> None:
    """The source's line breaks kept (what typer's rich help did) are found."""
    kept = ("Usage: wamr-agent deploy [OPTIONS] {MODULE}\n\n"
            "  Check a module for a board and against what runs on the device, install it\n"
            "  (resumes an interrupted upload) and wait until the device confirms or reverts\n"
            "  it.\n")
    assert len(early_breaks(kept, 118)) == 2
    usage, paragraph = kept.split("\n\n")
    wrapped = textwrap.fill(" ".join(paragraph.split()), 118, initial_indent="  ",
                            subsequent_indent="  ")
    assert early_breaks(f"{usage}\n\n{wrapped}\n", 118) == []


def test_the_command_list_shows_each_whole_summary() -> None:
    """Not click's summary cut at 45 characters with '...'."""
    text = " ".join(render([], 120).split("\n\n", 1)[1].split())  # after the usage
    assert "..." not in text.replace("(esp32, nrf52840, ...:", "")
    assert ("install it (resumes an interrupted upload) and wait until the device confirms "
            "or reverts it;") in text


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "wamr-agent")
def test_help_texts_are_sentences(path: list[str]) -> None:
    command = dict((tuple(p), c) for p, c in commands())[tuple(path)]
    texts = {"": command.help or ""} | {p.name or "?": getattr(p, "help", None) or ""
                                        for p in command.params}
    for name, text in texts.items():
        assert text[:1].isupper() and text.rstrip().endswith("."), (name, text)
