"""The tree as one Bokeh figure: every edge in one NaN-broken line, every node in one scatter.

Pie-chart nodes are wedges in screen units drawn over the scatter; edges coloured by their deciding rule
are one line per rule group; shortened long branches are one dashed line with their lengths written at
their middle. :meth:`GlyphTree.render` takes a :class:`~dashboard.tree.scene.Scene`, computes the column
data that changed since the last one (in any thread) and returns a function that puts it in the figure
(on the page's event loop). Tap, box and lasso select nodes; :meth:`GlyphTree.on_select` reports them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np
import panel as pn
from bokeh.core.property.descriptors import UnsetValueError
from bokeh.models import (
    BooleanFilter,
    BoxSelectTool,
    CDSView,
    ColumnDataSource,
    CustomJS,
    GlyphRenderer,
    HoverTool,
    LassoSelectTool,
    Plot,
    TapTool,
)
from bokeh.plotting import figure

from dashboard.tree.colours import INTERNAL_FILL, NodeColours
from dashboard.tree.geometry import RULE_GROUPS, RULE_STYLES, TreeGeometry, pie_wedges, zoom_box
from dashboard.tree.scene import Scene

#: Up to this many nodes a node whose isolates have several values is a pie; above, its majority colour.
PIE_MAX_NODES = 20_000
#: Trees of at most this many nodes are drawn on the browser's 2D canvas, larger ones with WebGL.
#: Bokeh's WebGL backend copies its canvas into the page once per renderer on every paint, which is
#: slow where the browser has no GPU (virtual machines, remote desktops): in headless Chromium with
#: software WebGL a 15,000-node tree repaints a colour change about twice as fast on the 2D canvas.
CANVAS_MAX_NODES = 20_000
#: Bokeh name of the figure, for browser tests.
FIGURE_NAME = "tree-figure"
#: The Bokeh name of the nodes' source (what the browser tests read the drawn nodes from).
NODES_NAME = "tree-nodes"
RING_COLOUR = "#e6005c"
#: The outline of selected nodes.
SELECTED_COLOUR = "#111111"
SHORTENED_COLOUR = "#7a7a7a"
_RING_PX = 10.0  # the search ring is this much wider than its node
_SELECTED_PX = 6.0
_HEIGHT = 720
EXPORT_SIZE = (1200, 900)
_TOOLTIPS = [("ST", "@id"), ("isolates", "@isolates"), ("metadata", "@summary")]
_NODE_COLUMNS = ("x", "y", "size", "fill", "id", "label", "isolates", "summary")
_WEDGE_COLUMNS = ("x", "y", "radius", "start_angle", "end_angle", "fill_color", "node")
# A DataRange1d recomputes its start and end from the data whenever data changes, unless the user has
# zoomed; so a zoom asked for from Python (the range's tags: start, end, a counter) is applied in the
# browser as if the user had made it.
_ZOOM_JS = """
cb_obj.have_updated_interactively = true
const [start, end] = cb_obj.tags
cb_obj.setv({start, end})
"""


def drawing_backend(nodes: int) -> str:
    """Bokeh's output backend for a tree of ``nodes`` nodes: "canvas" up to :data:`CANVAS_MAX_NODES`,
    else "webgl"."""
    return "canvas" if nodes <= CANVAS_MAX_NODES else "webgl"


def _empty(*columns: str) -> dict[str, list]:
    return {column: [] for column in columns}


def _aspect(fig: Plot) -> float:
    """Width / height of the plot's frame as the browser reported it, else as configured."""
    try:
        return fig.inner_width / fig.inner_height
    except UnsetValueError:  # not drawn yet
        return fig.width / fig.height


def node_data(scene: Scene) -> dict[str, np.ndarray]:
    """The node source's columns for ``scene`` (fills included)."""
    g = scene.drawn.geometry
    return {"x": g.x, "y": g.y, "size": g.sizes, "fill": g.per_node(scene.colours.fill, INTERNAL_FILL),
            "id": np.asarray(g.labels, dtype=object), "label": np.asarray(scene.labels, dtype=object),
            "isolates": g.counts, "summary": np.asarray(scene.summaries, dtype=object)}


