"""One QMP command (QEMU's JSON control protocol) over QEMU's TCP QMP socket."""

from __future__ import annotations

import json
import socket
from typing import Any, cast

from .errors import EmulatorError

__all__ = ["qmp_command"]

QMP_TIMEOUT = 10.0


def qmp_command(port: int, execute: str, timeout: float = QMP_TIMEOUT,
                arguments: dict[str, Any] | None = None) -> Any:
    """Connects, negotiates capabilities, runs ``execute`` (with ``arguments``) and
    returns its "return" value."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            stream = sock.makefile("rwb")
            _reply(stream)  # the greeting
            for command, args in (("qmp_capabilities", None), (execute, arguments)):
                message = {"execute": command, **({"arguments": args} if args else {})}
                stream.write(json.dumps(message).encode() + b"\n")
                stream.flush()
                result = _result(stream, command)
            return result
    except OSError as exc:
        raise EmulatorError(f"QMP {execute!r} on 127.0.0.1:{port} failed: {exc}") from exc


def _result(stream: Any, command: str) -> Any:
    while True:  # events ({"event": ...}) may come before the reply
        reply = _reply(stream)
        if "error" in reply:
            raise EmulatorError(f"QMP {command!r} failed: {reply['error']}")
        if "return" in reply:
            return reply["return"]


def _reply(stream: Any) -> dict[str, Any]:
    line = stream.readline()
    if not line:
        raise EmulatorError("QMP connection closed by QEMU")
    return cast(dict[str, Any], json.loads(line))
