"""Layouts that fit trees with branch lengths: equal-angle for unrooted (NJ) trees, rectangular for
dendrograms.

Both use the units of the other layouts (an edge of length ``d`` is ``100 * d`` long) and return a
:class:`~engine.models.Layout` with one point per node, internal nodes included, components numbered
in root order and packed side by side as :func:`~engine.algorithms.layouts.side_by_side` does.
"""

from __future__ import annotations

import numpy as np

from engine.algorithms.layouts import DISTANCE_MULTIPLIER, ZERO_DISTANCE, components, fan_out, side_by_side
from engine.forest import walk_forest
from engine.models import CancelCheck, Inference, Layout, ProgressCallback
from engine.progress import check_cancel, report

#: Distance between two neighbouring leaves of a rectangular layout.
LEAF_SPACING = 20.0
_CANCEL_EVERY = 8192  # nodes between two cancel checks


def equal_angle(inference: Inference, *, progress: ProgressCallback | None = None,
                cancel: CancelCheck | None = None) -> Layout:
    """The equal-angle layout of an unrooted tree (Felsenstein): every subtree gets an angle in
    proportion to its number of leaves, and every branch is drawn as long as it is.

    Parameters
    ----------
    inference : Inference
        An NJ tree (or any tree or forest); drawn from its root.
    progress : callable, optional
        Called with 0.0 at the start and 1.0 at the end.
    cancel : callable, optional
        Polled every 8192 nodes; when it returns True the run stops.

    Returns
    -------
    Layout
        ``algorithm="equal-angle"``, every node in node order. An edge of length ``d`` is
        ``100 * max(d, 0)`` long, at least ``ZERO_DISTANCE`` / 10 (so that identical profiles, 0
        apart, do not hide each other); negative NJ lengths are drawn as 0.

    Examples
    --------
    A star of three leaves around an internal node, 1, 2 and 3 long:

    >>> from engine.io.json import from_json
    >>> star = from_json({"algorithm": "nj", "parameters": {}, "internal": 1, "roots": ["#1"],
    ...     "nodes": [{"id": i, "count": 1} for i in "abc"] + [{"id": "#1", "count": 0}],
    ...     "edges": [{"from": "#1", "to": c, "distance": d, "rule": "distance"}
    ...               for c, d in zip("abc", (1.0, 2.0, 3.0))]})
    >>> layout = equal_angle(star)
    >>> np.hypot(layout.x[:3] - layout.x[3], layout.y[:3] - layout.y[3]).round(6).tolist()
    [100.0, 200.0, 300.0]

    Notes
    -----
    The wedges are those of PhyloDB's radial layout (:func:`~engine.algorithms.layouts.radial`),
    with lengths that follow the branch lengths alone. O(nodes + edges), iterative.
    """
    walk = walk_forest(inference)
    report(progress, 0.0)
    distances = np.maximum(np.asarray(inference.distances, dtype=np.float64), 0.0)
    lengths = np.maximum(distances * DISTANCE_MULTIPLIER, ZERO_DISTANCE / 10)
    x, y = fan_out(inference, walk, lengths, cancel)
    report(progress, 1.0)
    return side_by_side(Layout(algorithm="equal-angle", parameters={}, ids=list(inference.ids),
                               rows=np.arange(len(walk.order), dtype=np.int64), x=x, y=y,
                               component=components(walk)))


def rectangular(inference: Inference, *, progress: ProgressCallback | None = None,
                cancel: CancelCheck | None = None) -> Layout:
    """The rectangular layout of a rooted tree (a dendrogram): the root on the left, every node as far
    to the right as its distance from the root, leaves one below the other.

    Parameters
    ----------
    inference : Inference
        A dendrogram (or any tree or forest).
    progress : callable, optional
        Called with 0.0 at the start and 1.0 at the end.
    cancel : callable, optional
        Polled every 8192 nodes; when it returns True the run stops.

    Returns
    -------
    Layout
        ``algorithm="rectangular"``, every node in node order: ``x`` is ``100`` times the node's
        distance from its root (negative lengths count as 0); leaves are ``LEAF_SPACING`` apart in
        ``y``, in depth-first order (children in edge order), going down from 0; an internal node
        sits halfway between its first and last child. Edges are meant to be drawn as elbows
        (vertical at the parent's ``x``, then horizontal).

    Examples
    --------
    >>> from engine.io.json import from_json
    >>> pair = from_json({"algorithm": "upgma", "parameters": {}, "internal": 1, "roots": ["#1"],
    ...     "nodes": [{"id": "a", "count": 1}, {"id": "b", "count": 1}, {"id": "#1", "count": 0}],
    ...     "edges": [{"from": "#1", "to": c, "distance": 1.5, "rule": "distance"} for c in "ab"]})
    >>> layout = rectangular(pair)
    >>> layout.x.tolist(), layout.y.tolist()
    ([150.0, 150.0, 0.0], [0.0, -20.0, -10.0])

    Notes
    -----
    O(nodes + edges), iterative.
    """
    walk = walk_forest(inference)
    report(progress, 0.0)
    n = len(walk.order)
    children = np.asarray(inference.children).tolist()
    distances = np.maximum(np.asarray(inference.distances, dtype=np.float64), 0.0)
    lengths = (distances * DISTANCE_MULTIPLIER).tolist()
    x = [0.0] * n
    y = [0.0] * n
    leaf = 0
    for position, node in enumerate(walk.order):  # preorder: a parent is placed before its children
        if position % _CANCEL_EVERY == 0:
            check_cancel(cancel, "the layout")
        for edge in walk.out_edges[node]:
            x[children[edge]] = x[node] + lengths[edge]
        if not walk.out_edges[node]:
            y[node] = 0.0 - LEAF_SPACING * leaf  # 0.0 - 0.0 is 0.0, not -0.0
            leaf += 1
    for node in reversed(walk.order):  # postorder: children are placed before their parent
        edges = walk.out_edges[node]
        if edges:
            y[node] = (y[children[edges[0]]] + y[children[edges[-1]]]) / 2
    report(progress, 1.0)
    return side_by_side(Layout(algorithm="rectangular", parameters={}, ids=list(inference.ids),
                               rows=np.arange(n, dtype=np.int64), x=np.array(x), y=np.array(y),
                               component=components(walk)))
