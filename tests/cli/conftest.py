"""The runtime tier needs the compiled cffi binding."""

from __future__ import annotations

import importlib.util

from tests.conftest import need


def pytest_runtest_setup() -> None:
    need(importlib.util.find_spec("wamr_agent.pywamr._wamr") is not None,
         "the compiled runtime binding", "run `make build`")
