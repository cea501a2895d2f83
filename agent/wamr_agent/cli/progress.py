"""The deploy's progress on stderr (rich): the upload bar (bytes, rate, ETA), then
the trial line (``trial: 4/10 loop rounds, 0/0 traps, 0.8/2.0 s``) while the
device decides. Through a gateway, first a bar of the bytes the gateway took, and
a line for each phase of its deploy job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from ..remote_deploy import Followers
from ..smp.app_results import AppStatus
from ..targets import Target

PHASES: dict[str, str] = {  # a job's phases with a line of their own
    "queued": "gateway: all bytes in, SHA-256 verified; queued for the device",
    "checking": "gateway: checking (for the device's board, then against the device)",
    "uploading": "gateway: uploading to the device",
}


class _UploadOnly(ProgressColumn):
    """A column shown for the upload task only (bytes make no sense for a trial)."""

    def __init__(self, column: ProgressColumn) -> None:
        super().__init__()
        self.column = column

    def render(self, task: Task) -> Any:
        return Text("") if task.fields.get("trial") else self.column.render(task)


class _Progress(Progress):
    """A Progress that leaves nothing behind when it drew nothing: on a stderr that is
    not a terminal (a CI log) rich ends with the empty display, a blank line before
    the one line of an error found before the upload."""

    def stop(self) -> None:
        if self.tasks:
            super().stop()
        else:
            self.live.stop()


class DeployProgress:
    """Callbacks for :func:`wamr_agent.deploy.deploy`: ``progress`` (upload bytes),
    ``on_target`` and ``on_status`` (the trial), drawing on one rich Progress."""

    def __init__(self, bar: Progress, console: Console) -> None:
        self.bar, self.console = bar, console
        self.tasks: dict[str, Any] = {}  # each line appears with its first figures
        self.uploaded = False  # the device has the whole module (its trial may run)

    def _task(self, key: str, total: float | None) -> Any:
        if key not in self.tasks:
            self.tasks[key] = self.bar.add_task(key, total=total, trial=key == "trial")
        return self.tasks[key]

    def progress(self, sent: int, total: int) -> None:
        self.bar.update(self._task("upload", total), completed=sent, total=total)
        self.uploaded = sent >= total

    def on_target(self, target: Target) -> None:
        self.console.print(f"target: {target.description}")

    def to_gateway(self, sent: int, total: int) -> None:
        self.bar.update(self._task("to gateway", total), completed=sent, total=total)

    def on_phase(self, phase: str) -> None:
        if phase in PHASES:
            self.console.print(PHASES[phase])

    def followers(self) -> Followers:
        """These callbacks for a deploy through a gateway."""
        return Followers(lambda via: self.console.print(f"target: {via}"), self.to_gateway,
                         self.on_phase, self.progress, self.on_status)

    def on_status(self, status: AppStatus) -> None:
        t = status.trial
        if status.life is None:
            return  # a device without the app lifecycle: nothing to show
        text = f"trial: {t.describe() if t is not None else status.life}"
        total = max(t.need_loops, 1) if t is not None else 1
        self.bar.update(self._task("trial", total), description=text, total=total,
                        completed=min(t.loops, total) if t is not None else 0)


def with_progress(run: Callable[[DeployProgress], Any]) -> Any:
    """Runs a deploy with its progress lines on stderr."""
    console = Console(stderr=True)
    columns = (BarColumn(), _UploadOnly(DownloadColumn()), _UploadOnly(TransferSpeedColumn()),
               _UploadOnly(TimeRemainingColumn()))
    with _Progress("[progress.description]{task.description}", *columns,
                   console=console) as bar:
        return run(DeployProgress(bar, console))
