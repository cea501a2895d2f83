"""What an app name may be (docs/protocol.md, App names), checked on the host
before a request carries one: 1 to 32 bytes of UTF-8 with no control character
(Unicode category Cc: U+0000-U+001F, U+007F-U+009F; so no NUL). The device
refuses any other name with the same rule (firmware/core/agent/wa_apps_smp.c)."""

from __future__ import annotations

import unicodedata

from ..errors import UsageError

NAME_MAX = 32  # bytes of UTF-8, WA_SLOT_NAME_MAX


def name_problem(name: str) -> str | None:
    """Why ``name`` is not an app name, or None."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    if not 0 < size <= NAME_MAX:
        return f"must be 1 to {NAME_MAX} bytes of UTF-8 (it has {size})"
    bad = next((c for c in name if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        return f"contains the control character U+{ord(bad):04X}"
    return None


def check_app_name(name: str) -> str:
    """``name``, or UsageError saying why it is not an app name."""
    problem = name_problem(name)
    if problem is not None:
        raise UsageError(f"app name {name!r} {problem}")
    return name
