"""Partitions: clusters at many thresholds (engine/algorithms/partitions.py).

Where the expected values come from: the literal trees are worked out by hand in the comments;
everything else is checked against scipy's single linkage (``fcluster(linkage(pdist, 'single'),
t, 'distance')``), which a cut of an exact minimum spanning tree must reproduce, and against
:func:`engine.algorithms.clusters.cut`, the one-threshold cut.
"""

from __future__ import annotations

import doctest
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from test_goeburst import from_matrix

import engine.algorithms.partitions
from engine.algorithms.clusters import cut
from engine.algorithms.goeburst import goeburst, goeburst_full
from engine.algorithms.partitions import Partition, default_thresholds, isolate_labels, partition
from engine.errors import InputError, ParameterError
from engine.io.datasets import open_dataset
from engine.io.json import from_json
from engine.models import Inference

# 1 -(2)- 2, 1 -(1)- 3 -(1)- 4: at 0 four singletons; at 1 {1, 3, 4} and {2}; at 2 one cluster.
FOUR_EDGES = [("1", "2", 2), ("1", "3", 1), ("3", "4", 1)]

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def tree(ids: str, edges: list[tuple[str, str, float]], roots: str) -> Inference:
    """A tree over ``ids`` with edges (parent, child, length), built as an Inference directly."""
    ids = list(ids)
    row = {label: k for k, label in enumerate(ids)}
    parents = np.array([row[a] for a, _, _ in edges], np.int64)
    children = np.array([row[b] for _, b, _ in edges], np.int64)
    lengths = np.array([d for _, _, d in edges], np.float64 if any(isinstance(d, float) for *_, d in edges)
                       else np.int64)
    return Inference("goeburst", {}, ids, parents, children, lengths, np.zeros(len(edges), np.int64),
                     np.array([row[r] for r in roots], np.int64), np.ones(len(ids), np.int64))


