"""The tree tab: the tree a finished job made, drawn by :class:`dashboard.tree.view.TreeView`."""

from __future__ import annotations

import logging
from typing import Any

import panel as pn

from dashboard.session import Session
from dashboard.text import plain
from dashboard.tree.view import TreeView
from engine.algorithms import registry
from engine.errors import PhyloDashError

_log = logging.getLogger(__name__)
HELP = ("Open a tree from the **Jobs** tab (the *Open* button of a finished job). An inference opens with "
        "the newest drawing made of it, or a radial layout computed at once.")


class TreeTab:
    """Shows the tree ``session.tree`` names; the page switches to this tab when it changes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.body = pn.Column(pn.pane.Markdown(HELP), name="Tree", sizing_mode="stretch_both")
        session.param.watch(self._on_tree, "tree")

    def panel(self) -> pn.viewable.Viewable:
        """The tab's layout."""
        return self.body

    async def _on_tree(self, _event: object) -> None:
        wanted = self.session.tree
        if wanted is None:
            return
        self.body.objects = [pn.indicators.LoadingSpinner(value=True, size=40, name="loading"),
                             pn.pane.Markdown("Loading the tree...")]
        try:
            view = await self.session.run(self._build, wanted)
        except PhyloDashError as error:
            self.body.objects = [pn.pane.Markdown(f"**The tree could not be opened:** {plain(error)}")]
            return
        except Exception:  # anything else: a sentence on the page, the traceback in the log
            _log.exception("opening tree %s failed", wanted)
            self.body.objects = [pn.pane.Markdown("**The tree could not be opened** because of an error in "
                                                  "the server; it was logged.")]
            return
        self.body.objects = [view.panel()]

    def _build(self, wanted: dict[str, Any]) -> TreeView:
        """Read the dataset, the tree and its layout (the chosen drawing, the newest, or radial now)."""
        service, user, project = self.session.service, self.session.user, self.session.project
        catalog = service.catalog
        dataset_record = catalog.dataset(user, project, wanted["dataset_id"])
        inference_record = catalog.inference(user, project, wanted["dataset_id"], wanted["inference_id"])
        drawing_id = wanted.get("visualization_id")
        if drawing_id is None:
            drawings = catalog.visualizations(user, project, wanted["dataset_id"], wanted["inference_id"])
            drawing_id = drawings[-1].id if drawings else None
        inference = catalog.inference_content(inference_record)
        if drawing_id is None:
            layout = registry.lay_out("radial", inference)
            drawn = "radial layout"
        else:
            drawing = catalog.visualization(user, project, wanted["dataset_id"], wanted["inference_id"],
                                            drawing_id)
            layout = catalog.layout_content(drawing)
            drawn = f"{drawing.algorithm} layout"
        title = f"{dataset_record.name}: {inference_record.algorithm}, {drawn}"
        return TreeView(catalog.dataset_content(dataset_record), inference, layout, title=title)
