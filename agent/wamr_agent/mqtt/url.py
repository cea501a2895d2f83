"""Where a client's broker is and how it proves who it is, parsed and checked in one
place for every MQTT client of the package (the gateway, ``--via``, ``devices``):

- the URL, ``mqtt://[user[:pass]@]host[:port]`` (port 1883) or
  ``mqtts://[user[:pass]@]host[:port]`` (TLS, port 8883);
- :class:`BrokerOptions`, what the command line (``--ca``, ``--cert``, ``--key``,
  ``--user``, ``--password-file``) or the gateway's configuration adds to it;
- the password from the URL, else the password file, else ``$WAMR_MQTT_PASSWORD``.

:func:`resolve` makes them one :class:`BrokerSettings` (mqtt/client.py configures
paho from it), or raises a one-line UsageError naming the option.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import UsageError

__all__ = ["CLI_NAMES", "CONFIG_NAMES", "DEFAULT_PORTS", "PASSWORD_ENV", "BrokerOptions",
           "BrokerSettings", "read_password", "resolve"]

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
PASSWORD_ENV = "WAMR_MQTT_PASSWORD"
CLI_NAMES = {"broker": "broker", "ca": "--ca", "cert": "--cert", "key": "--key",
             "username": "--user", "password_file": "--password-file"}
CONFIG_NAMES = {name: repr(name) for name in CLI_NAMES}


@dataclass(frozen=True)
class BrokerSettings:
    """A broker and the client's credentials; ``str()`` is the URL without the password."""

    host: str
    port: int = DEFAULT_PORTS["mqtt"]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca: Path | None = None  # with tls: the CA bundle (None: the system's)
    cert: Path | None = None  # with tls: the client certificate and its key
    key: Path | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerSettings:
        """The URL alone (no options, no password from the environment)."""
        return resolve(url, environ={})

    def __str__(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


@dataclass(frozen=True)
class BrokerOptions:
    """What the command line or a configuration adds to a broker URL."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    username: str | None = None
    password_file: Path | None = None

    def given(self) -> list[str]:
        """The names of the options that are set."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def over(self, base: BrokerOptions) -> BrokerOptions:
        """These options, with ``base``'s where these are not set."""
        return BrokerOptions(**{f.name: getattr(self, f.name) if getattr(self, f.name)
                                is not None else getattr(base, f.name) for f in fields(self)})


@dataclass(frozen=True)
class _Url:
    tls: bool
    host: str
    port: int
    username: str | None
    password: str | None


def _split(url: str, name: str) -> _Url:
    shape = "mqtt[s]://[user[:password]@]host[:port]"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{name} {url!r}: {exc} (expected {shape})") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or \
            parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"{name} {url!r}: expected {shape}")
    return _Url(parts.scheme == "mqtts", parts.hostname, port or DEFAULT_PORTS[parts.scheme],
                unquote(parts.username) if parts.username else None,
                unquote(parts.password) if parts.password else None)


def _file(path: Path | None, name: str) -> Path | None:
    if path is not None and not path.is_file():
        raise UsageError(f"{name} {path}: no such file")
    return path


def read_password(path: Path, name: str = "password file") -> str:
    """The first line of ``path``; UsageError (naming it ``name``) when there is none."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{name} {path}: cannot read it: "
                         f"{getattr(exc, 'strerror', None) or exc}") from None
    password = text.splitlines()[0] if text.strip() else ""
    if not password:
        raise UsageError(f"{name} {path}: the file is empty (the password is its first line)")
    return password


def _username(url: _Url, options: BrokerOptions, names: Mapping[str, str]) -> str | None:
    if url.username and options.username and url.username != options.username:
        raise UsageError(f"the broker URL's user {url.username!r} and {names['username']} "
                         f"{options.username!r} differ: give one of them")
    user = url.username or options.username
    if user is not None and not _utf8(user):
        raise UsageError(f"user name {user!r} is not UTF-8 (MQTT sends it as UTF-8)")
    return user


def _utf8(text: str) -> bool:
    """Whether ``text`` encodes (a command line's bytes that are not UTF-8 arrive as
    lone surrogates)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _password(url: _Url, user: str | None, options: BrokerOptions,
              environ: Mapping[str, str], names: Mapping[str, str]) -> str | None:
    if url.password is not None and options.password_file is not None:
        raise UsageError(f"the broker URL has a password and {names['password_file']} gives "
                         "one: give one of them")
    if user is None:
        if url.password is not None or options.password_file is not None:
            raise UsageError(f"a password needs a user name ({names['username']} NAME, or "
                             "mqtt://NAME@host)")
        return None
    password = url.password
    if password is None and options.password_file is not None:
        password = read_password(options.password_file, names["password_file"])
    password = password if password is not None else environ.get(PASSWORD_ENV) or None
    if password is not None and not _utf8(password):
        raise UsageError("the password is not UTF-8 (MQTT sends it as UTF-8)")
    return password


def _tls_files(tls: bool, options: BrokerOptions,
               names: Mapping[str, str]) -> tuple[Path | None, Path | None, Path | None]:
    given = [names[n] for n in ("ca", "cert", "key") if getattr(options, n) is not None]
    if given and not tls:
        raise UsageError(f"{', '.join(given)}: TLS options need an mqtts:// broker")
    if (options.cert is None) != (options.key is None):
        raise UsageError(f"a client certificate needs both {names['cert']} and {names['key']}")
    return (_file(options.ca, names["ca"]), _file(options.cert, names["cert"]),
            _file(options.key, names["key"]))


def resolve(url: str, options: BrokerOptions | None = None,
            environ: Mapping[str, str] | None = None,
            names: Mapping[str, str] = CLI_NAMES) -> BrokerSettings:
    """The settings for ``url`` with ``options``; ``environ`` (default: the process's)
    gives ``$WAMR_MQTT_PASSWORD``; ``names`` spells the URL (``broker``) and the
    options in errors."""
    opts = options or BrokerOptions()
    parts = _split(url, names["broker"])
    user = _username(parts, opts, names)
    password = _password(parts, user, opts, os.environ if environ is None else environ,
                         names)
    ca, cert, key = _tls_files(parts.tls, opts, names)
    return BrokerSettings(parts.host, parts.port, user, password, parts.tls, ca, cert, key)
