"""The epidemic curve under the tree: stacked bars of isolates per week, month or year, and a brush.

A thin view over :class:`~dashboard.viewmodels.epicurve.EpiCurve`: one Bokeh ``quad`` renderer whose rows
are the stacked segments (the selected part of each bin at the bottom in full colour, the rest above it
faded), updated in place when the model's curve changes. Dragging across the plot (a ``BoxSelectTool``
over the time axis) or clicking a bar selects through the model; the brushed window stays shaded.
"""

from __future__ import annotations

import html

import numpy as np
import panel as pn
from bokeh.events import SelectionGeometry, Tap
from bokeh.models import BoxAnnotation, BoxSelectTool, ColumnDataSource, HoverTool
from bokeh.plotting import figure

from dashboard.tree.colours import FADED_ALPHA
from dashboard.viewmodels.epicurve import Curve, EpiCurve

#: Bokeh name of the figure, for browser tests.
FIGURE_NAME = "epicurve-figure"
_DAY_MS = 86_400_000
_COLUMNS = ("left", "right", "bottom", "top", "colour", "alpha", "category", "period", "isolates", "part")
_WINDOW_COLOUR = "#e6005c"


def segments(found: Curve) -> dict[str, list]:
    """The quads of a curve: per bin, the selected count of every stack from the bottom (full colour), then
    the rest of every stack (faded); zero-height segments left out. Times in milliseconds (Bokeh's)."""
    bins, stacked = found.bins, found.stacks
    rest = found.counts - found.selected
    parts = np.concatenate([found.selected, rest], axis=1)  # (bins, 2 * stacks): selected, then the rest
    tops = np.cumsum(parts, axis=1)
    b, k = np.nonzero(parts)
    width = len(stacked.categories)
    category = k % width
    period = [_period(int(day), found.unit) for day in bins.starts.tolist()]
    faded = k >= width
    return {
        "left": (bins.starts[b] * _DAY_MS).tolist(), "right": (bins.ends[b] * _DAY_MS).tolist(),
        "bottom": (tops[b, k] - parts[b, k]).tolist(), "top": tops[b, k].tolist(),
        "colour": [stacked.colours[c] for c in category.tolist()],
        "alpha": np.where(faded, FADED_ALPHA, 1.0).tolist(),
        "category": [stacked.categories[c] for c in category.tolist()],
        "period": [period[i] for i in b.tolist()], "isolates": parts[b, k].tolist(),
        "part": np.where(faded, "not selected", "selected" if found.selected.sum() < found.counts.sum()
                         else "").tolist(),
    }


def _period(day: int, unit: str) -> str:
    text = str(np.datetime64(day, "D"))
    return text[:4] if unit == "year" else text[:7] if unit == "month" else f"week of {text}"


def legend_html(found: Curve | None) -> str:
    """The stacks' colours as a line of swatches (none for a curve in one series)."""
    if found is None or len(found.stacks.categories) < 2:
        return ""
    swatches = "".join(
        f'<span style="white-space:nowrap;margin-right:10px"><span style="display:inline-block;width:10px;'
        f'height:10px;background:{colour};margin-right:4px"></span>{html.escape(name)}</span> '
        for name, colour in zip(found.stacks.categories, found.stacks.colours, strict=True))
    return f"<b>{html.escape(found.stacks.title)}</b>: {swatches}"


