"""Waiting for the device's verdict on a version it runs on trial.

After an upload that began a trial, the device runs the new version and
confirms it when its health policy holds, or reverts it (a first install:
fails it). :func:`wait_for_verdict` asks the status of the uploaded slot
(``status {name, sha}``) every 0.2 s until ``life`` says which, and returns the
verdict as a value. A version whose policy is ``confirm = "manual"`` stays on
trial until an operator confirms it: the wait ends once its health criteria
hold (``awaiting``). A device without the app lifecycle reports no ``life``:
the wait ends at once (``unknown``). A device that resets during the trial (its
watchdog, a fault) loses the request in flight: the wait opens the link again and
asks again, until its time is up, and gets the verdict the device kept (a reset
on trial reverts the new version).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .app_results import AppStatus, Trial
from .apps import AppClient
from .streams import SmpLinkError

POLL_SECONDS = 0.2
BASE_TIMEOUT = 60.0
"""Seconds to wait for a verdict by default, beyond the policy's time window."""

Outcome = Literal["confirmed", "reverted", "failed", "awaiting", "timeout", "unknown"]
FINAL: tuple[Outcome, ...] = ("confirmed", "reverted", "failed")


@dataclass(frozen=True)
class Verdict:
    """How a wait ended, with the last status read and the last trial figures seen
    (the device drops ``trial`` from the status once it decides)."""

    outcome: Outcome
    status: AppStatus
    trial: Trial | None
    seconds: float  # from the start of the wait to this status
    limit: float  # the wait's timeout, seconds


def outcome_of(status: AppStatus) -> Outcome | None:
    """The verdict a status gives, or None while the wait goes on."""
    if status.life is None:
        return "unknown"
    for final in FINAL:
        if status.life == final:
            return final
    trial = status.trial
    if status.life == "trial" and trial is not None and trial.manual and trial.healthy:
        return "awaiting"
    return None


def time_limit(timeout: float | None, trial: Trial | None) -> float:
    """``timeout``, or by default 60 s plus the policy's window once it is known."""
    if timeout is not None:
        return timeout
    return BASE_TIMEOUT + (trial.window_ms / 1000 if trial is not None else 0.0)


def _reconnect(client: AppClient) -> None:
    """Opens the client's link again: a device whose UART stays connected (an
    emulator, a serial adapter) answers there once it has booted. One that cannot be
    reached at all (the connection refused: its process or adapter is gone) raises
    SmpLinkError: the wait ends with it."""
    reopen = getattr(client.link, "reopen", None)
    if reopen is not None:
        try:
            reopen()
        except OSError as exc:
            raise SmpLinkError(f"{getattr(client.link, 'address', 'the device')}: cannot "
                               f"reconnect: {exc}") from None


def wait_for_verdict(client: AppClient, name: str, sha: bytes, *,
                     timeout: float | None = None,
                     on_status: Callable[[AppStatus], None] | None = None,
                     clock: Callable[[], float] = time.monotonic,
                     sleep: Callable[[float], None] = time.sleep) -> Verdict:
    """Polls the status of app ``name``'s slot holding ``sha`` until the device's
    verdict, or ``timeout`` seconds (None: :func:`time_limit`'s default).
    ``on_status`` sees every status read (a progress display)."""
    began, trial = clock(), None
    while True:
        try:
            status = client.status(name, sha)
        except SmpLinkError:  # a device that reset (watchdog, fault) lost the request
            if clock() - began >= time_limit(timeout, trial):
                raise
            sleep(POLL_SECONDS)
            _reconnect(client)  # a device that is gone (refused) ends the wait here
            continue
        trial = status.trial or trial
        if on_status is not None:
            on_status(status)
        seconds, limit = clock() - began, time_limit(timeout, trial)
        outcome = outcome_of(status) or ("timeout" if seconds >= limit else None)
        if outcome is not None:
            return Verdict(outcome, status, trial, seconds, limit)
        sleep(POLL_SECONDS)
