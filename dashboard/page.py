"""The whole page: a template with the sign-in first, then the Data, Jobs and Tree tabs.

Its state is one :class:`~dashboard.viewmodels.page.PageState` per browser session; this module
only lays the views out, reads the jobs again as soon as one ends (pushed by the service) and while
jobs run (every :data:`~dashboard.tabs.jobs.REFRESH_MS`), keeps the view in the page's address (Panel's
location, synced with the state's :class:`~dashboard.viewmodels.link.ViewLink`), reloads the page on
sign-out, and has the session of a page whose browser went away discarded at once
(:func:`expire_when_closed`).
"""

from __future__ import annotations

from collections.abc import Callable

import panel as pn
from bokeh.document import Document
from bokeh.events import ConnectionLost
from bokeh.protocol.exceptions import ProtocolError

from dashboard.session import Session
from dashboard.sign_in import sign_in_form
from dashboard.tabs.data import data_tab, project_select
from dashboard.tabs.jobs import REFRESH_MS, jobs_tab
from dashboard.tabs.tree import TreeTab
from dashboard.text import plain
from dashboard.viewmodels.link import ViewLink
from dashboard.viewmodels.page import PageState
from engine.services.root import Service
from engine.storage.records import UserRecord

ABOUT = ("PhyloDash infers trees (goeBURST, MSTreeV2, NJ, dendrograms) from MLST, cgMLST and SNP profiles "
         "and draws them. Upload a dataset in **Data**, launch an inference in **Jobs**, open the finished "
         "tree in **Tree**.")
JOBS_TAB, TREE_TAB = 1, 2


def signed_in_as(user: UserRecord | None) -> str:
    """The sidebar's line about the user (Markdown)."""
    return "" if user is None else f"Signed in as **{plain(user.email)}** ({user.role})"


def expire_when_closed(document: Document) -> None:
    """Have the server discard ``document``'s session as soon as its browser's connection closes (the page
    was reloaded, closed or left), instead of keeping it for Bokeh's unused-session lifetime (15 s, then
    up to a check interval). The page never reconnects to a session (Panel's ``reconnect`` is off), so
    the wait only kept its views (the tree drawn, its tables) in memory while the reloaded page built new
    ones; Bokeh discards an expired session at its next check of unused sessions (``make serve``: every
    2 s), and Panel's collection after it frees the page. Nothing for a document no server serves."""
    context = document.session_context
    if context is None:
        return

    def expire(_event: ConnectionLost) -> None:
        application = context.server_context.application_context
        try:
            session = application.get_session(context.id) if application is not None else None
        except ProtocolError:  # discarded already
            session = None
        if session is not None:
            session.request_expiration()

    document.on_event(ConnectionLost, expire)


class Dashboard:
    """One browser session's page over its own :class:`PageState`."""

    def __init__(self, service: Service, address: str = "") -> None:
        self.model = PageState(session=Session(service, address=address))
        self.session = self.model.session
        self.tree = TreeTab(self.model.tree, self.model.partitions)
        self.tabs = pn.Tabs(data_tab(self.model.projects, self.model.upload),
                            jobs_tab(self.model.form, self.model.jobs), self.tree.panel(), dynamic=False,
                            sizing_mode="stretch_both")
        self.project = project_select(self.model.projects)
        self.who = pn.pane.Markdown(pn.bind(signed_in_as, self.session.param.user), name="signed in as")
        self.sign_out = pn.widgets.Button(label="Sign out", width=120,
                                          visible=self.session.param.user.rx.is_not(None))
        self.body = pn.Column(sign_in_form(self.model.sign_in), sizing_mode="stretch_both")
        self._refresher: pn.io.callbacks.PeriodicCallback | None = None
        self._unfollow: Callable[[], None] | None = None
        self.sign_out.on_click(self._on_sign_out)
        self.session.param.watch(self._on_user, "user")
        self.model.tree.param.watch(self._on_tree, "status")
        self.tabs.param.watch(self._on_tab, "active")
        self.model.tree.param.watch(self._on_saved, "saved")
        if pn.state.location is not None:  # served: the address names the view, and follows it
            pn.state.location.sync(self.model.link, ViewLink.QUERY, on_error=self.model.link.accept)
        if pn.state.curdoc is not None:
            expire_when_closed(pn.state.curdoc)

    def template(self) -> pn.template.BaseTemplate:
        """The page in Panel's FastListTemplate."""
        return pn.template.FastListTemplate(
            title="PhyloDash", sidebar=[pn.pane.Markdown(ABOUT), self.who, self.project, self.sign_out],
            main=[self.body], accent="#2f6f8f", sidebar_width=330)

    def _on_user(self, _event: object) -> None:
        if self.session.user is None:
            return
        self.body.objects = [self.tabs]
        document = pn.state.curdoc
        if self._refresher is None and document is not None:
            self._refresher = pn.state.add_periodic_callback(self.model.jobs.tick, period=REFRESH_MS)
            self._unfollow = self.model.jobs.follow(document.add_next_tick_callback)
            document.on_session_destroyed(lambda _context: self._stop_following())

    def _stop_following(self) -> None:
        if self._refresher is not None:
            self._refresher.stop()
            self._refresher = None
        if self._unfollow is not None:
            self._unfollow()
            self._unfollow = None

    async def _on_tab(self, _event: object) -> None:
        """The Tree tab opened with no tree yet: show the project's newest (the demo's, on a first visit)."""
        if self.tabs.active == TREE_TAB and self.model.tree.status == "closed":
            await self.model.tree.open_newest()

    def _on_tree(self, event: object) -> None:
        if self.model.tree.status == "loading":
            self.tabs.active = TREE_TAB

    def _on_saved(self, _event: object) -> None:
        """A dataset was made of the selection: show the launch form, which offers it."""
        if self.model.tree.saved:
            self.tabs.active = JOBS_TAB

    def _on_sign_out(self, _event: object) -> None:
        """Forget the user and reload the page, so nothing of theirs stays on it."""
        self._stop_following()
        self.model.sign_out()
        self.body.objects = []
        if pn.state.location is not None:
            pn.state.location.reload = True
