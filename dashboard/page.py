"""The whole page: a template with the sign-in first, then the Data, Jobs and Tree tabs."""

from __future__ import annotations

import panel as pn

from dashboard.session import Session
from dashboard.sign_in import SignIn
from dashboard.tabs.data import DataTab
from dashboard.tabs.jobs import REFRESH_MS, JobsTab
from dashboard.tabs.tree import TreeTab
from dashboard.text import plain
from engine.services.root import Service

ABOUT = ("PhyloDash infers goeBURST trees from MLST, cgMLST and SNP profiles and draws them. Upload a "
         "dataset in **Data**, launch an inference in **Jobs**, open the finished tree in **Tree**.")
TREE_TAB = 2


class Dashboard:
    """One browser session's page."""

    def __init__(self, service: Service) -> None:
        self.session = Session(service)
        self.sign_in = SignIn(self.session)
        self.data = DataTab(self.session)
        self.jobs = JobsTab(self.session)
        self.tree = TreeTab(self.session)
        self.tabs = pn.Tabs(self.data.panel(), self.jobs.panel(), self.tree.panel(), dynamic=False,
                            sizing_mode="stretch_both")
        self.who = pn.pane.Markdown("", name="signed in as")
        self.sign_out = pn.widgets.Button(label="Sign out", visible=False, width=120)
        self.body = pn.Column(self.sign_in.panel(), sizing_mode="stretch_both")
        self.sign_out.on_click(self._on_sign_out)
        self.session.param.watch(self._on_user, "user")
        self.session.param.watch(self._on_tree, "tree")
        self._refresher: pn.io.callbacks.PeriodicCallback | None = None

    def template(self) -> pn.template.BaseTemplate:
        """The page in Panel's FastListTemplate."""
        return pn.template.FastListTemplate(
            title="PhyloDash", sidebar=[pn.pane.Markdown(ABOUT), self.who, self.data.project, self.sign_out],
            main=[self.body], accent="#2f6f8f", sidebar_width=330)

    async def _on_user(self, _event: object) -> None:
        user = self.session.user
        if user is None:
            return
        self.who.object = f"Signed in as **{plain(user.email)}** ({user.role})"
        self.sign_out.visible = True
        self.body.objects = [self.tabs]
        if self._refresher is None and pn.state.curdoc is not None:
            self._refresher = pn.state.add_periodic_callback(self.jobs.refresh, period=REFRESH_MS)

    def _on_tree(self, _event: object) -> None:
        self.tabs.active = TREE_TAB

    def _on_sign_out(self, _event: object) -> None:
        """Forget the user and reload the page, so nothing of theirs stays on it."""
        if self._refresher is not None:
            self._refresher.stop()
            self._refresher = None
        self.session.tree = None
        self.session.user = None
        self.session.project = None
        self.body.objects = []
        if pn.state.location is not None:
            pn.state.location.reload = True
