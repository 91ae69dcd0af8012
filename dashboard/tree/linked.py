"""The views linked to the tree through its shared selection: the epidemic curve and the map.

:class:`LinkedViews` is made once per session from the session's
:class:`~dashboard.viewmodels.tree.TreeState` (its widgets too; each tree shown gets figures of its own);
its models follow whichever tree is open and read and set
``TreeState.selection``, the one selection the tree view (:class:`dashboard.tree.view.TreeView`, which
marks the selected nodes and selects the nodes tapped) and its isolate table share.
"""

from __future__ import annotations

import panel as pn

from dashboard.tree.epicurve import EpiCurveView
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

    def panel(self) -> pn.viewable.Viewable:
        """The curve and the map side by side (each hidden when the isolates do not have what it needs),
        on figures of their own for each tree shown under."""
        return pn.Row(self.epicurve.panel(), self.map.panel(), sizing_mode="stretch_width",
                      name="Linked views")
