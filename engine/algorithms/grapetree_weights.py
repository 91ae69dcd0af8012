"""GrapeTree's node weights: the tie-break ranks of MSTreeV2 (harmonic) and MSTree (eBurst).

Both rank the ``n`` distinct profiles; ``rank / n`` is the fractional weight GrapeTree adds to
rounded distances, so a lower rank is a preferred parent (``research/grapetree-methods.md``
sections 3.2 and 4.2).

**Harmonic** (MSTreeV2). ``h_i = n / sum_j 1 / (D[i, j] + 0.1)`` over row ``i`` of the asymmetric
distance (``i`` as parent, ``j = i`` included), everything in float32 and the sum in numpy's
pairwise order: equal harmonic means in exact arithmetic are common in MLST data and float32
rounding of differently ordered sums decides between them, so the summation order is part of the
method. Ranks: ``h`` ascending, then size descending, then row index.

**eBurst** (MSTree). ``c_i(k)`` = number of profiles ``j`` (``i`` included) with
``int(D[i, j]) = k`` on the symmetric distance (truncation), and ``c_i(0)`` also counts the size of
``i``. Ranks: ``c(1)`` descending, then ``c(2)``, ..., ``c(K)`` (``K = int(max D)``), then ``c(0)``
descending, then row index.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.algorithms.grapetree_distances import asymmetric_table, asymmetric_value
from engine.models import CancelCheck, ProgressCallback
from engine.progress import check_cancel, report

__all__ = ["eburst_ranks", "harmonic_means", "harmonic_ranks", "pairwise_sum_float32"]

_ROWS_PER_CHUNK = 1024  # harmonic rows between progress reports and cancel checks


@numba.njit(cache=True, inline="always")
def _pairwise_leaf(values, first, count):
    """numpy's pairwise sum of at most 128 float32 values: eight running sums, then the rest."""
    if count < 8:
        total = np.float32(0.0)
        for k in range(count):
            total += values[first + k]
        return total
    r0 = values[first]
    r1 = values[first + 1]
    r2 = values[first + 2]
    r3 = values[first + 3]
    r4 = values[first + 4]
    r5 = values[first + 5]
    r6 = values[first + 6]
    r7 = values[first + 7]
    full = count - count % 8
    k = 8
    while k < full:
        r0 += values[first + k]
        r1 += values[first + k + 1]
        r2 += values[first + k + 2]
        r3 += values[first + k + 3]
        r4 += values[first + k + 4]
        r5 += values[first + k + 5]
        r6 += values[first + k + 6]
        r7 += values[first + k + 7]
        k += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < count:
        total += values[first + k]
        k += 1
    return total


@numba.njit(cache=True)
def _pairwise(values, first, count):
    """numpy's pairwise summation of ``values[first:first + count]`` in float32.

    Above 128 values numpy sums the two halves recursively (the first half a multiple of 8 long)
    and adds them; this walks the same tree with an explicit stack (post-order).
    """
    if count <= 128:
        return _pairwise_leaf(values, first, count)
    task_first = np.empty(64, np.int64)
    task_count = np.empty(64, np.int64)
    task_stage = np.empty(64, np.int64)
    partial = np.empty(64, np.float32)
    tasks = 1
    partials = 0
    task_first[0] = first
    task_count[0] = count
    task_stage[0] = 0
    while tasks > 0:
        top = tasks - 1
        f = task_first[top]
        c = task_count[top]
        if c <= 128:
            partial[partials] = _pairwise_leaf(values, f, c)
            partials += 1
            tasks -= 1
            continue
        half = c // 2
        half -= half % 8
        stage = task_stage[top]
        if stage == 2:
            right = partial[partials - 1]
            left = partial[partials - 2]
            partials -= 2
            partial[partials] = left + right
            partials += 1
            tasks -= 1
            continue
        task_stage[top] = stage + 1
        task_first[tasks] = f if stage == 0 else f + half
        task_count[tasks] = half if stage == 0 else c - half
        task_stage[tasks] = 0
        tasks += 1
    return partial[0]


def pairwise_sum_float32(values: np.ndarray) -> np.float32:
    """Sum float32 values exactly as ``numpy.sum`` does (its pairwise summation), in float32.

    Parameters
    ----------
    values : numpy.ndarray
        1-d float32 array.

    Returns
    -------
    numpy.float32
        The sum: fewer than 8 values left to right; up to 128 in eight interleaved running sums
        combined as ``((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))`` then the rest left to right; above
        128 the two halves (the first a multiple of 8 long) summed recursively and added.

    Notes
    -----
    O(n) time, O(log n) stack.

    Examples
    --------
    >>> v = (np.float32(1) / np.arange(1, 300, dtype=np.float32)).astype(np.float32)
    >>> bool(pairwise_sum_float32(v) == v.sum())
    True
    """
    values = np.ascontiguousarray(values, dtype=np.float32)
    return np.float32(_pairwise(values, 0, values.shape[0]))


