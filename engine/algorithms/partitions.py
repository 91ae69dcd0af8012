"""Partitions: flat clusters of a tree at a list of thresholds, one column per threshold.

Cutting every edge longer than a threshold and keeping what stays joined gives the clusters at that
threshold (:func:`engine.algorithms.clusters.cut` does one threshold). A partition does many at
once, the way HierCC reports cgMLST clusters at every distance: the edges are sorted once and a
union-find sweeps the thresholds upwards, so 101 thresholds of a 15,000-profile tree take
milliseconds. For a minimum spanning tree (``goeburst-full``, or ``goeburst`` with lvs = loci) the
clusters at threshold t are exactly single-linkage clusters of the distances at t (profiles are
joined when a chain of pairs at most t apart links them).

Numbering is independent of row order: in each column clusters are numbered 1, 2, ... by
decreasing size (number of profiles), ties by the smallest profile id in the cluster, ids
compared by length and then character by character ("9" < "10" < "A1").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from engine.errors import InputError, ParameterError
from engine.models import Inference

#: Every whole distance up to this one is a default threshold; above it, a coarser series.
DEFAULT_FINE = 100
#: The coarse default thresholds above DEFAULT_FINE (kept when below the number of loci).
DEFAULT_COARSE = (150, 200, 300, 400, 500, 700, 900, 1200, 1500, 2000, 3000, 5000, 7000, 10000)


@dataclass(frozen=True)
class Partition:
    """Cluster numbers of every profile at every threshold.

    Attributes
    ----------
    ids : list of str
        The profiles (rows of the inference, internal nodes left out), in row order.
    thresholds : tuple of float
        Ascending, each once; column j of ``labels`` is the cut at ``thresholds[j]``.
    labels : numpy.ndarray
        ``(profiles, thresholds)`` int64 cluster numbers, 1..k in each column (module docstring).
    """

    ids: list[str]
    thresholds: tuple[float, ...]
    labels: np.ndarray

    def column(self, threshold: float) -> np.ndarray:
        """The cluster number of every profile at ``threshold`` (one of :attr:`thresholds`)."""
        try:
            return self.labels[:, self.thresholds.index(threshold)]
        except ValueError:
            raise ParameterError(f"{threshold!r} is not one of the partition's thresholds") from None

    def sizes(self, threshold: float) -> np.ndarray:
        """Profiles in each cluster at ``threshold``: cluster ``c`` at index ``c - 1``."""
        column = self.column(threshold)
        return np.bincount(column)[1:] if len(column) else np.zeros(0, np.int64)


def default_thresholds(loci: int, *, fine: int = DEFAULT_FINE) -> list[int]:
    """HierCC-like thresholds for a scheme of ``loci`` loci: every distance 0..min(loci, fine), then coarser.

    Parameters
    ----------
    loci : int
        Number of loci (the largest possible distance).
    fine : int, default DEFAULT_FINE
        Every whole distance up to this one is a threshold.

    Returns
    -------
    list of int
        ``0, 1, ..., min(loci, fine)``, then the values of :data:`DEFAULT_COARSE` below ``loci``,
        then ``loci`` itself when it is above ``fine``.

    Raises
    ------
    ParameterError
        When ``loci`` or ``fine`` is negative.

    Examples
    --------
    >>> default_thresholds(7)
    [0, 1, 2, 3, 4, 5, 6, 7]
    >>> default_thresholds(3002)[-4:]
    [1500, 2000, 3000, 3002]
    """
    if loci < 0 or fine < 0:
        raise ParameterError(f"the number of loci and the fine range must be >= 0, got {loci} and {fine}")
    values = list(range(min(loci, fine) + 1))
    if loci > fine:
        values += [t for t in DEFAULT_COARSE if fine < t < loci] + [loci]
    return values


def checked_thresholds(thresholds: Sequence[float]) -> tuple[float, ...]:
    """The thresholds ascending, each once (whole numbers as int); ParameterError names a bad one."""
    values = []
    for value in thresholds:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ParameterError(f"a threshold must be a number, got {value!r}")
        if not (math.isfinite(value) and value >= 0):
            raise ParameterError(f"a threshold must be a finite number >= 0, got {value!r}")
        values.append(int(value) if float(value).is_integer() else float(value))
    if not values:
        raise ParameterError("give at least one threshold")
    return tuple(sorted(set(values)))


def _length_first_ranks(ids: list[str]) -> np.ndarray:
    by_length = sorted(range(len(ids)), key=lambda i: (len(ids[i]), ids[i]))
    ranks = np.empty(len(ids), np.int64)
    ranks[by_length] = np.arange(len(ids))
    return ranks


@numba.njit(cache=True)
def _sweep(nodes, profiles, low, high, length, thresholds, id_rank):
    """Union-find over the edges sorted by length, numbering the profiles' clusters at each threshold."""
    find = np.arange(nodes)
    size = np.zeros(nodes, np.int64)
    smallest = np.full(nodes, np.iinfo(np.int64).max, np.int64)
    labels = np.empty((profiles, thresholds.shape[0]), np.int64)
    root = np.empty(profiles, np.int64)
    e = 0
    for j in range(thresholds.shape[0]):
        while e < low.shape[0] and length[e] <= thresholds[j]:
            a = low[e]
            while find[a] != a:
                find[a] = find[find[a]]
                a = find[a]
            b = high[e]
            while find[b] != b:
                find[b] = find[find[b]]
                b = find[b]
            if a != b:
                find[b] = a
            e += 1
        for p in range(profiles):
            a = p
            while find[a] != a:
                find[a] = find[find[a]]
                a = find[a]
            root[p] = a
            size[a] = 0
            smallest[a] = np.iinfo(np.int64).max
        for p in range(profiles):
            size[root[p]] += 1
            smallest[root[p]] = min(smallest[root[p]], id_rank[p])
        # Clusters by decreasing size, ties by the smallest id: sort their first profiles.
        firsts = np.empty(profiles, np.int64)
        count = 0
        for p in range(profiles):
            if id_rank[p] == smallest[root[p]]:
                firsts[count] = p
                count += 1
        keys = np.empty(count, np.int64)
        for c in range(count):
            p = firsts[c]
            keys[c] = (profiles - size[root[p]]) * profiles + id_rank[p]
        order = np.argsort(keys)
        for c in range(count):
            size[root[firsts[order[c]]]] = -(c + 1)  # reuse size as the cluster number
        for p in range(profiles):
            labels[p, j] = -size[root[p]]
    return labels


