"""The AOT compiler's one exception."""

from __future__ import annotations


class AotError(Exception):
    """The module cannot be compiled ahead of time (the message says why); the
    interpreter still runs it."""
