"""A static layout in GrapeTree's spirit: true branch lengths, subtrees fanned out by size, no node overlap.

:func:`grapetree` draws every tree of a forest from its root: an edge of distance ``d`` is ``100 * d``
long between the edges of its two node discs plus a small gap (longer only where a crowded node needs
room for its children), the children of a node share its fan in proportion to their subtrees' numbers
of nodes (each at least what it needs), and no two node discs overlap. The trees are then placed in a
grid, largest first, with the singletons gathered in one square block. The units are those of the other
layouts (:mod:`engine.algorithms.layouts`): between two one-isolate nodes an edge of distance ``d`` is
``100 * d + 12`` long, about PhyloDB's ``100 * d + 10``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from engine.algorithms.layouts import COMPONENT_GAP, DISTANCE_MULTIPLIER, ZERO_DISTANCE, components
from engine.forest import walk_forest
from engine.models import CancelCheck, Inference, Layout, ProgressCallback
from engine.progress import check_cancel, report

#: Radius, in layout units, of a node with one isolate; a node with ``c`` isolates has ``5 * sqrt(c)``
#: (area proportional to isolates). The dashboard draws a one-isolate node at most 10 pixels wide and a
#: node of ``c`` at most ``10 * sqrt(c)`` (``dashboard/tree/geometry.py``, ``node_sizes``), so at one
#: pixel per layout unit every drawn node lies inside its disc here.
NODE_RADIUS = 5.0
#: Radius of a profile without isolates (the dashboard's 4-pixel dot) and of an internal node of an NJ
#: tree or a dendrogram (its 2-pixel dot).
EMPTY_RADIUS = 2.0
INTERNAL_RADIUS = 1.0
#: Least distance between the edges of two node discs (between the nodes of a distance-0 edge, too).
NODE_GAP = 2.0
#: Largest half-angle of the fan of a node's children around the direction away from its parent (162
#: degrees: the children of a node other than a root keep 18 degrees clear of the edge to its parent).
MAX_FAN = 0.9 * math.pi
#: A node with several children spreads them over at least this angle each (within ``MAX_FAN``).
FAN_STEP = math.pi / 6
#: How much more than the narrowest of its siblings a wide subtree's edge is stretched in a crowded fan:
#: ``(half-width ratio) ** STRETCH_POWER``. 0 stretches all alike (the leaves of a hub as far as its
#: big subtrees), 0.5 pushes wide subtrees far out and makes big trees much larger; 0.25 is between.
STRETCH_POWER = 0.25
#: Distance between the centres of neighbouring singletons in their block, beyond their diameters.
SINGLETON_SPACING = ZERO_DISTANCE
DISC_SIDES = 16  # a node's disc is a polygon of 16 sides in the hulls (2% wider at its corners)
_BISECTIONS = 60  # halvings of a bracket: far below a float's resolution on the angles and lengths here


def node_radii(inference: Inference) -> np.ndarray:
    """The radius in layout units of every node of ``inference``, in node order.

    ``NODE_RADIUS * sqrt(count)`` for a profile with isolates, ``EMPTY_RADIUS`` for one without,
    ``INTERNAL_RADIUS`` for an internal node (see the module's constants).

    Examples
    --------
    >>> from engine.io.json import from_json
    >>> star = from_json({"algorithm": "nj", "parameters": {}, "internal": 1, "roots": ["#1"],
    ...     "nodes": [{"id": "a", "count": 1}, {"id": "b", "count": 4}, {"id": "#1", "count": 0}],
    ...     "edges": [{"from": "#1", "to": c, "distance": 1.0, "rule": "distance"} for c in "ab"]})
    >>> node_radii(star).tolist()
    [5.0, 10.0, 1.0]
    """
    counts = np.maximum(np.asarray(inference.counts, dtype=np.float64), 0.0)
    radii = np.where(counts > 0, NODE_RADIUS * np.sqrt(counts), EMPTY_RADIUS)
    radii[inference.profile_count:] = INTERNAL_RADIUS
    return radii


def grapetree(inference: Inference, *, progress: ProgressCallback | None = None,
              cancel: CancelCheck | None = None) -> Layout:
    """GrapeTree's static layout, reimplemented: each tree fanned out from its root, subtrees given
    wedges by size, edges as long as their distance, node discs never overlapping.

    Parameters
    ----------
    inference : Inference
        The tree or forest (spanning trees, NJ trees, dendrograms); each tree is drawn from its root.
    progress : callable, optional
        Called with 0.0 at the start, after each stage, and 1.0 at the end.
    cancel : callable, optional
        Polled between the stages; when it returns True the run stops.

    Returns
    -------
    Layout
        ``algorithm="grapetree"``, ``parameters={}``, every node (internal ones included) in node
        order, components numbered 1, 2, ... in root order. Node ``v`` is a disc of radius
        ``node_radii(inference)[v]``; any two discs are at least ``NODE_GAP`` apart. An edge of
        distance ``d`` (negative NJ lengths count as 0) between nodes of radii ``r`` and ``s`` is
        ``100 * d + r + s + NODE_GAP`` long, or longer where its parent's children do not fit around
        it at their lengths (a hub with more than about 40 leaves, big subtrees side by side): then
        each edge of that parent is made at least ``L * (w / w0) ** STRETCH_POWER`` long, where
        ``w`` is its subtree's half-width, ``w0`` the narrowest sibling's, and ``L`` the least length
        that makes them fit; wide subtrees move out further than leaves. Trees of two nodes or more
        are placed in rows running downwards from y = 0, largest (most nodes) first, ``COMPONENT_GAP``
        apart, each row about as wide as the square root of the total area (or the widest tree);
        the singletons follow as one block, a square grid in order of isolate count, largest first.

    Raises
    ------
    InputError
        When the edges are not a forest hanging from the roots.
    CancelledError
        When ``cancel()`` returns True.

    Examples
    --------
    A star of three one-isolate leaves around a one-isolate node, at distances 0, 1 and 2:

    >>> from engine.io.json import from_json
    >>> star = from_json({"algorithm": "goeburst", "parameters": {}, "roots": ["h"],
    ...     "nodes": [{"id": i, "count": 1} for i in "habc"],
    ...     "edges": [{"from": "h", "to": c, "distance": d, "rule": "distance"}
    ...               for c, d in zip("abc", (0, 1, 2))]})
    >>> layout = grapetree(star)
    >>> np.hypot(layout.x[1:] - layout.x[0], layout.y[1:] - layout.y[0]).round(6).tolist()
    [12.0, 112.0, 212.0]

    Notes
    -----
    Every node gets a *padded* disc, of radius ``r + NODE_GAP / 2``; padded discs that do not
    overlap leave ``NODE_GAP`` between the nodes. One pass from the leaves up computes, for every
    subtree T(u), its edge lengths, the direction of each child relative to u's own direction (away
    from its parent), and the convex hull H(u) of T(u)'s padded discs in u's frame (the hull of a
    16-gon around u's disc and of its children's hulls, turned and moved into place). At a node
    u, a child w at distance l is seen from u under the angles ``[-b(l), a(l)]`` around its
    direction, the tangents to H(w), and H(w) must stay ``r(u)`` (padded) away from u. Both fall or
    rise monotonically with l, so bisections find the least lengths: each child's, to keep its hull
    clear of u, then one common factor when the children's angles add up to more than the fan
    (``2 * MAX_FAN``; 2 pi at a root; a single child goes straight on and needs twice its wider
    side). The fan, at least ``FAN_STEP`` per child when it fits, is shared by wedges
    ``max(angle needed, k * subtree nodes)`` (k making them fill the fan), each child's angles
    centred in its wedge. A pass from the roots down turns the relative directions into positions.

    No two padded discs overlap. Take nodes a and b. If a is an ancestor of b and w the child of
    a above b, b's padded disc lies in H(w), which is at least a's padded radius away from a. If
    not, let c be their lowest common ancestor: a and b lie in the hulls of two different children
    of c, and these lie in disjoint angular wedges around c (the hulls do not contain c, so each is
    seen from c under less than pi). Time O(n log n) times the typical hull size (a hub's ring of
    leaves gives it hundreds of vertices); the bisections take 60 steps.
    """
    walk = walk_forest(inference)
    report(progress, 0.0)
    n = len(walk.order)
    radii = node_radii(inference)
    order = np.asarray(walk.order, dtype=np.int64)
    parents = np.asarray(inference.parents, dtype=np.int64)
    children = np.asarray(inference.children, dtype=np.int64)
    distances = np.maximum(np.asarray(inference.distances, dtype=np.float64), 0.0)
    x, y, _, _ = fan_out(order, parents, children, distances, radii)
    check_cancel(cancel, "the layout")
    report(progress, 0.8)
    component = components(walk)
    sizes = np.diff(np.asarray(walk.starts, dtype=np.int64))
    roots = np.asarray(inference.roots, dtype=np.int64)
    dx, dy = grid_offsets(x, y, radii, component, sizes, roots, np.asarray(inference.counts))
    report(progress, 1.0)
    return Layout(algorithm="grapetree", parameters={}, ids=list(inference.ids),
                  rows=np.arange(n, dtype=np.int64), x=x + dx, y=y + dy, component=component)


def fan_out(order: np.ndarray, parents: np.ndarray, children: np.ndarray, distances: np.ndarray,
            radii: np.ndarray, max_fan: float = MAX_FAN,
            fan_step: float = FAN_STEP,
            stretch_power: float = STRETCH_POWER) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of every node, each tree around its root at (0, 0): ``x, y, lengths, wedges``.

    ``order`` is a depth-first preorder of the forest (``walk_forest``), ``distances`` are >= 0,
    ``radii`` the nodes' radii. ``lengths[e]`` is how long edge ``e`` is drawn; ``wedges[v]`` the
    angle of the wedge given to the subtree of ``v`` at its parent (2 pi at a root).
    """
    n = len(order)
    by_parent = np.argsort(parents, kind="stable")  # children in edge order
    child_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(parents, minlength=n), out=child_start[1:])
    parent_of = np.full(n, -1, dtype=np.int64)
    parent_of[children] = parents
    padded = np.asarray(radii, dtype=np.float64) + NODE_GAP / 2
    base = DISTANCE_MULTIPLIER * distances + padded[parents] + padded[children]
    return _fan_out(np.asarray(order, dtype=np.int64), parent_of, by_parent, child_start,
                    np.asarray(children, dtype=np.int64), base, padded, float(max_fan), float(fan_step),
                    float(stretch_power))


