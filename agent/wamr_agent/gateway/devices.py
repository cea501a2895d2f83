"""A device as a gateway's worker holds it, and what a deploy job gets of that
worker: the device on its open link (over SMP: :class:`SmpDevice`, opened by
:func:`smp_opener`), the worker's :class:`Turn`, and the :class:`Installer`
that runs deploy jobs (``install``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..access import DeviceAccess
from ..smp.apps import AppClient
from ..smp.framing import Framing
from ..smp.link import DEFAULT_BAUDRATE, SmpLink

LINK_TIMEOUT = 5.0


class Interrupted(Exception):
    """The worker was asked to stop during a deploy job."""


class LinkedDevice(DeviceAccess, Protocol):
    """A device on an open link, which ``close`` closes."""

    def close(self) -> None: ...


class SmpDevice(AppClient):
    """The device over its SMP link (``smp``: a deploy sets its framing)."""

    def __init__(self, link: SmpLink) -> None:
        super().__init__(link)
        self.smp = link

    def close(self) -> None:
        self.smp.close()


@dataclass(frozen=True)
class Turn:
    """What a deploy job gets of the worker: the device (its link opened if need be;
    SmpLinkError), ``pause`` (wait, serving commands meanwhile) and ``check`` (raise
    Interrupted when the worker is asked to stop)."""

    device: Callable[[], LinkedDevice]
    pause: Callable[[float], None]
    check: Callable[[], None]


class Installer(Protocol):
    """Runs a deploy job's device phase (gateway.install)."""

    def run(self, dev: str, board: str, deploy: str, turn: Turn) -> None: ...


def smp_opener(address: str, baudrate: int = DEFAULT_BAUDRATE) -> Callable[[], LinkedDevice]:
    """Opens the device's SMP link (SmpLinkError when it cannot)."""
    def open_device() -> LinkedDevice:
        return SmpDevice(SmpLink(address, Framing.CONSOLE, timeout=LINK_TIMEOUT,
                                  baudrate=baudrate))
    return open_device
