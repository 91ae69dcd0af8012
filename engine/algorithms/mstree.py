"""GrapeTree's MSTree: a minimum spanning tree of symmetric distances with the eBurst tie-break.

The steps, reproducing GrapeTree 3.0.0's ``-m MSTree`` (``research/grapetree-methods.md``
section 4):

1. GrapeTree's encoding, row order and merging of identical profiles
   (:mod:`engine.algorithms.grapetree_input`).
2. Symmetric float32 distances ``D`` (:func:`~engine.algorithms.grapetree_distances.symmetric_distances`).
3. eBurst ranks (:func:`~engine.algorithms.grapetree_weights.eburst_ranks`), ``w_i = rank_i / n``
   in float64.
4. Undirected weights ``W[i, j] = round(D[i, j]) + min(w_i, w_j)`` (float64); a zero entry is no
   edge (only the rank-0 node and a profile with ``round(D) = 0`` can give one). GrapeTree hands
   the matrix to networkx's Kruskal, which sorts the edges ``(i, j)``, ``i < j``, stably by ``W``:
   the tree is the minimum spanning tree under the strict order ``(W, i, j)``. Any minimum
   spanning tree algorithm using that order finds the same tree; we grow it with Prim's
   algorithm on the dense matrix (O(n^2), no edge list).
5. Lengths become GrapeTree's integer ``len``; the root is the smaller end of the first longest
   edge in networkx's listing of the tree (edges ``(i, j)``, ``i < j``, by ``i``, then in
   Kruskal's order), and edges point away from it.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.algorithms.grapetree_distances import branch_lengths, symmetric_distances
from engine.algorithms.grapetree_input import grapetree_profiles, missing_code
from engine.algorithms.grapetree_weights import eburst_ranks
from engine.algorithms.mstree_v2 import first_longest_source, tree_inference
from engine.models import CancelCheck, Dataset, Inference, ProgressCallback
from engine.progress import check_cancel, report

__all__ = ["mstree", "spanning_tree"]


@numba.njit(cache=True, inline="always")
def _before(w1, a1, b1, w2, a2, b2):
    """Edge (a1, b1) of weight w1 comes before edge (a2, b2) of weight w2 (a < b in both)."""
    if w1 != w2:
        return w1 < w2
    if a1 != a2:
        return a1 < a2
    return b1 < b2


@numba.njit(cache=True)
def _prim(distances, weights):
    """Minimum spanning forest under the order (W, i, j): edges (i, j, W) in the order taken."""
    n = distances.shape[0]
    inside = np.zeros(n, np.bool_)
    best = np.full(n, np.inf)
    low = np.full(n, -1, np.int64)
    high = np.full(n, -1, np.int64)
    out_i = np.empty(max(n - 1, 0), np.int64)
    out_j = np.empty(max(n - 1, 0), np.int64)
    out_w = np.empty(max(n - 1, 0), np.float64)
    edges = 0
    for start in range(n):
        if inside[start]:
            continue
        x = start
        while x >= 0:
            inside[x] = True
            wx = weights[x]
            for y in range(n):
                if inside[y]:
                    continue
                w = np.float64(np.rint(distances[x, y])) + min(wx, weights[y])
                if w == 0.0:
                    continue  # GrapeTree's matrix: a zero weight is no edge
                a = min(x, y)
                b = max(x, y)
                if low[y] < 0 or _before(w, a, b, best[y], low[y], high[y]):
                    best[y] = w
                    low[y] = a
                    high[y] = b
            x = -1
            for y in range(n):
                if not inside[y] and low[y] >= 0 and (
                        x < 0 or _before(best[y], low[y], high[y], best[x], low[x], high[x])):
                    x = y
            if x >= 0:
                out_i[edges] = low[x]
                out_j[edges] = high[x]
                out_w[edges] = best[x]
                edges += 1
    return out_i[:edges], out_j[:edges], out_w[:edges]


def spanning_tree(distances: np.ndarray, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GrapeTree's MSTree edges: the minimum spanning forest under the order ``(W, i, j)``.

    Parameters
    ----------
    distances : numpy.ndarray
        ``(n, n)`` float32 symmetric distances.
    ranks : numpy.ndarray
        ``(n,)`` eBurst ranks, a permutation of ``0..n-1``.

    Returns
    -------
    low, high : numpy.ndarray
        int64 ends of each edge, ``low < high``.
    weights : numpy.ndarray
        float64 ``W`` of each edge. Edges come in Kruskal's order, ``(W, low, high)``.

    Notes
    -----
    O(n^2) time (Prim on the dense matrix), O(n) memory. ``n - 1`` edges unless a zero weight
    leaves the rank-0 node without any edge (then a forest).

    Examples
    --------
    All distances 1: the edges of the rank-0 node weigh 1 + 0, the others more; ties at equal
    W are broken by (i, j):

    >>> d = np.ones((3, 3), np.float32) - np.eye(3, dtype=np.float32)
    >>> [x.tolist() for x in spanning_tree(d, np.array([0, 1, 2]))]
    [[0, 0], [1, 2], [1.0, 1.0]]
    >>> [x.tolist() for x in spanning_tree(d, np.array([2, 1, 0]))]
    [[0, 1], [2, 2], [1.0, 1.0]]
    """
    n = distances.shape[0]
    weights = np.asarray(ranks, np.int64) / float(max(n, 1))
    low, high, w = _prim(np.ascontiguousarray(distances), weights)
    order = np.lexsort((high, low, w))
    return low[order], high[order], w[order]


