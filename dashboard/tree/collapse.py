"""What is drawn of a tree once short branches are collapsed and long ones shortened: plain arrays.

Three steps, each a pure function over numpy arrays (nothing here knows Bokeh or Panel):

1. :func:`branch_factors` and :func:`rescaled_layout`: every edge drawn at a length transformed by the
   branch length scale (linear, square root, logarithm), edges longer than a threshold shortened
   further (they are drawn dashed, their true length written beside them); a subtree moves with the
   edge above it.
2. :func:`collapse`: the edges of length ``<= d`` are contracted, as GrapeTree's "collapse branches"
   does, so that every cluster of :func:`engine.algorithms.clusters.cut` at ``d`` is one node, drawn
   where its topmost node is, sized and coloured by all its isolates; the edges between clusters stay.
3. :class:`Groups` maps drawn nodes to the tree's nodes and profile rows both ways, so a drawn node
   selects all its profiles and a selected profile highlights the node that holds it.

:func:`drawn_tree` chains them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dashboard.tree.geometry import INTERNAL_NODE_PX, TreeGeometry, node_sizes, tree_geometry
from engine.algorithms.layouts import side_by_side
from engine.models import Inference, Layout

#: How branch lengths are drawn: as laid out, or compressed by a square root or a logarithm.
BRANCH_SCALES = ("linear", "sqrt", "log")

#: Layouts that place the trees of a forest themselves (the force layout side by side, the grapetree layout
#: in a grid with the singletons in a block); the others are moved apart side by side when drawn.
ARRANGED = frozenset({"force", "grapetree"})


def branch_factors(distances: np.ndarray, scale: str = "linear",
                   longest: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """By how much to multiply each edge's drawn length, and which edges are shortened.

    Parameters
    ----------
    distances : numpy.ndarray
        The true length of every edge.
    scale : {"linear", "sqrt", "log"}, default "linear"
        ``linear`` keeps lengths; ``sqrt`` draws an edge of length ``d`` as long as
        ``sqrt(d * m)`` and ``log`` as ``m * log2(1 + d / m)``, where ``m`` is the median positive length,
        so edges about ``m`` long keep their length, shorter ones grow a little and longer ones shrink.
    longest : float, default 0
        Edges longer than this (when it is above 0) are drawn as long as an edge of this length.

    Returns
    -------
    factors : numpy.ndarray
        ``float64``, one per edge: new drawn length / drawn length (1 for an edge of length 0).
    shortened : numpy.ndarray
        ``bool``, one per edge: longer than ``longest``.

    Examples
    --------
    >>> factors, shortened = branch_factors(np.array([0, 1, 4, 100]), "sqrt", longest=50)
    >>> factors.round(3).tolist(), shortened.tolist()
    ([1.0, 2.0, 1.0, 0.141], [False, False, False, True])
    """
    d = np.asarray(distances, dtype=np.float64)
    positive = d[d > 0]
    m = float(np.median(positive)) if len(positive) else 1.0
    transforms = {"linear": lambda v: v, "sqrt": lambda v: np.sqrt(v * m),
                  "log": lambda v: m * np.log1p(v / m) / np.log(2.0)}
    if scale not in transforms:
        raise ValueError(f"unknown branch length scale {scale!r}; choose one of {', '.join(BRANCH_SCALES)}")
    transform = transforms[scale]
    shortened = (d > longest) if longest > 0 else np.zeros(len(d), dtype=bool)
    drawn = np.where(shortened, transform(np.float64(longest)), transform(np.maximum(d, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = np.where(d > 0, drawn / d, 1.0)
    return factors, shortened


def rescaled_positions(x: np.ndarray, y: np.ndarray, parents: np.ndarray, children: np.ndarray,
                       factors: np.ndarray, *, elbows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Node positions once edge ``k`` is drawn ``factors[k]`` times as long, its subtree moving with it.

    Every root keeps its place. An edge's direction is kept (with ``elbows``, a dendrogram's, only its
    horizontal part is scaled). O(n log depth): offsets are summed up the tree by pointer jumping.

    Examples
    --------
    A chain 0 -> 1 -> 2 along x, its first edge drawn twice as long:

    >>> rescaled_positions(np.array([0.0, 1.0, 3.0]), np.zeros(3), np.array([0, 1]), np.array([1, 2]),
    ...                    np.array([2.0, 1.0]))[0].tolist()
    [0.0, 2.0, 4.0]
    """
    n = len(x)
    parents = np.asarray(parents, dtype=np.int64)
    children = np.asarray(children, dtype=np.int64)
    factors = np.asarray(factors, dtype=np.float64)
    up = np.arange(n, dtype=np.int64)
    up[children] = parents
    dx = np.zeros(n)
    dy = np.zeros(n)
    dx[children] = (x[children] - x[parents]) * factors
    dy[children] = (y[children] - y[parents]) * (1.0 if elbows else factors)
    while True:  # invariant: (dx, dy)[v] is v's new position minus that of up[v]
        above = up[up]
        if np.array_equal(above, up):
            break
        dx += dx[up]
        dy += dy[up]
        up = above
    return x[up] + dx, y[up] + dy


