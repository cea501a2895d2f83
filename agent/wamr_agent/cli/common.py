"""What every `wamr-agent` command shares: the Typer app, common options, and
printing results and errors (text or --json; exit codes from wamr_agent.errors)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from ..errors import WamrAgentError
from ..smp.baud import DEFAULT_BAUDRATE, MAX_BAUDRATE
from .helptext import MAX_WIDTH, HelpGroup

# Plain help text (no rich: start-up), wrapped to the terminal; helptext.py tidies it.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Run WebAssembly apps on microcontrollers.", cls=HelpGroup,
                  rich_markup_mode=None, context_settings={"max_content_width": MAX_WIDTH})

BoardOpt = Annotated[str, typer.Option("--board", "-b", help="Board profile (boards/*.toml).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ModuleArg = Annotated[Path, typer.Argument(help="The .wasm module.", show_default=False)]
PortOpt = Annotated[str | None, typer.Option(help="Device management port: a serial device "
                                             "(/dev/ttyUSB0) or socket://HOST:PORT (default: "
                                             "the board's running local instance).")]
BaudOpt = Annotated[int, typer.Option("--baud", min=1, max=MAX_BAUDRATE,
                                      help="Baud rate of a serial --port (8N1, no flow "
                                      "control).")]
ViaOpt = Annotated[str | None, typer.Option("--via", help="Reach the device through its "
                                            "gateway: the MQTT broker, "
                                            "mqtt://[USER@]HOST:PORT, or mqtts:// for TLS "
                                            "(with --device).",
                                            show_default=False)]
DeviceOpt = Annotated[str | None, typer.Option("--device", help="With --via: the device as "
                                               "GATEWAY/DEVICE (ids of the gateway's "
                                               "configuration).", show_default=False)]
AppArg = Annotated[str, typer.Argument(help="App name (see `ps`).", show_default=False)]
BAUD = DEFAULT_BAUDRATE


def split_values(values: list[str] | None) -> list[str] | None:
    """Accepts both `--grant a,b` and `--grant a --grant b`."""
    if values is None:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def json_default(obj: Any) -> Any:
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return str(obj)


def print_json(data: Any) -> None:
    print(json.dumps(data, default=json_default, indent=2))


def fail(exc: WamrAgentError, as_json: bool, json_lines: bool = False,
         extra: dict[str, Any] | None = None) -> NoReturn:
    """Prints the error (also as JSON on stdout with --json, with ``extra`` keys; on one
    line for commands that print JSON lines) and exits with its code."""
    if as_json:
        error = {"error": {"type": type(exc).__name__, "code": exc.code.name,
                           "message": str(exc)}, **(extra or {})}
        if json_lines:
            print(json.dumps(error))
        else:
            print_json(error)
    print(f"error: {exc}", file=sys.stderr)
    raise typer.Exit(exc.exit_code)


def guard(as_json: bool, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except WamrAgentError as exc:
        fail(exc, as_json)


def shown(text: str | None) -> str:
    """Device text for a terminal: control characters (an escape sequence in an app's
    name or log line) as ``\\xNN``; what was not UTF-8 is already U+FFFD (smp.apps)."""
    if not text:
        return "-"
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def kib(n: int | None) -> str:
    return "none" if n is None else f"{n / 1024:.1f} KiB"
