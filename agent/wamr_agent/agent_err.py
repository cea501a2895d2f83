"""Mirror of the firmware's ``enum agent_err`` (firmware/core/runtime/wa_err.h).

tests/runtime/test_agent_err.py compares every member with the C enum through
the cffi binding, so the two cannot drift apart.
"""

from __future__ import annotations

from enum import IntEnum


class AgentErr(IntEnum):
    OK = 0
    UNKNOWN = 1
    NO_MEMORY = 2
    INVALID_ARG = 3
    NOT_FOUND = 4
    NOT_SUPPORTED = 5
    BAD_STATE = 6
    TOO_LARGE = 7
    DENIED = 8
    NACK = 9
    IO = 10
    NO_SPACE = 11

    MALFORMED = 16
    MODULE_TOO_LARGE = 17
    MEMORY_BUDGET = 18
    UNKNOWN_IMPORT = 19
    NOT_GRANTED = 20
    IMPORT_TYPE = 21
    NO_EXPORT = 22
    ARG_MISMATCH = 23
    LOAD_FAILED = 24

    TRAP_UNREACHABLE = 32
    TRAP_OUT_OF_BOUNDS = 33
    TRAP_DIV_BY_ZERO = 34
    TRAP_INT_OVERFLOW = 35
    TRAP_CONVERSION = 36
    TRAP_INDIRECT_CALL = 37
    TRAP_STACK_OVERFLOW = 38
    TRAP_CPU_BUDGET = 39
    TRAP_EXIT = 40
    TRAP_HOST = 41
    TRAP_OTHER = 42

    BAD_SIGNATURE = 48
    UNTRUSTED_KEY = 49
    WRONG_BOARD = 50
    ROLLBACK = 51
    UNSIGNED = 52

    @property
    def is_trap(self) -> bool:
        return AgentErr.TRAP_UNREACHABLE <= self <= AgentErr.TRAP_OTHER