@numba.njit(cache=True)
def _cross(ox: float, oy: float, ax: float, ay: float, bx: float, by: float) -> float:  # pragma: no cover
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)


@numba.njit(cache=True)
def _hull(points: np.ndarray) -> np.ndarray:  # pragma: no cover
    """The convex hull of ``points`` (m, 2), counter-clockwise, without repeated or collinear vertices
    (Andrew's monotone chain)."""
    m = len(points)
    order = np.argsort(points[:, 1], kind="mergesort")
    order = order[np.argsort(points[order, 0], kind="mergesort")]  # by x, then y
    chain = np.empty(2 * m, dtype=np.int64)
    k = 0
    for i in range(m):  # lower hull
        p = order[i]
        while k >= 2 and _cross(points[chain[k - 2], 0], points[chain[k - 2], 1], points[chain[k - 1], 0],
                                points[chain[k - 1], 1], points[p, 0], points[p, 1]) <= 0.0:
            k -= 1
        chain[k] = p
        k += 1
    lower = k + 1
    for i in range(m - 2, -1, -1):  # upper hull
        p = order[i]
        while k >= lower and _cross(points[chain[k - 2], 0], points[chain[k - 2], 1], points[chain[k - 1], 0],
                                    points[chain[k - 1], 1], points[p, 0], points[p, 1]) <= 0.0:
            k -= 1
        chain[k] = p
        k += 1
    return points[chain[:max(k - 1, 1)]]