def same_grouping(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two labelings put the same rows together (a bijection between their labels)."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def single_linkage(matrix: np.ndarray, thresholds: list[float]) -> list[np.ndarray]:
    """scipy's single-linkage clusters at each threshold; distances count differing loci."""
    if matrix.shape[0] == 1:
        return [np.ones(1, np.int64) for _ in thresholds]
    distances = pdist(matrix, metric="hamming") * matrix.shape[1]
    z = linkage(np.round(distances), method="single")
    return [fcluster(z, t, criterion="distance") for t in thresholds]


FOUR = tree("1234", FOUR_EDGES, "1")


# --------------------------------------------------------------------------------------------
# literal trees




def test_the_json_reader_gives_the_same_tree() -> None:
    read = from_json({"algorithm": "goeburst", "parameters": {},
                      "nodes": [{"id": i, "count": 1} for i in "1234"], "roots": ["1"],
                      "edges": [{"from": a, "to": b, "distance": d, "rule": "distance"}
                                for a, b, d in FOUR_EDGES]})
    assert partition(read, [0, 1, 2]).labels.tolist() == partition(FOUR, [0, 1, 2]).labels.tolist()


def test_literal_tree() -> None:
    result = partition(FOUR, [2, 0, 1])
    assert result.thresholds == (0, 1, 2)
    # Column 0: sizes tie (1 each), so the smallest id numbers them 1..4 in id order.
    assert result.labels.tolist() == [[1, 1, 1], [2, 2, 1], [3, 1, 1], [4, 1, 1]]
    assert result.column(1).tolist() == [1, 2, 1, 1]
    assert result.sizes(1).tolist() == [3, 1]
    with pytest.raises(ParameterError, match="not one of"):
        result.column(5)


def test_numbering_is_by_size_then_smallest_id_not_row_order() -> None:
    # Two pairs {"10", "9"} and {"2", "3"} joined at 1, and "4" alone. Sizes tie for the pairs:
    # the smallest ids are "2" and "9" (length first: "9" < "10"), so {"2", "3"} is cluster 1.
    forward = tree(["10", "9", "2", "3", "4"], [("10", "9", 1), ("2", "3", 1)], ["10", "2", "4"])
    result = partition(forward, [1])
    assert dict(zip(result.ids, result.labels[:, 0].tolist(), strict=True)) == {
        "10": 2, "9": 2, "2": 1, "3": 1, "4": 3}


def test_fractional_thresholds_and_lengths() -> None:
    # Branch lengths of an NJ-like tree: 0.4 and 1.5; thresholds 0.5 and 1.5 (inclusive).
    result = partition(tree("abc", [("a", "b", 0.4), ("a", "c", 1.5)], "a"), [0.5, 1.5])
    assert result.thresholds == (0.5, 1.5)
    assert result.labels.tolist() == [[1, 1], [1, 1], [2, 1]]


def test_internal_nodes_join_but_get_no_row() -> None:
    # NJ tree: internal nodes #1 (joins a, b) and #2 (joins #1 and c); lengths a-#1 0.5, b-#1 0.5,
    # #1-#2 2, c-#2 0.5. At 1: {a, b} and {c}; at 2: everything.
    one = np.ones(1, np.int64)
    inference = Inference(
        "nj", {}, ["a", "b", "c", "#1", "#2"],
        parents=np.array([3, 3, 4, 4]), children=np.array([0, 1, 3, 2]),
        distances=np.array([0.5, 0.5, 2.0, 0.5]), rules=np.zeros(4, np.int64), roots=4 * one,
        counts=np.array([1, 1, 1, 0, 0]), internal=2)
    result = partition(inference, [1, 2])
    assert result.ids == ["a", "b", "c"]
    assert result.labels.tolist() == [[1, 1], [1, 1], [2, 1]]


def test_edge_cases() -> None:
    empty = Inference("goeburst", {}, [], *(np.zeros(0, np.int64),) * 5, counts=np.zeros(0, np.int64))
    assert partition(empty, [0, 1]).labels.shape == (0, 2)
    single = tree("1", [], "1")
    assert partition(single, [0]).labels.tolist() == [[1]]
    forest = tree("12", [], "12")  # two trees, no edge: two clusters at every threshold
    assert partition(forest, [0, 100]).labels.tolist() == [[1, 1], [2, 2]]


@pytest.mark.parametrize("bad", [[], [-1], [float("nan")], [float("inf")], ["3"], [True]])
def test_bad_thresholds_are_parameter_errors(bad: list) -> None:
    with pytest.raises(ParameterError, match="threshold"):
        partition(FOUR, bad)


def test_edges_outside_the_inference_are_input_errors() -> None:
    broken = Inference("goeburst", {}, ["1", "2"], np.array([0]), np.array([5]), np.array([1]),
                       np.zeros(1, np.int64), np.array([0]), np.ones(2, np.int64))
    with pytest.raises(InputError, match="outside"):
        partition(broken, [1])


def test_default_thresholds() -> None:
    assert default_thresholds(7) == [0, 1, 2, 3, 4, 5, 6, 7]
    assert default_thresholds(100) == list(range(101))
    cg = default_thresholds(3002)
    assert cg[:101] == list(range(101)) and cg[101:] == [150, 200, 300, 400, 500, 700, 900, 1200, 1500, 2000,
                                                         3000, 3002]
    assert default_thresholds(20, fine=5) == [0, 1, 2, 3, 4, 5, 20]
    with pytest.raises(ParameterError):
        default_thresholds(-1)


def test_isolate_labels() -> None:
    result = partition(FOUR, [0, 1])
    expanded = isolate_labels(result, np.array([1, -1, 1, 3]))
    assert expanded.tolist() == [[2, 2], [0, 0], [2, 2], [4, 1]]
    with pytest.raises(InputError, match="past the last"):
        isolate_labels(result, np.array([4]))
    assert isinstance(result, Partition)


# --------------------------------------------------------------------------------------------
# against scipy's single linkage and the one-threshold cut


@PROPERTY
@given(matrix=st.integers(1, 30).flatmap(
    lambda n: arrays(np.uint16, (n, 5), elements=st.integers(1, 3))))
def test_cutting_the_full_mst_is_single_linkage(matrix: np.ndarray) -> None:
    thresholds = list(range(6))
    result = partition(goeburst_full(from_matrix(matrix)), thresholds)
    for j, expected in enumerate(single_linkage(matrix, thresholds)):
        assert same_grouping(result.labels[:, j], expected)


@PROPERTY
@given(matrix=st.integers(1, 30).flatmap(
    lambda n: arrays(np.uint16, (n, 4), elements=st.integers(1, 3))), lvs=st.integers(1, 3))
def test_each_column_is_the_one_threshold_cut(matrix: np.ndarray, lvs: int) -> None:
    inference = goeburst(from_matrix(matrix), lvs=lvs)
    result = partition(inference, [0, 1, 2, 3, 4])
    for j, threshold in enumerate(result.thresholds):
        assert same_grouping(result.labels[:, j], cut(inference, threshold))


@PROPERTY
@given(matrix=st.integers(2, 25).flatmap(
    lambda n: arrays(np.uint16, (n, 4), elements=st.integers(1, 3))), seed=st.integers(0, 1000))
def test_numbers_do_not_depend_on_row_order(matrix: np.ndarray, seed: int) -> None:
    matrix = np.unique(matrix, axis=0)  # distinct rows: no representative depends on the order
    ids = [str(10 * i + 7) for i in range(matrix.shape[0])]
    order = list(range(len(ids)))
    random.Random(seed).shuffle(order)
    before = partition(goeburst_full(from_matrix(matrix, ids)), [0, 1, 2, 3])
    after = partition(goeburst_full(from_matrix(matrix[order], [ids[i] for i in order])), [0, 1, 2, 3])
    by_id = dict(zip(before.ids, before.labels.tolist(), strict=True))
    assert all(by_id[i] == row for i, row in zip(after.ids, after.labels.tolist(), strict=True))


def test_real_data_is_single_linkage(shared_data) -> None:
    dataset = open_dataset(shared_data / "phylodb" / "profiles_2000.txt")
    thresholds = default_thresholds(7)
    result = partition(goeburst_full(dataset), thresholds)
    for j, expected in enumerate(single_linkage(dataset.profiles.matrix, thresholds)):
        assert same_grouping(result.labels[:, j], expected)


def test_the_docstring_examples() -> None:
    assert doctest.testmod(engine.algorithms.partitions).failed == 0
