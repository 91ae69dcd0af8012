"""Node coordinates for an inference: PhyloDB's radial layout and a force-directed layout.

Both return a :class:`~engine.models.Layout` with one coordinate per row (singletons included), in
row order, and the same units: an edge of distance ``d`` is about ``100 * d + 10`` long (exactly,
in the radial layout), so the dashboard draws both the same way. :func:`side_by_side` moves the
trees of a radial forest apart, as the force layout places them.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace

import igraph
import numpy as np

from engine.errors import ParameterError
from engine.forest import ForestWalk, walk_forest
from engine.models import CancelCheck, Inference, Layout, ProgressCallback
from engine.progress import check_cancel, report

#: Length of an edge of distance d: ``DISTANCE_MULTIPLIER * d + ZERO_DISTANCE`` (PhyloDB's constants).
DISTANCE_MULTIPLIER = 100.0
ZERO_DISTANCE = 10.0
#: Components up to this many nodes get Kamada-Kawai (O(n^2) memory); larger ones Fruchterman-Reingold.
KAMADA_KAWAI_MAX_NODES = 2000
#: Space left between the bounding boxes of two components packed side by side.
COMPONENT_GAP = 200.0
_CANCEL_EVERY = 8192  # rows between two cancel checks in the radial walk
_JITTER = 0.1  # standard deviation of the seeded start-position noise, in mean edge lengths
_FR_AREA_PER_NODE = 4.0  # starting area per node for Fruchterman-Reingold (its grid cell is 2 x 2)


def fan_out(inference: Inference, walk: ForestWalk, edge_lengths: np.ndarray,
            cancel: CancelCheck | None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of every node, each tree fanned out around the origin, wedges sized by leaves.

    ``edge_lengths[k]`` is how long edge ``k`` is drawn; the kernel of :func:`radial` and of the
    equal-angle layout (see :func:`radial`'s Notes).
    """
    n = len(walk.order)
    children = np.asarray(inference.children).tolist()
    lengths = np.asarray(edge_lengths, dtype=np.float64).tolist()
    out_edges = walk.out_edges
    leaves = [0] * n
    for row in reversed(walk.order):
        leaves[row] = sum(leaves[children[edge]] for edge in out_edges[row]) or 1
    x = [0.0] * n
    y = [0.0] * n
    border = [0.0] * n
    for k in range(len(walk.starts) - 1):
        first, stop = walk.starts[k], walk.starts[k + 1]
        total = leaves[walk.order[first]]
        for position in range(first, stop):
            if position % _CANCEL_EVERY == 0:
                check_cancel(cancel, "the layout")
            parent = walk.order[position]
            px, py, angle = x[parent], y[parent], border[parent]
            for edge in out_edges[parent]:
                child = children[edge]
                wedge = 2 * math.pi * leaves[child] / total
                alpha = angle + wedge / 2
                x[child] = px + math.cos(alpha) * lengths[edge]
                y[child] = py + math.sin(alpha) * lengths[edge]
                border[child] = angle
                angle += wedge
    return np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)


def components(walk: ForestWalk) -> np.ndarray:
    """Component number (1, 2, ... in root order) of every node."""
    component = np.empty(len(walk.order), dtype=np.int64)
    sizes = np.diff(walk.starts)
    component[np.asarray(walk.order, dtype=np.int64)] = np.repeat(np.arange(1, len(sizes) + 1), sizes)
    return component


