"""Launching inferences and visualizations, and the live table of the project's jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import panel as pn

from dashboard.session import Session
from dashboard.tabs.job_form import parameter_values, parameter_widgets, set_options
from dashboard.text import plain
from engine.algorithms import registry
from engine.errors import PhyloDashError
from engine.jobs.runner import FINAL, SUCCEEDED
from engine.services.analyses import JobRequest
from engine.storage.records import JobRecord

REFRESH_MS = 2000
JOB_COLUMNS = ["status", "analysis", "algorithm", "parameters", "progress", "duration", "error", "created",
               "id", "analysis_id", "dataset_id", "inference_id"]
BUTTONS = {"cancel": "Cancel", "remove": "Remove", "open": "Open"}


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


class JobsTab:
    """The launch form (choices and parameters from the engine's registry) and the jobs table."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.analysis = pn.widgets.RadioButtonGroup(options=[registry.INFERENCE, registry.VISUALIZATION],
                                                    value=registry.INFERENCE)
        self.algorithm = pn.widgets.Select(label="Algorithm", width=220)
        self.about = pn.pane.Markdown("", width=520)
        self.dataset = pn.widgets.Select(label="Dataset", options={}, width=300)
        self.inference = pn.widgets.Select(label="Tree to draw", options={}, width=300, visible=False,
                                           description="A finished inference of the dataset.")
        self.parameters = pn.Row()
        self.widgets: dict[str, pn.widgets.Widget] = {}
        self._trees: set[str] = set()  # ids of the succeeded inference jobs the tree picker knows
        self.launch = pn.widgets.Button(label="Launch", color="primary", width=120)
        self.message = pn.pane.Markdown("", sizing_mode="stretch_width", name="jobs message")
        self.table = pn.widgets.Tabulator(
            pd.DataFrame(columns=JOB_COLUMNS), disabled=True, show_index=False, sizing_mode="stretch_width",
            buttons=BUTTONS, hidden_columns=["created", "id", "analysis_id", "dataset_id", "inference_id"],
            formatters={"progress": {"type": "progress", "min": 0, "max": 100, "legend": True}},
            pagination="local", page_size=15, sorters=[{"field": "created", "dir": "desc"}])
        self.analysis.param.watch(self._on_analysis, "value")
        self.algorithm.param.watch(self._on_algorithm, "value")
        self.dataset.param.watch(self._on_dataset, "value")
        self.launch.on_click(self._on_launch)
        self.table.on_click(self._on_table_click)
        session.param.watch(self._on_project, ["project", "datasets_changed"])
        self._on_analysis()

    def panel(self) -> pn.viewable.Viewable:
        """The tab's layout."""
        return pn.Column(
            "### Launch a job", self.analysis, pn.Row(self.algorithm, self.dataset, self.inference),
            self.about, self.parameters, self.launch, self.message,
            "### Jobs of the project", self.table, name="Jobs", sizing_mode="stretch_width")

    # -- the form --------------------------------------------------------------------------------

    def _on_analysis(self, *_events: object) -> None:
        kind = self.analysis.value
        self.algorithm.options = registry.names(kind)
        self.algorithm.value = self.algorithm.options[0]
        self.inference.visible = kind == registry.VISUALIZATION
        self._on_algorithm()

    def _on_algorithm(self, *_events: object) -> None:
        algorithm = registry.get(self.algorithm.value)
        self.about.object = plain(algorithm.description)
        self.widgets = parameter_widgets(algorithm)
        self.parameters.objects = list(self.widgets.values())

    async def _on_project(self, *_events: object) -> None:
        if self.session.user is None or not self.session.project:
            return
        datasets = await self.session.run(self.session.service.catalog.datasets, self.session.user,
                                          self.session.project)
        set_options(self.dataset, {f"{d.name} ({d.profile_count:,} profiles)": d.id for d in datasets})
        await self.refresh()

    async def _on_dataset(self, *_events: object) -> None:
        await self._load_inferences()

    async def _load_inferences(self) -> None:
        if self.session.user is None or not self.dataset.value:
            self.inference.options = {}
            return
        inferences = await self.session.run(self.session.service.catalog.inferences, self.session.user,
                                            self.session.project, self.dataset.value)
        set_options(self.inference, {
            f"{r.algorithm} {', '.join(f'{k}={v}' for k, v in r.parameters.items() if v is not None)} "
            f"({r.created[:16].replace('T', ' ')})": r.id for r in reversed(inferences)})

    def request(self) -> JobRequest:
        """The job request the form describes."""
        drawing = self.analysis.value == registry.VISUALIZATION
        return JobRequest(self.analysis.value, self.algorithm.value, self.dataset.value,
                          self.inference.value if drawing else None, parameter_values(self.widgets))

    async def _on_launch(self, _event: object) -> None:
        drawing = self.analysis.value == registry.VISUALIZATION
        if not self.dataset.value or (drawing and not self.inference.value):
            self.message.object = "**Choose a dataset** (and, for a drawing, a finished tree) first."
            return
        try:
            job = await self.session.run(self.session.service.analyses.submit, self.session.user,
                                         self.session.project, self.request())
        except PhyloDashError as error:
            self.message.object = f"**The job was not launched:** {plain(error)}"
            return
        reused = " (an identical earlier result was reused)" if job.reused_from else ""
        self.message.object = f"Launched {plain(job.algorithm)}{reused}."
        await self.refresh()

    # -- the table -------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Reload the project's jobs (the page calls this every two seconds)."""
        if self.session.user is None or not self.session.project:
            return
        try:
            jobs = await self.session.run(self.session.service.analyses.jobs, self.session.user,
                                          self.session.project)
        except PhyloDashError as error:
            self.message.object = f"**{plain(error)}**"
            return
        names = {value: label.rsplit(" (", 1)[0] for label, value in self.dataset.options.items()}
        # Oldest first on the server, so a row keeps its index when jobs are added and a click on a
        # row's button reaches that job; the browser shows them newest first (``sorters``).
        self.table.value = job_rows(jobs[::-1], names)
        trees = {job.id for job in jobs if job.status == SUCCEEDED and job.analysis == registry.INFERENCE}
        if trees != self._trees:  # a tree was finished (or removed): offer it for drawing
            self._trees = trees
            await self._load_inferences()

    async def _on_table_click(self, event: Any) -> None:
        if event.column not in BUTTONS:
            return
        row = self.table.value.iloc[event.row]
        try:
            if event.column == "open":
                self._open(row)
            elif event.column == "cancel":
                await self._stop(row, cancel=True)
            else:
                await self._stop(row, cancel=False)
        except PhyloDashError as error:
            self.message.object = f"**{plain(error)}**"
        await self.refresh()

    def _open(self, row: pd.Series) -> None:
        if row["status"] != SUCCEEDED:
            self.message.object = "Only a job that succeeded has a tree to open."
            return
        if row["analysis"] == registry.INFERENCE:
            self.session.tree = {"dataset_id": row["dataset_id"], "inference_id": row["analysis_id"],
                                 "visualization_id": None}
        else:
            self.session.tree = {"dataset_id": row["dataset_id"], "inference_id": row["inference_id"],
                                 "visualization_id": row["analysis_id"]}

    async def _stop(self, row: pd.Series, *, cancel: bool) -> None:
        finished = row["status"] in FINAL
        if cancel and finished:
            self.message.object = f"That job has already finished ({row['status']})."
            return
        if not cancel and not finished:
            self.message.object = "That job is still running: cancel it first."
            return
        await self.session.run(self.session.service.analyses.delete, self.session.user, self.session.project,
                               row["id"])
        self.message.object = "The job was cancelled." if cancel else "The job was removed from the list."
