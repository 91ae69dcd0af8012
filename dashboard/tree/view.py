"""The tree view: a tree drawn with its controls (colours and legend, collapse and branch scales, labels,
search, cluster cut), its isolate table, the selection they share, and downloads.

Built in-process from engine objects: ``TreeView(dataset, inference, layout, title=..., controls=...,
selection=...)``, then ``view.panel()``. The controls' values live in a
:class:`~dashboard.viewmodels.tree.TreeControls` and the selected profile rows in a
:class:`~dashboard.viewmodels.selection.Selection` (the session's, or new ones for this tree); the
widgets are bound to their parameters. Every change is turned into a :class:`~dashboard.tree.scene.Scene`
(what is drawn), computed in a thread from cached parts, and the figure applies only what differs, on
the page's event loop, one update at a time; an update overtaken by a newer one of the same kind is
dropped. Construction reads every profile and isolate (0.1 s for 15,000 profiles with 40,000 isolates),
so build it in a thread.

Selecting nodes (tap, box, lasso) or rows of the isolate table (ticks, or header filters), or the
matches of *Find*, sets the shared selection; the figure rings the selected nodes (a collapsed node holds
all its profiles) and the table shows their isolates, unless the table made the selection itself.
"""

from __future__ import annotations

import asyncio
import io
import operator
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
from param.parameterized import Event

from dashboard.text import plain
from dashboard.tree import export as tree_export
from dashboard.tree.collapse import DrawnTree, drawn_tree
from dashboard.tree.colours import NodeColours, hidden, legend_html, legend_rows, pooled
from dashboard.tree.figure import GlyphTree, drawing_backend
from dashboard.tree.geometry import RULE_GROUPS, RULE_STYLES, TreeGeometry
from dashboard.tree.overview import OverviewTree
from dashboard.tree.scene import Scene, node_labels, node_summaries
from dashboard.viewmodels.naming import changes_frame
from dashboard.viewmodels.placements import placement_profile_rows, placements_frame
from dashboard.viewmodels.selection import Selection, rows_of_isolates
from dashboard.viewmodels.tree import NODE_LABELS_MAX, Colouring, TreeControls
from engine.algorithms import metadata
from engine.algorithms.clusters import cluster_tsv
from engine.algorithms.placement_table import placements_tsv
from engine.algorithms.subsets import induced_subtree
from engine.io.formats import TREE_FORMATS
from engine.io.newick import to_newick
from engine.io.partition_table import partition_tsv
from engine.io.tables import isolates_tsv, profiles_tsv
from engine.models import Dataset, Inference, Layout

#: From this many nodes on, the tree is a datashaded overview instead of glyphs.
OVERVIEW_MIN_NODES = 50_000
#: Rows per page of the isolate table (the server sends one page at a time).
TABLE_PAGE = 12
_WIDGET_WIDTH = 280
_LEGEND_TYPES = {"colour": object, "value": object, "isolates": "int64", "profiles": "int64", "shown": bool}
_SOURCES = {"tree": "in the tree", "table": "in the table", "search": "from Find", "url": "by the link",
            "epicurve": "on the epidemic curve", "map": "on the map", "placements": "among the new isolates"}


def _help(widget: pn.viewable.Viewable, text: str) -> pn.Row:
    """``widget`` with a help icon whose tooltip is ``text`` (for widgets without ``description``)."""
    return pn.Row(widget, pn.widgets.TooltipIcon(value=text), align="start")


def _hover_columns(dataset: Dataset) -> list[str]:
    """The isolate columns the hover summarises: not the profile column, nor one with a different value
    for every isolate (an isolate id says nothing about a node)."""
    isolates = dataset.isolates
    if isolates is None:
        return []
    return [name for k, name in enumerate(isolates.columns) if name != isolates.profile_column
            and len({row[k] for row in isolates.rows}) < len(isolates.rows)]


def _hover_texts(dataset: Dataset) -> list[str]:
    """The metadata summary of every profile for the hover, leaving out identifier columns."""
    if dataset.isolates is None:
        return [""] * dataset.profiles.size
    return metadata.summaries(dataset, _hover_columns(dataset))