def radial(inference: Inference, *, progress: ProgressCallback | None = None,
           cancel: CancelCheck | None = None) -> Layout:
    """PhyloDB's radial layout (spec/algorithms.md §4): each tree fanned out around the origin.

    Parameters
    ----------
    inference : Inference
        The tree or forest.
    progress : callable, optional
        Called with 0.0 at the start and 1.0 at the end.
    cancel : callable, optional
        Polled every 8192 rows; when it returns True the run stops.

    Returns
    -------
    Layout
        ``algorithm="radial"``, ``parameters={}``, every row in row order (``rows[i] == i``).
        Tree ``k`` of ``inference.roots`` (singletons included) is component ``k + 1`` and has its
        root at (0, 0); a singleton is a component of its own at (0, 0) (PhyloDB gives it no
        coordinate; the dashboard needs every node). All components share the origin.

    Raises
    ------
    InputError
        When the edges are not a forest hanging from the roots.
    CancelledError
        When ``cancel()`` returns True.

    Examples
    --------
    PhyloDB's ``RadialTests``: 1 -> 2 with distance 2 puts 2 at (-210, 0).

    >>> from engine.io.json import from_json
    >>> inference = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": "1", "count": 1}, {"id": "2", "count": 1}], "roots": ["1"],
    ...     "edges": [{"from": "1", "to": "2", "distance": 2, "rule": "distance"}]})
    >>> layout = radial(inference)
    >>> layout.x.round(9).tolist(), layout.y.round(9).tolist(), layout.component.tolist()
    ([0.0, -210.0], [0.0, 0.0], [1, 1])

    Notes
    -----
    Let leaves(v) be the number of leaves below v (1 for a leaf) and total = leaves(root). Walking
    each tree depth-first, a parent P with start angle border(P) (0 at the root) gives its children
    C, in edge order, the wedge w = 2*pi*leaves(C)/total, the angle a = border + w/2 and the
    position P + (100*d + 10) * (cos a, sin a); border(C) is the border before its wedge, which is
    then added. O(rows + edges), iterative.
    """
    walk = walk_forest(inference)
    report(progress, 0.0)
    x, y = fan_out(inference, walk, phylodb_lengths(inference), cancel)
    report(progress, 1.0)
    return Layout(algorithm="radial", parameters={}, ids=list(inference.ids),
                  rows=np.arange(len(walk.order), dtype=np.int64), x=x, y=y, component=components(walk))


def phylodb_lengths(inference: Inference) -> np.ndarray:
    """How long PhyloDB draws each edge: ``100 * distance + 10``; a negative length (which NJ can give)
    is drawn as a zero one."""
    distances = np.maximum(np.asarray(inference.distances, dtype=np.float64), 0.0)
    return distances * DISTANCE_MULTIPLIER + ZERO_DISTANCE


