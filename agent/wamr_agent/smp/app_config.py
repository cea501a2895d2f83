"""The wasm-app group's config set (10) and config get (11) messages: an app's
configuration pushed from the fleet (docs/config.md). Schemas only, no I/O.

The desired version travels as ``desired``: ``version`` is taken by ``smp``'s
messages for the SMP protocol version.
"""

from __future__ import annotations

from pydantic import Field
from smp import message

from .app_group import GROUP_ID, CommandId, ReadResponse, Uint, WriteResponse


class ConfigSetWriteRequest(message.WriteRequest):
    """Changes app ``name``'s configuration as version ``desired`` (above the device's:
    a version it has already is a retry, and stores nothing). ``set`` is a JSON merge
    patch (RFC 7386): a text value sets the key, None (CBOR null) deletes it, keys not
    named stay."""

    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.CONFIG_SET

    name: str
    desired: int = Field(ge=1, lt=1 << 31)  # on_config(version) takes an i32
    set: dict[str, str | None]


class _ConfigState:
    desired: Uint
    """The desired version the device holds (0: none)."""
    applied: Uint = 0
    """The version the running app applied last (0: none since it started)."""
    status: Uint = 0
    """An index into ``wamr_agent.app_config.STATUSES`` (``enum wa_config_status``):
    none, applied, pending (the app does not run),
    rejected (on_config returned ``code``), trapped (``code``: the trap's AgentErr)."""
    code: int = 0


class ConfigSetWriteResponse(WriteResponse, _ConfigState):
    _COMMAND_ID = CommandId.CONFIG_SET


class ConfigGetReadRequest(message.ReadRequest):
    _GROUP_ID = GROUP_ID
    _COMMAND_ID = CommandId.CONFIG_GET

    name: str


class ConfigGetReadResponse(ReadResponse, _ConfigState):
    _COMMAND_ID = CommandId.CONFIG_GET

    values: dict[str, str] = Field(default_factory=dict)
