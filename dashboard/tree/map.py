"""The map under the tree: countries shaded by isolate counts and a circle per place, with no tile server.

A thin view over :class:`~dashboard.viewmodels.map.MapState`. Country outlines are Bokeh
``multi_polygons`` from the bundled world file in plain longitude/latitude (``match_aspect``: a degree is
as long across as up); a place is a hollow circle as large as all its isolates and a filled one as large as
its selected isolates (both equal when nothing is selected). Clicking a circle or a country picks it
through the model; the countries are shaded by the selected isolates (all when nothing is selected).
"""

from __future__ import annotations

import numpy as np
import panel as pn
from bokeh.core.property.descriptors import UnsetValueError
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, DataRange1d, HoverTool
from bokeh.plotting import figure

from dashboard.tree.colours import LAND_FILL, LAND_LINE, PLACE_FILL, count_shades
from dashboard.viewmodels.map import MapState, Places
from dashboard.viewmodels.world import world

#: Bokeh name of the figure, for browser tests.
FIGURE_NAME = "map-figure"
#: Diameter in pixels of the circle of the place with the most isolates (area follows the count).
LARGEST_CIRCLE_PX = 44.0
SMALLEST_CIRCLE_PX = 6.0
#: The map opens on this box (lon, lat): every inhabited land, Antarctica left out.
VIEW = ((-180.0, 180.0), (-56.0, 80.0))
_PLACE_COLUMNS = ("x", "y", "name", "isolates", "selected", "outer", "inner")


def circle_sizes(counts: np.ndarray, largest: float) -> np.ndarray:
    """Diameters in pixels: area proportional to the count, ``largest`` counts get
    :data:`LARGEST_CIRCLE_PX`; 0 for 0, never below :data:`SMALLEST_CIRCLE_PX` otherwise."""
    counts = np.asarray(counts, dtype=np.float64)
    sizes = LARGEST_CIRCLE_PX * np.sqrt(counts / max(float(largest), 1.0))
    return np.where(counts > 0, np.maximum(sizes, SMALLEST_CIRCLE_PX), 0.0)


def country_outlines() -> dict[str, list]:
    """Every country of the world as ``multi_polygons`` columns (``xs``, ``ys``) with its ``name``."""
    countries = world().countries
    drawn = [c for c in countries if c.polygons]
    return {
        "xs": [[[ring[:, 0].tolist() for ring in polygon] for polygon in c.polygons] for c in drawn],
        "ys": [[[ring[:, 1].tolist() for ring in polygon] for polygon in c.polygons] for c in drawn],
        "name": [c.name for c in drawn],
        "index": [countries.index(c) for c in drawn],
    }


def place_columns(found: Places | None) -> dict[str, list]:
    """The circles of the places: position, name, counts and the two diameters."""
    if found is None or not len(found.names):
        return {column: [] for column in _PLACE_COLUMNS}
    largest = float(found.totals.max())
    return {"x": found.lon.tolist(), "y": found.lat.tolist(), "name": list(found.names),
            "isolates": found.totals.tolist(), "selected": found.selected.tolist(),
            "outer": circle_sizes(found.totals, largest).tolist(),
            "inner": circle_sizes(found.selected, largest).tolist()}