def _matches(found: int, text: str) -> str:
    """The search message: how many nodes match ``text``."""
    if not text.strip():
        return ""
    if not found:
        return "Nothing matches."
    return f"{found} node{'s' if found > 1 else ''} match{'es' if found == 1 else ''}."


def isolate_frame(dataset: Dataset) -> pd.DataFrame:
    """The isolate table as the page shows it: one row per isolate, its columns as read, indexed by its
    isolate number; without isolates, one row per profile (its id), indexed by profile row."""
    isolates = dataset.isolates
    if isolates is None:
        return pd.DataFrame({"id": dataset.profiles.ids})
    return pd.DataFrame(isolates.rows, columns=list(isolates.columns))


def _legend_frame(colours: NodeColours, hidden_categories: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """The legend table's rows (:func:`~dashboard.tree.colours.legend_rows`) with their column types fixed
    even when there are none (the table formats its columns by the types it was made with)."""
    return pd.DataFrame(legend_rows(colours, hidden_categories)).astype(_LEGEND_TYPES)


class _Memo:
    """One remembered result per name: recomputed when its key changes (the same object otherwise, so
    the figure can tell what changed by identity)."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[object, object]] = {}

    def get(self, name: str, key: object, make: Callable[[], Any]) -> Any:
        kept = self._kept.get(name)
        if kept is not None and kept[0] == key:
            return kept[1]
        value = make()
        self._kept[name] = (key, value)
        return value


class TreeView:
    """A tree with its controls, its isolate table and the selection, for one browser session.

    ``controls`` holds what the controls say (new :meth:`TreeControls.for_tree` ones when not given) and
    ``selection`` the selected profile rows (a new :class:`Selection` when not given). Widgets the page
    and the browser tests use, bound to those parameters (each has a ``label`` and a CSS class
    ``pd-tree-<attribute>``, underscores as dashes): ``colour_by``, ``palette``, ``label_by``,
    ``branch_scale``, ``size_scale`` (Select), ``max_categories``, ``min_group`` (IntInput), ``search``
    (TextInput), ``search_message``, ``select_found`` (Button), ``node_labels``, ``edge_labels``,
    ``edge_rules``, ``cut_clusters`` (Checkboxes), ``label_size``, ``threshold`` (IntSlider),
    ``collapse``, ``long_branches`` (FloatInput; ``collapse_slider`` and ``long_branches_slider`` are
    FloatSliders bound to the same controls), ``clusters`` (Tabulator), ``changes`` (Tabulator: the
    changes of the partition shown, hidden without one), ``placements`` (Tabulator, "New isolates":
    where the partition placed a version's new isolates, hidden without any; ticking rows selects their
    profiles), ``legend`` (HTML: title, colour
    bar, edge rules) and ``legend_table`` (Tabulator: a click on a row hides or shows its category),
    ``drawn_message`` (how many nodes are drawn), ``downloads`` (FileDownload by label: one per tree
    format of :data:`~engine.io.formats.TREE_FORMATS`, Cluster TSV, Partition TSV, Placement TSV, PNG, SVG),
    ``export_message``; for the selection: ``table`` (Tabulator of the isolates), ``selection_message``,
    ``clear_selection`` (Button) and ``selection_downloads`` (Isolate TSV, Profile TSV, Subtree Newick).
    ``canvas`` is the drawing: a :class:`~dashboard.tree.figure.GlyphTree` (Bokeh figure named
    ``tree-figure``) or, from :data:`OVERVIEW_MIN_NODES` nodes, an
    :class:`~dashboard.tree.overview.OverviewTree`.
    """

    def __init__(self, dataset: Dataset, inference: Inference, layout: Layout, *, title: str = "",
                 controls: TreeControls | None = None, selection: Selection | None = None) -> None:
        if dataset.profiles.size != inference.profile_count:
            raise ValueError(f"the dataset has {dataset.profiles.size} profiles but the tree "
                             f"{inference.profile_count}; they must be the same rows")
        self.dataset, self.inference, self.layout, self.title = dataset, inference, layout, title
        self.controls = controls if controls is not None else TreeControls.for_tree(dataset, inference)
        self.selection = selection if selection is not None else Selection()
        self._memo = _Memo()
        self._row_summaries = _hover_texts(dataset)
        self._hover_columns = _hover_columns(dataset)
        self._found = np.zeros(0, dtype=np.int64)  # the profile rows Find matched
        if len(inference.ids) >= OVERVIEW_MIN_NODES:
            self.controls.node_labels = False  # the overview has no labels
        scene = self._scene()
        if len(inference.ids) >= OVERVIEW_MIN_NODES:
            self.canvas: GlyphTree | OverviewTree = OverviewTree(scene)
        else:
            self.canvas = GlyphTree(scene, backend=drawing_backend(len(inference.ids)))
        self.canvas.on_select(self._on_canvas_select)
        self.frame = isolate_frame(dataset)
        self._table_busy = False
        self._busy = asyncio.Lock()
        self._tickets: dict[str, int] = {}
        self._stem = tree_export.file_stem(title)
        self._build_widgets()
        self._show_widgets(scene, self._colouring())
        self._show_selection()
        if self.selection.rows:
            self.table.value = self._table_rows()

    # -- what is drawn ---------------------------------------------------------------------------

    @property
    def geometry(self) -> TreeGeometry:
        """The geometry drawn now (collapsed, rescaled)."""
        return self.canvas.scene.drawn.geometry if hasattr(self, "canvas") else self._drawn().geometry

    @property
    def drawn(self) -> DrawnTree:
        """The tree drawn now (its geometry and the profiles behind each node)."""
        return self.canvas.scene.drawn

    @property
    def colours(self) -> NodeColours:
        """The colours of the drawn nodes now."""
        return self.canvas.scene.colours

    @property
    def cluster_labels(self) -> np.ndarray | None:
        """Every profile row's cluster while the cluster cut is on, else None."""
        return self._colouring().clusters

    @property
    def cluster_threshold(self) -> int:
        """The threshold the clusters were cut at."""
        return self._colouring().threshold

    def _drawn(self) -> DrawnTree:
        c = self.controls
        key = (c.collapse, c.branch_scale, c.long_branches, c.size_scale)
        return self._memo.get("drawn", key, lambda: drawn_tree(
            self.inference, self.layout, self.dataset.counts, collapse_at=c.collapse,
            branch_scale=c.branch_scale, longest=c.long_branches, size_scale=c.size_scale))

    def _colouring(self) -> Colouring:
        c = self.controls
        key = (c.cut_clusters, c.colour_by, c.threshold, c.palette, c.max_categories, c.min_group)
        return self._memo.get("colouring", key, lambda: c.colouring(self.dataset, self.inference))

    def _scene(self) -> Scene:
        """The scene the controls, the selection and the last search ask for (parts cached)."""
        c = self.controls
        drawn = self._drawn()
        rows = self._colouring()
        g = drawn.geometry
        pool = self._memo.get("pooled", (id(drawn), id(rows)),
                              lambda: pooled(rows.colours, drawn.groups, g.profiles, self.dataset))
        shown = self._memo.get("shown", (id(pool), tuple(c.hidden)), lambda: hidden(pool, c.hidden))
        blank = self._memo.get("blank", id(drawn), lambda: np.full(g.nodes, "", dtype=object))
        labels = (self._memo.get("labels", (id(drawn), c.label_by),
                                 lambda: node_labels(self.dataset, drawn, c.label_by))
                  if c.node_labels and not isinstance(getattr(self, "canvas", None), OverviewTree) else blank)
        summaries = self._memo.get("summaries", id(drawn), lambda: node_summaries(
            self.dataset, drawn, self._row_summaries, self._hover_columns))
        return Scene(drawn, shown, labels, summaries, show_labels=c.node_labels, label_size=c.label_size,
                     edge_labels=c.edge_labels, edge_rules=c.edge_rules,
                     selected=drawn.groups.drawn(self.selection.rows), marked=drawn.groups.drawn(self._found))

    # -- widgets ---------------------------------------------------------------------------------

    def _widget(self, kind: type, attribute: str, **options: object) -> pn.widgets.Widget:
        """A ``kind`` widget bound to the control ``attribute``, with the CSS class the tests find it by."""
        return kind.from_param(self.controls.param[attribute],
                               css_classes=[f"pd-tree-{attribute.replace('_', '-')}"], **options)

    def _number_and_slider(self, attribute: str) -> tuple[pn.widgets.FloatInput, pn.widgets.FloatSlider]:
        """A number box (labelled, with the control's CSS class) and a slider under it, both bound to the
        control ``attribute``. (Not Panel's EditableFloatSlider: its number box registers a JavaScript
        callback in a process-wide registry that keeps every such widget, and the view behind it, alive.)"""
        start, end = self.controls.param[attribute].bounds  # typed, any d: not the slider's soft range
        box = self._widget(pn.widgets.FloatInput, attribute, start=start, end=end, width=_WIDGET_WIDTH - 30)
        slider = pn.widgets.FloatSlider.from_param(
            self.controls.param[attribute], name="", show_value=False, width=_WIDGET_WIDTH - 30,
            css_classes=[f"pd-tree-{attribute.replace('_', '-')}-slider"])
        return box, slider

    def _paired(self, attribute: str) -> pn.Column:
        """The number box of the control ``attribute`` above its slider."""
        return pn.Column(getattr(self, attribute), getattr(self, f"{attribute}_slider"), margin=0)

    def _build_widgets(self) -> None:
        controls = self.controls
        columns = controls.param.colour_by.objects[1:]
        labels_ok = self.canvas.labels_supported
        self.colour_by = self._widget(
            pn.widgets.Select, "colour_by", width=_WIDGET_WIDTH, disabled=not columns,
            description="An isolate metadata column that groups isolates (an id column is in the table "
                        "below). Text columns colour each node by its isolates' values (a pie when they "
                        "differ; the rarest as 'other'); number columns colour by the node's mean on a "
                        "gradient. The cluster cut, when on, colours by cluster instead."
            if columns else "No isolate file was loaded, or no column groups isolates.")
        self.palette = self._widget(pn.widgets.Select, "palette", width=_WIDGET_WIDTH)
        half = _WIDGET_WIDTH // 2 - 5
        self.max_categories = self._widget(pn.widgets.IntInput, "max_categories", width=half)
        self.min_group = self._widget(pn.widgets.IntInput, "min_group", width=half)
        self.legend = pn.pane.HTML("", css_classes=["pd-tree-legend-head"], width=_WIDGET_WIDTH,
                                   margin=(0, 10))
        self.legend_table = pn.widgets.Tabulator(
            _legend_frame(self.colours), disabled=True, show_index=False, selectable=False,
            css_classes=["pd-tree-legend-table"], width=_WIDGET_WIDTH, visible=False, layout="fit_columns",
            formatters={"colour": {"type": "color"}, "shown": {"type": "tickCross"}},
            titles={"colour": "", "value": "value (click: hide/show)", "isolates": "isolates",
                    "profiles": "STs", "shown": ""},
            widths={"colour": 28, "value": 130, "isolates": 50, "profiles": 40, "shown": 30})
        self.legend_table.on_click(self._on_legend_click)
        self.search = self._widget(
            pn.widgets.TextInput, "search", placeholder="ST or metadata value, then Enter",
            width=_WIDGET_WIDTH,
            description="An ST (exact) or any text found in an ST or an isolate's metadata (case ignored). "
                        "Matching nodes get a red ring and the view zooms to them; empty clears.")
        self.search_message = pn.pane.Markdown("", css_classes=["pd-tree-search-message"], margin=(0, 10))
        self.select_found = pn.widgets.Button(label="Select the matches", disabled=True, width=_WIDGET_WIDTH,
                                              css_classes=["pd-tree-select-found"],
                                              description="Select the nodes Find matched (the table then "
                                                          "shows their isolates).")
        self.select_found.on_click(lambda _event: self.selection.choose(self._found, "search"))
        self.collapse, self.collapse_slider = self._number_and_slider("collapse")
        self.long_branches, self.long_branches_slider = self._number_and_slider("long_branches")
        self.branch_scale = self._widget(pn.widgets.Select, "branch_scale", width=_WIDGET_WIDTH)
        self.size_scale = self._widget(pn.widgets.Select, "size_scale", width=_WIDGET_WIDTH)
        self.node_labels = self._widget(pn.widgets.Checkbox, "node_labels", disabled=not labels_ok)
        self.label_by = self._widget(pn.widgets.Select, "label_by", width=_WIDGET_WIDTH,
                                     disabled=not labels_ok)
        self.label_size = self._widget(pn.widgets.IntSlider, "label_size", width=_WIDGET_WIDTH - 30,
                                       disabled=not labels_ok)
        self.edge_labels = self._widget(pn.widgets.Checkbox, "edge_labels", disabled=not labels_ok)
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
        report = controls.placements
        self.placements = pn.widgets.Tabulator(
            placements_frame(report, () if controls.naming is None else controls.naming.thresholds),
            css_classes=["pd-tree-placements"], selectable="checkbox", disabled=True, show_index=False,
            pagination="local", page_size=15, visible=bool(report), sizing_mode="stretch_width")
        self._placements_busy = False
        self.summary = pn.pane.Markdown(self._summary(), margin=(0, 10))
        self.drawn_message = pn.pane.Markdown("", css_classes=["pd-tree-drawn"], margin=(0, 10))
        self.export_message = pn.pane.Markdown("", css_classes=["pd-tree-export-message"])
        self.downloads = self._build_downloads()
        self._build_table()
        self._init_callbacks()

    def _build_table(self) -> None:
        self.table = pn.widgets.Tabulator(
            self.frame, pagination="remote", page_size=TABLE_PAGE, header_filters=True, selectable="checkbox",
            disabled=True, show_index=False, sizing_mode="stretch_width", css_classes=["pd-tree-isolates"])
        self.selection_message = pn.pane.Markdown("", css_classes=["pd-tree-selection-message"],
                                                  sizing_mode="stretch_width", margin=(0, 10))
        self.clear_selection = pn.widgets.Button(label="Clear selection", width=140, disabled=True,
                                                 css_classes=["pd-tree-clear-selection"])
        self.clear_selection.on_click(lambda _event: self.selection.clear())
        isolates = self.dataset.isolates
        column = isolates.profile_column if isolates is not None else "ST"
        self.selection_downloads = {
            "Isolate TSV": self._download(
                "Isolate TSV", f"{self._stem}_selected_isolates.tsv", self._isolate_file,
                "The selected profiles' isolates, every column, as the isolate file has them."),
            "Profile TSV": self._download(
                "Profile TSV", f"{self._stem}_selected_profiles.tsv",
                lambda: profiles_tsv(self.dataset.profiles, self.selection.rows, column),
                "The selected profiles with their alleles, a file PhyloDash (and GrapeTree) reads."),
            "Subtree Newick": self._download(
                "Subtree Newick", f"{self._stem}_selected_subtree.nwk",
                lambda: to_newick(induced_subtree(self.inference, self.selection.rows)),
                "The part of the tree that joins the selected profiles; profiles it only passes through "
                "are left out (their branches joined), branch points that were not selected are unnamed."),
        }

    def _isolate_file(self) -> str:
        if self.dataset.isolates is None:
            raise ValueError("the dataset has no isolates")
        return isolates_tsv(self.dataset.isolates, self.selection.isolates(self.dataset.isolates))

    def _init_callbacks(self) -> None:
        watch = self.controls.param.watch
        watch(self._on_draw, ["colour_by", "cut_clusters", "threshold", "palette", "max_categories",
                              "min_group", "hidden", "collapse", "long_branches", "branch_scale",
                              "size_scale", "node_labels", "label_by", "label_size", "edge_labels",
                              "edge_rules"])
        watch(self._on_search, "search")
        self._selection_watcher = self.selection.param.watch(self._on_selection, "rows")
        self.table.param.watch(self._on_table_selection, "selection")
        self.table.param.watch(self._on_table_filters, "filters")
        self.placements.param.watch(self._on_placement_selection, "selection")

    def close(self) -> None:
        """Stop following the shared selection, which outlives this view: after it the view is
        referenced only by what shows it, and is freed with it."""
        self.selection.param.unwatch(self._selection_watcher)

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
        downloads["Placement TSV"] = self._download(
            "Placement TSV", f"{self._stem}_placements.tsv", self._placement_file,
            "Where the new isolates of this version landed: the nearest old isolates and the cluster "
            "joined at each threshold of the partition shown (new_t: yes when it founded the cluster).")
        downloads["Placement TSV"].disabled = not self.controls.placements
        no_browser = tree_export.missing_browser()
        downloads["PNG"] = self._download(
            "PNG", f"{self._stem}.png", self._picture("canvas"),
            no_browser or "A picture of the current view with its legend (1200 x 900 plot), for a paper.")
        too_big = len(self.inference.ids) > tree_export.SVG_MAX_NODES
        downloads["SVG"] = self._download(
            "SVG", f"{self._stem}.svg", self._picture("svg"),
            no_browser or (f"SVG is offered up to {tree_export.SVG_MAX_NODES:,} nodes; use PNG." if too_big
                           else "A vector picture of the current view with its legend, for editing or "
                                "print."))
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
        found = self._colouring()
        if found.clusters is None:
            raise ValueError("turn on the cluster cut first")
        return cluster_tsv(self.inference, found.clusters, found.threshold)

    def _rules(self) -> list[tuple[str, str]] | None:
        if not self.controls.edge_rules:
            return None
        return [RULE_STYLES[RULE_GROUPS[k]] for k in np.unique(self.geometry.rules).tolist()]

    def _partition_file(self) -> str:
        naming = self.controls.naming
        if naming is None:
            raise ValueError("the tree has no partition")
        return partition_tsv(naming.isolates, naming.thresholds, naming.names)

    def _picture(self, backend: str) -> Callable[[], bytes]:
        """What a picture button sends: the current view rendered by ``backend`` ("canvas" or "svg"), with
        its legend and title."""
        render = tree_export.png if backend == "canvas" else tree_export.svg

        def make() -> bytes:
            figure = self.canvas.export_figure(backend)
            scene = self.canvas.scene
            cut = scene.drawn.geometry.shortened
            tree_export.add_legend(figure, scene.colours, title=self.title,
                                   hidden=tuple(self.controls.hidden), rules=self._rules(),
                                   shortened=cut is not None and bool(cut.any()))
            return render(figure)

        return make

    # -- updates ---------------------------------------------------------------------------------

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

    def _prepare_draw(self, zoom: bool = False) -> Callable[[], None]:
        """Compute the scene the controls ask for and the figure's and widgets' updates (in a thread)."""
        scene = self._scene()
        found = self._colouring()
        draw = self.canvas.render(scene)

        def apply() -> None:
            draw()
            self._show_widgets(scene, found)
            if zoom:
                self.canvas.zoom_to(scene.marked)

        return apply

    def _show_widgets(self, scene: Scene, found: Colouring) -> None:
        """The legend, cluster table, downloads and counts that go with ``scene``."""
        self.clusters.value = found.table if found.table is not None else pd.DataFrame()
        self.clusters.visible = found.clusters is not None and self.controls.cut_clusters  # not for names
        self.downloads["Cluster TSV"].disabled = found.clusters is None
        self.downloads["Cluster TSV"].filename = f"{self._stem}_clusters_d{found.threshold}.tsv"
        self.legend.object = legend_html(scene.colours, self._rules(), entries=False)
        rows = _legend_frame(scene.colours, self.controls.hidden)
        if not rows.equals(self.legend_table.value):
            self.legend_table.value = rows
        self.legend_table.visible = bool(len(rows))
        g, groups = scene.drawn.geometry, scene.drawn.groups
        if groups.collapsed:
            self.drawn_message.object = (f"**{g.nodes:,} nodes** drawn: the {groups.profiles:,} profiles "
                                         f"collapsed at branches up to {self.controls.collapse:g}.")
        else:
            self.drawn_message.object = f"**{g.nodes:,} nodes** drawn."

    async def _on_draw(self, *_events: object) -> None:
        await self._update("draw", self._prepare_draw)

    async def _on_search(self, event: Event) -> None:
        text = event.new or ""

        def prepare() -> Callable[[], None]:
            rows = metadata.search(self.dataset, text)

            def apply() -> None:
                self._found = rows
                self.search_message.object = _matches(len(self.drawn.groups.drawn(rows)), text)
                self.select_found.disabled = not len(rows)
                self._prepare_draw(zoom=True)()

            return apply

        await self._update("search", prepare)

    def _on_legend_click(self, event: Any) -> None:
        """Hide or show the category of the clicked legend row."""
        value = self.legend_table.value["value"].iloc[event.row]
        hidden_now = list(self.controls.hidden)
        self.controls.hidden = ([v for v in hidden_now if v != value] if value in hidden_now
                                else [*hidden_now, value])

    def _placement_file(self) -> str:
        report, naming = self.controls.placements, self.controls.naming
        if not report or naming is None:
            raise ValueError("the partition shown placed no new isolates")
        return placements_tsv(report, naming.thresholds)

    # -- selection -------------------------------------------------------------------------------

    def _on_canvas_select(self, drawn_nodes: np.ndarray) -> None:
        """Nodes picked in the figure: all their profiles are selected."""
        self.selection.choose(self.drawn.groups.rows(drawn_nodes), "tree")

    def _rows_of_table(self, frame: pd.DataFrame) -> list[int]:
        picked = frame.index.to_numpy()
        if self.dataset.isolates is None:
            return sorted(int(row) for row in picked)
        return rows_of_isolates(self.dataset.isolates, picked)

    def _on_table_selection(self, event: Event) -> None:
        if self._table_busy:
            return
        if event.new:
            rows = self._rows_of_table(self.table.value.iloc[event.new])
            pn.state.execute(partial(self.selection.choose, rows, "table"), schedule=True)  # views: locked
        else:
            self._on_table_filters()

    def _on_table_filters(self, _event: object = None) -> None:
        """Header filters typed: the isolates that pass them are selected (none typed: nothing). Table
        events may come outside the page's document lock: the selection, which other views draw, is
        changed where the page holds it (:meth:`panel.io.state.State.execute`)."""
        if self._table_busy or self.table.selection:
            return
        if self.table.filters:
            rows = self._rows_of_table(self.table.current_view)
            pn.state.execute(partial(self.selection.choose, rows, "table"), schedule=True)
        elif self.selection.source == "table":
            pn.state.execute(partial(self.selection.clear, "table"), schedule=True)

    def _on_placement_selection(self, event: Event) -> None:
        """Rows ticked in the new isolates table: their profiles are selected (none ticked: the selection
        it made is cleared)."""
        if self._placements_busy:
            return
        if event.new:
            rows = placement_profile_rows(self.dataset.profiles, self.controls.placements or [], event.new)
            pn.state.execute(partial(self.selection.choose, rows, "placements"), schedule=True)
        elif self.selection.source == "placements":
            pn.state.execute(partial(self.selection.clear, "placements"), schedule=True)

    def _table_rows(self) -> pd.DataFrame:
        """The isolate table's rows for the selection: the selected profiles' isolates (all when none)."""
        if not self.selection.rows:
            return self.frame
        if self.dataset.isolates is None:
            return self.frame.iloc[self.selection.rows]
        return self.frame.iloc[self.selection.isolates(self.dataset.isolates)]

    def _show_selection(self) -> None:
        rows = self.selection.rows
        none = not rows
        self.clear_selection.disabled = none
        for button in self.selection_downloads.values():
            button.disabled = none
        if self.dataset.isolates is None:
            self.selection_downloads["Isolate TSV"].disabled = True
        if none:
            self.selection_message.object = ("Nothing selected: tap, box- or lasso-select nodes (toolbar), "
                                             "tick or filter table rows, or select what *Find* matched.")
            return
        isolates = len(self.selection.isolates(self.dataset.isolates)) if self.dataset.isolates else 0
        where = _SOURCES.get(self.selection.source, "")
        self.selection_message.object = (f"**{len(rows):,} profiles, {isolates:,} isolates selected** {where}"
                                         ".").replace(" .", ".")

    async def _on_selection(self, _event: object = None) -> None:
        self._show_selection()
        if self.selection.source != "placements" and self.placements.selection:
            self._placements_busy = True  # another view selected: the ticks no longer say what is selected
            try:
                self.placements.selection = []
            finally:
                self._placements_busy = False
        if self.selection.source != "table":
            await self._update("table", self._prepare_table)
        await self._on_draw()

    def _prepare_table(self) -> Callable[[], None]:
        rows = self._table_rows()

        def apply() -> None:
            self._table_busy = True
            try:
                self.table.param.update(selection=[], value=rows, page=1)
            finally:
                self._table_busy = False

        return apply

    # -- layout ----------------------------------------------------------------------------------

    def _summary(self) -> str:
        singletons = np.setdiff1d(self.inference.roots, self.inference.parents).size
        text = (f"{self.inference.profile_count:,} profiles, {int(np.sum(self.dataset.counts)):,} isolates, "
                f"{len(self.inference.parents):,} edges; {len(self.inference.roots) - singletons:,} trees "
                f"and {singletons:,} singletons.")
        if isinstance(getattr(self, "canvas", None), OverviewTree):
            text += (" Drawn as a density overview that sharpens as you zoom: pies and labels are off "
                     "at this size.")
        return text

    def selection_bar(self, *extra: pn.viewable.Viewable) -> pn.Column:
        """The selection's message, its buttons and downloads (and ``extra`` widgets after them)."""
        downloads = list(self.selection_downloads.values())
        return pn.Column(self.selection_message,
                         pn.Row(self.clear_selection, *downloads, *extra, sizing_mode="stretch_width"),
                         css_classes=["pd-tree-selection"], sizing_mode="stretch_width")

    def panel(self, *selection_extra: pn.viewable.Viewable,
              below: pn.viewable.Viewable | None = None) -> pn.viewable.Viewable:
        """The view: controls and the legend on the left; the tree, the selection bar, the isolate table
        and the cluster table beside them. ``selection_extra``: more widgets for the selection bar;
        ``below``: panes under the tables (the form computing cluster codes, the linked views)."""
        help_texts = {
            "edge_labels": "Write each edge's distance (number of differing loci) at its middle.",
            "edge_rules": "Colour each edge by the goeBURST rule that chose it over its ties, as PHYLOViZ "
                          "does: distance alone, SLV/DLV/TLV counts, isolate frequency, profile id.",
            "cut_clusters": "Cut the tree at a distance: edges longer than the threshold are removed, and "
                            "what stays joined is a cluster. Nodes are coloured by cluster (the 20 largest).",
            "threshold": "Edges with a distance above this are cut.",
        }
        downloads = list(self.downloads.values())
        card = partial(pn.Card, collapsible=True, width=_WIDGET_WIDTH + 30, margin=(5, 0))
        controls = pn.Column(
            pn.pane.Markdown(f"### {plain(self.title)}" if self.title else "", margin=(0, 10)),
            self.summary, self.drawn_message,
            card(self.colour_by, self.palette, pn.Row(self.max_categories, self.min_group),
                 pn.Column(self.legend, self.legend_table, css_classes=["pd-tree-legend"], margin=0),
                 title="Colours"),
            card(self.search, self.search_message, self.select_found, title="Find"),
            card(_help(self._paired("collapse"),
                       "Merge every edge this long or shorter: each cluster at this distance becomes one "
                       "node, its isolates pooled (size and pie recomputed), as GrapeTree's collapse. "
                       "0 shows the whole tree."),
                 _help(self._paired("long_branches"),
                       "Draw edges longer than this as long as this, dashed, with their true length written "
                       "beside them. 0: off."),
                 self.branch_scale, self.size_scale, title="Branches and nodes"),
            card(_help(self.node_labels, "Write each node's label next to it (off by default above "
                                         f"{NODE_LABELS_MAX:,} nodes; not in the overview of very large "
                                         "trees)."),
                 self.label_by, self.label_size, title="Labels"),
            card(*(_help(getattr(self, name), text) for name, text in help_texts.items()),
                 title="Edges and clusters"),
            card(*(pn.Row(*downloads[i:i + 2]) for i in range(0, len(downloads), 2)), self.export_message,
                 title="Download"),
            width=_WIDGET_WIDTH + 40,
        )
        changes = pn.pane.Markdown("**Changes since the partition its names came from**",
                                   visible=self.changes.visible)
        placed = pn.pane.Markdown("**New isolates: where this version's isolates landed** (tick rows to "
                                  "select their profiles)", visible=self.placements.visible)
        drawing = pn.Column(self.canvas.pane, self.selection_bar(*selection_extra), self.table, self.clusters,
                            changes, self.changes, placed, self.placements,
                            *([below] if below is not None else []), sizing_mode="stretch_width")
        return pn.Row(controls, drawing, sizing_mode="stretch_width", name="Tree view")
