"""How `--help` reads, for every command at once: plain text (click's formatter:
no rich import at start-up) whose paragraphs wrap to the terminal (up to
MAX_WIDTH columns), a command list that shows each command's whole first
paragraph, no metavar for flags, and option types as ``<str>``, never
``<list[str]>``.

Docstrings and ``help=`` texts are written with hard line breaks; here a single
line break is a space, an empty line starts a paragraph (a paragraph that
begins with ``\\b`` keeps its lines, as in click)."""

from __future__ import annotations

import re
from typing import Any

import typer
from typer._click import Command, Parameter  # typer's own click
from typer.core import TyperArgument, TyperGroup, TyperOption

MAX_WIDTH = 120
_LIST_TYPE = re.compile(r"<list\[(.+)\]>")


def reflow(text: str) -> str:
    """``text`` with the line breaks inside each paragraph made spaces."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split()) for p in paragraphs)


def _tidy_param(param: Parameter, ctx: typer.Context) -> None:
    if isinstance(param, TyperOption) and param.metavar is None:
        if param.is_flag:
            param.metavar = ""
        elif param.multiple:  # repeatable: the help says so; the type is the element's
            param.metavar = _LIST_TYPE.sub(r"<\1>", param.display_type(ctx))
    if isinstance(param, TyperArgument) and param.metavar is None:
        param.metavar = param.name.upper() if param.name else None
    help_text = getattr(param, "help", None)
    if help_text:
        param.help = reflow(help_text)  # type: ignore[attr-defined]


def tidy(command: Command) -> None:
    """Applies the rules above to ``command``, its parameters and subcommands."""
    if command.help:
        command.help = reflow(command.help)
        if command.short_help is None:
            command.short_help = command.help.split("\n\n")[0]
    ctx = typer.Context(command)
    for param in command.params:
        _tidy_param(param, ctx)
    for sub in getattr(command, "commands", {}).values():
        tidy(sub)


class HelpGroup(TyperGroup):
    """The root group: tidies the whole command tree once it is built."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        tidy(self)