@numba.njit(cache=True)
def _extents(hull: np.ndarray, length: float) -> tuple[float, float]:  # pragma: no cover
    """Half-angles below and above a subtree's axis under which its ``hull`` (in its own frame) is seen
    from its parent, ``length`` behind its root."""
    below = 0.0
    above = 0.0
    for i in range(len(hull)):
        x = length + hull[i, 0]
        above = max(above, math.atan2(hull[i, 1], x))
        below = max(below, math.atan2(-hull[i, 1], x))
    return below, above


@numba.njit(cache=True)
def _clearance(hull: np.ndarray, length: float) -> float:  # pragma: no cover
    """Distance from the parent, ``length`` behind a subtree's root, to the subtree's ``hull`` (0 inside)."""
    px = -length
    nearest = np.inf
    inside = True
    m = len(hull)
    for i in range(m):
        ax, ay = hull[i, 0], hull[i, 1]
        bx, by = hull[(i + 1) % m, 0], hull[(i + 1) % m, 1]
        if _cross(ax, ay, bx, by, px, 0.0) < 0.0:
            inside = False
        dx, dy = bx - ax, by - ay
        span = dx * dx + dy * dy
        t = 0.0 if span == 0.0 else min(1.0, max(0.0, ((px - ax) * dx - ay * dy) / span))
        nearest = min(nearest, math.hypot(px - ax - t * dx, -ay - t * dy))
    return 0.0 if inside and m >= 3 else nearest


