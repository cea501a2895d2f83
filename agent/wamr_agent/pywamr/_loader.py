"""Imports the compiled extension, with a clear error when it is not built."""

from __future__ import annotations

from typing import Any

from ..errors import WamrAgentError

try:
    from ._wamr import ffi as _ffi
    from ._wamr import lib as _lib
except ImportError as exc:  # pragma: no cover - exercised only on a broken install
    raise WamrAgentError(
        f"the runtime binding is not built ({exc}); run `make build` or `pip install -e .`"
    ) from exc

ffi: Any = _ffi
lib: Any = _lib
