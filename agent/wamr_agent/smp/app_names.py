"""What an app name may be (docs/protocol.md, App names), checked on the host
before a request carries one: 1 to 32 bytes of UTF-8 with no control character
(Unicode category Cc: U+0000-U+001F, U+007F-U+009F; so no NUL). The device
refuses any other name with the same rule (firmware/core/agent/wa_apps_smp.c)."""

from __future__ import annotations

import unicodedata

from ..agent_err import AgentErr
from ..errors import UsageError
from .app_group import NAME_MAX, VERSION_MAX  # bytes of UTF-8: WA_SLOT_NAME_MAX, _VERSION_MAX

__all__ = ["NAME_MAX", "check_app_name", "name_problem", "version_problem"]


def name_problem(name: str) -> str | None:
    """Why ``name`` is not an app name, or None."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if not 0 < size <= NAME_MAX:
        return f"is {size} bytes; a device takes 1 to {NAME_MAX}"
    bad = next((c for c in name if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        return f"contains the control character U+{ord(bad):04X}"
    return None


def version_problem(version: str) -> str | None:
    """Why ``version`` is not an app version a device keeps (``wamr.toml``'s
    ``version``, what an upload carries), or None."""
    try:
        size = len(version.encode("utf-8"))
    except UnicodeEncodeError:
        size = 0
    if not 0 < size <= VERSION_MAX or not version.isprintable():
        return f"must be 1 to {VERSION_MAX} bytes of printable text"
    return None


def check_app_name(name: str) -> str:
    """``name``, or UsageError saying why it is not an app name (nothing is sent; a
    name too long to fit a request: code TOO_LARGE)."""
    problem = name_problem(name)
    if problem is not None:
        shown = repr(name) if len(name) <= 40 else f"{name[:40]!r}..."
        code = AgentErr.TOO_LARGE if "bytes; a device takes" in problem else None
        raise UsageError(f"app name {shown} {problem} (not sent)", code)
    return name