@numba.njit(cache=True, parallel=True)
def _harmonic_rows(counts, called, loci, scaled, column, inverse, first, last, sums):
    """Pairwise float32 sums of 1 / (D[i, j] + 0.1) over rows first..last-1; ``inverse`` is the
    table of those terms by (child's table row, count), or empty."""
    n = counts.shape[0]
    for p in numba.prange(last - first):
        i = first + p
        row = np.empty(n, np.float32)
        if inverse.shape[0]:
            for j in range(n):
                row[j] = inverse[column[j], counts[i, j]]
        else:
            for j in range(n):
                d = asymmetric_value(np.int64(counts[i, j]), called[j], loci, scaled)
                row[j] = np.float32(1.0) / (d + np.float32(0.1))
        sums[i] = _pairwise(row, 0, n)


def harmonic_means(
    counts: np.ndarray,
    called: np.ndarray,
    loci: int,
    scaled: bool = True,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> np.ndarray:
    """GrapeTree's harmonic mean distance of every node as a parent, bit for bit in float32.

    Parameters
    ----------
    counts, called : numpy.ndarray
        The asymmetric difference counts and called loci
        (:func:`~engine.algorithms.grapetree_distances.asymmetric_differences`).
    loci : int
        Number of locus columns ``L``.
    scaled : bool, default True
        False for ``absolute`` distances (``-y 3``).
    progress, cancel : callable, optional
        Progress and cancellation hooks, called every ``_ROWS_PER_CHUNK`` rows.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float32 ``h_i = float32(n) / PW_j(1 / (D[i, j] + 0.1))``.

    Notes
    -----
    O(n^2) time on all cores, O(n) memory per thread (one row of terms); the terms come from a
    table by (called loci of the child, count) when it is small enough.
    """
    n = counts.shape[0]
    called = np.asarray(called, np.int64)
    column, table = asymmetric_table(called, int(loci), bool(scaled))
    inverse = (np.float32(1.0) / (table + np.float32(0.1))).astype(np.float32)  # as the kernel would
    sums = np.zeros(n, np.float32)
    for first in range(0, n, _ROWS_PER_CHUNK):
        check_cancel(cancel)
        last = min(n, first + _ROWS_PER_CHUNK)
        _harmonic_rows(counts, called, int(loci), bool(scaled), column, inverse, first, last, sums)
        report(progress, last / max(n, 1))
    return (np.float32(n) / sums).astype(np.float32)


def harmonic_ranks(means: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Ranks of the nodes by harmonic mean ascending, then size descending, then index.

    Parameters
    ----------
    means : numpy.ndarray
        ``(n,)`` float32 harmonic means (:func:`harmonic_means`).
    sizes : numpy.ndarray
        ``(n,)`` rows merged into each node.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64, a permutation of ``0..n-1``.

    Examples
    --------
    >>> harmonic_ranks(np.array([2.0, 1.0, 2.0], np.float32), np.array([1, 1, 3])).tolist()
    [2, 0, 1]
    """
    order = np.lexsort((-np.asarray(sizes, np.int64), np.asarray(means, np.float64)))
    ranks = np.empty(order.shape[0], np.int64)
    ranks[order] = np.arange(order.shape[0])
    return ranks


@numba.njit(cache=True, parallel=True)
def _level_counts(distances, levels):
    n = distances.shape[0]
    out = np.zeros((n, levels + 1), np.int32)
    for i in numba.prange(n):
        for j in range(n):
            out[i, int(distances[i, j])] += 1
    return out


def eburst_ranks(distances: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """GrapeTree's eBurst ranks of the nodes (MSTree's tie-break).

    Parameters
    ----------
    distances : numpy.ndarray
        ``(n, n)`` float32 symmetric distances
        (:func:`~engine.algorithms.grapetree_distances.symmetric_distances`).
    sizes : numpy.ndarray
        ``(n,)`` rows merged into each node.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64 ranks, a permutation of ``0..n-1`` (see the module docstring).

    Notes
    -----
    O(n^2) to count, O(n K) memory and a K-key stable sort, ``K = int(max D)``.

    Examples
    --------
    Node 1 has two single-locus variants, nodes 0 and 2 one each; node 2 is larger than node 0:

    >>> d = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]], np.float32)
    >>> eburst_ranks(d, np.array([1, 1, 2])).tolist()
    [2, 0, 1]
    """
    n = distances.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    levels = int(distances.max())
    counts = _level_counts(distances, levels)
    counts[:, 0] += np.asarray(sizes, np.int32)
    keys = [-counts[:, 0]] + [-counts[:, k] for k in range(levels, 0, -1)]
    order = np.lexsort(keys)
    ranks = np.empty(n, np.int64)
    ranks[order] = np.arange(n)
    return ranks
