"""One browser session's models, composed: sign-in, projects, upload, job form, jobs, the open tree and
the partition launcher."""

from __future__ import annotations

from typing import Any

from dashboard.session import SessionModel, part
from dashboard.viewmodels.job_form import JobForm
from dashboard.viewmodels.jobs import JobWatcher
from dashboard.viewmodels.partitions import PartitionLauncher
from dashboard.viewmodels.projects import ProjectPicker
from dashboard.viewmodels.sign_in import SignIn
from dashboard.viewmodels.tree import TreeState
from dashboard.viewmodels.upload import Upload


class PageState(SessionModel):
    """Everything one page shows; signing in reads the user's projects, signing out forgets them."""

    sign_in = part(SignIn, "The sign-in form.")
    projects = part(ProjectPicker, "The project picker and the project's datasets.")
    upload = part(Upload, "A new dataset's upload.")
    tree = part(TreeState, "The open tree.")
    jobs = part(JobWatcher, "The project's jobs.")
    form = part(JobForm, "The launch form.")
    partitions = part(PartitionLauncher, "The form computing cluster codes of the open tree.")

    def __init__(self, **params: Any) -> None:
        session = params["session"]
        picker = ProjectPicker(session=session)
        tree = TreeState(session=session, picker=picker)
        jobs = JobWatcher(session=session, picker=picker, tree=tree)
        super().__init__(sign_in=SignIn(session=session), projects=picker,
                         upload=Upload(session=session, picker=picker), tree=tree, jobs=jobs,
                         form=JobForm(session=session, picker=picker, jobs=jobs),
                         partitions=PartitionLauncher(session=session, tree=tree, jobs=jobs), **params)

    def _init_callbacks(self) -> None:
        self.session.param.watch(self._on_user, "user")

    async def _on_user(self, _event: object) -> None:
        if self.session.user is not None:
            await self.projects.load()

    def sign_out(self) -> None:
        """Forget the user, the open tree and the projects."""
        self.tree.close()
        self.session.user = None
        self.projects.clear()
