"""``--ca``, ``--cert``, ``--key``, ``--user`` and ``--password-file``: the TLS and
credentials options of every command that connects to an MQTT broker (``--via``,
``--broker``), declared once and added to a command by :func:`broker_options`.

The command receives them as one keyword argument, ``broker_options`` (a
:class:`~wamr_agent.mqtt.url.BrokerOptions`), and hands it to the library, which
checks them with the URL (mqtt/url.py)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from ..mqtt.url import PASSWORD_ENV, BrokerOptions

__all__ = ["OPTION_NAMES", "broker_options"]

_PANEL = "Broker (TLS, credentials)"
_HELP = {
    "ca": "With mqtts://: the CA bundle (PEM) that signed the broker's certificate "
          "(default: the system's CAs).",
    "cert": "With mqtts://: a client certificate (PEM), with --key.",
    "key": "With mqtts://: the client certificate's private key (PEM).",
    "user": "The user name on the broker (or mqtts://USER@HOST:PORT).",
    "password_file": f"A file whose first line is the password (default: ${PASSWORD_ENV}).",
}
OPTION_NAMES = ("--ca", "--cert", "--key", "--user", "--password-file")


def _parameter(name: str, kind: type) -> inspect.Parameter:
    option = typer.Option(f"--{name.replace('_', '-')}", help=_HELP[name], show_default=False,
                          rich_help_panel=_PANEL)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                             annotation=Annotated[kind | None, option])


_PARAMETERS = [_parameter("ca", Path), _parameter("cert", Path), _parameter("key", Path),
               _parameter("user", str), _parameter("password_file", Path)]


def broker_options(fn: Callable[..., None]) -> Callable[..., None]:
    """Command ``fn`` (which takes ``broker_options`` as a keyword argument) with the
    options added to its parameters (shown in their own panel of ``--help``)."""
    signature = inspect.signature(fn, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "broker_options"]
    keyword_only = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params]

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> None:
        given = {p.name: kwargs.pop(p.name) for p in _PARAMETERS}
        options = BrokerOptions(given["ca"], given["cert"], given["key"], given["user"],
                                given["password_file"])
        fn(*args, broker_options=options, **kwargs)

    new = [*keyword_only, *_PARAMETERS]
    command.__signature__ = signature.replace(parameters=new)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in new}
    return command
