"""The project picker: the user's projects, the selected one and its datasets; a new project; deleting
a dataset."""

from __future__ import annotations

import pandas as pd
import param

from dashboard.session import SessionModel
from dashboard.text import plain
from engine.errors import PhyloDashError
from engine.services.catalog import PRIVATE, PUBLIC
from engine.storage.records import DatasetRecord, ProjectRecord

DATASET_COLUMNS = ["name", "kind", "profiles", "loci", "isolates", "version of", "created", "id"]


def project_label(project: ProjectRecord) -> str:
    """How the picker names a project: ``Name (visibility)``."""
    return f"{project.name} ({project.visibility})"


def dataset_rows(datasets: list[DatasetRecord]) -> pd.DataFrame:
    """The datasets table: one row per dataset, in the order given; ``version of`` names the dataset a
    version grew from (when it is listed)."""
    names = {d.id: d.name for d in datasets}
    rows = [{"name": d.name, "kind": d.kind, "profiles": d.profile_count, "loci": d.locus_count,
             "isolates": d.isolate_count, "version of": names.get(d.parent_id or "", ""),
             "created": d.created, "id": d.id} for d in datasets]
    return pd.DataFrame(rows, columns=DATASET_COLUMNS)


class ProjectPicker(SessionModel):
    """The project the page shows (for the whole page) and that project's datasets."""

    project = param.Selector(objects={}, default=None, allow_None=True, check_on_set=True, label="Project",
                             doc="The project whose datasets and jobs the page shows (its id).")
    projects = param.List(default=[], item_type=ProjectRecord, precedence=-1,
                          doc="The projects the signed-in user may read.")
    datasets = param.List(default=[], item_type=DatasetRecord, precedence=-1,
                          doc="The selected project's datasets.")
    dataset = param.Selector(objects=[], default=None, allow_None=True, check_on_set=True,
                             doc="The dataset selected in the table (its id), for deleting.")
    new_name = param.String("", label="New project", doc="The name of a project to create.")
    visibility = param.Selector(objects=[PRIVATE, PUBLIC], default=PRIVATE, label="Visibility",
                                doc="private: only members see it; public: every signed-in user may read it.")
    create = param.Event(label="Create project", doc="Create the project named in new_name.")
    delete = param.Event(label="Delete selected dataset",
                         doc="Deletes the dataset with its trees (they stay readable by id through the API).")
    message = param.String("", doc="What the last action did, or why it failed (Markdown).")

    def _init_callbacks(self) -> None:
        self.param.watch(self._on_project, "project")
        self.param.watch(self._on_create, "create")
        self.param.watch(self._on_delete, "delete")

    @param.depends("datasets")
    def rows(self) -> pd.DataFrame:
        """The datasets as the table shows them."""
        return dataset_rows(self.datasets)

    def dataset_names(self) -> dict[str, str]:
        """Name of each dataset of the project, by id."""
        return {d.id: d.name for d in self.datasets}

    async def load(self, select: str | None = None) -> None:
        """Read the user's projects, selecting ``select`` (else the current one, else the first)."""
        user = self.session.user
        if user is None:
            return
        projects = await self.session.run(self.session.service.catalog.projects, user)
        ids = [p.id for p in projects]
        wanted = select or self.project
        chosen = wanted if wanted in ids else (ids[0] if ids else None)
        self.param.project.objects = {project_label(p): p.id for p in projects}
        unchanged = chosen == self.project
        self.param.update(projects=projects, project=chosen)
        if unchanged:  # else _on_project reads the datasets
            await self.refresh()

    async def refresh(self) -> None:
        """Read the selected project's datasets."""
        datasets: list[DatasetRecord] = []
        if self.session.user is not None and self.project:
            datasets = await self.session.run(self.session.service.catalog.datasets, self.session.user,
                                              self.project)
        ids = [d.id for d in datasets]
        self.param.dataset.objects = ids
        self.param.update(datasets=datasets, dataset=self.dataset if self.dataset in ids else None)

    def clear(self) -> None:
        """Forget the projects and datasets (when the user signs out)."""
        self.param.project.objects = {}
        self.param.dataset.objects = []
        self.param.update(project=None, projects=[], datasets=[], dataset=None, new_name="", message="")

    async def _on_project(self, _event: object) -> None:
        await self.refresh()

    async def _on_create(self, _event: object) -> None:
        name = self.new_name.strip()
        try:
            project = await self.session.run(self.session.service.catalog.create_project, self.session.user,
                                             {"name": name, "visibility": self.visibility})
        except PhyloDashError as error:
            self.message = f"**The project was not created:** {plain(error)}"
            return
        self.param.update(new_name="", message=f"Created the project **{plain(project.name)}**.")
        await self.load(select=project.id)

    async def _on_delete(self, _event: object) -> None:
        if not self.dataset:
            self.message = "Select a dataset in the table first."
            return
        try:
            await self.session.run(self.session.service.catalog.delete_dataset, self.session.user,
                                   self.project, self.dataset)
        except PhyloDashError as error:
            self.message = f"**The dataset was not deleted:** {plain(error)}"
            return
        self.message = "The dataset was deleted."
        await self.refresh()
