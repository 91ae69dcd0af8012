"""Flat clusters cut from a tree (engine/clusters.py)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_builders import make_inference

import engine.algorithms.clusters
from engine.algorithms.clusters import cluster_tsv, cut, sizes
from engine.errors import InputError, ParameterError


def hand_forest():
    """Two trees and a singleton, expected values worked out by hand in each test.

    a -0- b -1- c -3- d      e -2- f -2- g      h
               c -1- i
    """
    return make_inference("abcdefghi", [("a", "b", 0), ("b", "c", 1), ("c", "i", 1), ("e", "f", 2),
                                        ("f", "g", 2), ("c", "d", 3)])


def test_threshold_zero_joins_identical_profiles_only():
    # {a, b} is the only pair at distance 0; singletons are numbered by row.
    assert cut(hand_forest(), 0).tolist() == [1, 1, 2, 3, 4, 5, 6, 7, 8]


def test_thresholds_between_distances():
    forest = hand_forest()
    # d <= 1: {a, b, c, i} (4), then d, e, f, g, h alone.
    assert cut(forest, 1).tolist() == [1, 1, 1, 2, 3, 4, 5, 6, 1]
    assert cut(forest, 1.5).tolist() == cut(forest, 1).tolist()
    # d <= 2: {a, b, c, i} (4), {e, f, g} (3), d, h.
    assert cut(forest, 2).tolist() == [1, 1, 1, 3, 2, 2, 2, 4, 1]


def test_threshold_above_the_largest_distance_gives_one_cluster_per_tree():
    labels = cut(hand_forest(), 100)
    assert labels.tolist() == [1, 1, 1, 1, 2, 2, 2, 3, 1]
    assert labels.dtype == np.int64


def test_equal_sizes_are_numbered_by_smallest_row():
    # Three pairs: {c, d} is listed first among the edges, but {a, b} holds the smallest row.
    inference = make_inference("abcdef", [("c", "d", 1), ("e", "f", 1), ("a", "b", 1)])
    assert cut(inference, 1).tolist() == [1, 1, 2, 2, 3, 3]


def test_sizes():
    assert sizes(cut(hand_forest(), 2)).tolist() == [4, 3, 1, 1]
    assert sizes(np.zeros(0, dtype=np.int64)).tolist() == []


def test_cluster_tsv_exact_text():
    forest = hand_forest()
    assert cluster_tsv(forest, cut(forest, 2), 2) == (
        "id\tcluster_d2\tcluster_size\n"
        "a\t1\t4\nb\t1\t4\nc\t1\t4\nd\t3\t1\ne\t2\t3\nf\t2\t3\ng\t2\t3\nh\t4\t1\ni\t1\t4\n"
    )
    assert cluster_tsv(forest, cut(forest, 1.5), 1.5).startswith("id\tcluster_d1.5\tcluster_size\n")


def test_empty_inference():
    empty = make_inference([], [])
    assert cut(empty, 1).tolist() == []
    assert cluster_tsv(empty, cut(empty, 1), 1) == "id\tcluster_d1\tcluster_size\n"


@pytest.mark.parametrize("threshold", [-1, float("nan")])
def test_bad_threshold(threshold):
    with pytest.raises(ParameterError, match="threshold must be a number >= 0"):
        cut(hand_forest(), threshold)


def test_bad_inputs():
    forest = hand_forest()
    with pytest.raises(ParameterError, match="got 2 cluster labels for 9 profiles"):
        cluster_tsv(forest, np.array([1, 1]), 1)
    broken = make_inference("ab", [("a", "b", 1)])
    outside = type(broken)(**{**broken.__dict__, "children": np.array([5])})
    with pytest.raises(InputError, match=r"outside 0\.\.1"):
        cut(outside, 1)


def brute_force_labels(n: int, edges: list[tuple[int, int, int]], threshold: float) -> list[int]:
    """Components by repeated relabelling to the smallest neighbour, numbered as cut promises."""
    component = list(range(n))
    changed = True
    while changed:
        changed = False
        for parent, child, distance in edges:
            if distance <= threshold and component[parent] != component[child]:
                component[parent] = component[child] = min(component[parent], component[child])
                changed = True
    groups: dict[int, list[int]] = {}
    for row, root in enumerate(component):
        groups.setdefault(root, []).append(row)
    ordered = sorted(groups.values(), key=lambda rows: (-len(rows), min(rows)))
    labels = [0] * n
    for number, rows in enumerate(ordered, start=1):
        for row in rows:
            labels[row] = number
    return labels


@st.composite
def random_forests(draw):
    """Rows 0..n-1; row i > 0 hangs from an earlier row or starts a new tree (parent -1)."""
    n = draw(st.integers(1, 14))
    edges = []
    for child in range(1, n):
        parent = draw(st.integers(-1, child - 1))
        if parent >= 0:
            edges.append((parent, child, draw(st.integers(0, 4))))
    return n, edges


@settings(max_examples=150, deadline=None)
@given(random_forests(), st.sampled_from([0, 0.5, 1, 2, 3, 4, 10]))
def test_cut_matches_brute_force(forest, threshold):
    n, edges = forest
    ids = [str(i) for i in range(n)]
    inference = make_inference(ids, [(ids[p], ids[c], d) for p, c, d in edges])
    assert cut(inference, threshold).tolist() == brute_force_labels(n, edges, threshold)


def test_docstring_examples():
    assert doctest.testmod(engine.algorithms.clusters).failed == 0
