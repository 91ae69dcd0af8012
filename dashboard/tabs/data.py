"""Projects and datasets: pick or create a project, upload profiles (and isolates), read the report."""

from __future__ import annotations

import pandas as pd
import panel as pn

from dashboard.session import Session
from dashboard.tabs.job_form import set_options
from dashboard.tabs.upload_report import report_markdown
from dashboard.text import plain
from engine.errors import PhyloDashError

DATASET_COLUMNS = ["name", "kind", "profiles", "loci", "isolates", "created", "id"]
FILE_TYPES = ".tsv,.txt,.tab,.csv,.mlst,.profile,.profiles"


class DataTab:
    """The project picker (for the whole page) and the selected project's datasets."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.project = pn.widgets.Select(label="Project", options={}, width=300,
                                         description="The project whose datasets and jobs the page shows.")
        self.new_name = pn.widgets.TextInput(label="New project", placeholder="name", width=300)
        self.new_visibility = pn.widgets.Select(
            label="Visibility", options=["private", "public"], width=140,
            description="private: only members see it; public: every signed-in user may read it.")
        self.create = pn.widgets.Button(label="Create project", width=140, align="end")
        self.datasets = pn.widgets.Tabulator(pd.DataFrame(columns=DATASET_COLUMNS), disabled=True,
                                             show_index=False, sizing_mode="stretch_width", height=220,
                                             selectable=1)
        self.profiles_file = pn.widgets.FileInput(accept=FILE_TYPES)
        self.isolates_file = pn.widgets.FileInput(accept=FILE_TYPES)
        self.dataset_name = pn.widgets.TextInput(label="Dataset name", placeholder="e.g. Campylobacter 2026",
                                                 width=300)
        self.upload = pn.widgets.Button(label="Upload dataset", color="primary", width=160)
        self.delete = pn.widgets.Button(label="Delete selected dataset", color="danger", width=200,
                                        description="Deletes the dataset with its trees (they stay readable "
                                        "by id through the API).")
        self.message = pn.pane.Markdown("", sizing_mode="stretch_width", name="data message")
        self.report = pn.pane.Markdown("", sizing_mode="stretch_width", name="upload report")
        self.create.on_click(self._on_create)
        self.upload.on_click(self._on_upload)
        self.delete.on_click(self._on_delete)
        self.project.param.watch(self._on_project, "value")
        session.param.watch(self._on_user, "user")

    def panel(self) -> pn.viewable.Viewable:
        """The tab's layout."""
        upload = pn.Column(
            "### Upload a dataset",
            pn.pane.Markdown("A profile file (MLST, cgMLST or SNP; tab-separated, first column the ST "
                             "or isolate id) and, optionally, an isolate file with metadata (one row per "
                             "isolate, with an ST column). Drop the files on the buttons or choose them."),
            pn.Row(pn.Column("Profile file", self.profiles_file), pn.Column("Isolate file (optional)",
                                                                            self.isolates_file)),
            self.dataset_name, self.upload, self.report,
        )
        return pn.Column(
            pn.Row(self.new_name, self.new_visibility, self.create),
            "### Datasets of the project", self.datasets, self.delete, self.message, upload,
            name="Data", sizing_mode="stretch_width",
        )

    # -- reactions -------------------------------------------------------------------------------

    async def _on_user(self, _event: object) -> None:
        await self.load_projects()

    async def load_projects(self, select: str | None = None) -> None:
        """Fill the project picker with the user's projects (selecting ``select`` when given)."""
        if self.session.user is None:
            return
        projects = await self.session.run(self.session.service.catalog.projects, self.session.user)
        set_options(self.project, {f"{p.name} ({p.visibility})": p.id for p in projects}, select)
        self.session.project = self.project.value
        await self.refresh()

    async def _on_project(self, _event: object) -> None:
        self.session.project = self.project.value
        self.report.object = ""
        await self.refresh()

    async def refresh(self) -> None:
        """Reload the selected project's datasets."""
        if self.session.user is None or not self.session.project:
            self.datasets.value = pd.DataFrame(columns=DATASET_COLUMNS)
            return
        datasets = await self.session.run(self.session.service.catalog.datasets, self.session.user,
                                          self.session.project)
        rows = [{"name": d.name, "kind": d.kind, "profiles": d.profile_count, "loci": d.locus_count,
                 "isolates": d.isolate_count, "created": d.created, "id": d.id} for d in datasets]
        self.datasets.value = pd.DataFrame(rows, columns=DATASET_COLUMNS)

    async def _on_create(self, _event: object) -> None:
        name = (self.new_name.value or "").strip()
        try:
            project = await self.session.run(self.session.service.catalog.create_project, self.session.user,
                                             {"name": name, "visibility": self.new_visibility.value})
        except PhyloDashError as error:
            self.message.object = f"**The project was not created:** {plain(error)}"
            return
        self.new_name.value = ""
        self.message.object = f"Created the project **{plain(project.name)}**."
        await self.load_projects(select=project.id)

    async def _on_upload(self, _event: object) -> None:
        if not self.profiles_file.value:
            self.report.object = "**Choose a profile file first.**"
            return
        self.upload.disabled = True
        self.report.object = "Reading the files..."
        name = (self.dataset_name.value or "").strip() or self.profiles_file.filename or "dataset"
        try:
            dataset = await self.session.run(
                lambda: self.session.service.catalog.add_dataset(
                    self.session.user, self.session.project, self.profiles_file.value,
                    self.isolates_file.value or None, name=name))
        except PhyloDashError as error:
            self.report.object = f"**The dataset was not stored:** {plain(error)}"
            return
        finally:
            self.upload.disabled = False
        self.report.object = report_markdown(dataset.name, dataset.report)
        self.dataset_name.value = ""
        await self.refresh()
        self.session.param.trigger("datasets_changed")

    async def _on_delete(self, _event: object) -> None:
        rows = self.datasets.selection
        if not rows:
            self.message.object = "Select a dataset in the table first."
            return
        dataset_id = self.datasets.value.iloc[rows[0]]["id"]
        try:
            await self.session.run(self.session.service.catalog.delete_dataset, self.session.user,
                                   self.session.project, dataset_id)
        except PhyloDashError as error:
            self.message.object = f"**The dataset was not deleted:** {plain(error)}"
            return
        self.message.object = "The dataset was deleted."
        await self.refresh()
        self.session.param.trigger("datasets_changed")
