"""The AOT compiler's one exception."""

from __future__ import annotations

from ..agent_err import AgentErr
from ..errors import WamrAgentError


class AotError(WamrAgentError):
    """The module cannot be compiled ahead of time (the message says why); the
    interpreter still runs it."""

    exit_code = 26
    code = AgentErr.NOT_SUPPORTED
