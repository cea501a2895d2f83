"""What every message model of the wasm-app group (SMP group 64) shares: the group
and command ids, the tolerant response bases and the group's two error forms.
Schemas only, no I/O; the commands are in ``app_management`` (upload, list,
start, stop, remove, confirm, rollback, send), ``app_status`` (status, logs) and
``app_config`` (config set, config get).

Responses ignore keys they do not know, so a host keeps working with a newer
firmware that adds some. They never accept ``err`` or a non-zero ``rc``, though:
a client that tries the success model first (as ``smpclient.SMPClient.request``
does) must not mistake an error answer for an empty success.

The group's error enum is :class:`~wamr_agent.agent_err.AgentErr` itself, the
one enum the firmware and the host share, not a copy of it. (``smp``'s own
``UserGroupId`` calls group 64 ``INTERCREATE``, another vendor's group: decoded
headers show that name for our group; only the number goes on the wire.)
"""

from __future__ import annotations

from enum import IntEnum, unique
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator
from smp import error, message

from ..agent_err import AgentErr

GROUP_ID: Final = 64
# the device's limits on the upload's texts, in UTF-8 bytes (docs/protocol.md,
# "Upload"; firmware/core/agent/wa_store.h: WA_SLOT_NAME_MAX, _DEPLOY_MAX, _VERSION_MAX)
NAME_MAX: Final = 32
DEPLOY_MAX: Final = 32
VERSION_MAX: Final = 16

Uint = Annotated[int, Field(ge=0)]


@unique
class CommandId(IntEnum):
    UPLOAD = 0
    LIST = 1
    START = 2
    STOP = 3
    REMOVE = 4
    STATUS = 5
    LOGS = 6
    CONFIRM = 7
    ROLLBACK = 8
    SEND = 9
    CONFIG_SET = 10
    CONFIG_GET = 11


def version_key(data: Any) -> Any:
    """The app's ``version`` key goes to ``app_version``: ``version`` is taken by
    ``smp``'s messages for the SMP protocol version (an int, never a str)."""
    if isinstance(data, dict) and isinstance(data.get("version"), str):
        return {**{k: v for k, v in data.items() if k != "version"},
                "app_version": data["version"]}
    return data


def _refuse_error_bodies(data: Any) -> Any:
    if isinstance(data, dict) and ("err" in data or data.get("rc", 0) != 0):
        raise ValueError("an error answer, not a success response")
    return data


RESPONSE_CONFIG = ConfigDict(extra="ignore", frozen=True)


class Tolerant(BaseModel):
    """A map inside a response: unknown keys are ignored."""

    model_config = RESPONSE_CONFIG


class _GroupResponse(message.Response):
    """Mixed into every response of the group; see the module docstring."""

    _GROUP_ID = GROUP_ID

    @model_validator(mode="before")
    @classmethod
    def _not_an_error(cls, data: Any) -> Any:
        return _refuse_error_bodies(data)


class ReadResponse(_GroupResponse, message.ReadResponse):
    # set here, not on _GroupResponse: of several bases, pydantic keeps the config of
    # the last (smp's, which forbids unknown keys)
    model_config = RESPONSE_CONFIG


class WriteResponse(_GroupResponse, message.WriteResponse):
    model_config = RESPONSE_CONFIG


class AppManagementErrorV1(error.ErrorV1):
    """The management layer's ``{"rc": N}`` (``smp.error.MGMT_ERR``)."""

    _GROUP_ID = GROUP_ID


class AppManagementErrorV2(error.ErrorV2[AgentErr]):
    """The group's ``{"err": {"group": 64, "rc": N}}``, N an AgentErr."""

    _GROUP_ID = GROUP_ID
