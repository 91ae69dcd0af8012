"""The tree view: a goeBURST tree drawn with its controls (colours, search, cluster cut, labels, downloads).

Built in-process from engine objects: ``TreeView(dataset, inference, layout, title=..., controls=...)``,
then ``view.panel()``. The controls' values live in a
:class:`~dashboard.viewmodels.tree.TreeControls` (the session's, or new ones for this tree); the
widgets are bound to its parameters and the view redraws the figure in place when they change.
Construction reads every profile and isolate (0.1 s for 15,000 profiles with 40,000 isolates), so
build it in a thread. Every control's update is computed in a thread too and applied on the page's
event loop, one at a time; an update overtaken by a newer one of the same kind is dropped.
"""

from __future__ import annotations

import asyncio
import io
import operator
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
import panel as pn
from param.parameterized import Event

from dashboard.text import plain
from dashboard.tree import export as tree_export
from dashboard.tree.colours import NodeColours, legend_html, plain_colours
from dashboard.tree.figure import GlyphTree
from dashboard.tree.geometry import RULE_GROUPS, RULE_STYLES, tree_geometry
from dashboard.tree.overview import OverviewTree
from dashboard.viewmodels.naming import changes_frame
from dashboard.viewmodels.tree import NODE_LABELS_MAX, TreeControls, colouring
from engine.algorithms import metadata
from engine.algorithms.clusters import cluster_tsv
from engine.algorithms.layouts import side_by_side
from engine.io.formats import TREE_FORMATS
from engine.io.partition_table import partition_tsv
from engine.models import Dataset, Inference, Layout

#: Layouts that place the trees of a forest themselves (the force layout side by side, the grapetree layout
#: in a grid with the singletons in a block); the others are moved apart side by side here.
ARRANGED = frozenset({"force", "grapetree"})
#: From this many nodes on, the tree is a datashaded overview instead of glyphs.
OVERVIEW_MIN_NODES = 50_000
_WIDGET_WIDTH = 280


def _help(widget: pn.viewable.Viewable, text: str) -> pn.Row:
    """``widget`` with a help icon whose tooltip is ``text`` (for widgets without ``description``)."""
    return pn.Row(widget, pn.widgets.TooltipIcon(value=text), align="start")


def _hover_texts(dataset: Dataset) -> list[str]:
    """The metadata summary of every profile for the hover, leaving out identifier columns.

    A column with a different value for every isolate (an isolate id) says nothing about a node.
    """
    isolates = dataset.isolates
    if isolates is None:
        return [""] * dataset.profiles.size
    columns = [name for k, name in enumerate(isolates.columns) if name != isolates.profile_column
               and len({row[k] for row in isolates.rows}) < len(isolates.rows)]
    return metadata.summaries(dataset, columns)


def _matches(found: int, text: str) -> str:
    """The search message: how many nodes match ``text``."""
    if not text.strip():
        return ""
    if not found:
        return "Nothing matches."
    return f"{found} node{'s' if found > 1 else ''} match{'es' if found == 1 else ''}."


