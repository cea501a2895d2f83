"""The `wamr-agent` command line. Each command parses its options, calls one
library function, prints the result (text or --json) and maps the package's
exceptions to exit codes (see wamr_agent.errors).

common.py: the app and shared options; local.py: run, inspect; boards.py:
board and sim instances; deploy.py: deploy (progress.py: its progress lines);
device.py: the commands that manage a device's apps (over SMP, or through a
gateway); config.py: an app's configuration pushed from the fleet; bundle.py: OTA
bundles; gateway.py: the MQTT gateway and the fleet view;
broker.py: a local MQTT broker (broker_options.py: the TLS and credentials options
of every command that connects to a broker); rollout.py: the rollout controller
and `rollout`; appdev.py: `new`, `build`, `up` and `watch`, the app developer's loop
around an app folder's wamr.toml; helptext.py: how every command's --help reads.

A command imports the library it calls inside its function, so that starting
the CLI (and --help) loads none of the heavy dependencies (tests/cli/
test_cli_startup.py; bench/startup.py times it).
"""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__

# (the command modules register their commands)
from . import (  # noqa: F401
    appdev,
    boards,
    broker,
    bundle,
    config,
    deploy,
    device,
    gateway,
    local,
    rollout,
)
from .common import app

__all__ = ["app", "main"]


def _version(value: bool) -> None:
    if value:
        print(f"wamr-agent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version.")] = False,
) -> None:
    """Run WebAssembly apps on microcontrollers."""


def main() -> None:
    app()
