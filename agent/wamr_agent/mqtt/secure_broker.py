"""The files of a secured local mosquitto (TLS, a password per user, an ACL per
role), which :class:`~wamr_agent.mqtt.broker.Mosquitto` runs with ``security=``:

    DIR/ca.pem, ca.key            the CA clients trust (--ca DIR/ca.pem)
    DIR/server.pem, server.key    the broker's certificate, for 127.0.0.1, localhost, ::1
    DIR/passwd                    mosquitto's password file (hashes, by mosquitto_passwd)
    DIR/acl                       mosquitto's acl_file (mqtt/acl.py)
    DIR/users/<user>.password     each user's password (--password-file), 0600
    DIR/users/<user>.pem, .key    each user's client certificate (--cert, --key)

:meth:`Security.prepare` keeps the CA and each user's password and certificate
that ``DIR`` already has (so clients set up earlier still connect) and writes the
rest; the password file and the ACL are written anew for the users it is given.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import topics
from .acl import Role, acl_text
from .broker import BrokerError, find_mosquitto_passwd
from .pki import LOOPBACK_NAMES, Authority, Issued
from .url import BrokerOptions, BrokerSettings, read_password

__all__ = ["Account", "Security"]


@dataclass(frozen=True)
class Account:
    """A user of the broker: its role, password file and client certificate."""

    name: str
    role: Role
    password_file: Path
    cert: Issued

    @property
    def password(self) -> str:
        return read_password(self.password_file)


def _private_file(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def _account(ca: Authority, users: Path, name: str, role: Role) -> Account:
    password_file = users / f"{name}.password"
    if not password_file.is_file():
        _private_file(password_file, secrets.token_urlsafe(18) + "\n")
    cert = Issued(users / f"{name}.pem", users / f"{name}.key")
    if not (cert.cert.is_file() and cert.key.is_file()):
        cert = ca.issue(users, name, name)
    return Account(name, role, password_file, cert)


def _roles(users: dict[Role, Iterable[str]]) -> dict[str, Role]:
    roles: dict[str, Role] = {}
    for role, names in users.items():
        for name in names:
            checked = (topics.check_id("gateway user name", name) if role == "gateway"
                       else topics.check_name("user name", name))
            if roles.setdefault(checked, role) != role:
                raise BrokerError(f"user {name!r} cannot be both {roles[name]} and {role}")
    return roles


def _write_passwd(path: Path, accounts: Iterable[Account]) -> None:
    """mosquitto's password file, hashed by mosquitto_passwd (the passwords go to its
    stdin, never on a command line)."""
    program = find_mosquitto_passwd()
    _private_file(path, "")
    for account in accounts:
        twice = f"{account.password}\n" * 2
        done = subprocess.run([program, str(path), account.name], input=twice, text=True,
                              capture_output=True, check=False)
        if done.returncode != 0:
            raise BrokerError(f"mosquitto_passwd failed for {account.name!r}: "
                                 f"{(done.stderr or done.stdout).strip()}")


@dataclass(frozen=True)
class Security:
    """A secured broker's files in :attr:`directory`; see the module docstring."""

    directory: Path
    accounts: dict[str, Account]
    require_certificate: bool = False

    @classmethod
    def prepare(cls, directory: Path, gateways: Iterable[str] = ("gw1",),
                operators: Iterable[str] = ("operator",),
                controllers: Iterable[str] = ("controller",),
                require_certificate: bool = False) -> Security:
        """Writes (or completes) the files in ``directory``; see the module docstring."""
        directory = directory.resolve()  # mosquitto.conf names the files by these paths
        roles = _roles({"gateway": gateways, "operator": operators, "controller": controllers})
        if not roles:
            raise BrokerError("a secured broker needs at least one user")
        ca = Authority.ensure(directory)
        ca.issue(directory, "server", "localhost", server_names=LOOPBACK_NAMES)
        users = directory / "users"
        users.mkdir(mode=0o700, exist_ok=True)
        accounts = {name: _account(ca, users, name, role) for name, role in roles.items()}
        security = cls(directory, accounts, require_certificate)
        _write_passwd(security.passwd, accounts.values())
        security.acl.write_text(acl_text(roles))
        return security

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def server(self) -> Issued:
        return Issued(self.directory / "server.pem", self.directory / "server.key")

    @property
    def passwd(self) -> Path:
        return self.directory / "passwd"

    @property
    def acl(self) -> Path:
        return self.directory / "acl"

    def config_lines(self) -> list[str]:
        """mosquitto.conf lines that follow the listener's line."""
        return [f"cafile {self.ca}", f"certfile {self.server.cert}",
                f"keyfile {self.server.key}",
                f"require_certificate {str(self.require_certificate).lower()}",
                "allow_anonymous false", f"password_file {self.passwd}", f"acl_file {self.acl}"]

    def options(self, user: str) -> BrokerOptions:
        """The client options for ``user`` (--ca, --user, --password-file; --cert and
        --key when the broker requires a client certificate)."""
        account = self.accounts[user]
        cert = account.cert if self.require_certificate else None
        return BrokerOptions(self.ca, cert.cert if cert else None, cert.key if cert else None,
                             user, account.password_file)

    def settings(self, host: str, port: int, user: str) -> BrokerSettings:
        options = self.options(user)
        return BrokerSettings(host, port, user, self.accounts[user].password, True,
                              options.ca, options.cert, options.key)
