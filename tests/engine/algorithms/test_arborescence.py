"""The exact minimum spanning arborescence (engine/algorithms/arborescence.py).

Oracle: networkx's ``minimum_spanning_arborescence`` (Edmonds) on the same complete digraph, used
only here. Literal cases were worked out by hand (the comment above each says how).
"""

from __future__ import annotations

import doctest

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.algorithms import arborescence
from engine.algorithms.arborescence import minimum_spanning_arborescence, structured_arborescence
from engine.errors import CancelledError, ParameterError

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def total(weights: np.ndarray, parent: np.ndarray) -> int:
    return int(sum(weights[parent[v], v] for v in range(len(parent)) if parent[v] >= 0))


def assert_arborescence(parent: np.ndarray) -> None:
    """One root; following parents from any vertex reaches it without a cycle."""
    roots = np.flatnonzero(parent < 0)
    assert roots.shape[0] == 1
    for v in range(parent.shape[0]):
        seen = set()
        while parent[v] >= 0:
            assert v not in seen
            seen.add(v)
            v = int(parent[v])
        assert v == roots[0]


def networkx_total(weights: np.ndarray) -> int:
    graph = nx.DiGraph()
    m = weights.shape[0]
    graph.add_nodes_from(range(m))
    graph.add_weighted_edges_from((u, v, int(weights[u, v])) for u in range(m) for v in range(m) if u != v)
    tree = nx.minimum_spanning_arborescence(graph)
    return int(sum(data["weight"] for _, _, data in tree.edges(data=True)))


@st.composite
def distinct_in_weights(draw: st.DrawFn) -> np.ndarray:
    """A complete digraph whose incoming weights are distinct at every vertex (as GrapeTree's are)."""
    m = draw(st.integers(2, 9))
    columns = [draw(st.permutations(range(-5, 4 * m))) for _ in range(m)]
    return np.array([column[:m] for column in columns], np.int64).T.copy()


def test_doctests() -> None:
    assert doctest.testmod(arborescence).failed == 0


@PROPERTY
@given(weights=distinct_in_weights())
def test_matches_networkx_with_distinct_in_weights(weights: np.ndarray) -> None:
    parent = minimum_spanning_arborescence(weights)
    assert_arborescence(parent)
    assert total(weights, parent) == networkx_total(weights)


@PROPERTY
@given(weights=st.integers(2, 9).flatmap(lambda m: arrays(np.int64, (m, m), elements=st.integers(0, 3))))
def test_matches_networkx_with_many_ties(weights: np.ndarray) -> None:
    parent = minimum_spanning_arborescence(weights)
    assert_arborescence(parent)
    assert total(weights, parent) == networkx_total(weights)


@PROPERTY
@given(m=st.integers(2, 12), seed=st.integers(0, 2**32 - 1))
def test_structured_weights_equal_the_plain_matrix(m: int, seed: int) -> None:
    # w(u -> v) = m * r[u, v] + rank[u], built both ways
    rng = np.random.default_rng(seed)
    rounded = rng.integers(0, 6, size=(m, m)).astype(np.uint16)
    ranks = rng.permutation(m).astype(np.int64)
    weights = m * rounded.astype(np.int64) + ranks[:, None]
    parent = structured_arborescence(np.ascontiguousarray(rounded.T), m, ranks)
    assert_arborescence(parent)
    assert total(weights, parent) == networkx_total(weights)
    # distinct in-weights: the optimum is unique here, so the trees themselves agree
    assert parent.tolist() == minimum_spanning_arborescence(weights).tolist()


def test_cycle_is_contracted_and_the_best_root_found() -> None:
    # Worked by hand: 0 and 1 are each other's cheapest parents (0 -> 1 costs 1, 1 -> 0 costs 2), a
    # cycle to contract; 2's cheapest parent is 1 (3). Over the three possible roots: root 0 gives
    # 0 -> 1 + 1 -> 2 = 4, root 1 gives 1 -> 0 + 1 -> 2 = 5, root 2 gives 2 -> 1 + 1 -> 0 = 6.
    w = np.array([[0, 1, 9], [2, 0, 3], [10, 4, 0]])
    assert minimum_spanning_arborescence(w).tolist() == [-1, 0, 1]


def test_one_and_zero_vertices() -> None:
    assert minimum_spanning_arborescence(np.zeros((1, 1), np.int64)).tolist() == [-1]
    assert minimum_spanning_arborescence(np.zeros((0, 0), np.int64)).tolist() == []


def test_bad_input_is_refused() -> None:
    with pytest.raises(ParameterError, match="square"):
        minimum_spanning_arborescence(np.zeros((2, 3), np.int64))
    with pytest.raises(ParameterError, match="integers"):
        minimum_spanning_arborescence(np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="64-bit"):
        structured_arborescence(np.full((3, 3), 60000, np.uint16), 2**50, np.arange(3))


def test_cancel_and_progress() -> None:
    rng = np.random.default_rng(1)
    weights = rng.integers(0, 100, size=(50, 50))
    seen: list[float] = []
    minimum_spanning_arborescence(weights, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    with pytest.raises(CancelledError):
        minimum_spanning_arborescence(weights, cancel=lambda: True)
