"""GrapeTree's MSTree (engine/algorithms/mstree.py).

- The transcription :func:`spec_mstree` does what GrapeTree does, with networkx: the weight matrix
  ``round(D) + w`` (row weight), symmetrised by the smaller entry, zero diagonal, ``nx.Graph`` of
  it, ``nx.minimum_spanning_tree`` (Kruskal), the tree's edge listing, lengths, then the root as the
  first end of the first longest edge. It must give the same directed tree.
- scipy: the tree's total of ``round(D)`` is a minimum spanning tree's total (the fractional
  weights only break ties).
- Literal cases worked out by hand from research/grapetree-methods.md section 4.
"""

from __future__ import annotations

import doctest

import networkx as nx
import numpy as np
import pytest
from generated_datasets import from_matrix
from grapetree_cases import assert_spanning_tree, dataset, directed_edges
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import minimum_spanning_tree
from test_mstree_v2 import canonical, typing_data

from engine.algorithms import mstree as module
from engine.algorithms.grapetree_distances import symmetric_distances
from engine.algorithms.grapetree_input import MISSING_MODES, grapetree_profiles
from engine.algorithms.grapetree_weights import eburst_ranks
from engine.algorithms.mstree import mstree
from engine.errors import CancelledError
from engine.models import RULE_IDENTICAL, Dataset

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def grapetree_eburst(d: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """GrapeTree's eBurst weights, as its code computes them (numpy bincount and lexsort)."""
    counts = np.apply_along_axis(np.bincount, 1, np.hstack(
        [d.astype(int), np.array([[int(np.max(d)) + 1]] * d.shape[1])]))
    counts.T[0] += sizes
    order = np.lexsort(-counts.T[np.concatenate([[0], np.arange(counts.shape[1] - 1, 0, -1)])])
    weights = np.zeros(d.shape[0])
    weights[order] = np.arange(order.size) / float(order.size)
    return weights


def spec_mstree(data: Dataset, missing: str) -> tuple[set[tuple[str, str, int]], str | None]:
    g = grapetree_profiles(data, missing)
    ids = [data.profiles.ids[r] for r in g.rows]
    if g.size == 0:
        return set(), None
    d = symmetric_distances(g.codes, missing)
    weights = np.round(d, 0) + grapetree_eburst(d, g.sizes).reshape([-1, 1])
    np.fill_diagonal(weights, 0.0)
    weights[weights > weights.T] = weights.T[weights > weights.T]
    tree = nx.minimum_spanning_tree(nx.Graph(weights))
    pres = np.ones(g.codes.shape, bool) if missing == "as-allele" else g.codes > 0
    branches = [(a, b, int(((g.codes[a] != g.codes[b]) & pres[a] & pres[b]).sum())) for a, b in tree.edges()]
    branches.sort(key=lambda br: br[2], reverse=True)
    if not branches or not nx.is_connected(tree):
        return {(frozenset((ids[a], ids[b])), length) for a, b, length in branches}, None
    root = branches[0][0]
    edges = set()
    for parent, child in nx.bfs_edges(tree, root):
        edges.add((ids[parent], ids[child], next(x[2] for x in branches if {x[0], x[1]} == {parent, child})))
    for row, node in enumerate(g.node_of_row.tolist()):
        if node >= 0 and g.rows[node] != row:
            edges.add((ids[node], data.profiles.ids[row], 0))
    return edges, ids[root]


def test_doctests() -> None:
    assert doctest.testmod(module).failed == 0


def test_missing_locus_and_eburst_ranks() -> None:
    # a = (1,1,1), b = (1,1,-), c = (2,1,1); GrapeTree's order b, a, c. Pair-delete distances:
    # a-b (0.01 * 3) / 2.01 = 0.015, a-c (1.01 * 3) / 3.01 = 1.007, b-c (1.01 * 3) / 2.01 = 1.507.
    # eBurst: c has two profiles at int(D) = 1, a and b one each (and equal c(0) = 2 + size 1), so
    # c ranks 0, then b (lower index) 1, a 2. W: a-b 0 + 1/3, a-c 1 + 0, b-c 2 + 0: the tree is
    # a-b, a-c. Lengths (both called, different): a-b 0, a-c 1; the root is the first end of the
    # longest edge, (a, c) listed as (node 1, node 2): a.
    data = dataset([[1, 1, 1], [1, 1, "-"], [2, 1, 1]], ids="abc")
    result = mstree(data)
    assert [(e.parent, e.child, e.distance) for e in result.edges()] == [("a", "b", 0), ("a", "c", 1)]
    assert result.algorithm == "mstree"
    assert result.parameters == {"missing": "pair-delete"}


def test_progress_cancel_and_tiny_inputs() -> None:
    data = dataset([[1, 2, 3], [1, 2, 4], [2, 2, 4]])
    seen: list[float] = []
    mstree(data, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(CancelledError):
        mstree(data, cancel=lambda: True)
    assert mstree(dataset([[1, 2]])).roots.tolist() == [0]
    assert mstree(dataset([["-", "-"]])).roots.tolist() == [0]


def test_a_node_without_edges_becomes_a_root() -> None:
    # Two profiles 0.01 * 2 / 1.01 apart (they differ only where one is missing): round(D) = 0 and
    # the rank-0 node adds w = 0, so GrapeTree's matrix has no edge between them (GrapeTree itself
    # does not finish on this input). Each profile is a root.
    result = mstree(dataset([[1, 1], [1, "-"]]))
    assert result.parents.size == 0
    assert sorted(result.roots.tolist()) == [0, 1]


@PROPERTY
@given(matrix=typing_data(), missing=st.sampled_from(sorted(MISSING_MODES)))
def test_follows_networkx_kruskal_as_grapetree_calls_it(matrix: np.ndarray, missing: str) -> None:
    data = from_matrix(matrix)
    result = mstree(data, missing=missing)
    edges, root = spec_mstree(data, missing)
    if root is None:  # a graph GrapeTree cannot finish on, or a single profile: compare edges only
        assert {(frozenset((e.parent, e.child)), e.distance) for e in result.edges()
                if e.rule != "identical"} == edges
        return
    assert directed_edges(result) == edges
    assert result.ids[result.roots[0]] == root
    assert_spanning_tree(result)


@PROPERTY
@given(matrix=typing_data())
def test_rounded_total_is_a_minimum_spanning_forest_s(matrix: np.ndarray) -> None:
    # Same graph as GrapeTree's: the rank-0 node has no edge to a profile with round(D) = 0.
    data = from_matrix(matrix)
    g = grapetree_profiles(data)
    if g.size < 2:
        return
    d = symmetric_distances(g.codes)
    rounded = np.rint(d).astype(np.int64)
    weights = rounded + 1  # scipy reads 0 as "no edge"
    first = int(np.argmin(eburst_ranks(d, g.sizes)))
    weights[first, rounded[first] == 0] = 0
    weights[rounded[first] == 0, first] = 0
    forest = minimum_spanning_tree(weights)
    result = mstree(data)
    node = g.node_of_row
    tree = [(node[p], node[c]) for p, c, r in zip(result.parents, result.children, result.rules, strict=True)
            if r != RULE_IDENTICAL]
    assert len(tree) == forest.nnz
    assert sum(int(rounded[a, b]) for a, b in tree) == int(forest.sum()) - forest.nnz


@PROPERTY
@given(matrix=typing_data(), seed=st.integers(0, 2**32 - 1))
def test_row_order_only_changes_representatives(matrix: np.ndarray, seed: int) -> None:
    ids = [f"r{i}" for i in range(matrix.shape[0])]
    permutation = np.random.default_rng(seed).permutation(matrix.shape[0])
    first = mstree(from_matrix(matrix, ids))
    second = mstree(from_matrix(matrix[permutation], [ids[i] for i in permutation]))
    group_of = {ids[i]: "|".join(map(str, row)) for i, row in enumerate(matrix.tolist())}
    assert canonical(first, group_of) == canonical(second, group_of)
    again = mstree(from_matrix(matrix, ids))
    assert first.parents.tolist() == again.parents.tolist()
    assert first.children.tolist() == again.children.tolist()
