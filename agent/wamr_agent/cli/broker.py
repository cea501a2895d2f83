"""`wamr-agent broker up` and `broker down`: a local mosquitto in the background,
anonymous or secured (TLS, a password per user, the ACL of each role); docs/mqtt.md,
"Security"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import JsonOpt, app, guard, print_json

if TYPE_CHECKING:  # imported where a command runs (quick start-up)
    from ..mqtt import local_broker

broker_app = typer.Typer(no_args_is_help=True, help="A local MQTT broker (mosquitto) in the "
                         "background: anonymous, or secured with TLS, passwords and an ACL "
                         "per role.")
app.add_typer(broker_app, name="broker")
DirOpt = Annotated[Path | None, typer.Option("--dir", help="The broker's directory: its "
                                             "configuration, log, and a secured broker's CA, "
                                             "certificates and passwords (default: "
                                             "$WAMR_AGENT_STATE/.broker).", show_default=False)]


def _print(running: local_broker.RunningBroker) -> None:
    print(f"broker  {running.url} (pid {running.pid})")
    security = running.security
    if security is not None:
        users = next(iter(security.accounts.values())).password_file.parent
        print(f"ca      {security.ca}  (--ca)")
        print(f"users   {users}/NAME.password (--user NAME --password-file), NAME.pem and "
              f"NAME.key (--cert, --key{'' if security.require_certificate else ', optional'})")
        for a in security.accounts.values():
            print(f"  {a.name:16} {a.role}")
    print(f"log     {running.log}")
    print(f"stop it with `wamr-agent broker down --dir {running.directory}`")


@broker_app.command("up")
def broker_up(
    directory: DirOpt = None,
    secure: Annotated[bool, typer.Option("--secure", help="TLS only (a CA and a server "
                                         "certificate made here), a password per user, the "
                                         "ACL of each role; no anonymous clients.")] = False,
    gateway: Annotated[list[str] | None, typer.Option("--gateway", help="With --secure: a "
                                                      "gateway user (its id); repeatable "
                                                      "(default: gw1). The users operator "
                                                      "and controller are always made.",
                                                      show_default=False)] = None,
    client_certs: Annotated[bool, typer.Option("--client-certs", help="With --secure: "
                                               "clients must also present a certificate "
                                               "(made here for each user).")] = False,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="The port on 127.0.0.1 "
                                             "(default: a free one).",
                                             show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a local broker in the background; print its URL (and a secured broker's CA
    and users' credential files)."""
    from ..mqtt import local_broker

    running: local_broker.RunningBroker = guard(as_json, lambda: local_broker.up(
        directory or local_broker.default_dir(), secure, tuple(gateway or ("gw1",)), port,
        client_certs))
    if as_json:
        print_json(running.as_dict())
    else:
        _print(running)


@broker_app.command("down")
def broker_down(directory: DirOpt = None, as_json: JsonOpt = False) -> None:
    """Stop the broker `broker up` started."""
    from ..mqtt import local_broker

    where = directory or local_broker.default_dir()
    pid: int = guard(as_json, lambda: local_broker.down(where))
    if as_json:
        print_json({"directory": str(where), "pid": pid, "stopped": True})
    else:
        print(f"broker from {where} (pid {pid}) stopped")
