"""The Tree tab: the tree :class:`~dashboard.viewmodels.tree.TreeState` has open, drawn by
:class:`dashboard.tree.view.TreeView` over the state's controls, and the form that computes its cluster
codes (a partition job)."""

from __future__ import annotations

import asyncio
import logging

import panel as pn

from dashboard.tree.linked import LinkedViews
from dashboard.tree.view import TreeView
from dashboard.viewmodels.partitions import PartitionLauncher
from dashboard.viewmodels.tree import TreeState

_log = logging.getLogger(__name__)


class TreeTab:
    """Help, a spinner, a message, or the open tree's view; the page switches to this tab on opening."""

    def __init__(self, tree: TreeState, launcher: PartitionLauncher) -> None:
        self.tree = tree
        self.launcher = pn.Row(
            pn.widgets.TextInput.from_param(launcher.param.thresholds, width=220,
                                            css_classes=["pd-partition-thresholds"]),
            pn.widgets.Button.from_param(launcher.param.launch, width=200, align="end",
                                         css_classes=["pd-partition-launch"]),
            pn.pane.Markdown(launcher.param.message, css_classes=["pd-partition-message"]),
            sizing_mode="stretch_width")
        self.body = pn.Column(pn.pane.Markdown(tree.message), name="Tree", sizing_mode="stretch_both")
        self.linked = LinkedViews(tree)  # the epidemic curve and the map, under the tree
        tree.param.watch(self._on_status, "status")

    def panel(self) -> pn.viewable.Viewable:
        """The tab's layout."""
        return self.body

    async def _on_status(self, _event: object) -> None:
        tree = self.tree
        if tree.status != "open":
            spinner = [pn.indicators.LoadingSpinner(value=True, size=40, label="loading")]
            shown = spinner if tree.status == "loading" else []
            self.body.objects = [*shown, pn.pane.Markdown(tree.message)]
            return
        content, controls = tree.content, tree.controls
        self.body.objects = [pn.indicators.LoadingSpinner(value=True, size=40, label="loading"),
                             pn.pane.Markdown("Drawing the tree...")]
        try:  # geometry, hover text and the figure: in a thread, like every slow step
            view = await asyncio.to_thread(TreeView, content.dataset, content.inference, content.layout,
                                           title=content.title, controls=controls)
        except Exception:
            _log.exception("drawing tree %s failed", content.title)
            view = None
        if tree.content is not content or tree.status != "open":  # another tree was asked for meanwhile
            return
        if view is None:
            self.body.objects = [pn.pane.Markdown(
                "**The tree could not be drawn** because of an error in the server; it was logged.")]
            return
        # --- linked views: the epidemic curve and the map share tree.selection with the tree ---
        self.linked.attach(view)
        self.body.objects = [view.panel(), self.launcher, self.linked.panel()]
