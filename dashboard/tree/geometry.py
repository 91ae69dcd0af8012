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


def node_positions(layout: Layout, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` of every profile row ``0..rows-1`` (NaN for a row the layout leaves out)."""
    x = np.full(rows, np.nan)
    y = np.full(rows, np.nan)
    x[layout.rows] = layout.x
    y[layout.rows] = layout.y
    return x, y


def node_sizes(counts: np.ndarray) -> np.ndarray:
    """Screen diameters of the nodes: area proportional to the isolate count, within sane pixel sizes.

    A node with ``c >= 1`` isolates gets ``scale * sqrt(c)`` pixels, where ``scale`` is
    ``ONE_ISOLATE_PX`` or smaller so that the largest node is at most ``LARGEST_NODE_PX``; the result is
    never below ``SMALLEST_NODE_PX``. A node without isolates gets ``EMPTY_NODE_PX``, smaller than any
    other. Sizes never decrease as counts grow.
    """
    counts = np.asarray(counts, dtype=np.float64)
    largest = counts.max(initial=1.0)
    scale = min(ONE_ISOLATE_PX, LARGEST_NODE_PX / np.sqrt(max(largest, 1.0)))
    sizes = np.clip(scale * np.sqrt(counts), SMALLEST_NODE_PX, LARGEST_NODE_PX)
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
        extra = np.full((self.nodes - self.profiles, *values.shape[1:]), fill, dtype=values.dtype)
        return np.concatenate([values, extra]) if len(extra) else values

    def edges(self) -> dict[str, np.ndarray]:
        """All edges as one NaN-broken polyline (see :func:`edge_path`)."""
        return edge_path(self.x, self.y, self.parents, self.children, elbows=self.elbows)

    def rule_paths(self) -> dict[str, dict[str, np.ndarray]]:
        """One NaN-broken polyline per rule group present, by group name in :data:`RULE_GROUPS` order."""
        return {RULE_GROUPS[k]: edge_path(self.x, self.y, self.parents[self.rules == k],
                                          self.children[self.rules == k], elbows=self.elbows)
                for k in np.unique(self.rules).tolist()}

    def edge_labels(self) -> dict[str, np.ndarray]:
        """Midpoint and length text of every edge: ``{"x", "y", "text"}`` (fractions to 3 digits)."""
        whole = np.issubdtype(self.distances.dtype, np.integer)
        return {"x": (self.x[self.parents] + self.x[self.children]) / 2,
                "y": (self.y[self.parents] + self.y[self.children]) / 2,
                "text": self.distances.astype(str) if whole
                else np.array([f"{d:.3g}" for d in self.distances.tolist()], dtype=object)}


def tree_geometry(inference: Inference, layout: Layout, counts: np.ndarray) -> TreeGeometry:
    """The geometry of ``inference`` drawn at ``layout``'s coordinates, profiles sized by isolate
    ``counts`` (one per profile row), internal nodes as small dots."""
    x, y = node_positions(layout, len(inference.ids))
    internal = inference.internal
    counts = np.concatenate([np.asarray(counts, dtype=np.int64), np.zeros(internal, np.int64)])
    sizes = node_sizes(counts)
    sizes[inference.profile_count:] = INTERNAL_NODE_PX
    return TreeGeometry(list(inference.ids), x, y, sizes, counts,
                        np.asarray(inference.parents, dtype=np.int64),
                        np.asarray(inference.children, dtype=np.int64),
                        np.asarray(inference.distances), rule_groups(inference), inference.profile_count,
                        elbows=layout.algorithm == "rectangular")
