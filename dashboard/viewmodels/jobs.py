"""The job watcher: the selected project's jobs as records and table rows, and what can be done to one
(cancel it, remove it from the list, open its tree)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import param

from dashboard.session import SessionModel, part
from dashboard.text import plain
from dashboard.viewmodels.projects import ProjectPicker
from dashboard.viewmodels.tree import TreeState
from engine.algorithms import registry
from engine.errors import PhyloDashError
from engine.jobs.runner import FINAL, SUCCEEDED
from engine.services.surveillance import PARTITION
from engine.storage.records import JobRecord

JOB_COLUMNS = ["status", "analysis", "algorithm", "parameters", "progress", "duration", "error", "created",
               "id", "analysis_id", "dataset_id", "inference_id"]
#: Without a running job, the page's timer reads the jobs this often (seconds), so that jobs launched
#: elsewhere (the API, another page) appear while they run; a job's end is told at once by
#: :meth:`JobWatcher.follow`.
IDLE_SECONDS = 1.0
#: The actions on one job, as the events of :class:`JobWatcher` are named.
ACTIONS = ("cancel", "remove", "open")


def duration(job: JobRecord, now: datetime | None = None) -> str:
    """How long the job ran (or has been running): ``"2.4 s"``, ``"3 min 5 s"``; "" before it started."""
    if not job.started:
        return ""
    started = datetime.fromisoformat(job.started.replace("Z", "+00:00"))
    ended = datetime.fromisoformat(job.finished.replace("Z", "+00:00")) if job.finished else (
        now or datetime.now(UTC))
    seconds = max(0.0, (ended - started).total_seconds())
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


def job_rows(jobs: list[JobRecord], names: dict[str, str]) -> pd.DataFrame:
    """The jobs table: one row per job, in the order given; ``names`` maps dataset ids to their names."""
    rows = []
    for job in jobs:
        options = ", ".join(f"{k}={v}" for k, v in job.options.items() if v is not None)
        rows.append({
            "status": job.status, "analysis": job.analysis, "algorithm": job.algorithm,
            "parameters": f"{names.get(job.dataset_id, job.dataset_id)}; {options}".rstrip("; "),
            "progress": round(100 * float(job.progress)), "duration": duration(job),
            "error": job.error or "", "created": job.created, "id": job.id,
            "analysis_id": job.analysis_id, "dataset_id": job.dataset_id,
            "inference_id": job.inference_id or "",
        })
    return pd.DataFrame(rows, columns=JOB_COLUMNS)


class JobWatcher(SessionModel):
    """The picker's project's jobs; set ``job`` and an action event to act on one."""

    jobs = param.List(default=[], item_type=JobRecord, precedence=-1,
                      doc="The project's listed jobs, oldest first (a row keeps its index as jobs come).")
    trees = param.List(default=[], item_type=str, precedence=-1,
                       doc="Ids of the succeeded inference jobs; changes when a tree is finished or removed.")
    job = param.String(default=None, allow_None=True, doc="The job the actions act on (its id).")
    refresh = param.Event(doc="Read the jobs again (the page does when a job ends, and while jobs run).")
    cancel = param.Event(label="Cancel", doc="Cancel the queued or running job.")
    remove = param.Event(label="Remove", doc="Remove the finished job from the list (its result stays).")
    open = param.Event(label="Open", doc="Open the tree the succeeded job made.")
    message = param.String("", doc="What the last action did, or why it failed (Markdown).")

    picker = part(ProjectPicker, "The project whose jobs these are.")
    _loaded_at = 0.0  # when the jobs were last read (time.monotonic())
    tree = part(TreeState, "Where an opened job's tree goes.")

    def _init_callbacks(self) -> None:
        self.param.watch(self._on_refresh, "refresh")
        self.param.watch(self._on_action, list(ACTIONS))
        self.picker.param.watch(self._on_refresh, "project")

    @param.depends("jobs", "picker.datasets")
    def rows(self) -> pd.DataFrame:
        """The jobs as the table shows them (dataset names from the picker)."""
        return job_rows(self.jobs, self.picker.dataset_names())

    @property
    def active(self) -> bool:
        """Whether a listed job is queued or running (its progress is worth following)."""
        return any(job.status not in FINAL for job in self.jobs)

    async def tick(self) -> None:
        """The page's timer: read the jobs while one is queued or running (to show its progress),
        else once every :data:`IDLE_SECONDS`."""
        if self.active or time.monotonic() - self._loaded_at >= IDLE_SECONDS:
            await self.load()

    def follow(self, schedule: Callable[[Callable[[], Awaitable[None]]], object]) -> Callable[[], None]:
        """Reload the jobs as soon as a job of the picked project ends, whoever launched it.

        The service tells of a job's end on a thread of its own: ``schedule`` is given :meth:`load`
        to run on the page's event loop (a Bokeh document's ``add_next_tick_callback``, which may be
        called from any thread). Returns the function that stops following.
        """

        def on_end(job: JobRecord) -> None:
            if self.session.user is not None and job.project_id == self.picker.project:
                schedule(self.load)

        return self.session.service.analyses.subscribe(on_end)

    def find(self, job_id: str | None) -> JobRecord | None:
        """The listed job ``job_id``, or None."""
        return next((job for job in self.jobs if job.id == job_id), None)

    async def _on_refresh(self, _event: object) -> None:
        await self.load()

    async def load(self) -> None:
        """Read the project's jobs (no project: none)."""
        jobs: list[JobRecord] = []
        if self.session.user is not None and self.picker.project:
            try:
                jobs = await self.session.run(self.session.service.analyses.jobs, self.session.user,
                                              self.picker.project)
            except PhyloDashError as error:
                self.message = f"**{plain(error)}**"
                return
        self._loaded_at = time.monotonic()
        trees = sorted(job.id for job in jobs
                       if job.status == SUCCEEDED and job.analysis == registry.INFERENCE)
        self.jobs = jobs[::-1]  # the service lists newest first
        if trees != self.trees:
            self.trees = trees

    async def _on_action(self, event: Any) -> None:
        job = self.find(self.job)
        if job is None:
            self.message = "That job is no longer listed."
            return
        try:
            if event.name == "open":
                await self._open(job)
                return
            await self._stop(job, cancel=event.name == "cancel")
        except PhyloDashError as error:
            self.message = f"**{plain(error)}**"
        await self.load()

    async def _open(self, job: JobRecord) -> None:
        if job.status != SUCCEEDED:
            self.message = "Only a job that succeeded has a tree to open."
            return
        if job.analysis == registry.INFERENCE:
            await self.tree.show(job.dataset_id, job.analysis_id)
        elif job.analysis == PARTITION:
            await self.tree.show(job.dataset_id, job.inference_id or "", partition_id=job.analysis_id)
        else:
            await self.tree.show(job.dataset_id, job.inference_id or "", job.analysis_id)

    async def _stop(self, job: JobRecord, *, cancel: bool) -> None:
        finished = job.status in FINAL
        if cancel and finished:
            self.message = f"That job has already finished ({job.status})."
            return
        if not cancel and not finished:
            self.message = "That job is still running: cancel it first."
            return
        await self.session.run(self.session.service.analyses.delete, self.session.user, self.picker.project,
                               job.id)
        self.message = "The job was cancelled." if cancel else "The job was removed from the list."

