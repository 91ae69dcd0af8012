"""The Tree tab: the tree :class:`~dashboard.viewmodels.tree.TreeState` has open, drawn by
:class:`dashboard.tree.view.TreeView` over the state's controls and selection.

Layout: the tree view, controls on the left; on the right the figure, the selection bar with its
downloads and *New dataset from selection*, the isolate table, the cluster table, the form that computes
the tree's cluster codes (a partition job) and ``linked``: the epidemic curve and the map
(:class:`~dashboard.tree.linked.LinkedViews`), made once and shown under every tree drawn on figures of
their own (off the page while a tree is read). Each reads and
sets ``tree.selection`` (``TreeState.selection``), the one selection of the tab.
"""

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
        self.view: TreeView | None = None
        self.launcher = pn.Row(
            pn.widgets.TextInput.from_param(launcher.param.thresholds, width=220,
                                            css_classes=["pd-partition-thresholds"]),
            pn.widgets.Button.from_param(launcher.param.launch, width=200, align="end",
                                         css_classes=["pd-partition-launch"]),
            pn.pane.Markdown(launcher.param.message, css_classes=["pd-partition-message"]),
            sizing_mode="stretch_width")
        self.linked = LinkedViews(tree)  # the epidemic curve and the map, under the tree
        self.content = pn.Column(pn.pane.Markdown(tree.message), sizing_mode="stretch_width")
        self.body = pn.Column(self.content, name="Tree", sizing_mode="stretch_both")
        self.subset_name = pn.widgets.TextInput.from_param(
            tree.param.subset_name, placeholder="new dataset name", width=200, name="", description=None,
            css_classes=["pd-tree-subset-name"])
        self.save_subset = pn.widgets.Button.from_param(tree.param.save_subset, width=200,
                                                        css_classes=["pd-tree-save-subset"])
        self.subset_message = pn.pane.Markdown(tree.param.subset_message, sizing_mode="stretch_width",
                                               css_classes=["pd-tree-subset-message"])
        tree.param.watch(self._on_status, "status")

    def panel(self) -> pn.viewable.Viewable:
        """The tab's layout."""
        return self.body

    def _replace_view(self, view: TreeView | None) -> None:
        """Show ``view`` from now on; the view shown before stops following the shared selection."""
        if self.view is not None:
            self.view.close()
        self.view = view

    async def _on_status(self, _event: object) -> None:
        tree = self.tree
        if tree.status != "open":
            self._replace_view(None)
            spinner = [pn.indicators.LoadingSpinner(value=True, size=40, label="loading")]
            shown = spinner if tree.status == "loading" else []
            self.content.objects = [*shown, pn.pane.Markdown(tree.message)]
            return
        content, controls = tree.content, tree.controls
        self.content.objects = [pn.indicators.LoadingSpinner(value=True, size=40, label="loading"),
                                pn.pane.Markdown("Drawing the tree...")]
        try:  # geometry, hover text and the figure: in a thread, like every slow step
            view = await asyncio.to_thread(TreeView, content.dataset, content.inference, content.layout,
                                           title=content.title, controls=controls, selection=tree.selection)
        except Exception:
            _log.exception("drawing tree %s failed", content.title)
            view = None
        if tree.content is not content or tree.status != "open":  # another tree was asked for meanwhile
            if view is not None:
                view.close()
            return
        self._replace_view(view)
        if view is None:
            self.content.objects = [pn.pane.Markdown(
                "**The tree could not be drawn** because of an error in the server; it was logged.")]
            return
        below = pn.Column(self.launcher, self.linked.panel(), sizing_mode="stretch_width")
        self.content.objects = [view.panel(self.subset_name, self.save_subset, self.subset_message,
                                           below=below)]
