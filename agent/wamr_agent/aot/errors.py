"""The AOT compiler's one exception."""

from __future__ import annotations

from ..agent_err import AgentErr
from ..errors import WamrAgentError


class AotError(WamrAgentError):
    """The module cannot be compiled ahead of time (the message says why, on one
    line); the interpreter still runs it. ``output``: a failed tool's own text
    (printed before the error line, as a build's)."""

    exit_code = 26
    code = AgentErr.NOT_SUPPORTED

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output