class TreeView:
    """A tree with its controls, for one browser session.

    ``controls`` holds what the controls say (new :meth:`TreeControls.for_tree` ones when not given).
    Widgets the page and the browser tests use, bound to those parameters (each has a ``label`` and a CSS
    class ``pd-tree-<attribute>``, underscores as dashes): ``colour_by`` (Select), ``search`` (TextInput),
    ``search_message``, ``node_labels``, ``edge_labels``, ``edge_rules``, ``cut_clusters`` (Checkboxes),
    ``threshold`` (IntSlider), ``clusters`` (Tabulator), ``changes`` (Tabulator: the changes of the
    partition shown, hidden without one), ``downloads`` (FileDownload by label: one per tree format of
    :data:`~engine.io.formats.TREE_FORMATS` (Newick, Nexus, JSON, GraphML), Cluster TSV, Partition TSV,
    PNG, SVG), ``export_message`` and ``legend``. ``canvas`` is the drawing: a
    :class:`~dashboard.tree.figure.GlyphTree` (Bokeh figure named ``tree-figure``) or, from
    :data:`OVERVIEW_MIN_NODES` nodes, an :class:`~dashboard.tree.overview.OverviewTree`.
    """

    def __init__(self, dataset: Dataset, inference: Inference, layout: Layout, *, title: str = "",
                 controls: TreeControls | None = None) -> None:
        if dataset.profiles.size != inference.profile_count:
            raise ValueError(f"the dataset has {dataset.profiles.size} profiles but the tree "
                             f"{inference.profile_count}; they must be the same rows")
        self.dataset, self.inference, self.title = dataset, inference, title
        self.controls = controls if controls is not None else TreeControls.for_tree(dataset, inference)
        placed = layout if layout.algorithm in ARRANGED else side_by_side(layout)
        self.geometry = tree_geometry(inference, placed, dataset.counts)
        nodes = self.geometry.nodes
        if nodes >= OVERVIEW_MIN_NODES:
            self.canvas: GlyphTree | OverviewTree = OverviewTree(self.geometry)
            self.controls.node_labels = False  # the overview has no labels
        else:
            self.canvas = GlyphTree(self.geometry, _hover_texts(dataset),
                                    node_labels=self.controls.node_labels)
        self.colours: NodeColours = plain_colours(nodes)
        self.cluster_labels: np.ndarray | None = None
        self.cluster_threshold = 0
        self._busy = asyncio.Lock()
        self._tickets: dict[str, int] = {}
        self._stem = tree_export.file_stem(title)
        self._build_widgets()

    def _widget(self, kind: type, attribute: str, **options: object) -> pn.widgets.Widget:
        """A ``kind`` widget bound to the control ``attribute``, with the CSS class the tests find it by."""
        return kind.from_param(self.controls.param[attribute],
                               css_classes=[f"pd-tree-{attribute.replace('_', '-')}"], **options)

    def _build_widgets(self) -> None:
        controls = self.controls
        columns = controls.param.colour_by.objects[1:]
        self.colour_by = self._widget(
            pn.widgets.Select, "colour_by", width=_WIDGET_WIDTH, disabled=not columns,
            description="An isolate metadata column. Text columns colour each node by its isolates' values "
                        "(a pie when they differ; the 19 most frequent values, the rest as 'other'); "
                        "number columns colour by the node's mean on a gradient. The cluster cut, when on, "
                        "colours by cluster instead." if columns else "No isolate file was loaded.")
        self.search = self._widget(
            pn.widgets.TextInput, "search", placeholder="ST or metadata value, then Enter",
            width=_WIDGET_WIDTH,
            description="An ST (exact) or any text found in an ST or an isolate's metadata (case ignored). "
                        "Matching nodes get a red ring and the view zooms to them; empty clears.")
        self.search_message = pn.pane.Markdown("", css_classes=["pd-tree-search-message"], margin=(0, 10))
        self.node_labels = self._widget(pn.widgets.Checkbox, "node_labels",
                                        disabled=not self.canvas.labels_supported)
        self.edge_labels = self._widget(pn.widgets.Checkbox, "edge_labels",
                                        disabled=not self.canvas.labels_supported)
        self.edge_rules = self._widget(pn.widgets.Checkbox, "edge_rules")
        self.cut_clusters = self._widget(pn.widgets.Checkbox, "cut_clusters")
        self.threshold = self._widget(pn.widgets.IntSlider, "threshold", step=1, width=_WIDGET_WIDTH - 40,
                                      disabled=pn.bind(operator.not_, controls.param.cut_clusters))
        self.clusters = pn.widgets.Tabulator(pd.DataFrame(), css_classes=["pd-tree-clusters"], disabled=True,
                                             show_index=False, visible=False, pagination="local",
                                             page_size=15, sizing_mode="stretch_width")
        self.changes = pn.widgets.Tabulator(changes_frame(controls.naming), css_classes=["pd-tree-changes"],
                                            disabled=True, show_index=False, pagination="local", page_size=15,
                                            visible=controls.naming is not None, sizing_mode="stretch_width")
        self.legend = pn.pane.HTML("", css_classes=["pd-tree-legend"], width=_WIDGET_WIDTH, margin=(0, 10))
        self.export_message = pn.pane.Markdown("", css_classes=["pd-tree-export-message"])
        self.downloads = self._build_downloads()
        self._init_callbacks()

    def _init_callbacks(self) -> None:
        watch = self.controls.param.watch
        watch(self._on_colours, ["colour_by", "cut_clusters", "threshold"])
        watch(self._on_edge_rules, "edge_rules")
        watch(self._on_edge_labels, "edge_labels")
        watch(lambda event: self.canvas.node_labels(event.new), "node_labels")
        watch(self._on_search, "search")

    def _build_downloads(self) -> dict[str, pn.widgets.FileDownload]:
        downloads = {
            tree.label: self._download(tree.label, f"{self._stem}.{tree.extension}",
                                       partial(tree.write, self.inference),
                                       f"The tree as {tree.label} text, written by PhyloDash's engine.")
            for tree in TREE_FORMATS.values()
        }
        downloads["Cluster TSV"] = self._download(
            "Cluster TSV", f"{self._stem}_clusters.tsv", self._cluster_file,
            "The cluster of every profile at the threshold shown (turn on the cluster cut first).")
        downloads["Cluster TSV"].disabled = True
        downloads["Partition TSV"] = self._download(
            "Partition TSV", f"{self._stem}_partition.tsv", self._partition_file,
            "The cluster names of every profile at each threshold of the partition shown.")
        downloads["Partition TSV"].disabled = self.controls.naming is None
        no_browser = tree_export.missing_browser()
        downloads["PNG"] = self._download("PNG", f"{self._stem}.png", self._picture("canvas"),
                                          no_browser or "A picture of the current view (1200 x 900).")
        too_big = self.geometry.nodes > tree_export.SVG_MAX_NODES
        downloads["SVG"] = self._download(
            "SVG", f"{self._stem}.svg", self._picture("svg"),
            no_browser or (f"SVG is offered up to {tree_export.SVG_MAX_NODES:,} nodes; use PNG." if too_big
                           else "A vector picture of the current view, for editing or print."))
        downloads["PNG"].disabled = bool(no_browser)
        downloads["SVG"].disabled = bool(no_browser) or too_big
        return downloads

    def _download(self, label: str, filename: str, make: Callable[[], str | bytes],
                  description: str) -> pn.widgets.FileDownload:
        """A download button whose file ``make()`` builds in a thread when clicked."""

        async def callback() -> io.BytesIO:
            try:
                content = await asyncio.to_thread(make)
            except tree_export.ExportError as error:
                self.export_message.object = f"**No picture:** {plain(str(error))}"
                raise
            self.export_message.object = ""
            return io.BytesIO(content.encode("utf-8") if isinstance(content, str) else content)

        return pn.widgets.FileDownload(
            callback=callback, filename=filename, label=label, description=description,
            width=_WIDGET_WIDTH // 2 - 10, embed=False,
            css_classes=[f"pd-tree-download-{label.lower().replace(' ', '-')}"])

    def _cluster_file(self) -> str:
        if self.cluster_labels is None:
            raise ValueError("turn on the cluster cut first")
        return cluster_tsv(self.inference, self.cluster_labels, self.cluster_threshold)

    def _partition_file(self) -> str:
        naming = self.controls.naming
        if naming is None:
            raise ValueError("the tree has no partition")
        return partition_tsv(naming.isolates, naming.thresholds, naming.names)

    def _picture(self, backend: str) -> Callable[[], bytes]:
        """What a picture button sends: the current view rendered by ``backend`` ("canvas" or "svg")."""
        render = tree_export.png if backend == "canvas" else tree_export.svg
        return lambda: render(self.canvas.export_figure(backend))

    async def _update(self, kind: str, prepare: Callable[[], Callable[[], None]]) -> None:
        """Run ``prepare`` in a thread and its result on the event loop, unless a newer ``kind`` came in."""
        ticket = self._tickets[kind] = self._tickets.get(kind, 0) + 1
        async with self._busy:
            if self._tickets[kind] != ticket:
                return
            apply = await asyncio.to_thread(prepare)
            if self._tickets[kind] == ticket:
                with pn.io.hold():
                    apply()

    def _colour_update(self, cut_on: bool, column: str, threshold: int) -> Callable[[], None]:
        """Compute the colouring the controls ask for and everything that goes with it (in a thread)."""
        wanted = colouring(self.dataset, self.inference, column, cut_on, threshold, self.controls.naming,
                           self.controls.new_rows)
        draw = self.canvas.colour(wanted.colours)
        table = wanted.table if wanted.table is not None else pd.DataFrame()

        def apply() -> None:
            draw()
            self.colours, self.cluster_labels = wanted.colours, wanted.clusters
            self.cluster_threshold = threshold
            self.clusters.value = table
            self.clusters.visible = cut_on
            self.downloads["Cluster TSV"].disabled = wanted.clusters is None
            self.downloads["Cluster TSV"].filename = f"{self._stem}_clusters_d{threshold}.tsv"
            self._show_legend()

        return apply

    def _show_legend(self) -> None:
        rules = ([RULE_STYLES[RULE_GROUPS[k]] for k in np.unique(self.geometry.rules).tolist()]
                 if self.controls.edge_rules else None)
        self.legend.object = legend_html(self.colours, rules)

    async def _on_colours(self, _event: object = None) -> None:
        wanted = self.controls.cut_clusters, self.controls.colour_by, self.controls.threshold
        await self._update("colours", partial(self._colour_update, *wanted))

    async def _on_edge_rules(self, event: Event) -> None:
        draw = self.canvas.edge_rules

        def prepare() -> Callable[[], None]:
            show = draw(event.new)

            def apply() -> None:
                show()
                self._show_legend()

            return apply

        await self._update("rules", prepare)

    async def _on_edge_labels(self, event: Event) -> None:
        await self._update("edge labels", lambda: self.canvas.edge_labels(event.new))

    async def _on_search(self, event: Event) -> None:
        text = event.new or ""

        def prepare() -> Callable[[], None]:
            rows = metadata.search(self.dataset, text)

            def apply() -> None:
                self.canvas.mark(rows)
                self.search_message.object = _matches(len(rows), text)

            return apply

        await self._update("search", prepare)

    def _summary(self) -> str:
        g = self.geometry
        singletons = np.setdiff1d(self.inference.roots, g.parents).size
        text = (f"{g.profiles:,} profiles, {int(g.counts.sum()):,} isolates, {len(g.parents):,} edges; "
                f"{len(self.inference.roots) - singletons:,} trees and {singletons:,} singletons.")
        if isinstance(self.canvas, OverviewTree):
            text += (" Drawn as a density overview that sharpens as you zoom: pies and labels are off "
                     "at this size.")
        return text

    def panel(self) -> pn.viewable.Viewable:
        """The view: controls and the legend on the left, the tree and the cluster table beside them."""
        help_texts = {
            "node_labels": "Write each node's ST next to it (off by default above "
                           f"{NODE_LABELS_MAX:,} nodes; not in the overview of very large trees).",
            "edge_labels": "Write each edge's distance (number of differing loci) at its middle.",
            "edge_rules": "Colour each edge by the goeBURST rule that chose it over its ties, as PHYLOViZ "
                          "does: distance alone, SLV/DLV/TLV counts, isolate frequency, profile id.",
            "cut_clusters": "Cut the tree at a distance: edges longer than the threshold are removed, and "
                            "what stays joined is a cluster. Nodes are coloured by cluster (the 20 largest).",
            "threshold": "Edges with a distance above this are cut.",
        }
        downloads = list(self.downloads.values())
        controls = pn.Column(
            pn.pane.Markdown(f"### {plain(self.title)}" if self.title else "", margin=(0, 10)),
            pn.pane.Markdown(self._summary(), margin=(0, 10)),
            self.colour_by, self.legend, self.search, self.search_message,
            *(_help(getattr(self, name), text) for name, text in help_texts.items()),
            pn.pane.Markdown("**Download**", margin=(10, 10, 0, 10)),
            *(pn.Row(*downloads[i:i + 2]) for i in range(0, len(downloads), 2)),
            self.export_message,
            width=_WIDGET_WIDTH + 30,
        )
        changes = pn.pane.Markdown("**Changes since the partition its names came from**",
                                   visible=self.changes.visible)
        drawing = pn.Column(self.canvas.pane, self.clusters, changes, self.changes,
                            sizing_mode="stretch_width")
        return pn.Row(controls, drawing, sizing_mode="stretch_width", name="Tree view")