@numba.njit(cache=True)
def _least_length(hull: np.ndarray, base: float, padded_parent: float) -> float:  # pragma: no cover
    """The least length >= ``base`` keeping the subtree's ``hull`` ``padded_parent`` away from its parent."""
    if _clearance(hull, base) >= padded_parent:
        return base
    low, high = base, 2.0 * base + padded_parent
    while _clearance(hull, high) < padded_parent:
        low, high = high, 2.0 * high
    for _ in range(_BISECTIONS):
        middle = 0.5 * (low + high)
        if _clearance(hull, middle) >= padded_parent:
            high = middle
        else:
            low = middle
    return high


@numba.njit(cache=True)
def _fan_need(hulls, first, stop, edge_of, children, least, stretch, common):  # pragma: no cover
    """The angle the children ``first:stop`` need around their parent, edge ``e`` at least
    ``common * stretch[e]`` long: the sum of their extents, or for one child twice its wider side (it
    is drawn straight on)."""
    total = 0.0
    for k in range(first, stop):
        edge = edge_of[k]
        below, above = _extents(hulls[children[edge]], max(least[edge], common * stretch[edge]))
        total += below + above if stop - first > 1 else 2.0 * max(below, above)
    return total


@numba.njit(cache=True)
def _disc(padded: float) -> np.ndarray:  # pragma: no cover
    """A regular polygon of ``DISC_SIDES`` sides around a disc of radius ``padded`` centred at the origin,
    a side (not a corner) facing the parent at angle pi."""
    corner = padded / math.cos(math.pi / DISC_SIDES)
    polygon = np.empty((DISC_SIDES, 2))
    for k in range(DISC_SIDES):
        angle = (2 * k + 1) * math.pi / DISC_SIDES
        polygon[k, 0] = corner * math.cos(angle)
        polygon[k, 1] = corner * math.sin(angle)
    return polygon


