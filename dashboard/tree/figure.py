"""The tree as one Bokeh figure: every edge in one NaN-broken WebGL line, every node in one scatter.

Pie-chart nodes are wedges in screen units drawn over the scatter; edges coloured by their deciding rule
are one line per rule group. Updates come in two steps: a method computes the new column data (in any
thread) and returns a function that puts it in the figure (on the page's event loop).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np
import panel as pn
from bokeh.core.property.descriptors import UnsetValueError
from bokeh.models import ColumnDataSource, CustomJS, GlyphRenderer, HoverTool, Plot
from bokeh.plotting import figure

from dashboard.tree.colours import INTERNAL_FILL, PLAIN_FILL, NodeColours
from dashboard.tree.geometry import RULE_STYLES, TreeGeometry, pie_wedges, zoom_box

#: Up to this many nodes a node whose isolates have several values is a pie; above, its majority colour.
PIE_MAX_NODES = 20_000
#: Bokeh name of the figure, for browser tests.
FIGURE_NAME = "tree-figure"
RING_COLOUR = "#e6005c"
_RING_PX = 10.0  # the search ring is this much wider than its node
_HEIGHT = 720
_EXPORT_SIZE = (1200, 900)
_TOOLTIPS = [("ST", "@id"), ("isolates", "@isolates"), ("metadata", "@summary")]
# A DataRange1d recomputes its start and end from the data whenever data changes, unless the user has
# zoomed; so a zoom asked for from Python (the range's tags: start, end, a counter) is applied in the
# browser as if the user had made it.
_ZOOM_JS = """
cb_obj.have_updated_interactively = true
const [start, end] = cb_obj.tags
cb_obj.setv({start, end})
"""


def _empty(*columns: str) -> dict[str, list]:
    return {column: [] for column in columns}


def _aspect(fig: Plot) -> float:
    """Width / height of the plot's frame as the browser reported it, else as configured."""
    try:
        return fig.inner_width / fig.inner_height
    except UnsetValueError:  # not drawn yet
        return fig.width / fig.height


