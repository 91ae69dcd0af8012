"""The selection the views of a tree share: the profile rows picked in the tree, the table, the epidemic
curve, the map or the new isolates of a version, and which of them picked them last.

Every view selects in its own terms (nodes, isolate rows, a time window, places) and turns that into
profile rows, the one unit they all understand; each view shows the selection back in its terms (a
ring around nodes, a filtered table, the selected part of the curve, counts on the map). ``source``
names the view that made the current selection, so that a view does not react to its own change.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import param

from engine.models import Isolates

#: The views that can select.
SOURCES = ("none", "tree", "table", "epicurve", "map", "search", "url", "placements")


class Selection(param.Parameterized):
    """The selected profile rows (ascending, no repeats; empty: nothing selected) and who selected them."""

    rows = param.List(default=[], item_type=int, doc="The selected profile rows, ascending.")
    source = param.Selector(objects=list(SOURCES), default="none", doc="The view that selected them.")

    def choose(self, rows: Iterable[int], source: str) -> None:
        """Select ``rows`` (any order, repeats allowed) on behalf of ``source``."""
        self.param.update(rows=sorted({int(row) for row in rows}), source=source)

    def clear(self, source: str = "none") -> None:
        """Select nothing."""
        self.choose((), source)

    def isolates(self, isolates: Isolates | None) -> np.ndarray:
        """The indices of the isolates whose profile is selected (all isolates when nothing is)."""
        if isolates is None:
            return np.zeros(0, np.int64)
        links = np.asarray(isolates.profile_rows, np.int64)
        if not self.rows:
            return np.arange(len(links), dtype=np.int64)
        return np.flatnonzero(np.isin(links, np.asarray(self.rows, np.int64)))


def rows_of_isolates(isolates: Isolates, picked: Iterable[int]) -> list[int]:
    """The profile rows of the isolates ``picked`` (indices into the isolate table), those without a
    profile left out."""
    links = np.asarray(isolates.profile_rows, np.int64)[np.asarray(list(picked), np.int64)]
    return sorted({int(row) for row in links[links >= 0]})
