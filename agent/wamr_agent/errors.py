"""The package's exceptions, one per failure class, each with a CLI exit code.

Library code raises these; the CLI prints ``str(exc)`` as one line and exits
with ``exc.exit_code``. Device- and engine-reported conditions carry the
shared error code (:class:`wamr_agent.agent_err.AgentErr`) as ``code``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .agent_err import AgentErr


class WamrAgentError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code: int = 1
    code: AgentErr = AgentErr.UNKNOWN

    def __init__(self, message: str, code: AgentErr | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class UsageError(WamrAgentError):
    """A command-line value the tool cannot use (an unknown capability, ...)."""

    exit_code = 2
    code = AgentErr.INVALID_ARG


class InputError(WamrAgentError):
    """The input file is missing, unreadable, or not a WebAssembly module."""

    exit_code = 3
    code = AgentErr.MALFORMED


class ValidationError(InputError):
    """The module is not valid WebAssembly (the validator's message)."""


class BoardError(WamrAgentError):
    """Unknown board, malformed profile, or a board below the supported floor."""

    exit_code = 4
    code = AgentErr.NOT_SUPPORTED


class FitError(WamrAgentError):
    """The module does not fit the board's budget (size, memory, features)."""

    exit_code = 5
    code = AgentErr.MEMORY_BUDGET


class LinkError(WamrAgentError):
    """An import is unknown, not granted, or has the wrong signature."""

    exit_code = 6
    code = AgentErr.UNKNOWN_IMPORT


class LoadError(WamrAgentError):
    """The engine refused the module for another reason (heap, unsupported op)."""

    exit_code = 7
    code = AgentErr.LOAD_FAILED


class CallError(WamrAgentError):
    """Missing export or arguments that do not match its signature."""

    exit_code = 8
    code = AgentErr.NO_EXPORT


class Trap(WamrAgentError):
    """The module trapped while running; ``code`` says which trap."""

    exit_code = 9
    code = AgentErr.TRAP_OTHER


class CpuBudgetExceeded(Trap):
    """The call used up its CPU budget (loop iterations + calls)."""

    exit_code = 10
    code = AgentErr.TRAP_CPU_BUDGET


class EmulatorError(WamrAgentError):
    """QEMU or the firmware did not do what the harness needed: start, boot, stop."""

    exit_code = 11
    code = AgentErr.BAD_STATE


class TransportError(WamrAgentError):
    """A link to a device failed: no connection, connection lost, no answer in time."""

    exit_code = 12
    code = AgentErr.UNKNOWN


class SignatureError(WamrAgentError):
    """A bundle's signature, key or module hash does not verify, or it would roll an
    app back to a lower security counter (ota/FORMAT.md)."""

    exit_code = 13
    code = AgentErr.BAD_SIGNATURE


class VerdictError(WamrAgentError):
    """Base of a deploy the device did not confirm (the app lifecycle,
    docs/protocol.md). ``report`` is the deploy's report as a dict (for --json)."""

    def __init__(self, message: str, code: AgentErr | None = None,
                 report: dict[str, Any] | None = None) -> None:
        super().__init__(message, code)
        self.report = report


class Reverted(VerdictError):
    """The device reverted the new version on trial (traps, CPU budget, health,
    cannot start, a reset, an operator's rollback); the previous one runs again."""

    exit_code = 14


class InstallFailed(VerdictError):
    """A first install failed on the device (its trial, or it could not start):
    nothing of that name runs."""

    exit_code = 15


class VerdictTimeout(VerdictError):
    """The device gave no verdict on the version on trial in time."""

    exit_code = 16


class RolloutHalted(WamrAgentError):
    """A rollout stopped by itself: its failures went past ``--max-failures`` (the
    failed devices reverted to their last good version by themselves)."""

    exit_code = 17
    code = AgentErr.BAD_STATE


class RolloutAborted(WamrAgentError):
    """A rollout an operator aborted before it finished."""

    exit_code = 18
    code = AgentErr.BAD_STATE


class ToolchainMissing(WamrAgentError):
    """An app's language has no usable compiler here; the message names the package
    that provides it (docs/app-languages.md)."""

    exit_code = 19
    code = AgentErr.NOT_SUPPORTED


class BuildFailed(WamrAgentError):
    """The compiler refused an app's source. ``output`` holds the compiler's text;
    ``str()`` is one line naming the language and the tool's exit status."""

    exit_code = 20
    code = AgentErr.INVALID_ARG

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class ManifestError(WamrAgentError):
    """An app manifest (``wamr.toml``, docs/app-manifest.md) that cannot be used: not
    TOML, an unknown key, a value of the wrong type or range, or none where one is
    needed."""

    exit_code = 21
    code = AgentErr.INVALID_ARG


class NotRunning(WamrAgentError):
    """A message for an app that is installed but does not run (stopped, disabled,
    reverted, or refused by the device at load)."""

    exit_code = 22
    code = AgentErr.BAD_STATE


class InboxFull(WamrAgentError):
    """The app's inbox has no room for a message: it has not read the earlier ones
    (``msg_read``), docs/device-api.md "Messages"."""

    exit_code = 23
    code = AgentErr.NO_MEMORY
class ConfigRejected(WamrAgentError):
    """The app did not apply its new configuration: its on_config returned non-zero
    or trapped (docs/config.md). The values stay stored on the device."""

    exit_code = 24
    code = AgentErr.BAD_STATE


class ConfigPending(WamrAgentError):
    """The configuration is stored on the device, but the app does not run: it gets
    it when it starts (docs/config.md)."""

    exit_code = 25
    code = AgentErr.BAD_STATE


def _subclasses(cls: type[WamrAgentError]) -> Iterator[type[WamrAgentError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def rebuild(type_name: str, code: str, message: str, exit_code: int) -> WamrAgentError:
    """The exception another process reported by its class name, AgentErr name, message
    and exit code (a gateway's answer, docs/mqtt.md): that class when this package has
    it, else WamrAgentError; with the reported code and exit code either way."""
    cls = next((c for c in _subclasses(WamrAgentError) if c.__name__ == type_name),
               WamrAgentError)
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)  # the classes' own constructors differ in arguments
    exc.code = AgentErr.__members__.get(code, AgentErr.UNKNOWN)
    if exc.exit_code != exit_code:
        exc.exit_code = exit_code
    return exc


EXIT_CODES: dict[str, int] = {
    cls.__name__: cls.exit_code
    for cls in (WamrAgentError, UsageError, InputError, BoardError, FitError, LinkError, LoadError,
                CallError, Trap, CpuBudgetExceeded, EmulatorError, TransportError, SignatureError,
                Reverted, InstallFailed, VerdictTimeout, RolloutHalted, RolloutAborted,
                ToolchainMissing, BuildFailed, ManifestError, NotRunning, InboxFull,
                ConfigRejected, ConfigPending)
}