def rescaled_layout(layout: Layout, inference: Inference, factors: np.ndarray) -> Layout:
    """``layout`` with every edge drawn ``factors`` times as long (see :func:`rescaled_positions`), its
    trees packed side by side again. All factors 1: the layout itself."""
    if np.all(factors == 1.0):
        return layout
    n = len(inference.ids)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    component = np.ones(n, dtype=np.int64)
    x[layout.rows], y[layout.rows] = layout.x, layout.y
    component[layout.rows] = layout.component
    x, y = rescaled_positions(x, y, inference.parents, inference.children, factors,
                              elbows=layout.algorithm == "rectangular")
    return side_by_side(Layout(layout.algorithm, dict(layout.parameters), list(inference.ids),
                               np.arange(n, dtype=np.int64), x, y, component))


@dataclass(frozen=True)
class Groups:
    """Which nodes of the tree every drawn node stands for.

    ``of[v]`` is the drawn node of tree node ``v``; drawn node ``k`` stands for the tree nodes
    ``order[starts[k]:starts[k + 1]]`` (ascending). ``profiles`` is the tree's number of profile rows
    (nodes ``0 .. profiles - 1``).
    """

    of: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    profiles: int

    @classmethod
    def of_labels(cls, of: np.ndarray, size: int, profiles: int) -> Groups:
        """Groups from the drawn node of every tree node (``size`` drawn nodes)."""
        of = np.asarray(of, dtype=np.int64)
        order = np.argsort(of, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(of, minlength=size))])
        return cls(of, order, starts, profiles)

    @classmethod
    def identity(cls, nodes: int, profiles: int) -> Groups:
        """Every node drawn as itself."""
        return cls.of_labels(np.arange(nodes), nodes, profiles)

    @property
    def size(self) -> int:
        """Number of drawn nodes."""
        return len(self.starts) - 1

    @property
    def collapsed(self) -> bool:
        """Whether some drawn node stands for several tree nodes."""
        return self.size < len(self.of)

    def rows(self, drawn: np.ndarray | list[int]) -> np.ndarray:
        """The profile rows the drawn nodes stand for, ascending."""
        drawn = np.asarray(drawn, dtype=np.int64)
        if not len(drawn):
            return np.zeros(0, dtype=np.int64)
        spans = [self.order[self.starts[k]:self.starts[k + 1]] for k in np.unique(drawn).tolist()]
        members = np.concatenate(spans)
        return np.sort(members[members < self.profiles])

    def drawn(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """The drawn nodes that hold the profile rows ``rows``, ascending."""
        rows = np.asarray(rows, dtype=np.int64)
        return np.unique(self.of[rows[(rows >= 0) & (rows < self.profiles)]])

    def profile_counts(self) -> np.ndarray:
        """How many profile rows each drawn node stands for."""
        return np.bincount(self.of[:self.profiles], minlength=self.size)

    def pool(self, values: np.ndarray) -> np.ndarray:
        """Per-row ``values`` (one per profile row, any trailing shape) summed per drawn node."""
        values = np.asarray(values)
        pooled = np.zeros((self.size, *values.shape[1:]), dtype=np.result_type(values, np.int64))
        np.add.at(pooled, self.of[:self.profiles], values)
        return pooled


def collapse(geometry: TreeGeometry, distance: float) -> tuple[TreeGeometry, Groups]:
    """The tree with every edge of length ``<= distance`` contracted; 0 (or less): the tree as it is.

    Parameters
    ----------
    geometry : TreeGeometry
        The tree as drawn (:func:`~dashboard.tree.geometry.tree_geometry`).
    distance : float
        Edges at most this long are contracted.

    Returns
    -------
    geometry : TreeGeometry
        One node per connected part left by the contraction (so the profile rows fall into the
        clusters of :func:`engine.algorithms.clusters.cut` at ``distance``), drawn at the position of
        the part's topmost node, with the id of that node when it is a profile (else of the part's
        first profile row), the sum of its isolates and a size from that sum. Parts holding profile
        rows come first, ordered by their first row; parts of internal nodes only come after them.
        Edges: those longer than ``distance``, between the parts of their ends (their rule, length and
        shortening kept).
    groups : Groups
        The tree nodes of every drawn node.
    """
    g = geometry
    if distance <= 0:
        return g, Groups.identity(g.nodes, g.profiles)
    n = g.nodes
    joined = g.distances <= distance
    graph = coo_matrix((np.ones(int(joined.sum())), (g.parents[joined], g.children[joined])), shape=(n, n))
    _, part = connected_components(graph, directed=False)
    first = np.full(part.max(initial=-1) + 1, n, dtype=np.int64)
    np.minimum.at(first, part, np.arange(n))
    profile_part = np.zeros(len(first), dtype=bool)
    profile_part[part[:g.profiles]] = True
    # profile parts by their first node (a profile row), then internal-only parts by their first node
    rank = np.lexsort((first, ~profile_part))
    number = np.empty(len(first), dtype=np.int64)
    number[rank] = np.arange(len(first))
    of = number[part]
    groups = Groups.of_labels(of, len(first), g.profiles)
    has_joined_parent = np.zeros(n, dtype=bool)
    has_joined_parent[g.children[joined]] = True
    top = np.empty(groups.size, dtype=np.int64)
    tops = np.flatnonzero(~has_joined_parent)  # exactly one per part: the tree is a forest
    top[of[tops]] = tops
    profiles = int(profile_part.sum())
    first_row = np.full(groups.size, n, dtype=np.int64)
    np.minimum.at(first_row, of[:g.profiles], np.arange(g.profiles))
    named = np.where(top < g.profiles, top, first_row)
    ids = [g.ids[k] for k in named[:profiles].tolist()] + [""] * (groups.size - profiles)
    counts = groups.pool(g.counts[:g.profiles])
    cut = ~joined
    shortened = None if g.shortened is None else g.shortened[cut]
    drawn = TreeGeometry(ids, g.x[top], g.y[top], np.zeros(groups.size), counts, of[g.parents[cut]],
                         of[g.children[cut]], g.distances[cut], g.rules[cut], profiles, g.elbows, shortened)
    return drawn, groups


def resized(geometry: TreeGeometry, scale: str) -> TreeGeometry:
    """``geometry`` with node sizes from its isolate counts on ``scale`` (internal nodes: small dots)."""
    sizes = node_sizes(geometry.counts, scale)
    sizes[geometry.profiles:] = INTERNAL_NODE_PX
    return replace(geometry, sizes=sizes)


@dataclass(frozen=True)
class DrawnTree:
    """A tree as drawn: its geometry (drawn nodes and edges) and the tree nodes behind each drawn node."""

    geometry: TreeGeometry
    groups: Groups


def drawn_tree(inference: Inference, layout: Layout, counts: np.ndarray, *, collapse_at: float = 0.0,
               branch_scale: str = "linear", longest: float = 0.0, size_scale: str = "sqrt") -> DrawnTree:
    """``inference`` at ``layout`` with its branches rescaled (:func:`branch_factors`), collapsed at
    ``collapse_at`` (:func:`collapse`) and its nodes sized on ``size_scale`` from the isolate ``counts``
    of the profile rows. A layout that arranges a forest itself (:data:`ARRANGED`) is drawn as it is
    when nothing is rescaled; any other, or a rescaled one, has its trees packed side by side."""
    factors, shortened = branch_factors(inference.distances, branch_scale, longest)
    kept = layout.algorithm in ARRANGED and np.all(factors == 1.0)
    placed = layout if kept else side_by_side(rescaled_layout(layout, inference, factors))
    full = tree_geometry(inference, placed, counts, size_scale, shortened if shortened.any() else None)
    geometry, groups = collapse(full, collapse_at)
    return DrawnTree(resized(geometry, size_scale), groups)
