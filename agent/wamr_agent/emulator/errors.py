"""Errors of the emulated-board harness (QEMU, the firmware build, console expects)."""

from __future__ import annotations

from ..errors import EmulatorError

__all__ = ["EmulatorError", "ExpectTimeout", "FirmwareBuildError", "QemuNotFound"]


class QemuNotFound(EmulatorError):
    """qemu-system-arm is not installed (or not on PATH)."""


class FirmwareBuildError(EmulatorError):
    """`make firmware BOARD=<board>` failed or did not produce the ELF."""


class ExpectTimeout(EmulatorError):
    """The console did not show the expected output in time (or QEMU exited first)."""