def partition(inference: Inference, thresholds: Sequence[float]) -> Partition:
    """Cluster numbers of every profile of a tree at each threshold.

    Parameters
    ----------
    inference : Inference
        A tree or forest; internal nodes (NJ trees, dendrograms) join what they connect but get no
        row of their own.
    thresholds : sequence of float
        Distances >= 0 (any order; kept ascending, each once). At threshold t, edges longer than
        t are cut.

    Returns
    -------
    Partition
        ``labels[i, j]``: cluster of profile row i at the j-th threshold, numbered as the module
        docstring says.

    Raises
    ------
    ParameterError
        When no threshold is given, or one is negative, not finite or not a number.
    InputError
        When the edge arrays differ in length or name a node outside the inference.

    Examples
    --------
    >>> from engine.io.json import from_json
    >>> tree = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": i, "count": 1} for i in "1234"], "roots": ["1"],
    ...     "edges": [{"from": "1", "to": "2", "distance": 2, "rule": "distance"},
    ...               {"from": "1", "to": "3", "distance": 1, "rule": "distance"},
    ...               {"from": "3", "to": "4", "distance": 1, "rule": "distance"}]})
    >>> partition(tree, [0, 1, 2]).labels.tolist()
    [[1, 1, 1], [2, 2, 1], [3, 1, 1], [4, 1, 1]]

    Notes
    -----
    O(m log m) to sort the m edges, then O(n) per threshold (near-linear union-find) plus the sort
    of each column's clusters: O(m log m + t n log n) in the worst case, O(m log m + t n) when
    few clusters change.
    """
    values = checked_thresholds(thresholds)
    nodes = len(inference.ids)
    profiles = inference.profile_count
    parents = np.asarray(inference.parents, dtype=np.int64).reshape(-1)
    children = np.asarray(inference.children, dtype=np.int64).reshape(-1)
    lengths = np.asarray(inference.distances, dtype=np.float64).reshape(-1)
    if not len(parents) == len(children) == len(lengths):
        raise InputError("the inference's edge arrays (parents, children, distances) differ in length")
    ends = np.concatenate([parents, children])
    if len(ends) and (ends.min() < 0 or ends.max() >= nodes):
        raise InputError(f"an edge of the inference refers to a node outside 0..{nodes - 1}")
    order = np.argsort(lengths, kind="stable")
    ids = list(inference.ids[:profiles])
    labels = _sweep(nodes, profiles, parents[order], children[order], lengths[order],
                    np.asarray(values, np.float64), _length_first_ranks(ids))
    return Partition(ids=ids, thresholds=values, labels=labels)


def isolate_labels(partition: Partition, profile_rows: np.ndarray) -> np.ndarray:
    """The partition expanded to isolates: the row of each isolate's profile, 0 without one.

    Parameters
    ----------
    partition : Partition
        Clusters of profile rows.
    profile_rows : numpy.ndarray
        Each isolate's profile row (``Dataset.isolates.profile_rows``), -1 when it has none.

    Returns
    -------
    numpy.ndarray
        ``(isolates, thresholds)`` int64: the cluster of each isolate's profile, 0 for an isolate
        without a profile.

    Raises
    ------
    InputError
        When a profile row is outside the partition.
    """
    rows = np.asarray(profile_rows, dtype=np.int64).reshape(-1)
    if len(rows) and rows.max() >= partition.labels.shape[0]:
        raise InputError(f"an isolate refers to profile row {int(rows.max())}, past the last one")
    out = np.zeros((len(rows), partition.labels.shape[1]), np.int64)
    known = rows >= 0
    out[known] = partition.labels[rows[known]]
    return out
