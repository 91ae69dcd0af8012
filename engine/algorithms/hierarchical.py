"""Hierarchical clustering of profiles: UPGMA, WPGMA, single and complete linkage, as rooted trees.

The distance is the engine's plain Hamming distance (:mod:`engine.algorithms.distances`) under one of its
missing-data modes, so merge heights are numbers of allele differences. The merging itself is
:func:`scipy.cluster.hierarchy.linkage` (``average``, ``weighted``, ``single``, ``complete``) on
the condensed distance matrix of **all** rows, so the result is exactly scipy's, ties included; the
linkage matrix becomes a :class:`~engine.algorithms.tree_arrays.RootedTree` whose node heights are
the merge heights (a leaf-to-leaf path is twice the height at which the two leaves meet).

Profiles at distance 0 (identical ones, and under ``ignore`` profiles that differ only where one
of them is missing) merge at height 0; the binary zero-height merges scipy makes among them are
collapsed into one internal node with every such row at length 0, as the NJ trees show identical
profiles.

Memory: the condensed float64 matrix (``4 n (n - 1)`` bytes) plus the copy scipy's nearest-neighbour
chain makes for ``average``, ``weighted`` and ``complete`` (single linkage reads it in place), that
is about 3.2 GB at n = 20,000, never a square matrix.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.algorithms.distances import mode_code, row_distance
from engine.algorithms.tree_arrays import RootedTree, from_children
from engine.errors import InputError, ParameterError
from engine.models import CancelCheck, Dataset, ProgressCallback
from engine.progress import check_cancel, report

__all__ = ["METHODS", "complete_linkage", "condensed_distances", "linkage_matrix", "linkage_tree",
           "single_linkage", "upgma", "wpgma"]

#: Our method names -> scipy's.
METHODS: dict[str, str] = {
    "upgma": "average",
    "wpgma": "weighted",
    "single": "single",
    "complete": "complete",
}


@numba.njit(cache=True, parallel=True)
def _condensed(matrix, mode, p_first, p_last, out):
    """Distances of the row pairs (i < j) of tasks p in [p_first, p_last) into the condensed ``out``.

    Task p handles rows p and n-1-p so that every task does about n pairs.
    """
    n = matrix.shape[0]
    for p in numba.prange(p_last - p_first):
        first = np.int64(p_first + p)
        for side in range(2):
            i = first if side == 0 else n - 1 - first
            if side == 1 and i == first:
                break
            base = i * (2 * n - i - 1) // 2 - i - 1
            for j in range(i + 1, n):
                out[base + j] = row_distance(matrix, i, j, mode)


def condensed_distances(
    matrix: np.ndarray,
    missing: str = "difference",
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> np.ndarray:
    """Condensed pairwise Hamming distances (scipy's ``pdist`` layout) as float64.

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(n, loci)`` allele codes, 0 = missing.
    missing : {"difference", "ignore", "allele"}
        Missing-data mode (:mod:`engine.algorithms.distances`).
    progress, cancel : callable, optional
        Hooks called between blocks of rows.

    Returns
    -------
    numpy.ndarray
        ``(n (n - 1) / 2,)`` float64: pair (i, j), i < j, at ``n i - i (i + 1) / 2 + j - i - 1``.

    Notes
    -----
    O(n^2 loci) time on all cores, O(n^2) memory (the result only).

    Examples
    --------
    >>> condensed_distances(np.array([[1, 1], [1, 2], [0, 2]], np.uint16)).tolist()
    [1.0, 2.0, 1.0]
    """
    code = mode_code(missing)
    rows = np.ascontiguousarray(matrix, dtype=np.uint16)
    n = rows.shape[0]
    out = np.empty(n * (n - 1) // 2, np.float64)
    tasks = (n + 1) // 2
    step = max(1, min(tasks, 4_000_000 // max(1, n * max(1, rows.shape[1]) // 64 + n)))
    for first in range(0, tasks, step):
        check_cancel(cancel, "the distance matrix")
        _condensed(rows, code, first, min(tasks, first + step), out)
        report(progress, min(tasks, first + step) / max(1, tasks))
    return out


def linkage_matrix(
    dataset: Dataset,
    method: str,
    *,
    missing: str = "difference",
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> np.ndarray:
    """scipy's linkage matrix of the dataset's rows (module docstring).

    Returns
    -------
    numpy.ndarray
        ``(n - 1, 4)`` float64: merged clusters (rows are ``0 .. n - 1``, the cluster made at step
        k is ``n + k``), merge height, cluster size.
    """
    from scipy.cluster.hierarchy import linkage

    scipy_method = _scipy_method(method)
    matrix = dataset.profiles.matrix
    if matrix.shape[0] < 2:
        return np.zeros((0, 4), np.float64)
    condensed = condensed_distances(matrix, missing, progress=_scaled(progress, 0.0, 0.6),
                                    cancel=cancel)
    check_cancel(cancel, "hierarchical clustering")
    linked = linkage(condensed, method=scipy_method)
    report(progress, 0.95)
    return linked


def linkage_tree(
    dataset: Dataset,
    method: str,
    *,
    missing: str = "difference",
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> RootedTree:
    """Hierarchical clustering of a dataset's profiles as a rooted tree.

    Parameters
    ----------
    dataset : Dataset
        The profiles; every row is a leaf.
    method : {"upgma", "wpgma", "single", "complete"}
        scipy's ``average``, ``weighted``, ``single`` and ``complete`` linkage.
    missing : {"difference", "ignore", "allele"}
        Missing-data mode of the Hamming distance (default ``difference``: a missing allele
        counts as a difference).
    progress : callable, optional
        Called with the fraction done.
    cancel : callable, optional
        Returning True stops the run with :class:`~engine.errors.CancelledError`.

    Returns
    -------
    RootedTree
        One leaf per dataset row; internal nodes are scipy's merges, the length of an edge is
        the difference of the merge heights at its two ends (so node heights, measured from the
        leaves, are in allele differences); zero-height merges are collapsed into one node.
        ``parameters`` = ``{"method": method, "missing": missing}``.

    Raises
    ------
    ParameterError
        For an unknown method or mode.
    InputError
        For a dataset without profiles.

    Notes
    -----
    O(n^2 loci) for the distances and O(n^2) for scipy's nearest-neighbour chain (single linkage:
    its minimum spanning tree); memory in the module docstring. Deterministic; the row order can
    matter only where merges tie, exactly as in scipy.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> data = read_dataset("ST a b\\n1 1 1\\n2 1 2\\n3 2 2\\n4 1 1\\n".replace(" ", "\\t").encode())
    >>> tree = linkage_tree(data, "single")
    >>> tree.parent.tolist()  # rows 0 and 3 are identical: node 4 holds them at height 0
    [4, 5, 6, 4, 5, 6, -1]
    >>> tree.length.tolist()
    [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0]
    """
    _scipy_method(method)
    mode_code(missing)
    rows = dataset.profiles.size
    if rows == 0:
        raise InputError("There are no profiles to cluster.")
    linked = linkage_matrix(dataset, method, missing=missing, progress=progress, cancel=cancel)
    tree = tree_from_linkage(linked, rows, algorithm=method,
                             parameters={"method": method, "missing": missing})
    report(progress, 1.0)
    return tree


def tree_from_linkage(linked: np.ndarray, rows: int, *, algorithm: str = "",
                      parameters: dict[str, object] | None = None) -> RootedTree:
    """Turn scipy's linkage matrix over ``rows`` leaves into a :class:`RootedTree`.

    Zero-height merges whose parent is also at height 0 are collapsed into it.
    """
    total = rows + len(linked)
    height = np.zeros(total, np.float64)
    children: list[list[int]] = [[] for _ in range(total)]
    for k, (a, b, h, _) in enumerate(linked):
        node = rows + k
        height[node] = h
        children[node] = [int(a), int(b)]
    # Collapse zero-height chains (children are made before parents, so one forward pass works
    # from the top down when walked backwards).
    alive = np.ones(total, bool)
    for node in range(total - 1, rows - 1, -1):
        if not alive[node] or height[node] != 0.0:
            continue
        merged: list[int] = []
        stack = list(reversed(children[node]))
        while stack:
            child = stack.pop()
            if child >= rows and height[child] == 0.0:
                alive[child] = False
                stack.extend(reversed(children[child]))
            else:
                merged.append(child)
        children[node] = merged
    parent_height = np.zeros(total, np.float64)
    for node in range(rows, total):
        if alive[node]:
            for child in children[node]:
                parent_height[child] = height[node]
    lengths = parent_height - height
    root = total - 1
    lengths[root] = 0.0
    keep = np.flatnonzero(alive)
    renumber = np.full(total, -1, np.int64)
    renumber[keep] = np.arange(len(keep))
    kept_children = [[int(renumber[c]) for c in children[v]] for v in keep]
    leaf_rows = np.where(keep < rows, keep, -1)
    if rows == 1:
        return from_children([0, -1], [[], [0]], [0.0, 0.0], 1, algorithm=algorithm,
                             parameters=parameters)
    return from_children(leaf_rows, kept_children, lengths[keep], int(renumber[root]),
                         algorithm=algorithm, parameters=parameters)


def upgma(dataset: Dataset, *, missing: str = "difference", progress: ProgressCallback | None = None,
          cancel: CancelCheck | None = None) -> RootedTree:
    """UPGMA (scipy's ``average`` linkage); see :func:`linkage_tree`."""
    return linkage_tree(dataset, "upgma", missing=missing, progress=progress, cancel=cancel)


def wpgma(dataset: Dataset, *, missing: str = "difference", progress: ProgressCallback | None = None,
          cancel: CancelCheck | None = None) -> RootedTree:
    """WPGMA (scipy's ``weighted`` linkage); see :func:`linkage_tree`."""
    return linkage_tree(dataset, "wpgma", missing=missing, progress=progress, cancel=cancel)


def single_linkage(dataset: Dataset, *, missing: str = "difference",
                   progress: ProgressCallback | None = None,
                   cancel: CancelCheck | None = None) -> RootedTree:
    """Single linkage (nearest neighbour); see :func:`linkage_tree`."""
    return linkage_tree(dataset, "single", missing=missing, progress=progress, cancel=cancel)


def complete_linkage(dataset: Dataset, *, missing: str = "difference",
                     progress: ProgressCallback | None = None,
                     cancel: CancelCheck | None = None) -> RootedTree:
    """Complete linkage (farthest neighbour); see :func:`linkage_tree`."""
    return linkage_tree(dataset, "complete", missing=missing, progress=progress, cancel=cancel)


def _scipy_method(method: str) -> str:
    try:
        return METHODS[method]
    except KeyError:
        raise ParameterError(
            f"{method!r} is not a hierarchical clustering method; choose one of {', '.join(METHODS)}"
        ) from None


def _scaled(progress: ProgressCallback | None, low: float, high: float) -> ProgressCallback | None:
    if progress is None:
        return None

    def scaled(fraction: float) -> None:
        progress(low + (high - low) * fraction)

    return scaled