@numba.njit(cache=True)
def _fan_out(order, parent_of, edge_of, child_start, children, base, padded, max_fan, fan_step,
             stretch_power):  # pragma: no cover
    n = len(order)
    m = len(children)
    lengths = np.empty(m)
    least = np.empty(m)
    stretch = np.empty(m)  # relative stretch of an edge when its parent's fan is crowded
    turn = np.zeros(n)  # direction of a node from its parent, relative to its parent's own direction
    wedge = np.zeros(n)
    size = np.ones(n)  # nodes in the subtree
    hulls = [np.empty((0, 2)) for _ in range(n)]  # hull of a subtree's padded discs in its root's frame
    # From the leaves up: lengths, turns and the hull of every subtree.
    for position in range(n - 1, -1, -1):
        node = order[position]
        first, stop = child_start[node], child_start[node + 1]
        if first == stop:
            hulls[node] = _disc(padded[node])
            continue
        root = parent_of[node] < 0
        cap = 2.0 * math.pi if root else 2.0 * max_fan
        longest = 0.0
        narrowest = np.inf
        points = DISC_SIDES
        for k in range(first, stop):
            edge = edge_of[k]
            child = children[edge]
            size[node] += size[child]
            least[edge] = _least_length(hulls[child], base[edge], padded[node])
            longest = max(longest, least[edge])
            points += len(hulls[child])
            stretch[edge] = np.abs(hulls[child][:, 1]).max()  # half-width, squared-rooted below
            narrowest = min(narrowest, stretch[edge])
        for k in range(first, stop):
            stretch[edge_of[k]] = (stretch[edge_of[k]] / narrowest) ** stretch_power
        common = 0.0
        if _fan_need(hulls, first, stop, edge_of, children, least, stretch, common) > cap:
            low, high = 0.0, longest  # too crowded: stretch the shortest edges to one common length
            while _fan_need(hulls, first, stop, edge_of, children, least, stretch, high) > cap:
                low, high = high, 2.0 * high
            for _ in range(_BISECTIONS):
                middle = 0.5 * (low + high)
                if _fan_need(hulls, first, stop, edge_of, children, least, stretch, middle) > cap:
                    low = middle
                else:
                    high = middle
            common = high
        count = stop - first
        needs = np.empty(count)
        belows = np.empty(count)
        weights = np.empty(count)
        for k in range(count):
            edge = edge_of[first + k]
            lengths[edge] = max(least[edge], common * stretch[edge])
            belows[k], above = _extents(hulls[children[edge]], lengths[edge])
            needs[k] = belows[k] + above
            weights[k] = size[children[edge]]
        if count == 1:
            edge = edge_of[first]
            turn[children[edge]] = 0.0
            wedge[children[edge]] = cap
        else:
            room = cap if root else min(cap, max(needs.sum(), fan_step * count))
            shares = _share(needs, weights, room)
            angle = 0.0 if root else -0.5 * room
            for k in range(count):
                child = children[edge_of[first + k]]
                turn[child] = angle + 0.5 * (shares[k] - needs[k]) + belows[k]
                wedge[child] = shares[k]
                angle += shares[k]
        merged = np.empty((points, 2))
        merged[:DISC_SIDES] = _disc(padded[node])
        filled = DISC_SIDES
        for k in range(first, stop):
            edge = edge_of[k]
            child = children[edge]
            cos, sin = math.cos(turn[child]), math.sin(turn[child])
            hull = hulls[child]
            for i in range(len(hull)):
                merged[filled, 0] = lengths[edge] * cos + cos * hull[i, 0] - sin * hull[i, 1]
                merged[filled, 1] = lengths[edge] * sin + sin * hull[i, 0] + cos * hull[i, 1]
                filled += 1
            hulls[child] = np.empty((0, 2))  # no longer needed
        hulls[node] = _hull(merged)
    # From the roots down: absolute directions and positions.
    x = np.zeros(n)
    y = np.zeros(n)
    heading = np.zeros(n)
    for position in range(n):
        node = order[position]
        for k in range(child_start[node], child_start[node + 1]):
            edge = edge_of[k]
            child = children[edge]
            heading[child] = heading[node] + turn[child]
            x[child] = x[node] + lengths[edge] * math.cos(heading[child])
            y[child] = y[node] + lengths[edge] * math.sin(heading[child])
    for node in range(n):
        if parent_of[node] < 0:
            wedge[node] = 2.0 * math.pi
    return x, y, lengths, wedge


