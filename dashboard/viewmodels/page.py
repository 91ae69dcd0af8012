"""One browser session's models, composed: sign-in, projects, upload, job form, jobs and the open tree."""

from __future__ import annotations

from typing import Any

import param

from dashboard.session import Session
from dashboard.viewmodels.job_form import JobForm
from dashboard.viewmodels.jobs import JobWatcher
from dashboard.viewmodels.projects import ProjectPicker
from dashboard.viewmodels.sign_in import SignIn
from dashboard.viewmodels.tree import TreeState
from dashboard.viewmodels.upload import Upload


class PageState(param.Parameterized):
    """Everything one page shows; signing in reads the user's projects, signing out forgets them."""

    sign_in = param.ClassSelector(class_=SignIn, constant=True, doc="The sign-in form.")
    projects = param.ClassSelector(class_=ProjectPicker, constant=True,
                                   doc="The project picker and the project's datasets.")
    upload = param.ClassSelector(class_=Upload, constant=True, doc="A new dataset's upload.")
    tree = param.ClassSelector(class_=TreeState, constant=True, doc="The open tree.")
    jobs = param.ClassSelector(class_=JobWatcher, constant=True, doc="The project's jobs.")
    form = param.ClassSelector(class_=JobForm, constant=True, doc="The launch form.")

    def __init__(self, session: Session, **params: Any) -> None:
        picker = ProjectPicker(session)
        tree = TreeState(session, picker)
        jobs = JobWatcher(session, picker, tree)
        super().__init__(sign_in=SignIn(session), projects=picker, upload=Upload(session, picker), tree=tree,
                         jobs=jobs, form=JobForm(session, picker, jobs), **params)
        self.session = session
        self._init_callbacks()

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
