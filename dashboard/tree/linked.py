"""The views linked to the tree through its shared selection: the epidemic curve and the map.

:class:`LinkedViews` is made once per session from the session's
:class:`~dashboard.viewmodels.tree.TreeState`; its models follow whichever tree is open, and
:meth:`LinkedViews.attach` connects the drawn tree of the moment: a selection made by another view is shown
on the tree's nodes (Bokeh's own selected/faded look, pies included), and nodes tapped on the tree select
their profiles (``source="tree"``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import panel as pn
from bokeh.models import TapTool

from dashboard.tree.epicurve import EpiCurveView
from dashboard.tree.figure import GlyphTree
from dashboard.tree.map import MapView
from dashboard.viewmodels.epicurve import EpiCurve
from dashboard.viewmodels.map import MapState
from dashboard.viewmodels.tree import TreeState


class LinkedViews:
    """The epidemic curve and the map of a session's open tree, beside each other under the tree."""

    def __init__(self, tree: TreeState) -> None:
        self.tree = tree
        self.epicurve = EpiCurveView(EpiCurve(tree=tree))
        self.map = MapView(MapState(tree=tree))
        self.canvas: GlyphTree | None = None
        tree.selection.param.watch(self._on_selection, "rows")

    def attach(self, view: Any) -> None:
        """Show the selection on ``view``'s tree (a :class:`~dashboard.tree.view.TreeView`) from now on,
        and let taps on its nodes select. Trees drawn as a density overview only take part through the
        other views."""
        canvas = getattr(view, "canvas", None)
        self.canvas = canvas if isinstance(canvas, GlyphTree) else None
        if self.canvas is None:
            return
        for tool in self.canvas.figure.select(type=TapTool):
            tool.mode = "replace"  # Bokeh's default toggles: a tap on a node of a selection cleared it all
        self.canvas.nodes.selected.on_change("indices", self._on_tree_tap)
        self.canvas.wedges.on_change("data", lambda _attr, _old, _new: self._show())
        self._show()

    def _on_selection(self, _event: object) -> None:
        self._show()

    def _show(self) -> None:
        """Mark the selected profile rows on the tree: Bokeh fades the nodes (and pie slices) not selected."""
        canvas = self.canvas
        if canvas is None:
            return
        rows = self.tree.selection.rows
        canvas.nodes.selected.indices = list(rows)
        if rows:
            ids = np.asarray(canvas.geometry.ids, dtype=object)[np.asarray(rows, np.int64)]
            drawn = canvas.wedges.data.get("id", [])  # no pies: no ids
            wedges = np.flatnonzero(np.isin(np.asarray(drawn, dtype=object), ids))
            canvas.wedges.selected.indices = wedges.tolist()
        else:
            canvas.wedges.selected.indices = []

    def _on_tree_tap(self, _attr: str, _old: list[int], new: list[int]) -> None:
        canvas = self.canvas
        if canvas is None:
            return
        rows = sorted({int(i) for i in new if i < canvas.geometry.profiles})
        if rows != self.tree.selection.rows:  # else it is the echo of _show
            self.tree.selection.choose(rows, "tree")

    @cached_property
    def layout(self) -> pn.Row:
        """The curve and the map side by side, made once and shown under every tree opened."""
        return pn.Row(self.epicurve.panel(), self.map.panel(), sizing_mode="stretch_width",
                      name="Linked views")

    def panel(self) -> pn.viewable.Viewable:
        """The curve and the map side by side (each hidden when the isolates do not have what it needs)."""
        return self.layout