@numba.njit(cache=True)
def _share(needs: np.ndarray, weights: np.ndarray, room: float) -> np.ndarray:  # pragma: no cover
    """Wedges ``max(needs[k], scale * weights[k])`` adding up to ``room`` (when ``sum(needs) <= room``)."""
    low, high = 0.0, room / weights.min()
    for _ in range(_BISECTIONS):
        middle = 0.5 * (low + high)
        total = 0.0
        for k in range(len(needs)):
            total += max(needs[k], middle * weights[k])
        if total > room:
            high = middle
        else:
            low = middle
    shares = np.empty(len(needs))
    total = 0.0
    for k in range(len(needs)):
        shares[k] = max(needs[k], low * weights[k])
        total += shares[k]
    if total > 0.0:
        shares *= room / total
    return shares


def grid_offsets(x: np.ndarray, y: np.ndarray, radii: np.ndarray, component: np.ndarray,
                 sizes: np.ndarray, roots: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Translations ``dx, dy`` of every node that put the trees in a grid and the singletons in a block.

    ``component`` numbers the trees 1, 2, ... in root order; ``sizes[k]`` is the node count of tree
    ``k + 1`` and ``roots[k]`` its root. See :func:`grapetree`'s Returns.
    """
    n = len(x)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    padded = radii + NODE_GAP / 2
    index = component - 1
    trees = np.flatnonzero(sizes > 1)
    singles = np.flatnonzero(sizes == 1)
    k = len(sizes)
    low_x = np.full(k, np.inf)
    low_y = np.full(k, np.inf)
    high_x = np.full(k, -np.inf)
    high_y = np.full(k, -np.inf)
    np.minimum.at(low_x, index, x - padded)
    np.minimum.at(low_y, index, y - padded)
    np.maximum.at(high_x, index, x + padded)
    np.maximum.at(high_y, index, y + padded)
    by_size = trees[np.lexsort((trees, -sizes[trees]))]  # most nodes first, then root order
    boxes = [(high_x[t] - low_x[t], high_y[t] - low_y[t]) for t in by_size.tolist()]
    # The singletons' block: ceil(sqrt(k)) per row, most isolates first; a row as tall as its largest.
    block_x = np.zeros(k)
    block_y = np.zeros(k)
    if len(singles):
        single_rows = roots[singles]
        ranked = singles[np.lexsort((singles, -np.asarray(counts)[single_rows]))]
        per_row = math.ceil(math.sqrt(len(ranked)))
        top = 0.0
        width = 0.0
        for first in range(0, len(ranked), per_row):
            row = ranked[first:first + per_row]
            pitch = 2.0 * float(padded[roots[row]].max()) + SINGLETON_SPACING
            block_x[row] = pitch / 2 + pitch * np.arange(len(row))
            block_y[row] = top - pitch / 2
            top -= pitch
            width = max(width, pitch * len(row))
        boxes.append((width, -top))
    # The grid: trees by node count, largest first (then root order), the singletons' block last.
    placed = _shelves(boxes)
    dx = np.zeros(k)
    dy = np.zeros(k)
    for t, (left, top) in zip(by_size.tolist(), placed, strict=False):
        dx[t], dy[t] = left - low_x[t], top - high_y[t]
    if len(singles):
        left, top = placed[-1]
        dx[singles] = left + block_x[singles] - x[roots[singles]]
        dy[singles] = top + block_y[singles] - y[roots[singles]]
    return dx[index], dy[index]


def _shelves(boxes: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Top-left corners of ``boxes`` (width, height) put in rows in list order, ``COMPONENT_GAP`` apart.

    Rows run downwards from y = 0, each about as wide as the square root of the total area (or the
    widest box), so that the whole is about square.
    """
    if not boxes:
        return []
    area = sum((w + COMPONENT_GAP) * (h + COMPONENT_GAP) for w, h in boxes)
    row_width = max(max(w for w, _ in boxes), math.sqrt(area))
    corners = []
    left = top = row_height = 0.0
    for width, height in boxes:
        if left > 0 and left + width > row_width:
            top -= row_height + COMPONENT_GAP
            left = row_height = 0.0
        corners.append((left, top))
        left += width + COMPONENT_GAP
        row_height = max(row_height, height)
    return corners