class MapView:
    """The map with its controls, for one session (see the module docstring).

    Widgets the tests use (CSS classes ``pd-map-<name>``): ``column`` (Select), ``clear`` (Button) and
    ``message``; ``figure`` is the Bokeh figure (named :data:`FIGURE_NAME`), ``countries`` and ``places``
    its sources.
    """

    def __init__(self, model: MapState) -> None:
        self.model = model
        self.column = pn.widgets.Select.from_param(model.param.column, width=200,
                                                   css_classes=["pd-map-column"])
        self.clear = pn.widgets.Button(name="Clear selection", css_classes=["pd-map-clear"], width=130)
        self.clear.on_click(lambda _event: model.pick(None))
        self.message = pn.pane.Markdown(model.message, css_classes=["pd-map-message"],
                                        sizing_mode="stretch_width", margin=(0, 10))
        self._new_figure()
        model.param.watch(self._draw, ["places", "message"])
        self._draw()

    def _new_figure(self) -> None:
        """Make ``figure``, its sources and ``pane`` anew (land unshaded until :meth:`_draw`)."""
        outlines = country_outlines()
        self._drawn = np.asarray(outlines.pop("index"), np.int64)  # world index of every drawn country
        outlines["fill"] = [LAND_FILL] * len(self._drawn)
        outlines["isolates"] = [0] * len(self._drawn)
        self.countries = ColumnDataSource(outlines)
        self.places = ColumnDataSource(place_columns(None))
        # Ranges follow an invisible box around VIEW, so that match_aspect pads it to the plot's shape.
        fig = figure(name=FIGURE_NAME, height=360, sizing_mode="stretch_width", match_aspect=True,
                     tools="pan,wheel_zoom,reset,save", active_scroll="wheel_zoom", toolbar_location="above")
        bounds = fig.scatter(x=list(VIEW[0]), y=list(VIEW[1]), alpha=0)
        fig.x_range, fig.y_range = DataRange1d(renderers=[bounds]), DataRange1d(renderers=[bounds])
        fig.axis.visible = False
        fig.grid.visible = False
        fig.background_fill_color = "#fbfdff"
        shapes = fig.multi_polygons("xs", "ys", source=self.countries, fill_color="fill",
                                    line_color=LAND_LINE, line_width=0.5)
        fig.scatter("x", "y", size="outer", source=self.places, fill_color="white", fill_alpha=0.6,
                    line_color=PLACE_FILL, line_width=1.5)
        inner = fig.scatter("x", "y", size="inner", source=self.places, fill_color=PLACE_FILL,
                            fill_alpha=0.85, line_color="white", line_width=0.5)
        fig.add_tools(HoverTool(renderers=[inner], tooltips=[("", "@name"), ("isolates", "@isolates"),
                                                             ("selected", "@selected")]),
                      HoverTool(renderers=[shapes], tooltips=[("", "@name"), ("isolates", "@isolates")]))
        fig.on_event(Tap, self._on_tap)
        self.figure = fig
        self.pane = pn.pane.Bokeh(fig, sizing_mode="stretch_width", css_classes=["pd-map-figure"])

    def _draw(self, *_events: object) -> None:
        """Show the model's counts and message (the figure's models changed under ``pn.io.hold``, as
        the curve's are: see :meth:`dashboard.tree.epicurve.EpiCurveView._draw`)."""
        found = self.model.places
        counts = np.zeros(len(world().countries), np.int64)
        totals = np.zeros(len(world().countries), np.int64)
        if found is not None and found.kind == "country":
            counts[found.country] = found.selected
            totals[found.country] = found.totals
        with pn.io.hold():
            self.countries.data.update(fill=count_shades(counts[self._drawn]),
                                       isolates=totals[self._drawn].tolist())
            self.places.data = place_columns(found)
            self.message.object = self.model.message

    def _degrees_per_pixel(self) -> float:
        """Degrees of longitude per pixel at the current zoom (as the browser last reported it)."""
        x_range = self.figure.x_range
        try:
            width = float(self.figure.inner_width)
        except UnsetValueError:  # not drawn yet
            width = float(self.figure.width or 600)
        start, end = x_range.start, x_range.end
        span = (end - start) if isinstance(start, float | int) and isinstance(end, float | int) else 360.0
        return abs(span) / max(width, 1.0)

    def _on_tap(self, event: Tap) -> None:
        if event.x is None or event.y is None:
            return
        found = self.model.places
        if found is None:
            return
        # The nearest circle counts when the click fell inside it (or within 4 pixels of a small one); else
        # the country under the click.
        scale = self._degrees_per_pixel()
        sizes = np.asarray(self.places.data["outer"], np.float64)
        if len(sizes):
            distance = np.hypot(found.lon - event.x, found.lat - event.y)
            nearest = int(np.argmin(distance))
            if distance[nearest] <= max(sizes[nearest] / 2, 4) * scale:
                self.model.pick(nearest)
                return
        self.model.pick_at(event.x, event.y, tolerance=0.0)

    def panel(self) -> pn.viewable.Viewable:
        """The map: a title, its controls, the figure and what it shows in words; hidden while the open
        tree's isolates have no place column. Each call draws on a new figure (``pane``, CSS class
        ``pd-map-figure``), as the curve does (:meth:`dashboard.tree.epicurve.EpiCurveView.panel`)."""
        self._new_figure()
        self._draw()
        return pn.Column(
            pn.pane.Markdown("#### Map", margin=(0, 10)),
            pn.Row(self.column, self.clear, align="end"),
            self.pane, self.message,
            visible=self.model.param.available, sizing_mode="stretch_width", name="Map",
            css_classes=["pd-map"])
