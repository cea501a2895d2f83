"""Turns the runtime's (code, message) pairs into the package's exceptions."""

from __future__ import annotations

from typing import Any

from ..agent_err import AgentErr
from ..errors import (
    CallError,
    CpuBudgetExceeded,
    FitError,
    LinkError,
    LoadError,
    Trap,
    ValidationError,
    WamrAgentError,
)
from ._loader import ffi

_BY_CODE: dict[AgentErr, type[WamrAgentError]] = {
    AgentErr.MALFORMED: ValidationError,  # malformed or invalid: the validator refused it
    AgentErr.MODULE_TOO_LARGE: FitError,
    AgentErr.MEMORY_BUDGET: FitError,
    AgentErr.NOT_SUPPORTED: FitError,
    AgentErr.UNKNOWN_IMPORT: LinkError,
    AgentErr.NOT_GRANTED: LinkError,
    AgentErr.IMPORT_TYPE: LinkError,
    AgentErr.NO_EXPORT: CallError,
    AgentErr.ARG_MISMATCH: CallError,
    AgentErr.TRAP_CPU_BUDGET: CpuBudgetExceeded,
}


def error_for(code: int, message: str) -> WamrAgentError:
    """The exception for an agent_err code and the runtime's message."""
    try:
        err = AgentErr(code)
    except ValueError:
        err = AgentErr.UNKNOWN
    cls = _BY_CODE.get(err, Trap if err.is_trap else LoadError)
    return cls(message, err)


def raise_for(err: Any) -> None:
    """Raises the exception a filled ``wa_error_t`` describes."""
    raise error_for(int(err.code), ffi.string(err.message).decode("utf-8", "replace"))