def wedge_data(g: TreeGeometry, colours: NodeColours) -> dict[str, np.ndarray]:
    """The pie slices of the mixed nodes (none above :data:`PIE_MAX_NODES` nodes), with their node."""
    if colours.composition is None or g.nodes > PIE_MAX_NODES:
        return _empty(*_WEDGE_COLUMNS)
    counts = g.per_node(colours.composition.counts, 0)
    if colours.visible is not None:
        counts = counts * g.per_node(colours.visible, True)[:, None]
    wedges = pie_wedges(counts, colours.palette or [], g.x, g.y, g.sizes, g.labels)
    mixed = np.flatnonzero((counts > 0).sum(axis=1) >= 2)
    wedges["node"] = mixed[np.repeat(np.arange(len(mixed)), (counts[mixed] > 0).sum(axis=1))]
    return wedges


def ring_data(g: TreeGeometry, nodes: np.ndarray, extra: float) -> dict[str, np.ndarray]:
    """Rings around ``nodes``, ``extra`` pixels wider than each."""
    nodes = np.asarray(nodes, dtype=np.int64)
    return {"x": g.x[nodes], "y": g.y[nodes], "size": g.sizes[nodes] + extra}


class GlyphTree:
    """A tree drawn with plain Bokeh glyphs (see the module docstring).

    Attributes the page and the tests read: ``figure``; the sources ``nodes`` (``x, y, size, fill, id,
    label, isolates, summary``), ``edges`` (``x, y``), ``shortened`` (the dashed edges) and
    ``shortened_text`` (their lengths), ``wedges``, ``ring`` (found nodes), ``chosen`` (selected nodes),
    ``edge_text``; ``rule_sources`` and ``rule_lines`` (one per rule group of the tree, keyed by group
    name); ``visible`` (the node filter of hidden categories); ``scene`` (the one drawn).
    """

    labels_supported = True
    selects = True

    def __init__(self, scene: Scene, *, backend: str = "webgl") -> None:
        fig = figure(name=FIGURE_NAME, output_backend=backend, match_aspect=True, height=_HEIGHT,
                     sizing_mode="stretch_width", tools="pan,wheel_zoom,box_zoom,reset,save",
                     active_scroll="wheel_zoom", toolbar_location="above")
        fig.axis.visible = False
        fig.grid.visible = False
        self.figure = fig
        self.edges = ColumnDataSource(_empty("x", "y"))
        self.edge_line = fig.line("x", "y", source=self.edges, line_color="#8c8c8c", line_width=1.2)
        groups = sorted({int(k) for k in np.unique(scene.drawn.geometry.rules)})
        self.rule_sources = {RULE_GROUPS[k]: ColumnDataSource(_empty("x", "y")) for k in groups}
        self.rule_lines = {group: fig.line("x", "y", source=source, line_color=RULE_STYLES[group][0],
                                           line_width=1.6, visible=False)
                           for group, source in self.rule_sources.items()}
        self.shortened = ColumnDataSource(_empty("x", "y"))
        self.shortened_line = fig.line("x", "y", source=self.shortened, line_color=SHORTENED_COLOUR,
                                       line_width=1.4, line_dash="dashed")
        self.shortened_text = ColumnDataSource(_empty("x", "y", "text"))
        fig.text("x", "y", text="text", source=self.shortened_text, text_font_size="8pt",
                 text_color="#404040", text_align="center", text_baseline="bottom", text_font_style="italic")
        self.edge_text = ColumnDataSource(_empty("x", "y", "text"))
        self.edge_labels_glyph = fig.text("x", "y", text="text", source=self.edge_text, text_font_size="8pt",
                                          text_color="#505050", text_align="center", text_baseline="middle")
        self.nodes = ColumnDataSource(_empty(*_NODE_COLUMNS), name=NODES_NAME)
        self.visible = BooleanFilter(booleans=None)
        view = CDSView(filter=self.visible)
        self.node_glyphs = fig.scatter("x", "y", size="size", fill_color="fill", line_color="#404040",
                                       line_width=0.5, source=self.nodes, view=view,
                                       nonselection_fill_alpha=0.25, nonselection_line_alpha=0.3,
                                       selection_fill_alpha=1.0, selection_line_color=SELECTED_COLOUR)
        self.wedges = ColumnDataSource(_empty(*_WEDGE_COLUMNS))
        self.wedge_glyphs = fig.wedge("x", "y", radius="radius", radius_units="screen",
                                      start_angle="start_angle", end_angle="end_angle",
                                      fill_color="fill_color", line_color="white", line_width=0.5,
                                      source=self.wedges, nonselection_fill_alpha=0.25,
                                      nonselection_line_alpha=0.3)
        self.node_labels_glyph = fig.text("x", "y", text="label", source=self.nodes, view=CDSView(
            filter=self.visible), text_font_size=f"{scene.label_size}pt", x_offset=6, y_offset=-6,
            text_color="#202020", visible=scene.show_labels, nonselection_text_alpha=0.35)
        self.chosen = ColumnDataSource(_empty("x", "y", "size"))
        fig.scatter("x", "y", size="size", source=self.chosen, fill_alpha=0.0, line_color=SELECTED_COLOUR,
                    line_width=2.5)
        self.ring = ColumnDataSource(_empty("x", "y", "size"))
        fig.scatter("x", "y", size="size", source=self.ring, fill_alpha=0.0, line_color=RING_COLOUR,
                    line_width=3)
        fig.add_tools(HoverTool(renderers=[self.node_glyphs], tooltips=_TOOLTIPS),
                      TapTool(renderers=[self.node_glyphs], mode="replace"),  # not Bokeh's toggle
                      BoxSelectTool(renderers=[self.node_glyphs]),
                      LassoSelectTool(renderers=[self.node_glyphs], continuous=False))
        for axis in (fig.x_range, fig.y_range):
            axis.js_on_change("tags", CustomJS(code=_ZOOM_JS))
        self._zooms = 0
        self._applied: list[int] = []  # the node indices the last render selected
        self._listeners: list[Callable[[np.ndarray], None]] = []
        self.scene: Scene | None = None
        self.render(scene)()
        self.nodes.selected.on_change("indices", self._on_indices)

    @cached_property
    def pane(self) -> pn.pane.Bokeh:
        """The figure in a Panel pane (CSS class ``pd-tree-figure``)."""
        return pn.pane.Bokeh(self.figure, sizing_mode="stretch_width", name="Tree",
                             css_classes=["pd-tree-figure"])

    @property
    def geometry(self) -> TreeGeometry:
        """The drawn geometry of the scene shown."""
        assert self.scene is not None
        return self.scene.drawn.geometry

    def on_select(self, callback: Callable[[np.ndarray], None]) -> None:
        """Call ``callback(drawn_nodes)`` when the user selects nodes in the figure (tap, box, lasso)."""
        self._listeners.append(callback)

    def _on_indices(self, _attr: str, _old: list[int], new: list[int]) -> None:
        if sorted(new) == self._applied:  # our own render, coming back
            return
        self._applied = sorted(new)
        picked = np.asarray(new, dtype=np.int64)
        for callback in self._listeners:
            callback(picked)

    def render(self, scene: Scene) -> Callable[[], None]:
        """Prepare the column data that differs from the scene drawn now; return the update."""
        old = self.scene
        g = scene.drawn.geometry
        new_tree = old is None or old.drawn is not scene.drawn
        updates: list[Callable[[], None]] = []
        if new_tree:
            nodes = node_data(scene)
            edges, dashed, lengths = g.edges(), g.shortened_edges(), g.shortened_labels()

            def tree() -> None:
                self.visible.booleans = None
                self._applied = []  # first: the change below comes back through _on_indices
                self.nodes.selected.indices = []
                self.nodes.data = nodes
                self.edges.data = edges
                self.shortened.data = dashed
                self.shortened_text.data = lengths

            updates.append(tree)
        elif old.colours is not scene.colours:
            fill = g.per_node(scene.colours.fill, INTERNAL_FILL)
            updates.append(lambda: self.nodes.data.__setitem__("fill", fill))
        if new_tree or old.colours is not scene.colours:
            wedges = wedge_data(g, scene.colours)
            visible = (None if scene.colours.visible is None
                       else g.per_node(scene.colours.visible, True).tolist())

            def colour() -> None:
                self.wedges.data = wedges
                self.visible.booleans = visible

            updates.append(colour)
        if not new_tree and old.labels is not scene.labels:
            labels = np.asarray(scene.labels, dtype=object)
            updates.append(lambda: self.nodes.data.__setitem__("label", labels))
        if not new_tree and old.summaries is not scene.summaries:
            summaries = np.asarray(scene.summaries, dtype=object)
            updates.append(lambda: self.nodes.data.__setitem__("summary", summaries))
        if new_tree or old.edge_rules != scene.edge_rules:
            updates.append(self._rules(g, scene.edge_rules))
        if new_tree or old.edge_labels != scene.edge_labels:
            text = g.edge_labels() if scene.edge_labels else _empty("x", "y", "text")
            updates.append(lambda: setattr(self.edge_text, "data", text))
        if (new_tree or old.colours is not scene.colours
                or not np.array_equal(old.selected, scene.selected)):
            updates.append(self._selection(g, scene))
        if new_tree or not np.array_equal(old.marked, scene.marked):
            ring = ring_data(g, scene.marked, _RING_PX)
            updates.append(lambda: setattr(self.ring, "data", ring))

        def apply() -> None:
            for update in updates:
                update()
            self.node_labels_glyph.visible = scene.show_labels
            self.node_labels_glyph.glyph.text_font_size = f"{scene.label_size}pt"
            self.scene = scene

        return apply

    def _rules(self, g: TreeGeometry, on: bool) -> Callable[[], None]:
        paths = g.rule_paths() if on else {}

        def apply() -> None:
            self.edge_line.visible = not on
            for group, source in self.rule_sources.items():
                source.data = paths.get(group, _empty("x", "y"))
                self.rule_lines[group].visible = on

        return apply

    def _selection(self, g: TreeGeometry, scene: Scene) -> Callable[[], None]:
        selected = np.asarray(scene.selected, dtype=np.int64)
        chosen = ring_data(g, selected, _SELECTED_PX)
        wedge_nodes = wedge_data(g, scene.colours)["node"]
        wedge_rows = np.flatnonzero(np.isin(wedge_nodes, selected)).tolist() if len(selected) else []
        indices = selected.tolist()

        def apply() -> None:
            self._applied = indices
            self.nodes.selected.indices = indices
            self.wedges.selected.indices = wedge_rows
            self.chosen.data = chosen

        return apply

    def zoom_to(self, nodes: np.ndarray) -> None:
        """Zoom to the drawn ``nodes`` (nothing when there are none).

        The zoom box has the plot's aspect; it becomes the ranges' start and end, and their ``tags``.
        """
        if not len(nodes):
            return
        g = self.geometry
        x0, x1, y0, y1 = zoom_box(g.x[nodes], g.y[nodes], _aspect(self.figure))
        self._zooms += 1
        for axis, start, end in ((self.figure.x_range, x0, x1), (self.figure.y_range, y0, y1)):
            axis.start, axis.end, axis.tags = start, end, [start, end, self._zooms]

    def _renderers(self) -> list[GlyphRenderer]:
        return [r for r in self.figure.renderers if isinstance(r, GlyphRenderer)]

    def export_figure(self, backend: str) -> Plot:
        """A new, unattached copy of the figure as it is now (data, visible layers, view), for export."""
        assert self.scene is not None
        copy = GlyphTree(self.scene, backend=backend)
        for mine, theirs in zip(self._renderers(), copy._renderers(), strict=True):
            theirs.data_source.data = dict(mine.data_source.data)
            theirs.visible = mine.visible
        copy.visible.booleans = self.visible.booleans
        copy.nodes.selected.indices = list(self.nodes.selected.indices)
        copy.wedges.selected.indices = list(self.wedges.selected.indices)
        x_range, y_range = self.figure.x_range, self.figure.y_range
        view = np.array([x_range.start, x_range.end, y_range.start, y_range.end], dtype=np.float64)
        if np.isfinite(view).all():  # zoomed to, or reported by the browser: keep it at the export's aspect
            x0, x1, y0, y1 = zoom_box(view[:2], view[2:], EXPORT_SIZE[0] / EXPORT_SIZE[1], margin=0.0,
                                      smallest=0.0)
            copy.figure.x_range.start, copy.figure.x_range.end = x0, x1
            copy.figure.y_range.start, copy.figure.y_range.end = y0, y1
        copy.figure.toolbar_location = None
        copy.figure.sizing_mode = None
        copy.figure.width, copy.figure.height = EXPORT_SIZE
        return copy.figure

