"""One browser session's models, composed: sign-in, projects, upload, job form, jobs, the open tree and
the partition launcher, and the view named in the page's address."""

from __future__ import annotations

from typing import Any

from dashboard.session import SessionModel, part
from dashboard.viewmodels.job_form import JobForm
from dashboard.viewmodels.jobs import JobWatcher
from dashboard.viewmodels.link import MAX_LINK_ROWS, ViewLink, decode_rows, encode_rows
from dashboard.viewmodels.partitions import PartitionLauncher
from dashboard.viewmodels.projects import ProjectPicker
from dashboard.viewmodels.sign_in import SignIn
from dashboard.viewmodels.tree import NO_COLOUR, TreeControls, TreeState
from dashboard.viewmodels.upload import Upload

#: What the tree tab says when a link names a tree the user may not see.
NOT_YOURS = ("**The link names a tree you may not see**, or one that was deleted. Ask its owner to add you "
             "to the project.")


class PageState(SessionModel):
    """Everything one page shows; signing in reads the user's projects (and opens the tree the address
    names), signing out forgets them. The address follows the open tree, its colouring, collapse and
    selection (``link``)."""

    sign_in = part(SignIn, "The sign-in form.")
    projects = part(ProjectPicker, "The project picker and the project's datasets.")
    upload = part(Upload, "A new dataset's upload.")
    tree = part(TreeState, "The open tree.")
    jobs = part(JobWatcher, "The project's jobs.")
    form = part(JobForm, "The launch form.")
    partitions = part(PartitionLauncher, "The form computing cluster codes of the open tree.")
    link = part(ViewLink, "The view named in the page's address.")

    def __init__(self, **params: Any) -> None:
        session = params["session"]
        picker = ProjectPicker(session=session)
        tree = TreeState(session=session, picker=picker)
        jobs = JobWatcher(session=session, picker=picker, tree=tree)
        super().__init__(sign_in=SignIn(session=session), projects=picker,
                         upload=Upload(session=session, picker=picker), tree=tree, jobs=jobs,
                         form=JobForm(session=session, picker=picker, jobs=jobs),
                         partitions=PartitionLauncher(session=session, tree=tree, jobs=jobs), link=ViewLink(),
                         **params)

    def _init_callbacks(self) -> None:
        self.session.param.watch(self._on_user, "user")
        self.tree.param.watch(self._on_tree, "status")
        self.tree.param.watch(self._on_saved, "saved")
        self.tree.selection.param.watch(self._on_selection, "rows")
        self._watched: TreeControls | None = None

    async def _on_user(self, _event: object) -> None:
        if self.session.user is None:
            return
        wanted = {name: getattr(self.link, name) for name in ViewLink.QUERY}
        named = self.link.names_a_tree()
        await self.projects.load(select=wanted["project"] if named else None)
        if named:
            await self.open_link(wanted)

    async def open_link(self, wanted: dict[str, Any]) -> None:
        """Open the tree ``wanted`` names (a snapshot of the link), then colour, collapse and select as
        it says; what does not fit the tree is left as it is."""
        if self.projects.project != wanted["project"]:
            self.tree.param.update(status="failed", message=NOT_YOURS)
            return
        await self.tree.show(wanted["dataset"], wanted["inference"], wanted["drawing"] or None,
                             wanted["partition"] or None)
        controls, content = self.tree.controls, self.tree.content
        if self.tree.status != "open" or controls is None or content is None:
            return
        changes: dict[str, Any] = {}
        if wanted["colour"] in controls.param.colour_by.objects:
            changes["colour_by"] = wanted["colour"]
        if wanted["collapse"] is not None:
            changes["collapse"] = float(wanted["collapse"])
        controls.param.update(changes)
        try:
            rows = decode_rows(wanted["selection"] or "", content.dataset.profiles.size)
        except ValueError:
            rows = []
        if rows:
            self.tree.selection.choose(rows, "url")

    def _on_tree(self, _event: object) -> None:
        tree = self.tree
        if tree.status == "closed":
            self.link.clear()
            return
        if tree.status != "open" or tree.controls is None:
            return
        controls = tree.controls
        if self._watched is not controls:
            controls.param.watch(self._on_controls, ["colour_by", "collapse"])
            self._watched = controls
        self.link.param.update(project=self.projects.project, dataset=tree.dataset_id,
                               inference=tree.inference_id, drawing=tree.visualization_id,
                               partition=tree.content.partition_id if tree.content is not None else None)
        self._on_controls()
        self._on_selection()

    def _on_controls(self, *_events: object) -> None:
        controls = self.tree.controls
        if controls is None:
            return
        self.link.param.update(colour=None if controls.colour_by == NO_COLOUR else controls.colour_by,
                               collapse=controls.collapse or None)

    def _on_selection(self, _event: object = None) -> None:
        rows = self.tree.selection.rows
        if self.tree.status == "open":
            self.link.selection = encode_rows(rows) or None if len(rows) <= MAX_LINK_ROWS else None

    def _on_saved(self, _event: object) -> None:
        """A dataset made of a selection: the launch form offers it."""
        if self.tree.saved and self.tree.saved in self.form.param.dataset.objects.values():
            self.form.dataset = self.tree.saved

    def sign_out(self) -> None:
        """Forget the user, the open tree and the projects."""
        self.tree.close()
        self.session.user = None
        self.projects.clear()