def grapetree_root(low: np.ndarray, high: np.ndarray, weights: np.ndarray, lengths: np.ndarray) -> int:
    """GrapeTree's MSTree root: the smaller end of the first longest edge as networkx lists the tree.

    networkx lists a tree's edges by their smaller end, then in the order Kruskal added them
    (``(W, larger end)``); GrapeTree stably sorts that list by length, longest first.
    """
    listing = np.lexsort((high, weights, low))
    return first_longest_source(low[listing], lengths[listing])


def mstree(
    dataset: Dataset,
    *,
    missing: str = "pair-delete",
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Inference:
    """GrapeTree's MSTree tree of a dataset, edge for edge.

    Parameters
    ----------
    dataset : Dataset
        Profiles (missing cells coded 0 by the reader) and their isolate counts (recorded on the
        result, not used: GrapeTree weighs a profile by its number of identical rows).
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}, default "pair-delete"
        GrapeTree's ``-y 0`` (pairwise deletion, rescaled to all loci, with GrapeTree's
        ``+0.01``), ``-y 1`` (loci with any missing cell left out), ``-y 2`` (missing is an
        allele) and ``-y 3`` (unscaled count of loci called in both that differ).
    progress, cancel : callable, optional
        ``progress(fraction)`` is called as the run advances; when ``cancel()`` returns True the
        run stops with :class:`~engine.errors.CancelledError`.

    Returns
    -------
    Inference
        ``algorithm="mstree"``: one tree over the distinct profiles oriented away from
        GrapeTree's root, lengths GrapeTree's integer branch lengths; before them the
        zero-length edges to identical copies. ``roots`` = [root row] plus the rows without any
        called locus. In the one case where GrapeTree's graph is disconnected (the rank-0 node
        has no edge because every profile is within 0.5 of it) GrapeTree does not finish; here
        that node becomes a further root.

    Raises
    ------
    ParameterError
        For an unknown missing-data mode.
    CancelledError
        When ``cancel()`` returned True.

    Notes
    -----
    O(n^2 L) time for the distances, O(n^2) for the ranks and the tree; O(n^2) memory (a float32
    matrix) plus O(n K) for the eBurst counts (``K`` = largest distance).

    Examples
    --------
    "b" has two single-locus variants, so it ranks first and is the parent of both; GrapeTree's
    row order is b, c, a, so Kruskal takes the equal edges b-c, then b-a:

    >>> from engine.io.datasets import read_dataset
    >>> data = read_dataset(b"ST\\tx\\ty\\na\\t1\\t2\\nb\\t1\\t1\\nc\\t2\\t1\\n")
    >>> [(e.parent, e.child, e.distance) for e in mstree(data).edges()]
    [('b', 'c', 1), ('b', 'a', 1)]
    """
    missing_code(missing)
    report(progress, 0.0)
    profiles = grapetree_profiles(dataset, missing)
    n = profiles.size
    if n < 2:
        report(progress, 1.0)
        empty = np.zeros(0, np.int64)
        return tree_inference(dataset, profiles, empty, empty, empty, 0, "mstree", missing)
    distances = symmetric_distances(profiles.codes, missing,
                                    progress=lambda f: report(progress, 0.02 + 0.7 * f), cancel=cancel)
    check_cancel(cancel)
    ranks = eburst_ranks(distances, profiles.sizes)
    report(progress, 0.8)
    check_cancel(cancel)
    low, high, weights = spanning_tree(distances, ranks)
    del distances
    report(progress, 0.95)
    lengths = branch_lengths(profiles.codes, low, high, missing)
    root = grapetree_root(low, high, weights, lengths)
    # A node GrapeTree's graph leaves without edges (see Returns) joins the tree as a root of its own.
    reached = np.zeros(n, bool)
    reached[low] = reached[high] = True
    reached[root] = True
    lonely = np.flatnonzero(~reached)
    result = tree_inference(dataset, profiles, low, high, lengths, root, "mstree", missing)
    if lonely.shape[0]:
        extra = profiles.rows[lonely]
        result = _with_roots(result, extra)
    report(progress, 1.0)
    return result


def _with_roots(result: Inference, rows: np.ndarray) -> Inference:
    """``result`` with ``rows`` added as roots right after the tree's root."""
    roots = np.concatenate([result.roots[:1], rows, result.roots[1:]]).astype(np.int64)
    return Inference(algorithm=result.algorithm, parameters=result.parameters, ids=result.ids,
                     parents=result.parents, children=result.children, distances=result.distances,
                     rules=result.rules, roots=roots, counts=result.counts)