class EpiCurveView:
    """The curve with its controls, for one session (see the module docstring).

    Widgets the tests use (CSS classes ``pd-epicurve-<name>``): ``column`` (Select), ``unit``
    (RadioButtonGroup), ``clear`` (Button), ``message`` and ``legend``; ``figure`` is the Bokeh figure
    (named :data:`FIGURE_NAME`) and ``bars`` its source.
    """

    def __init__(self, model: EpiCurve) -> None:
        self.model = model
        self.column = pn.widgets.Select.from_param(model.param.column, width=200,
                                                   css_classes=["pd-epicurve-column"])
        self.unit = pn.widgets.RadioButtonGroup.from_param(model.param.unit, css_classes=["pd-epicurve-unit"],
                                                           button_type="default")
        self.clear = pn.widgets.Button(name="Clear selection", css_classes=["pd-epicurve-clear"], width=130)
        self.clear.on_click(lambda _event: model.clear())
        self.message = pn.pane.Markdown(model.message, css_classes=["pd-epicurve-message"],
                                        sizing_mode="stretch_width", margin=(0, 10))
        self.legend = pn.pane.HTML("", css_classes=["pd-epicurve-legend"], sizing_mode="stretch_width",
                                   margin=(0, 10))
        self._new_figure()
        model.param.watch(self._draw, ["curve", "window", "message"])
        self._draw()

    def _new_figure(self) -> None:
        """Make ``figure``, its sources and ``pane`` anew (empty until :meth:`_draw`)."""
        fig = figure(name=FIGURE_NAME, height=260, sizing_mode="stretch_width", x_axis_type="datetime",
                     tools="xpan,xwheel_zoom,reset,save", toolbar_location="above",
                     y_axis_label="isolates")
        fig.xgrid.visible = False
        fig.y_range.start = 0
        self.bars = ColumnDataSource({column: [] for column in _COLUMNS})
        quads = fig.quad(left="left", right="right", bottom="bottom", top="top", fill_color="colour",
                         fill_alpha="alpha", line_color="white", line_width=0.5, source=self.bars)
        # The brush selects nothing in the browser (an empty renderer): the model decides what is selected.
        anchor = fig.scatter(x=[], y=[], visible=False)
        brush = BoxSelectTool(dimensions="width", renderers=[anchor], description="Select a time window")
        fig.add_tools(brush, HoverTool(renderers=[quads], tooltips=[
            ("period", "@period"), ("", "@category"), ("isolates", "@isolates @part")]))
        fig.toolbar.active_drag = brush
        self.window = BoxAnnotation(left=None, right=None, fill_color=_WINDOW_COLOUR, fill_alpha=0.08,
                                    line_color=_WINDOW_COLOUR, line_alpha=0.6, line_dash="dashed",
                                    visible=False)
        fig.add_layout(self.window)
        fig.on_event(SelectionGeometry, self._on_brush)
        fig.on_event(Tap, self._on_tap)
        self.figure = fig
        self.pane = pn.pane.Bokeh(fig, sizing_mode="stretch_width", css_classes=["pd-epicurve-figure"])

    def _draw(self, *_events: object) -> None:
        """Show the model's curve, window and message. The figure's models are changed under
        ``pn.io.hold``: the model changes in callbacks that do not hold the page's document lock."""
        model = self.model
        found = model.curve
        with pn.io.hold():
            self.bars.data = segments(found) if found is not None else {column: [] for column in _COLUMNS}
            self.legend.object = legend_html(found)
            self.message.object = model.message
            if model.window is not None:
                self.window.update(left=model.window[0] * _DAY_MS, right=model.window[1] * _DAY_MS,
                                   visible=True)
            else:
                self.window.visible = False

    def _on_brush(self, event: SelectionGeometry) -> None:
        geometry = event.geometry or {}
        if not event.final or "x0" not in geometry:
            return
        self.model.brush(geometry["x0"] / _DAY_MS, geometry["x1"] / _DAY_MS)

    def _on_tap(self, event: Tap) -> None:
        if event.x is not None:
            self.model.brush(event.x / _DAY_MS, event.x / _DAY_MS)

    def panel(self) -> pn.viewable.Viewable:
        """The curve: a title, its controls, the legend, the figure and what it shows in words; hidden while
        the open tree's isolates have no date column. Each call draws on a new figure (``pane``, CSS class
        ``pd-epicurve-figure``): a Bokeh figure taken off the page and put back no longer sends its events
        to the server, so the brush would answer under the first tree shown only."""
        self._new_figure()
        self._draw()
        return pn.Column(
            pn.pane.Markdown("#### Epidemic curve", margin=(0, 10)),
            pn.Row(self.column, self.unit, self.clear, align="end"),
            self.legend, self.pane, self.message,
            visible=self.model.param.available, sizing_mode="stretch_width", name="Epidemic curve",
            css_classes=["pd-epicurve"])
