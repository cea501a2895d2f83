"""Emulated boards: the wamr-agent firmware under qemu-system-arm.

:class:`EmulatedBoard` boots a board profile's QEMU machine with the firmware
(built on demand), exposes its console for ``expect``-style tests and its
management UART as a TCP address, and can reset, power-cut and restart it with
its flash kept. :mod:`wamr_agent.pytest_plugin` builds its fixtures on it.
:class:`SimulatedBoard` does the same for boards QEMU cannot emulate (esp32, ...):
the firmware core built as a host process (``make sim``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes
from .errors import EmulatorError, ExpectTimeout, FirmwareBuildError, QemuNotFound

if TYPE_CHECKING:
    from .console import Console
    from .firmware import ensure_firmware
    from .qemu import BANNER, BOOT_TIMEOUT, INSTALL_HINT, EmulatedBoard, find_qemu
    from .simulated import SimulatedBoard

# The boards import the SMP client: loaded on first use (wamr_agent._lazy).
__getattr__ = lazy_attributes(__name__, {
    "Console": "console", "ensure_firmware": "firmware", "BANNER": "qemu",
    "BOOT_TIMEOUT": "qemu", "INSTALL_HINT": "qemu", "EmulatedBoard": "qemu",
    "find_qemu": "qemu", "SimulatedBoard": "simulated"})

__all__ = [
    "BANNER",
    "BOOT_TIMEOUT",
    "INSTALL_HINT",
    "Console",
    "EmulatedBoard",
    "EmulatorError",
    "ExpectTimeout",
    "FirmwareBuildError",
    "QemuNotFound",
    "SimulatedBoard",
    "ensure_firmware",
    "find_qemu",
]
