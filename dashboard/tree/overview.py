"""The overview of a very large tree: datashaded HoloViews Segments and Points, re-rasterized as you zoom.

It offers the same updates as :class:`dashboard.tree.figure.GlyphTree` (colours, rule colours, search
marks, export) but no text labels: at this size they would cover the picture.
"""

from __future__ import annotations

from collections.abc import Callable

import datashader as ds
import holoviews as hv
import holoviews.plotting.bokeh  # loads the Bokeh backend that options need
import numpy as np
import pandas as pd
import panel as pn
from bokeh.models import Plot
from holoviews.operation.datashader import datashade, dynspread

from dashboard.tree.colours import INTERNAL_FILL, PLAIN_FILL, NodeColours, coarse_fill
from dashboard.tree.figure import FIGURE_NAME, RING_COLOUR
from dashboard.tree.geometry import RULE_GROUPS, RULE_STYLES, TreeGeometry, zoom_box

hv.Store.set_current_backend("bokeh")
#: Plot frame on the page and in exported pictures, in pixels (fixed, so a view box maps without distortion).
PAGE_FRAME = (760, 620)  # fits beside the controls in a 1280-pixel-wide window
EXPORT_FRAME = (1200, 900)
_EDGE_SHADES = ["#c8c8c8", "#404040"]
Box = tuple[float, float, float, float]  # x0, x1, y0, y1


class OverviewTree:
    """A tree drawn as a datashaded HoloViews overlay inside ``pane`` (a ``pn.pane.HoloViews``).

    ``overlay`` is the HoloViews object shown now and ``view`` the box (x0, x1, y0, y1) it was opened
    at; ``node_frame`` and ``edge_frame`` hold its data and ``marked`` the rows ringed by a search.
    """

    labels_supported = False

    def __init__(self, geometry: TreeGeometry) -> None:
        self.geometry = geometry
        g = geometry
        self.node_frame = pd.DataFrame({"x": g.x, "y": g.y, "ST": g.labels, "isolates": g.counts,
                                        "fill": pd.Categorical(np.full(g.nodes, PLAIN_FILL))})
        rules = pd.Categorical.from_codes(g.rules, categories=list(RULE_GROUPS))
        self.edge_frame = pd.DataFrame({"x0": g.x[g.parents], "y0": g.y[g.parents], "x1": g.x[g.children],
                                        "y1": g.y[g.children], "rule": rules})
        self._rules = False
        self.marked = np.zeros(0, dtype=np.int64)
        self.view = self._fit(g.x, g.y, PAGE_FRAME, margin=0.03)
        self.overlay = self._overlay(self.view, PAGE_FRAME)
        self._range = hv.streams.RangeXY(source=self.overlay)
        self.pane = pn.pane.HoloViews(self.overlay, name="Tree overview", css_classes=["pd-tree-overview"])

    @staticmethod
    def _fit(xs: np.ndarray, ys: np.ndarray, frame: tuple[int, int], margin: float) -> Box:
        return zoom_box(xs, ys, frame[0] / frame[1], margin=margin)

    def _overlay(self, view: Box, frame: tuple[int, int], *, once: bool = False) -> hv.Overlay:
        """The overlay for the current colours, rule colouring and marks, opened at ``view``.

        It re-rasterizes as the user zooms, or, with ``once``, is rasterized once at the frame's size.
        """
        # the first raster covers the view at the frame's size (later ones follow the browser's zoom)
        fixed = {"x_range": view[:2], "y_range": view[2:], "width": frame[0], "height": frame[1],
                 "dynamic": not once}
        segments = hv.Segments(self.edge_frame, kdims=["x0", "y0", "x1", "y1"], vdims=["rule"])
        if self._rules:
            edges = datashade(segments, aggregator=ds.count_cat("rule"),
                              color_key={group: RULE_STYLES[group][0] for group in RULE_GROUPS}, **fixed)
        else:
            edges = datashade(segments, cmap=_EDGE_SHADES, **fixed)
        points = hv.Points(self.node_frame, kdims=["x", "y"], vdims=["fill", "ST", "isolates"])
        fills = list(self.node_frame["fill"].cat.categories)
        # datashader warns on a single category ("All-NaN slice"): then a plain one-colour shading
        colouring = ({"aggregator": ds.count_cat("fill"), "color_key": {colour: colour for colour in fills}}
                     if len(fills) > 1 else {"cmap": fills * 2})
        nodes = dynspread(datashade(points, selector=ds.max("isolates"), **colouring, **fixed),
                          threshold=0.8, max_px=4, dynamic=not once)
        marked = self.geometry.x[self.marked], self.geometry.y[self.marked]
        ring = hv.Points(marked, kdims=["x", "y"]).opts(size=14, fill_alpha=0.0, line_color=RING_COLOUR,
                                                        line_width=3, color=RING_COLOUR)
        return (edges * nodes * ring).opts(
            hv.opts.RGB(tools=["hover"], show_legend=False),
            hv.opts.Overlay(frame_width=frame[0], frame_height=frame[1], xlim=view[:2], ylim=view[2:],
                            xaxis=None, yaxis=None, show_grid=False, show_legend=False,
                            active_tools=["wheel_zoom"]))

    def _current_view(self) -> Box:
        """The box the browser shows now (as reported), else the one the overlay opened at."""
        if self._range.x_range is None or self._range.y_range is None:
            return self.view
        return (*self._range.x_range, *self._range.y_range)

    def _show(self, view: Box) -> Callable[[], None]:
        """Build the overlay opened at ``view``; return the function that puts it on the page."""
        overlay = self._overlay(view, PAGE_FRAME)

        def apply() -> None:
            self.overlay, self.view = overlay, view
            self._range = hv.streams.RangeXY(source=overlay)
            self.pane.object = overlay

        return apply

    def colour(self, colours: NodeColours) -> Callable[[], None]:
        """Prepare the overview in ``colours`` (numeric ones snapped to stops); return the update."""
        fill = self.geometry.per_node(coarse_fill(colours), INTERNAL_FILL)
        self.node_frame = self.node_frame.assign(fill=pd.Categorical(fill))
        return self._show(self._current_view())

    def edge_rules(self, on: bool) -> Callable[[], None]:
        """Prepare edges coloured by rule (or in grey); return the update."""
        self._rules = on
        return self._show(self._current_view())

    def mark(self, rows: np.ndarray) -> None:
        """Ring the nodes of ``rows`` and zoom to them (no ring and no zoom when ``rows`` is empty)."""
        self.marked = np.asarray(rows, dtype=np.int64)
        g = self.geometry
        self._show(self._fit(g.x[rows], g.y[rows], PAGE_FRAME, margin=0.15) if len(rows)
                   else self._current_view())()

    def export_figure(self, backend: str) -> Plot:
        """A Bokeh figure of the overview as the browser shows it now (rasterized once), for export."""
        x0, x1, y0, y1 = self._current_view()
        view = self._fit(np.array([x0, x1]), np.array([y0, y1]), EXPORT_FRAME, margin=0.0)
        plot = hv.render(self._overlay(view, EXPORT_FRAME, once=True))
        plot.output_backend = backend
        plot.toolbar_location = None
        plot.name = FIGURE_NAME
        return plot
