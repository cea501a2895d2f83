"""The Python AgentErr mirror equals the C enum (values from the compiler)."""

from __future__ import annotations

from wamr_agent.agent_err import AgentErr
from wamr_agent.pywamr._loader import lib


def test_every_c_code_is_mirrored_with_the_same_value() -> None:
    c_names = {n for n in dir(lib) if n == "WA_OK" or n.startswith("WA_ERR_")}
    c_names.discard("WA_ERR_COUNT_")
    py_names = {"WA_OK" if m is AgentErr.OK else f"WA_ERR_{m.name}" for m in AgentErr}
    assert c_names == py_names
    for member in AgentErr:
        c_name = "WA_OK" if member is AgentErr.OK else f"WA_ERR_{member.name}"
        assert getattr(lib, c_name) == member.value, c_name


def test_trap_range_matches() -> None:
    traps = {m for m in AgentErr if m.is_trap}
    assert AgentErr.TRAP_CPU_BUDGET in traps
    assert AgentErr.NO_EXPORT not in traps
    assert max(traps) == AgentErr.TRAP_OTHER == lib.WA_ERR_TRAP_OTHER