def _force_component(edges: np.ndarray, lengths: np.ndarray, start: np.ndarray, iterations: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Force-directed coordinates of one tree, scaled so its median edge is as long as it should be.

    ``edges`` is (m - 1, 2) local row pairs, ``start`` the (m, 2) radial coordinates; igraph's
    random generator must be seeded by the caller.
    """
    m = len(start)
    if m <= 2:
        return start  # the radial position already has the exact length
    graph = igraph.Graph(n=m, edges=edges.tolist())
    unit = float(lengths.mean())
    if m <= KAMADA_KAWAI_MAX_NODES:
        # Kamada-Kawai: springs between all pairs, rest length = weighted path length.
        initial = start / unit + rng.normal(0.0, _JITTER, start.shape)
        layout = graph.layout_kamada_kawai(seed=initial.tolist(), weights=lengths.tolist(),
                                           maxiter=iterations * m)
    else:
        # Fruchterman-Reingold on a grid: an edge settles where attraction d^2 * w balances the
        # repulsion 1 / d, at d ~ w^(-1/3), so w = (length / unit)^-3 makes d follow the length.
        span = float(np.ptp(start, axis=0).max())
        scale = math.sqrt(_FR_AREA_PER_NODE * m) / span
        initial = start * scale + rng.normal(0.0, _JITTER * unit * scale, start.shape)
        weights = (lengths / unit) ** -3
        layout = graph.layout_fruchterman_reingold(seed=initial.tolist(), weights=weights.tolist(),
                                                   niter=iterations, grid=True)
    xy = np.array(layout.coords, dtype=np.float64)
    drawn = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T)
    stretch = lengths[drawn > 0] / drawn[drawn > 0]
    return xy * (float(np.median(stretch)) if len(stretch) else 1.0)


def _shelf_offsets(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Translations that put boxes ``low..high`` (k, 2) side by side in rows, tallest first.

    Rows run downwards from y = 0, each about as wide as the square root of the total area (or
    the widest box), with ``COMPONENT_GAP`` between boxes and between rows.
    """
    size = high - low
    area = float(((size[:, 0] + COMPONENT_GAP) * (size[:, 1] + COMPONENT_GAP)).sum())
    row_width = max(float(size[:, 0].max()), math.sqrt(area))
    offsets = np.empty_like(low)
    left = top = row_height = 0.0
    for box in sorted(range(len(size)), key=lambda k: (-size[k, 1], -size[k, 0], k)):
        width, height = size[box]
        if left > 0 and left + width > row_width:
            top -= row_height + COMPONENT_GAP
            left = row_height = 0.0
        offsets[box] = (left - low[box, 0], top - high[box, 1])
        left += width + COMPONENT_GAP
        row_height = max(row_height, height)
    return offsets


def pack(x: np.ndarray, y: np.ndarray, component: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New ``x, y`` with each component translated by :func:`_shelf_offsets` of its bounding box.

    A box is widened around its centre to at least ``ZERO_DISTANCE`` in each direction, so a
    singleton takes a small square rather than a point.
    """
    if not len(x):
        return x, y
    labels, index = np.unique(component, return_inverse=True)
    order = np.argsort(index, kind="stable")
    starts = np.searchsorted(index[order], np.arange(len(labels)))
    xy = np.column_stack([x, y])[order]
    low, high = np.minimum.reduceat(xy, starts), np.maximum.reduceat(xy, starts)
    pad = np.maximum(ZERO_DISTANCE - (high - low), 0.0) / 2
    offsets = _shelf_offsets(low - pad, high + pad)[index]
    return x + offsets[:, 0], y + offsets[:, 1]


def side_by_side(layout: Layout) -> Layout:
    """The same layout with its components moved apart, side by side in rows, tallest first.

    Parameters
    ----------
    layout : Layout
        Any layout, for example a :func:`radial` one, whose components all sit at the origin.

    Returns
    -------
    Layout
        A new layout equal to ``layout`` except for ``x`` and ``y``: every component is translated
        as a whole (positions inside a component keep their differences), so that the bounding
        boxes, each widened to at least ``ZERO_DISTANCE`` (a singleton gets a small square), lie
        in rows running downwards from y = 0, tallest box first, each row about as wide as the
        square root of the total area (or the widest box), with ``COMPONENT_GAP`` between boxes and
        between rows. A layout with at most one component is returned as it is (the same object).

    Examples
    --------
    Two singletons of a radial layout, both at the origin, end up ``ZERO_DISTANCE + COMPONENT_GAP``
    apart.

    >>> from engine.io.json import from_json
    >>> inference = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": "1", "count": 1}, {"id": "2", "count": 1}], "roots": ["1", "2"],
    ...     "edges": []})
    >>> layout = side_by_side(radial(inference))
    >>> layout.x.tolist(), layout.y.tolist()
    ([5.0, 215.0], [-5.0, -5.0])

    Notes
    -----
    O(rows log rows) for the boxes plus O(components log components) for the packing.
    """
    if len(np.unique(layout.component)) <= 1:
        return layout
    x, y = pack(np.asarray(layout.x, dtype=np.float64), np.asarray(layout.y, dtype=np.float64),
                 np.asarray(layout.component))
    return replace(layout, x=x, y=y)


def force(inference: Inference, *, seed: int = 0, iterations: int = 50,
          progress: ProgressCallback | None = None, cancel: CancelCheck | None = None) -> Layout:
    """A force-directed layout through python-igraph, edge lengths following distance.

    Parameters
    ----------
    inference : Inference
        The tree or forest.
    seed : int, default 0
        Seeds the noise added to the starting positions and igraph's random generator; the same
        inference and seed give the same coordinates.
    iterations : int, default 50
        Sweeps over the nodes, >= 1: Kamada-Kawai moves ``iterations * nodes`` times (igraph's
        default at 50), Fruchterman-Reingold runs ``iterations`` rounds.
    progress : callable, optional
        Called with 0.0 at the start, the fraction of rows placed after each component, and 1.0.
    cancel : callable, optional
        Polled before each component; when it returns True the run stops.

    Returns
    -------
    Layout
        ``algorithm="force"``, ``parameters={"seed": seed, "iterations": iterations}``, every row
        in row order, components numbered as in :func:`radial`. Each component is laid out on its
        own and scaled so that an edge of distance d is about ``100 * d + 10`` long (the median
        ratio of wanted to drawn length over its edges is 1); the components are then packed side
        by side as in :func:`side_by_side`.

    Raises
    ------
    InputError
        When the edges are not a forest hanging from the roots.
    ParameterError
        When ``iterations`` < 1.
    CancelledError
        When ``cancel()`` returns True.

    Examples
    --------
    >>> from engine.io.json import from_json
    >>> inference = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": i, "count": 1} for i in "1234"], "roots": ["1"],
    ...     "edges": [{"from": "1", "to": c, "distance": 1, "rule": "distance"} for c in "234"]})
    >>> layout = force(inference, seed=1)
    >>> np.hypot(layout.x[1:] - layout.x[0], layout.y[1:] - layout.y[0]).round().tolist()
    [110.0, 110.0, 110.0]

    Notes
    -----
    Each tree starts from its radial layout plus seeded noise (an untangled start). Trees of up to
    ``KAMADA_KAWAI_MAX_NODES`` nodes use igraph's Kamada-Kawai with edge lengths
    ``100 * d + 10`` (a distance-0 edge keeps a length of 10); larger ones use grid
    Fruchterman-Reingold (linear memory) with weights ``(length / mean length)^-3``. A tree of one
    or two nodes keeps its radial position. igraph's random generator is global: it is set to a
    ``random.Random(seed)`` during the run and then back to igraph's default, Python's ``random``
    module, so do not run two layouts in threads of one process at once. Kamada-Kawai costs
    O(n^2) memory and about O(iterations * n^2) time per tree; Fruchterman-Reingold
    O(iterations * n) for evenly spread nodes.
    """
    if iterations < 1:
        raise ParameterError(f"iterations must be at least 1, got {iterations}")
    walk = walk_forest(inference)
    report(progress, 0.0)
    n = len(walk.order)
    lengths = phylodb_lengths(inference)
    start_x, start_y = fan_out(inference, walk, lengths, cancel)
    order = np.asarray(walk.order, dtype=np.int64)
    sizes = np.diff(walk.starts)
    component = components(walk)
    local = np.empty(n, dtype=np.int64)  # index of each row inside its component
    local[order] = np.arange(n) - np.repeat(walk.starts[:-1], sizes)
    parents = np.asarray(inference.parents, dtype=np.int64)
    children = np.asarray(inference.children, dtype=np.int64)
    by_component = np.argsort(component[children], kind="stable")  # a tree of s rows has s - 1 edges
    edge_starts = np.concatenate([[0], np.cumsum(sizes - 1)])
    rng = np.random.default_rng(seed)
    x = np.empty(n)
    y = np.empty(n)
    igraph.set_random_number_generator(random.Random(seed))
    try:
        for k in range(len(sizes)):
            check_cancel(cancel, "the layout")
            rows = order[walk.starts[k]:walk.starts[k + 1]]
            edges = by_component[edge_starts[k]:edge_starts[k + 1]]
            xy = _force_component(np.column_stack([local[parents[edges]], local[children[edges]]]),
                                  lengths[edges], np.column_stack([start_x[rows], start_y[rows]]),
                                  iterations, rng)
            x[rows], y[rows] = xy[:, 0], xy[:, 1]
            report(progress, walk.starts[k + 1] / n)
    finally:
        igraph.set_random_number_generator(random)
    x, y = pack(x, y, component)
    report(progress, 1.0)
    return Layout(algorithm="force", parameters={"seed": seed, "iterations": iterations},
                  ids=list(inference.ids), rows=np.arange(n, dtype=np.int64), x=x, y=y, component=component)
