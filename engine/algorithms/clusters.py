"""Flat clusters from a tree: cut every edge longer than a threshold and keep what stays joined.

This is the "cut the goeBURST tree at distance d" of PHYLOViZ: at threshold 0 a cluster holds
identical profiles only, at threshold 1 single-locus variants are joined, and so on.
"""

from __future__ import annotations

import igraph
import numpy as np

from engine.errors import InputError, ParameterError
from engine.models import Inference


def cut(inference: Inference, threshold: float) -> np.ndarray:
    """Cluster number of every profile row once the edges longer than ``threshold`` are removed.

    Parameters
    ----------
    inference : Inference
        The tree or forest (any edge set over its rows works).
    threshold : float
        Edges whose distance is greater than this are removed; must be a number >= 0.

    Returns
    -------
    numpy.ndarray
        ``int64``, one label per profile row (``inference.profile_count`` of them): the clusters are
        the connected components of the remaining edges (a row without a remaining edge is a
        cluster of its own; the internal nodes of an NJ tree or a dendrogram link the profiles below
        them), numbered 1..k by decreasing size, ties by the smallest row in the cluster.

    Raises
    ------
    ParameterError
        When ``threshold`` is negative or not a number.
    InputError
        When the edge arrays differ in length or hold a row outside the inference.

    Examples
    --------
    >>> from engine.io.json import from_json
    >>> inference = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": i, "count": 1} for i in "1234"], "roots": ["1"],
    ...     "edges": [{"from": "1", "to": "2", "distance": 2, "rule": "distance"},
    ...               {"from": "1", "to": "3", "distance": 1, "rule": "distance"},
    ...               {"from": "3", "to": "4", "distance": 1, "rule": "distance"}]})
    >>> cut(inference, 1).tolist(), cut(inference, 0).tolist(), cut(inference, 2).tolist()
    ([1, 2, 1, 1], [1, 2, 3, 4], [1, 1, 1, 1])

    Notes
    -----
    O(rows + edges): igraph's connected components, then one sort of the k clusters.
    """
    if not threshold >= 0:  # also refuses NaN
        raise ParameterError(f"the cluster threshold must be a number >= 0, got {threshold!r}")
    n = len(inference.ids)
    parents = np.asarray(inference.parents, dtype=np.int64).reshape(-1)
    children = np.asarray(inference.children, dtype=np.int64).reshape(-1)
    distances = np.asarray(inference.distances).reshape(-1)
    if not len(parents) == len(children) == len(distances):
        raise InputError("the inference's edge arrays (parents, children, distances) differ in length")
    kept = distances <= threshold
    edges = np.column_stack([parents[kept], children[kept]])
    if len(edges) and (edges.min() < 0 or edges.max() >= n):
        raise InputError(f"an edge of the inference refers to a row outside 0..{n - 1}")
    membership = np.asarray(igraph.Graph(n=n, edges=edges.tolist()).connected_components().membership,
                            dtype=np.int64)
    rows = inference.profile_count  # internal nodes of NJ trees and dendrograms join, but are no profile
    _, membership = np.unique(membership[:rows], return_inverse=True)
    size = np.bincount(membership)
    smallest_row = np.full(len(size), rows, dtype=np.int64)
    np.minimum.at(smallest_row, membership, np.arange(rows))
    number = np.empty(len(size), dtype=np.int64)
    number[np.lexsort((smallest_row, -size))] = np.arange(1, len(size) + 1)
    return number[membership]


def sizes(labels: np.ndarray) -> np.ndarray:
    """Number of rows in each cluster of ``labels`` (as :func:`cut` numbers them).

    Parameters
    ----------
    labels : numpy.ndarray
        Cluster numbers 1..k, one per row.

    Returns
    -------
    numpy.ndarray
        ``int64`` of length k: the size of cluster ``j`` at index ``j - 1`` (empty for no rows).

    Examples
    --------
    >>> sizes(np.array([1, 2, 1, 1, 3])).tolist()
    [3, 1, 1]
    """
    labels = np.asarray(labels, dtype=np.int64)
    return np.bincount(labels)[1:] if len(labels) else np.zeros(0, dtype=np.int64)


def cluster_tsv(inference: Inference, labels: np.ndarray, threshold: float) -> str:
    r"""A plain tab-separated table of the cluster of every profile, for spreadsheets.

    Parameters
    ----------
    inference : Inference
        The inference whose ids name the rows.
    labels : numpy.ndarray
        The cluster number of every row, as :func:`cut` returns it.
    threshold : float
        The threshold ``labels`` was cut at; it names the cluster column.

    Returns
    -------
    str
        A header ``id<TAB>cluster_d{threshold:g}<TAB>cluster_size``, then one line per profile in
        row order: its id, its cluster number and the size of that cluster. Every line ends with
        a newline; there are no comment lines.

    Raises
    ------
    ParameterError
        When ``labels`` does not hold one number per row.

    Examples
    --------
    >>> from engine.io.json import from_json
    >>> inference = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": i, "count": 1} for i in "123"], "roots": ["1", "3"],
    ...     "edges": [{"from": "1", "to": "2", "distance": 1, "rule": "distance"}]})
    >>> cluster_tsv(inference, cut(inference, 1), 1).splitlines()
    ['id\tcluster_d1\tcluster_size', '1\t1\t2', '2\t1\t2', '3\t2\t1']
    """
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    profiles = inference.ids[:inference.profile_count]
    if len(labels) != len(profiles):
        raise ParameterError(f"got {len(labels)} cluster labels for {len(profiles)} profiles")
    size = sizes(labels)[labels - 1]
    lines = [f"id\tcluster_d{threshold:g}\tcluster_size"]
    lines += [f"{row_id}\t{label}\t{count}"
              for row_id, label, count in zip(profiles, labels.tolist(), size.tolist(), strict=True)]
    return "\n".join(lines) + "\n"
