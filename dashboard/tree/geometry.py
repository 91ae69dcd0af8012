"""Plain arrays for drawing a tree: node positions and sizes, NaN-broken edge paths, pie wedges, zoom boxes.

Nothing here knows Bokeh or Panel: every function takes numpy arrays and returns numpy arrays or
column dicts ready for a ``ColumnDataSource``, so the drawing code stays thin and these stay tested.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.models import Inference, Layout, rule_name

#: Diameter in screen pixels of a profile no isolate names.
EMPTY_NODE_PX = 4.0
#: Diameter in screen pixels of an internal node of an NJ tree or a dendrogram (not a profile).
INTERNAL_NODE_PX = 2.0
#: Smallest and largest diameter in screen pixels of a profile with isolates.
SMALLEST_NODE_PX = 7.0
LARGEST_NODE_PX = 48.0
#: Diameter of a one-isolate node when the largest node fits (node area is proportional to isolates).
ONE_ISOLATE_PX = 10.0
#: Rule groups of the edges, in legend order (LV levels above 3 share one group): PHYLOViZ-like colour, label.
RULE_STYLES = {
    "distance": ("#303030", "distance alone (no tie)"),
    "lv1": ("#d62728", "SLV count (lv1)"),
    "lv2": ("#1f77b4", "DLV count (lv2)"),
    "lv3": ("#2ca02c", "TLV count (lv3)"),
    "lv4+": ("#9467bd", "higher LV count (lv4+)"),
    "frequency": ("#ff7f0e", "isolate frequency"),
    "id": ("#8c564b", "profile id"),
    "identical": ("#c8c8c8", "identical profiles"),
}
RULE_GROUPS = tuple(RULE_STYLES)


def filled(shape: int | tuple[int, ...], value: object, dtype: np.dtype | type = object) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` with every element ``value``. Unlike ``np.full``, an object
    array holds the one ``value`` everywhere, not a copy of a string per element (6,000 nodes in one
    colour: one string instead of 6,000).

    Examples
    --------
    >>> colours = filled(3, "#4c78a8")
    >>> colours.tolist(), len({id(c) for c in colours})
    (['#4c78a8', '#4c78a8', '#4c78a8'], 1)
    """
    array = np.empty(shape, dtype=dtype)
    array.fill(value)
    return array


