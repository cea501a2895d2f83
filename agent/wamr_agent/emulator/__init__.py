"""Emulated boards: the wamr-agent firmware under qemu-system-arm.

:class:`EmulatedBoard` boots a board profile's QEMU machine with the firmware
(built on demand), exposes its console for ``expect``-style tests and its
management UART as a TCP address, and can reset, power-cut and restart it with
its flash kept. :mod:`wamr_agent.pytest_plugin` builds its fixtures on it.
:class:`SimulatedBoard` does the same for boards QEMU cannot emulate (esp32, ...):
the firmware core built as a host process (``make sim``).
"""

from .console import Console
from .errors import EmulatorError, ExpectTimeout, FirmwareBuildError, QemuNotFound
from .firmware import ensure_firmware
from .qemu import BANNER, BOOT_TIMEOUT, INSTALL_HINT, EmulatedBoard, find_qemu
from .simulated import SimulatedBoard

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
