"""The overview of a very large tree: datashaded HoloViews Segments and Points, re-rasterized as you zoom.

It draws the same :class:`~dashboard.tree.scene.Scene` as :class:`dashboard.tree.figure.GlyphTree`
(collapse, colours, hidden categories, rule colours, search rings, the selection, export) but no text
labels: at this size they would cover the picture. Box and lasso select nodes through HoloViews
streams.
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

from dashboard.tree.colours import INTERNAL_FILL, PLAIN_FILL, coarse_fill
from dashboard.tree.figure import FIGURE_NAME, RING_COLOUR, SELECTED_COLOUR, SHORTENED_COLOUR
from dashboard.tree.geometry import RULE_GROUPS, RULE_STYLES, TreeGeometry, inside_polygon, zoom_box
from dashboard.tree.scene import Scene

hv.Store.set_current_backend("bokeh")
#: Plot frame on the page and in exported pictures, in pixels (fixed, so a view box maps without distortion).
PAGE_FRAME = (760, 620)  # fits beside the controls in a 1280-pixel-wide window
EXPORT_FRAME = (1200, 900)
_EDGE_SHADES = ["#c8c8c8", "#404040"]
Box = tuple[float, float, float, float]  # x0, x1, y0, y1


class OverviewTree:
    """A tree drawn as a datashaded HoloViews overlay inside ``pane`` (a ``pn.pane.HoloViews``).

    ``overlay`` is the HoloViews object shown now and ``view`` the box (x0, x1, y0, y1) it was opened
    at; ``node_frame`` and ``edge_frame`` hold its data, ``marked`` the drawn nodes ringed by a search
    and ``selected`` those selected; ``scene`` is the scene drawn.
    """

    labels_supported = False
    selects = True

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self._listeners: list[Callable[[np.ndarray], None]] = []
        self._frames(scene)
        g = scene.drawn.geometry
        self.view = self._fit(g.x, g.y, PAGE_FRAME, margin=0.03)
        self.overlay = self._overlay(self.view, PAGE_FRAME)
        self._range = hv.streams.RangeXY(source=self.overlay)
        self.pane = pn.pane.HoloViews(self.overlay, name="Tree overview", css_classes=["pd-tree-overview"])

    @property
    def geometry(self) -> TreeGeometry:
        """The drawn geometry of the scene shown."""
        return self.scene.drawn.geometry

    @property
    def marked(self) -> np.ndarray:
        """The drawn nodes a search ringed."""
        return np.asarray(self.scene.marked, dtype=np.int64)

    def _frames(self, scene: Scene) -> None:
        g = scene.drawn.geometry
        fill = g.per_node(coarse_fill(scene.colours), INTERNAL_FILL)
        keep = (np.ones(g.nodes, dtype=bool) if scene.colours.visible is None
                else g.per_node(scene.colours.visible, True))
        self.node_frame = pd.DataFrame({"x": g.x[keep], "y": g.y[keep], "ST": np.asarray(g.labels)[keep],
                                        "isolates": g.counts[keep],
                                        "fill": pd.Categorical(fill[keep] if len(fill) else
                                                               np.full(0, PLAIN_FILL))})
        edges = g.drawn_true
        rules = pd.Categorical.from_codes(g.rules[edges], categories=list(RULE_GROUPS))
        self.edge_frame = pd.DataFrame({"x0": g.x[g.parents[edges]], "y0": g.y[g.parents[edges]],
                                        "x1": g.x[g.children[edges]], "y1": g.y[g.children[edges]],
                                        "rule": rules})
        short = ~edges
        self.short_frame = pd.DataFrame({"x0": g.x[g.parents[short]], "y0": g.y[g.parents[short]],
                                         "x1": g.x[g.children[short]], "y1": g.y[g.children[short]]})

    @staticmethod
    def _fit(xs: np.ndarray, ys: np.ndarray, frame: tuple[int, int], margin: float) -> Box:
        return zoom_box(xs, ys, frame[0] / frame[1], margin=margin)

    def _overlay(self, view: Box, frame: tuple[int, int], *, once: bool = False) -> hv.Overlay:
        """The overlay for the current scene, opened at ``view``.

        It re-rasterizes as the user zooms, or, with ``once``, is rasterized once at the frame's size.
        """
        scene = self.scene
        g = scene.drawn.geometry
        # the first raster covers the view at the frame's size (later ones follow the browser's zoom)
        fixed = {"x_range": view[:2], "y_range": view[2:], "width": frame[0], "height": frame[1],
                 "dynamic": not once}
        segments = hv.Segments(self.edge_frame, kdims=["x0", "y0", "x1", "y1"], vdims=["rule"])
        if scene.edge_rules:
            edges = datashade(segments, aggregator=ds.count_cat("rule"),
                              color_key={group: RULE_STYLES[group][0] for group in RULE_GROUPS}, **fixed)
        else:
            edges = datashade(segments, cmap=_EDGE_SHADES, **fixed)
        layers = [edges]
        if len(self.short_frame):
            short = hv.Segments(self.short_frame, kdims=["x0", "y0", "x1", "y1"]).opts(
                color=SHORTENED_COLOUR, line_dash="dashed", line_width=1.4)
            layers.append(short)
        points = hv.Points(self.node_frame, kdims=["x", "y"], vdims=["fill", "ST", "isolates"])
        fills = list(self.node_frame["fill"].cat.categories)
        # datashader warns on a single category ("All-NaN slice"): then a plain one-colour shading
        colouring = ({"aggregator": ds.count_cat("fill"), "color_key": {colour: colour for colour in fills}}
                     if len(fills) > 1 else {"cmap": (fills or [PLAIN_FILL]) * 2})
        nodes = dynspread(datashade(points, selector=ds.max("isolates"), **colouring, **fixed),
                          threshold=0.8, max_px=4, dynamic=not once)
        layers.append(nodes)
        chosen = np.asarray(scene.selected, dtype=np.int64)
        if len(chosen):
            picked = hv.Points((g.x[chosen], g.y[chosen]), kdims=["x", "y"])
            layers.append(dynspread(datashade(picked, cmap=[SELECTED_COLOUR] * 2, **fixed), threshold=0.9,
                                    max_px=3, dynamic=not once))
        marked = g.x[self.marked], g.y[self.marked]
        layers.append(hv.Points(marked, kdims=["x", "y"]).opts(
            size=14, fill_alpha=0.0, line_color=RING_COLOUR, line_width=3, color=RING_COLOUR))
        if not once:
            self._watch_selection(nodes)
        return hv.Overlay(layers).opts(
            hv.opts.RGB(tools=["hover", "box_select", "lasso_select"], show_legend=False),
            hv.opts.Overlay(frame_width=frame[0], frame_height=frame[1], xlim=view[:2], ylim=view[2:],
                            xaxis=None, yaxis=None, show_grid=False, show_legend=False,
                            active_tools=["wheel_zoom"]))

    def _watch_selection(self, nodes: hv.DynamicMap) -> None:
        """Report box and lasso selections made on ``nodes`` as drawn nodes."""
        box = hv.streams.BoundsXY(source=nodes)
        lasso = hv.streams.Lasso(source=nodes)
        box.add_subscriber(lambda bounds=None, **_: self._selected_in(bounds=bounds))
        lasso.add_subscriber(lambda geometry=None, **_: self._selected_in(polygon=geometry))

    def _selected_in(self, bounds: tuple | None = None, polygon: np.ndarray | None = None) -> None:
        g = self.geometry
        keep = (np.ones(g.nodes, dtype=bool) if self.scene.colours.visible is None
                else g.per_node(self.scene.colours.visible, True))
        if bounds is not None:
            x0, y0, x1, y1 = bounds
            inside = (g.x >= x0) & (g.x <= x1) & (g.y >= y0) & (g.y <= y1)
        elif polygon is not None and len(polygon) >= 3:
            inside = inside_polygon(g.x, g.y, np.asarray(polygon)[:, 0], np.asarray(polygon)[:, 1])
        else:
            return
        picked = np.flatnonzero(inside & keep)
        for callback in self._listeners:
            callback(picked)

    def on_select(self, callback: Callable[[np.ndarray], None]) -> None:
        """Call ``callback(drawn_nodes)`` when the user selects nodes with the box or the lasso."""
        self._listeners.append(callback)

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

    def render(self, scene: Scene) -> Callable[[], None]:
        """Prepare the overview of ``scene`` (numeric colours snapped to stops); return the update.

        Labels and edge labels are not drawn; anything else that changed redraws the overlay.
        """
        old = self.scene
        same = (old.drawn is scene.drawn and old.colours is scene.colours
                and old.edge_rules == scene.edge_rules and np.array_equal(old.selected, scene.selected)
                and np.array_equal(old.marked, scene.marked))
        if same:
            return lambda: setattr(self, "scene", scene)
        self.scene = scene
        if old.drawn is not scene.drawn or old.colours is not scene.colours:
            self._frames(scene)
        view = self._current_view() if old.drawn is scene.drawn else self._fit(
            scene.drawn.geometry.x, scene.drawn.geometry.y, PAGE_FRAME, margin=0.03)
        return self._show(view)

    def zoom_to(self, nodes: np.ndarray) -> None:
        """Zoom to the drawn ``nodes`` (nothing when there are none)."""
        if not len(nodes):
            return
        g = self.geometry
        self._show(self._fit(g.x[nodes], g.y[nodes], PAGE_FRAME, margin=0.15))()

    def export_figure(self, backend: str) -> Plot:
        """A Bokeh figure of the overview as the browser shows it now (rasterized once), for export."""
        x0, x1, y0, y1 = self._current_view()
        view = self._fit(np.array([x0, x1]), np.array([y0, y1]), EXPORT_FRAME, margin=0.0)
        plot = hv.render(self._overlay(view, EXPORT_FRAME, once=True))
        plot.output_backend = backend
        plot.toolbar_location = None
        plot.name = FIGURE_NAME
        return plot
