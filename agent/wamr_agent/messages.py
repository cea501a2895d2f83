"""Messages to a running app (docs/device-api.md, "Messages"): what one may be, how
the command line spells one, and what a refusal to deliver one raises.

A message is up to :data:`MESSAGE_MAX` bytes. It is delivered when the device has
queued it in the app's inbox (its ``on_message(len)`` runs afterwards). The three
ways a delivery fails each have their own exception and exit code: the app does not
run (:class:`NotRunning`), it exports no ``on_message`` (:class:`CallError`), its
inbox is full (:class:`InboxFull`); an app the device does not have is a
UsageError, as for ``start``."""

from __future__ import annotations

from typing import Final

from .agent_err import AgentErr
from .errors import CallError, InboxFull, NotRunning, UsageError, WamrAgentError

__all__ = ["MESSAGE_MAX", "WHY", "check_message", "delivery_error", "message_bytes"]

MESSAGE_MAX: Final = 256  # bytes (firmware/core/runtime/wa_runtime.h: WA_MSG_MAX)

WHY: dict[AgentErr, str] = {
    AgentErr.BAD_STATE: "it is not running (see `wamr-agent status`)",
    AgentErr.NO_EXPORT: "it exports no on_message, so it takes no messages",
    AgentErr.NO_MEMORY: "its inbox is full: it has not read the earlier messages "
                        "(msg_read); try again",
    AgentErr.TOO_LARGE: f"a message is at most {MESSAGE_MAX} bytes",
}
"""What each refusal of the device means for a message (the SMP group's codes)."""

_CLASSES: dict[AgentErr, type[WamrAgentError]] = {
    AgentErr.BAD_STATE: NotRunning, AgentErr.NO_EXPORT: CallError, AgentErr.NO_MEMORY: InboxFull}


def check_message(data: bytes) -> bytes:
    """``data``, or UsageError (nothing sent) when it is longer than a message."""
    if len(data) > MESSAGE_MAX:
        raise UsageError(f"a message is at most {MESSAGE_MAX} bytes, this one is "
                         f"{len(data)} (not sent)", AgentErr.TOO_LARGE)
    return data


def message_bytes(text: str, as_hex: bool = False) -> bytes:
    """The bytes of a message as the command line gives it: UTF-8 text, or
    (``as_hex``) hex digits (spaces allowed); UsageError when it is not one."""
    try:
        data = bytes.fromhex(text) if as_hex else text.encode("utf-8")
    except (ValueError, UnicodeEncodeError) as exc:
        kind = "hex digits" if as_hex else "UTF-8 text"
        raise UsageError(f"the message is not {kind}: {exc}") from None
    return check_message(data)


def delivery_error(exc: WamrAgentError) -> WamrAgentError:
    """The exception for a device's refusal to deliver a message: its class by the
    refusal's code (see the module docstring), the same text."""
    cls = _CLASSES.get(exc.code)
    return exc if cls is None or isinstance(exc, cls) else cls(str(exc), exc.code)