class GlyphTree:
    """A tree drawn with plain Bokeh glyphs (see the module docstring).

    Attributes the page and the tests read: ``figure``; the sources ``nodes`` (``x, y, size, fill, id,
    isolates, summary``), ``edges`` (``x, y``), ``wedges``, ``ring``, ``edge_text``; ``rule_sources``
    and ``rule_lines`` (one per rule group present, keyed by group name).
    """

    labels_supported = True

    def __init__(self, geometry: TreeGeometry, summaries: list[str], *, node_labels: bool,
                 backend: str = "webgl") -> None:
        self.geometry = geometry
        self.summaries = summaries
        fig = figure(name=FIGURE_NAME, output_backend=backend, match_aspect=True, height=_HEIGHT,
                     sizing_mode="stretch_width", tools="pan,wheel_zoom,box_zoom,reset,tap,save",
                     active_scroll="wheel_zoom", toolbar_location="above")
        fig.axis.visible = False
        fig.grid.visible = False
        self.figure = fig
        self.edges = ColumnDataSource(geometry.edges())
        self.edge_line = fig.line("x", "y", source=self.edges, line_color="#8c8c8c", line_width=1.2)
        self.rule_sources = {group: ColumnDataSource(_empty("x", "y")) for group in geometry.rule_paths()}
        self.rule_lines = {group: fig.line("x", "y", source=source, line_color=RULE_STYLES[group][0],
                                           line_width=1.6, visible=False)
                           for group, source in self.rule_sources.items()}
        self.edge_text = ColumnDataSource(_empty("x", "y", "text"))
        self.edge_labels_glyph = fig.text("x", "y", text="text", source=self.edge_text, text_font_size="8pt",
                                          text_color="#505050", text_align="center", text_baseline="middle")
        self.nodes = ColumnDataSource({
            "x": geometry.x, "y": geometry.y, "size": geometry.sizes,
            "fill": np.full(geometry.nodes, PLAIN_FILL, dtype=object), "id": geometry.labels,
            "isolates": geometry.counts, "summary": geometry.per_node(summaries, ""),
        })
        self.node_glyphs = fig.scatter("x", "y", size="size", fill_color="fill", line_color="#404040",
                                       line_width=0.5, source=self.nodes)
        self.wedges = ColumnDataSource(_empty("x", "y", "radius", "start_angle", "end_angle", "fill_color"))
        self.wedge_glyphs = fig.wedge("x", "y", radius="radius", radius_units="screen",
                                      start_angle="start_angle", end_angle="end_angle",
                                      fill_color="fill_color", line_color="white", line_width=0.5,
                                      source=self.wedges)
        self.node_labels_glyph = fig.text("x", "y", text="id", source=self.nodes, text_font_size="8pt",
                                          x_offset=6, y_offset=-6, text_color="#202020", visible=node_labels)
        self.ring = ColumnDataSource(_empty("x", "y", "size"))
        fig.scatter("x", "y", size="size", source=self.ring, fill_alpha=0.0, line_color=RING_COLOUR,
                    line_width=3)
        fig.add_tools(HoverTool(renderers=[self.node_glyphs], tooltips=_TOOLTIPS))
        for axis in (fig.x_range, fig.y_range):
            axis.js_on_change("tags", CustomJS(code=_ZOOM_JS))
        self._zooms = 0

    @cached_property
    def pane(self) -> pn.pane.Bokeh:
        """The figure in a Panel pane (CSS class ``pd-tree-figure``)."""
        return pn.pane.Bokeh(self.figure, sizing_mode="stretch_width", name="Tree",
                             css_classes=["pd-tree-figure"])

    def colour(self, colours: NodeColours) -> Callable[[], None]:
        """Prepare node fills (pies for mixed nodes up to :data:`PIE_MAX_NODES` nodes); return the update."""
        g = self.geometry
        if colours.composition is not None and g.nodes <= PIE_MAX_NODES:
            wedges = pie_wedges(g.per_node(colours.composition.counts, 0), colours.palette or [], g.x, g.y,
                                g.sizes, g.ids)
        else:
            wedges = _empty(*self.wedges.data)

        def apply() -> None:
            self.nodes.data["fill"] = g.per_node(colours.fill, INTERNAL_FILL)
            self.wedges.data = wedges

        return apply

    def edge_rules(self, on: bool) -> Callable[[], None]:
        """Prepare edges coloured by rule (one line per rule group) or in one grey; return the update."""
        paths = self.geometry.rule_paths() if on else {group: _empty("x", "y") for group in self.rule_sources}

        def apply() -> None:
            self.edge_line.visible = not on
            for group, data in paths.items():
                self.rule_sources[group].data = data
                self.rule_lines[group].visible = on

        return apply

    def edge_labels(self, on: bool) -> Callable[[], None]:
        """Prepare the distance labels at the edge midpoints (or none); return the update."""
        data = self.geometry.edge_labels() if on else _empty("x", "y", "text")

        def apply() -> None:
            self.edge_text.data = data

        return apply

    def node_labels(self, on: bool) -> None:
        """Show or hide the profile ids next to the nodes."""
        self.node_labels_glyph.visible = on

    def mark(self, rows: np.ndarray) -> None:
        """Ring the nodes of ``rows`` and zoom to them (no ring and no zoom when ``rows`` is empty).

        The zoom box has the plot's aspect; it becomes the ranges' start and end, and their ``tags``.
        """
        g = self.geometry
        self.ring.data = {"x": g.x[rows], "y": g.y[rows], "size": g.sizes[rows] + _RING_PX}
        if len(rows):
            x0, x1, y0, y1 = zoom_box(g.x[rows], g.y[rows], _aspect(self.figure))
            self._zooms += 1
            for axis, start, end in ((self.figure.x_range, x0, x1), (self.figure.y_range, y0, y1)):
                axis.start, axis.end, axis.tags = start, end, [start, end, self._zooms]

    def _renderers(self) -> list[GlyphRenderer]:
        return [r for r in self.figure.renderers if isinstance(r, GlyphRenderer)]

    def export_figure(self, backend: str) -> Plot:
        """A new, unattached copy of the figure as it is now (data, visible layers, view), for export."""
        copy = GlyphTree(self.geometry, self.summaries, node_labels=False, backend=backend)
        for mine, theirs in zip(self._renderers(), copy._renderers(), strict=True):
            theirs.data_source.data = dict(mine.data_source.data)
            theirs.visible = mine.visible
        x_range, y_range = self.figure.x_range, self.figure.y_range
        view = np.array([x_range.start, x_range.end, y_range.start, y_range.end], dtype=np.float64)
        if np.isfinite(view).all():  # zoomed to, or reported by the browser: keep it at the export's aspect
            x0, x1, y0, y1 = zoom_box(view[:2], view[2:], _EXPORT_SIZE[0] / _EXPORT_SIZE[1], margin=0.0,
                                      smallest=0.0)
            copy.figure.x_range.start, copy.figure.x_range.end = x0, x1
            copy.figure.y_range.start, copy.figure.y_range.end = y0, y1
        copy.figure.toolbar_location = None
        copy.figure.sizing_mode = None
        copy.figure.width, copy.figure.height = _EXPORT_SIZE
        return copy.figure
