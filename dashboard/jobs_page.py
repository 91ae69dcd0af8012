"""The jobs page: sign in with an API token; see your projects, their datasets and their jobs.

It calls the same in-process service as the REST API (never HTTP to itself), off the IOLoop, and
refreshes the jobs every two seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pandas as pd
import panel as pn

from engine.analyses import job_view
from engine.errors import PhyloDashError
from engine.service import Service
from engine.store import Record

REFRESH_MS = 2000
_JOB_COLUMNS = ["status", "analysis", "algorithm", "parameters", "progress", "created", "finished",
                "error", "id", "analysis_id"]


class JobsPage:
    """One browser session: sign-in, then the caller's projects, datasets and jobs."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.user: Record | None = None
        self.token = pn.widgets.PasswordInput(label="API token", placeholder="pd_...", width=420)
        self.sign_in = pn.widgets.Button(name="Sign in", button_type="primary", width=120)
        self.message = pn.pane.Markdown("Sign in with the API token `make serve` printed, or one from "
                                        "`python -m api users token EMAIL`.")
        self.project = pn.widgets.Select(label="Project", options={}, width=420, visible=False)
        self.datasets = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False,
                                             sizing_mode="stretch_width", visible=False)
        self.jobs = pn.widgets.Tabulator(pd.DataFrame(columns=_JOB_COLUMNS), disabled=True, show_index=False,
                                         sizing_mode="stretch_width", visible=False, page_size=20,
                                         pagination="local")
        self.sign_in.on_click(self._on_sign_in)
        self.project.param.watch(self._on_project, "value")

    def view(self) -> pn.viewable.Viewable:
        """The page's layout."""
        return pn.Column(
            pn.pane.Markdown("# PhyloDash"),
            pn.Row(self.token, self.sign_in, align="end"),
            self.message,
            self.project,
            pn.pane.Markdown("## Datasets"), self.datasets,
            pn.pane.Markdown("## Jobs"), self.jobs,
            sizing_mode="stretch_width",
        )

    async def _call(self, function: Any, *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)

    async def _on_sign_in(self, _event: object) -> None:
        if await self.sign_in_now():
            pn.state.add_periodic_callback(self.refresh, period=REFRESH_MS)

    async def sign_in_now(self) -> bool:
        """Check the token typed in; on success show the caller's projects and the first one's jobs."""
        user = await self._call(self.service.accounts.by_token, (self.token.value or "").strip())
        if user is None:
            self.message.object = "**That token is not valid** (unknown or revoked). Check it and try again."
            return False
        self.user = user
        self.token.value = ""
        projects = await self._call(self.service.catalog.projects, user)
        self.message.object = (f"Signed in as **{user['email']}** ({user['role']}); "
                               f"{len(projects)} project(s).")
        self.project.options = {f"{p['name']} ({p['visibility']})": p["id"] for p in projects}
        if self.project.value not in self.project.options.values():
            self.project.value = projects[0]["id"] if projects else None
        self.project.visible = self.datasets.visible = self.jobs.visible = True
        await self.refresh()
        return True

    async def _on_project(self, _event: object) -> None:
        await self.refresh()

    async def refresh(self) -> None:
        """Reload the selected project's datasets and jobs."""
        if self.user is None or not self.project.value:
            return
        try:
            datasets = await self._call(self.service.catalog.datasets, self.user, self.project.value)
            jobs = await self._call(self.service.analyses.jobs, self.user, self.project.value)
        except PhyloDashError as error:
            self.message.object = f"**{error}**"
            return
        self.datasets.value = pd.DataFrame(
            [{key: d[key] for key in ("name", "kind", "profiles", "loci", "isolates", "created", "id")}
             for d in datasets], columns=["name", "kind", "profiles", "loci", "isolates", "created", "id"])
        rows = [{**job_view(job), "parameters": str(job["parameters"])} for job in jobs]
        self.jobs.value = pd.DataFrame(rows, columns=_JOB_COLUMNS)