def node_positions(layout: Layout, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` of every profile row ``0..rows-1`` (NaN for a row the layout leaves out)."""
    x = np.full(rows, np.nan)
    y = np.full(rows, np.nan)
    x[layout.rows] = layout.x
    y[layout.rows] = layout.y
    return x, y


#: How a node's diameter grows with its isolate count: ``sqrt`` (area proportional to the count, the
#: default), ``linear`` (diameter proportional) or ``log`` (diameter grows with the logarithm).
SIZE_SCALES = ("sqrt", "linear", "log")


def node_sizes(counts: np.ndarray, scale: str = "sqrt") -> np.ndarray:
    """Screen diameters of the nodes from their isolate counts, within sane pixel sizes.

    With ``scale="sqrt"`` a node with ``c >= 1`` isolates gets ``k * sqrt(c)`` pixels (its area is
    proportional to ``c``), with ``"linear"`` ``k * c`` and with ``"log"`` ``k * (1 + ln c)``, where ``k``
    is ``ONE_ISOLATE_PX`` or smaller so that the largest node is at most ``LARGEST_NODE_PX``; the result
    is never below ``SMALLEST_NODE_PX``. A node without isolates gets ``EMPTY_NODE_PX``, smaller than
    any other. Sizes never decrease as counts grow.

    Examples
    --------
    >>> node_sizes(np.array([0, 1, 4])).tolist(), node_sizes(np.array([1, 4]), "linear").tolist()
    ([4.0, 10.0, 20.0], [10.0, 40.0])
    """
    growth = {"sqrt": np.sqrt, "linear": lambda c: c, "log": lambda c: 1.0 + np.log(np.maximum(c, 1.0))}
    if scale not in growth:
        raise ValueError(f"unknown node size scale {scale!r}; choose one of {', '.join(SIZE_SCALES)}")
    counts = np.asarray(counts, dtype=np.float64)
    grow = growth[scale]
    largest = float(grow(np.float64(max(counts.max(initial=1.0), 1.0))))
    k = min(ONE_ISOLATE_PX, LARGEST_NODE_PX / largest)
    sizes = np.clip(k * grow(np.maximum(counts, 1.0)), SMALLEST_NODE_PX, LARGEST_NODE_PX)
    return np.where(counts > 0, sizes, EMPTY_NODE_PX)


def edge_path(x: np.ndarray, y: np.ndarray, parents: np.ndarray, children: np.ndarray, *,
              elbows: bool = False) -> dict[str, np.ndarray]:
    """One polyline for many edges: ``{"x": [x0, x1, NaN, ...], "y": [...]}``, three values per edge.

    Edge ``k`` runs from node ``parents[k]`` to node ``children[k]``; the NaN after each edge breaks the
    line, so a single ``line`` glyph draws them all. With ``elbows`` (dendrograms) an edge goes down
    or up from the parent first, then across to the child: four values per edge.
    """
    parents = np.asarray(parents, dtype=np.int64)
    children = np.asarray(children, dtype=np.int64)
    gap = np.full(len(parents), np.nan)
    if elbows:
        return {"x": np.column_stack([x[parents], x[parents], x[children], gap]).ravel(),
                "y": np.column_stack([y[parents], y[children], y[children], gap]).ravel()}
    return {"x": np.column_stack([x[parents], x[children], gap]).ravel(),
            "y": np.column_stack([y[parents], y[children], gap]).ravel()}


def rule_group(code: int) -> str:
    """The group in :data:`RULE_GROUPS` of an edge rule code (``lv4+`` for every LV level above 3)."""
    return "lv4+" if int(code) > 3 else rule_name(code)


def rule_groups(inference: Inference) -> np.ndarray:
    """The :data:`RULE_GROUPS` index of every edge of ``inference``."""
    codes = np.asarray(inference.rules, dtype=np.int64)
    index = {name: k for k, name in enumerate(RULE_GROUPS)}
    lookup = {int(code): index[rule_group(code)] for code in np.unique(codes)}
    return np.array([lookup[code] for code in codes.tolist()], dtype=np.int64)


def pie_wedges(counts: np.ndarray, colours: list[str], x: np.ndarray, y: np.ndarray,
               sizes: np.ndarray, ids: list[str]) -> dict[str, np.ndarray]:
    """Pie slices of the nodes whose isolates fall in two categories or more.

    Parameters
    ----------
    counts : numpy.ndarray
        ``(profiles, categories)`` isolate counts.
    colours : list of str
        The colour of every category.
    x, y, sizes : numpy.ndarray
        Position and screen diameter of every profile row.
    ids : list of str
        Profile ids, for the hover.

    Returns
    -------
    dict
        Columns ``x, y, radius`` (screen pixels), ``start_angle, end_angle`` (radians),
        ``fill_color, category`` (category index), ``isolates`` and ``id``: one slice per (node,
        category) with a count above 0, for the nodes with at least two such categories, in row
        order then category order. A node's slices run from 0 to 2*pi, each as wide as its share.
    """
    counts = np.asarray(counts, dtype=np.float64)
    mixed = np.flatnonzero((counts > 0).sum(axis=1) >= 2)
    part = counts[mixed]
    ends = np.cumsum(part, axis=1) / part.sum(axis=1, keepdims=True) * (2 * np.pi)
    starts = ends - part / part.sum(axis=1, keepdims=True) * (2 * np.pi)
    node, category = np.nonzero(part > 0)
    rows = mixed[node]
    return {
        "x": x[rows], "y": y[rows], "radius": sizes[rows] / 2,
        "start_angle": starts[node, category], "end_angle": ends[node, category],
        "fill_color": np.asarray(colours, dtype=object)[category], "category": category,
        "isolates": part[node, category].astype(np.int64), "id": np.asarray(ids, dtype=object)[rows],
    }


def zoom_box(x: np.ndarray, y: np.ndarray, aspect: float, *, margin: float = 0.15,
             smallest: float = 400.0) -> tuple[float, float, float, float]:
    """``(x0, x1, y0, y1)``: the bounding box of the points, padded, at least ``smallest`` wide and high.

    The box is widened by ``margin`` of its size on each side, then grown around its centre so that
    width / height equals ``aspect`` (the plot's), so the points fill the view without distortion.
    """
    x0, x1, y0, y1 = float(np.nanmin(x)), float(np.nanmax(x)), float(np.nanmin(y)), float(np.nanmax(y))
    width = max((x1 - x0) * (1 + 2 * margin), smallest)
    height = max((y1 - y0) * (1 + 2 * margin), smallest)
    width, height = max(width, height * aspect), max(height, width / aspect)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


@dataclass(frozen=True)
class TreeGeometry:
    """What is drawn of a tree, per node and per edge, in layout units and screen pixels.

    Nodes ``0 .. profiles - 1`` are the dataset's profile rows; an NJ tree or a dendrogram has internal
    nodes after them (no isolates, no label, a small dot). ``elbows``: draw edges as a dendrogram's.
    """

    ids: list[str]
    x: np.ndarray
    y: np.ndarray
    sizes: np.ndarray
    counts: np.ndarray
    parents: np.ndarray
    children: np.ndarray
    distances: np.ndarray
    rules: np.ndarray  # index into RULE_GROUPS of every edge
    profiles: int
    elbows: bool = False
    #: Edges drawn shorter than they are (dashed, their length written at their middle); None: none.
    shortened: np.ndarray | None = None

    @property
    def nodes(self) -> int:
        """Number of nodes (profile rows, then internal nodes)."""
        return len(self.ids)

    @property
    def labels(self) -> list[str]:
        """The label of every node: its profile id, nothing for an internal node."""
        return self.ids[:self.profiles] + [""] * (self.nodes - self.profiles)

    def per_node(self, values: np.ndarray | list, fill: object) -> np.ndarray:
        """Values given per profile row, extended to every node with ``fill`` for the internal nodes."""
        values = np.asarray(values, dtype=object if isinstance(fill, str) else None)
        extra = filled((self.nodes - self.profiles, *values.shape[1:]), fill, values.dtype)
        return np.concatenate([values, extra]) if len(extra) else values

    @property
    def drawn_true(self) -> np.ndarray:
        """Which edges are drawn as long as they are (all but the shortened ones)."""
        return np.ones(len(self.parents), dtype=bool) if self.shortened is None else ~self.shortened

    def edges(self) -> dict[str, np.ndarray]:
        """The edges drawn as long as they are, as one NaN-broken polyline (see :func:`edge_path`)."""
        keep = self.drawn_true
        return edge_path(self.x, self.y, self.parents[keep], self.children[keep], elbows=self.elbows)

    def shortened_edges(self) -> dict[str, np.ndarray]:
        """The shortened edges as one NaN-broken polyline (drawn dashed)."""
        cut = ~self.drawn_true
        return edge_path(self.x, self.y, self.parents[cut], self.children[cut], elbows=self.elbows)

    def shortened_labels(self) -> dict[str, np.ndarray]:
        """Midpoint and true length text of the shortened edges (see :meth:`edge_labels`)."""
        labels = self.edge_labels()
        cut = ~self.drawn_true
        return {name: np.asarray(column)[cut] for name, column in labels.items()}

    def rule_paths(self) -> dict[str, dict[str, np.ndarray]]:
        """One NaN-broken polyline per rule group present, by group name in :data:`RULE_GROUPS` order
        (shortened edges are left out: they are drawn dashed)."""
        keep = self.drawn_true
        return {RULE_GROUPS[k]: edge_path(self.x, self.y, self.parents[keep & (self.rules == k)],
                                          self.children[keep & (self.rules == k)], elbows=self.elbows)
                for k in np.unique(self.rules).tolist()}

    def edge_labels(self) -> dict[str, np.ndarray]:
        """Midpoint and length text of every edge: ``{"x", "y", "text"}`` (fractions to 3 digits)."""
        whole = np.issubdtype(self.distances.dtype, np.integer)
        if self.elbows:  # the middle of the horizontal part, at the child's height
            x, y = (self.x[self.parents] + self.x[self.children]) / 2, self.y[self.children]
        else:
            x = (self.x[self.parents] + self.x[self.children]) / 2
            y = (self.y[self.parents] + self.y[self.children]) / 2
        return {"x": x, "y": y,
                "text": self.distances.astype(str) if whole
                else np.array([f"{d:.3g}" for d in self.distances.tolist()], dtype=object)}


def tree_geometry(inference: Inference, layout: Layout, counts: np.ndarray, size_scale: str = "sqrt",
                  shortened: np.ndarray | None = None) -> TreeGeometry:
    """The geometry of ``inference`` drawn at ``layout``'s coordinates, profiles sized by isolate
    ``counts`` (one per profile row) on ``size_scale`` (see :func:`node_sizes`), internal nodes as small
    dots; ``shortened`` marks the edges the layout draws shorter than they are."""
    x, y = node_positions(layout, len(inference.ids))
    internal = inference.internal
    counts = np.concatenate([np.asarray(counts, dtype=np.int64), np.zeros(internal, np.int64)])
    sizes = node_sizes(counts, size_scale)
    sizes[inference.profile_count:] = INTERNAL_NODE_PX
    return TreeGeometry(list(inference.ids), x, y, sizes, counts,
                        np.asarray(inference.parents, dtype=np.int64),
                        np.asarray(inference.children, dtype=np.int64),
                        np.asarray(inference.distances), rule_groups(inference), inference.profile_count,
                        elbows=layout.algorithm == "rectangular", shortened=shortened)


def inside_polygon(x: np.ndarray, y: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Which points ``(x, y)`` lie inside the polygon with corners ``(px, py)`` (even-odd rule, as a
    lasso selects).

    Examples
    --------
    >>> inside_polygon(np.array([0.5, 2.0]), np.array([0.5, 0.5]), np.array([0.0, 1, 1, 0]),
    ...                np.array([0.0, 0, 1, 1])).tolist()
    [True, False]
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    inside = np.zeros(len(x), dtype=bool)
    px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
    for k in range(len(px)):
        x0, y0, x1, y1 = px[k - 1], py[k - 1], px[k], py[k]
        if y0 == y1:
            continue
        crosses = (y0 > y) != (y1 > y)
        at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (x < at)
    return inside
