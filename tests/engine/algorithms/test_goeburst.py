"""goeBURST forests and the full MST (engine/goeburst.py).

Where the expected values come from:

- the three "small checks" are spec/algorithms.md §2 (PhyloDB's ``GoeBURSTTests``,
  research/phylodb.md §7.2);
- every other literal case was built by hand for this file; the comment above each case works
  out its distances, LV counts, frequencies and the resulting edge order from the rules of
  spec/algorithms.md §2 (``goeburst``) and reference/README.md (``goeburst-full``);
- the property tests compare the engine with a plain-Python transcription of those rules
  (:func:`spec_forest`: candidate edges, sort key, Kruskal, orientation) and with scipy's
  minimum spanning tree.

Rule names recorded on edges say how the edge beat the next-best edge that could have joined the
same two parts of the forest when it was taken ("distance" also when no other edge could).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pytest
from generated_datasets import from_matrix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

import engine.algorithms.goeburst
from engine.algorithms.distances import pairwise_distances
from engine.algorithms.goeburst import goeburst, goeburst_full, infer, merge_identical
from engine.errors import CancelledError, ParameterError
from engine.io.datasets import read_dataset
from engine.models import MISSING_MODES, Dataset, Inference

Row = Sequence[int | str]
EdgeKey = tuple[frozenset[str], int]


# --------------------------------------------------------------------------------------------
# helpers


def table(rows: Sequence[Row], ids: Sequence[str] | None = None) -> bytes:
    """A tab-separated profile file: header ``ST l1 l2 ...``, ids "1".."n" unless given."""
    loci = len(rows[0])
    ids = [str(i + 1) for i in range(len(rows))] if ids is None else list(ids)
    header = "ST\t" + "\t".join(f"l{k + 1}" for k in range(loci)) + "\n"
    lines = [f"{label}\t" + "\t".join(map(str, row)) + "\n" for label, row in zip(ids, rows, strict=True)]
    body = "".join(lines)
    return (header + body).encode()


def isolates(counts: dict[str, int]) -> bytes:
    """An isolate file naming profile ``st`` ``counts[st]`` times."""
    lines = [f"iso{st}_{k}\t{st}\n" for st, count in counts.items() for k in range(count)]
    return ("name\tST\n" + "".join(lines)).encode()


def dataset(rows: Sequence[Row], ids: Sequence[str] | None = None,
            counts: dict[str, int] | None = None) -> Dataset:
    """Read literal rows through :func:`read_dataset` (``-`` is missing)."""
    return read_dataset(table(rows, ids), None if counts is None else isolates(counts))


def edge_set(inference: Inference) -> set[EdgeKey]:
    """The edges as unordered id pairs with their distance."""
    return {(frozenset((e.parent, e.child)), e.distance) for e in inference.edges()}


def pairs(*edges: tuple[str, str, int]) -> set[EdgeKey]:
    """Literal expected edges ``(a, b, d)`` as :func:`edge_set` writes them."""
    return {(frozenset((a, b)), d) for a, b, d in edges}


def directed(inference: Inference) -> list[tuple[str, str, int, str]]:
    """The edges in edge order as (parent, child, distance, rule)."""
    return [(e.parent, e.child, e.distance, e.rule) for e in inference.edges()]


def root_ids(inference: Inference) -> list[str]:
    return [inference.ids[r] for r in inference.roots.tolist()]


def rule_of(inference: Inference, a: str, b: str) -> str:
    """The rule recorded on the edge between ids ``a`` and ``b``."""
    rules = [e.rule for e in inference.edges() if {e.parent, e.child} == {a, b}]
    assert len(rules) == 1, f"no edge {a}-{b} in {directed(inference)}"
    return rules[0]


def arrays_of(inference: Inference) -> tuple[list[int], ...]:
    return tuple(
        getattr(inference, name).tolist()
        for name in ("parents", "children", "distances", "rules", "roots", "counts")
    )


# --------------------------------------------------------------------------------------------
# spec/algorithms.md §2 small checks


def test_spec_small_check_8x3() -> None:
    # spec/algorithms.md §2 (PhyloDB GoeBURSTTests.compute_matrix8x3), lvs = 3.
    rows = [[1, 1, 1], [2, 2, 2], [4, 6, 3], [4, 3, 4], [3, 7, 5], [5, 4, 6], [2, 8, 7], [6, 5, 8]]
    result = goeburst(dataset(rows), lvs=3)
    assert edge_set(result) == pairs(
        ("1", "2", 3), ("2", "3", 3), ("2", "5", 3), ("2", "6", 3), ("2", "7", 2), ("2", "8", 3),
        ("3", "4", 2),
    )
    assert root_ids(result) == ["1"]


def test_spec_small_check_3x2() -> None:
    # spec/algorithms.md §2: rows [1,2],[1,1],[2,1] -> 1-2 d1, 2-3 d1 (1-3 is d2: never needed).
    result = goeburst(dataset([[1, 2], [1, 1], [2, 1]]), lvs=3)
    assert edge_set(result) == pairs(("1", "2", 1), ("2", "3", 1))
    assert [(e.parent, e.child) for e in result.edges()] == [("1", "2"), ("2", "3")]


def test_spec_small_check_2x2() -> None:
    # spec/algorithms.md §2: rows [1,2],[2,1] -> 1-2 d2.
    result = goeburst(dataset([[1, 2], [2, 1]]), lvs=3)
    assert directed(result) == [("1", "2", 2, "distance")]
    # Same data with lvs = 1: the only pair is 2 apart, so no edge and two singleton roots.
    alone = goeburst(dataset([[1, 2], [2, 1]]), lvs=1)
    assert directed(alone) == []
    assert root_ids(alone) == ["1", "2"]


# --------------------------------------------------------------------------------------------
# identical profiles and frequency


def test_identical_rows_are_one_node_hanging_from_the_first() -> None:
    # Rows 1, 3 and 4 are equal: one node whose representative is row 1 (the first); 3 and 4 hang
    # from it by distance-0 "identical" edges. Row 2 is one locus from them.
    rows = [[1, 1, 1], [1, 1, 2], [1, 1, 1], [1, 1, 1]]
    result = goeburst(dataset(rows), lvs=3)
    assert directed(result) == [
        ("1", "3", 0, "identical"),
        ("1", "4", 0, "identical"),
        ("1", "2", 1, "distance"),
    ]
    assert root_ids(result) == ["1"]
    linked = [*result.parents.tolist(), *result.children.tolist()]
    assert {result.ids[r] for r in linked} == {"1", "2", "3", "4"}
    # The per-row counts are kept as read (the node's frequency is their sum, used internally).
    assert result.counts.tolist() == [1, 1, 1, 1]


def test_representative_is_the_first_row_even_when_it_is_not_the_smallest_id() -> None:
    result = goeburst(dataset([[1, 1], [1, 1]], ids=["20", "3"]), lvs=1)
    assert directed(result) == [("20", "3", 0, "identical")]
    assert root_ids(result) == ["20"]


# Three profiles pairwise one locus apart (a triangle of d1 edges, every LV1 count 2):
#   P = "1" [1,1], Q = "2" [2,1], R = "3" [3,1].
# With every frequency 1 the id rule decides: 1-2 and 1-3 share the smaller row index (0), then
# the larger id "2" < "3", so 1-2 is taken, then 1-3; 2-3 closes a cycle.
TRIANGLE = [[1, 1], [2, 1], [3, 1]]


def test_without_frequencies_the_id_rule_decides_the_triangle() -> None:
    result = goeburst(dataset(TRIANGLE), lvs=1)
    assert edge_set(result) == pairs(("1", "2", 1), ("1", "3", 1))
    assert rule_of(result, "1", "2") == "id"
    assert rule_of(result, "1", "3") == "id"


def test_an_identical_row_adds_to_the_frequency_and_changes_the_tree() -> None:
    # Row "4" repeats R = "3": the node R has frequency 2. Edges 1-3 and 2-3 now have
    # max(freq) = 2 and come before 1-2 (max 1), so 2-3 replaces 1-2 (LV1 counts stay 2 each,
    # because the identical row is part of the node, not a neighbour).
    result = goeburst(dataset([*TRIANGLE, [3, 1]]), lvs=1)
    assert edge_set(result) == pairs(("3", "4", 0), ("1", "3", 1), ("2", "3", 1))
    assert directed(result) == [
        ("3", "4", 0, "identical"),
        ("1", "3", 1, "frequency"),
        ("3", "2", 1, "frequency"),
    ]


def test_isolate_counts_are_the_frequencies() -> None:
    # The same triangle, frequencies from an isolate file: "2" is named by 3 isolates, the others
    # by 1. Edges 1-2 and 2-3 (max freq 3) come before 1-3 (max 1), so 1-3 is dropped.
    result = goeburst(dataset(TRIANGLE, counts={"1": 1, "2": 3, "3": 1}), lvs=1)
    assert edge_set(result) == pairs(("1", "2", 1), ("2", "3", 1))
    assert rule_of(result, "1", "2") == "frequency"
    assert rule_of(result, "2", "3") == "frequency"
    assert result.counts.tolist() == [1, 3, 1]


def test_min_frequency_decides_when_the_max_ties() -> None:
    # freq "1" = 2, "2" = 1, "3" = 3: 2-3 (max 3, min 1) vs 1-3 (max 3, min 2): 1-3 first (larger
    # min), then 2-3 (max 3) before 1-2 (max 2). Kept: 1-3, 2-3.
    result = goeburst(dataset(TRIANGLE, counts={"1": 2, "2": 1, "3": 3}), lvs=1)
    assert edge_set(result) == pairs(("1", "3", 1), ("2", "3", 1))


def test_missing_values_block_merging_under_difference_only() -> None:
    # Rows 1 and 2 are equal, both with a missing value. Under "difference" the missing locus is a
    # difference, so they are 1 apart and two nodes; under "allele" they are identical (one node).
    # Under "ignore" they are equal codes too: one node.
    rows = [[1, "-", 2], [1, "-", 2], [1, 1, 2]]
    difference = goeburst(dataset(rows), lvs=3, missing="difference")
    # d(1,2) = 1 (l2 missing), d(1,3) = d(2,3) = 1: a triangle; ids decide: 1-2, 1-3.
    assert directed(difference) == [("1", "2", 1, "id"), ("1", "3", 1, "id")]
    allele = goeburst(dataset(rows), lvs=3, missing="allele")
    # One node {1, 2}; d(node, 3) = 1 ('-' vs 1).
    assert directed(allele) == [("1", "2", 0, "identical"), ("1", "3", 1, "distance")]
    ignore = goeburst(dataset(rows), lvs=3, missing="ignore")
    assert ("1", "2", 0, "identical") in directed(ignore)


def test_merge_identical_groups() -> None:
    matrix = np.array([[1, 2], [1, 1], [1, 2], [0, 1], [0, 1], [1, 1]], np.uint16)
    reps, node = merge_identical(matrix, "difference")
    # Rows 3 and 4 have a missing value: never merged under "difference".
    assert reps.tolist() == [0, 1, 3, 4]
    assert node.tolist() == [0, 1, 0, 2, 3, 1]
    reps, node = merge_identical(matrix, "allele")
    assert reps.tolist() == [0, 1, 3]
    assert node.tolist() == [0, 1, 0, 2, 2, 1]
    reps, node = merge_identical(np.zeros((0, 2), np.uint16), "allele")
    assert reps.tolist() == [] and node.tolist() == []


# --------------------------------------------------------------------------------------------
# rules recorded on edges


def test_rule_distance() -> None:
    # P = [1,1,1], Q = [1,1,2], R = [2,2,1]: d(P,Q) = 1, d(P,R) = 2, d(Q,R) = 3. Every choice is
    # made by distance alone: P-Q (d1) before P-R (d2) before Q-R (d3).
    result = goeburst(dataset([[1, 1, 1], [1, 1, 2], [2, 2, 1]]), lvs=3)
    assert directed(result) == [("1", "2", 1, "distance"), ("1", "3", 2, "distance")]


def test_rule_lv1_and_id() -> None:
    # A = "1" [1,1,1], B = "2" [2,1,1], C = "3" [2,2,1], D = "4" [2,3,1].
    # d1 edges: A-B, B-C, B-D, C-D (A-C, A-D are d2). LV1: A 1, B 3, C 2, D 2.
    #   B-C and B-D: LV1 (max 3, min 2); A-B: (3, 1); C-D: (2, 2).
    # B-C vs B-D tie at every LV level (LV2: A is 2 from C and from D; B has none) and in
    # frequency; same lower row (B), larger id "3" < "4": B-C first by the id rule.
    # B-D beats C-D (the edge that would join D otherwise) on max LV1 (3 > 2): rule lv1.
    # A-B is the only d1 edge at A (A-C, A-D are d2): rule distance.
    result = goeburst(dataset([[1, 1, 1], [2, 1, 1], [2, 2, 1], [2, 3, 1]]), lvs=3)
    assert edge_set(result) == pairs(("1", "2", 1), ("2", "3", 1), ("2", "4", 1))
    assert rule_of(result, "2", "3") == "id"
    assert rule_of(result, "2", "4") == "lv1"
    assert rule_of(result, "1", "2") == "distance"
    # Edge order is the goeBURST order (B-C, B-D, A-B), all oriented from the root A.
    assert directed(result) == [("2", "3", 1, "id"), ("2", "4", 1, "lv1"), ("1", "2", 1, "distance")]


def test_rule_lv2() -> None:
    # Two d1 edges tie at LV1 and differ at LV2, so the LV2 level decides:
    # X = "1" [1,1,1,1], Y = "2" [2,1,1,1], Z = "3" [3,1,1,1] (a d1 triangle: LV1 2 each) and
    # W = "4" [3,2,2,1], 2 loci from Z, 3 from X and Y. LV2: Z 1, X 0, Y 0.
    # X-Z and Y-Z: LV1 (2,2), LV2 (1,0); X-Y: LV2 (0,0). So X-Z, Y-Z are kept and X-Y is not.
    rows = [[1, 1, 1, 1], [2, 1, 1, 1], [3, 1, 1, 1], [3, 2, 2, 1]]
    result = goeburst(dataset(rows), lvs=3)
    assert edge_set(result) == pairs(("1", "3", 1), ("2", "3", 1), ("3", "4", 2))
    assert rule_of(result, "1", "3") == "lv2"


# --------------------------------------------------------------------------------------------
# PHYLOViZ's id quirk (goeburst-full)


# "9" [1,1], "10" [2,1], "11" [3,1]: a d1 triangle where distance, LV and frequency all tie.
QUIRK_ROWS = [[1, 1], [2, 1], [3, 1]]
QUIRK_IDS = ["9", "10", "11"]


def test_phyloviz_compares_edge_ids_as_plain_strings() -> None:
    # reference/README.md: each edge's smaller/larger endpoint is chosen by length-then-characters
    # ({9,10}: 9 and 10; {9,11}: 9 and 11; {10,11}: 10 and 11), then edges compare their smaller
    # ids as plain strings: "10" < "9", so 10-11 comes first; then 9-10 before 9-11 ("10" < "11").
    # Kept: 10-11 and 9-10. Length-first order would have kept 9-10 and 9-11.
    result = goeburst_full(dataset(QUIRK_ROWS, ids=QUIRK_IDS))
    assert edge_set(result) == pairs(("10", "11", 1), ("9", "10", 1))
    assert rule_of(result, "10", "11") == "id"


def test_phyloviz_quirk_does_not_depend_on_row_order() -> None:
    for order in ([2, 1, 0], [1, 0, 2], [1, 2, 0]):
        result = goeburst_full(dataset([QUIRK_ROWS[i] for i in order], ids=[QUIRK_IDS[i] for i in order]))
        assert edge_set(result) == pairs(("10", "11", 1), ("9", "10", 1)), order


def test_phylodb_keeps_the_row_index_rule_on_the_same_data() -> None:
    # spec §2 rule d: 9-10 and 9-11 have the smaller lower row index (0): kept before 10-11.
    result = goeburst(dataset(QUIRK_ROWS, ids=QUIRK_IDS), lvs=3)
    assert edge_set(result) == pairs(("9", "10", 1), ("9", "11", 1))
    # Rule e (length-then-characters): larger ids "10" < "11", so 9-10 comes first.
    assert [(e.parent, e.child) for e in result.edges()] == [("9", "10"), ("9", "11")]


# --------------------------------------------------------------------------------------------
# orientation and roots (spec §2.6)


def test_orientation_and_root_order_on_a_forest() -> None:
    # lvs = 1, 3 loci. Rows (id: alleles, isolates):
    #   "1": 1 1 1 (1)   "2": 5 5 5 (2)   "3": 5 5 6 (1)   "4": 1 1 2 (1)
    #   "5": 1 2 2 (3)   "6": 9 9 9 (1)   "7": 5 6 6 (1)   "8": 7 7 7 (1)
    # d1 edges: 1-4, 4-5 (tree A = {1,4,5}); 2-3, 3-7 (tree B = {2,3,7}); "6" and "8" are alone.
    # LV1: 4 and 3 have 2, the others 1, so every edge has LV1 (2, 1) and frequency decides:
    #   4-5 (max freq 3), 2-3 (2), then 1-4 and 3-7 (1, 1) by lower row index (0 < 2).
    # As (lower row, higher row): (3,4), (1,2), (0,3), (2,6). Roots: row 3 is a higher endpoint
    # of (0,3), so it is skipped; row 1 ("2") is the first root, row 0 ("1") the second; the
    # singletons "6" and "8" follow in row order. Edges point away from the roots.
    rows = [[1, 1, 1], [5, 5, 5], [5, 5, 6], [1, 1, 2], [1, 2, 2], [9, 9, 9], [5, 6, 6], [7, 7, 7]]
    counts = {"1": 1, "2": 2, "3": 1, "4": 1, "5": 3, "6": 1, "7": 1, "8": 1}
    result = goeburst(dataset(rows, counts=counts), lvs=1)
    assert [(e.parent, e.child, e.distance) for e in result.edges()] == [
        ("4", "5", 1), ("2", "3", 1), ("1", "4", 1), ("3", "7", 1),
    ]
    assert root_ids(result) == ["2", "1", "6", "8"]


def test_root_is_the_first_lower_endpoint_in_edge_order() -> None:
    # "1" [1,1,1], "2" [1,2,2], "3" [1,2,1]: 1-3 d1, 2-3 d1, 1-2 d2 (beyond lvs = 1). LV1: "3"
    # has 2, the others 1, so both edges have LV1 (2, 1).
    # Equal frequencies: 1-3 (lower row 0) comes before 2-3 (lower row 1); root "1" (row 0).
    rows = [[1, 1, 1], [1, 2, 2], [1, 2, 1]]
    plain = goeburst(dataset(rows), lvs=1)
    assert [(e.parent, e.child) for e in plain.edges()] == [("1", "3"), ("3", "2")]
    assert root_ids(plain) == ["1"]
    # "2" named by 5 isolates: 2-3 (max freq 5) comes first, as (row 1, row 2); row 1 is never a
    # higher endpoint, so "2" is the root although row 0 is in the same tree; 3 -> 1 follows.
    weighted = goeburst(dataset(rows, counts={"1": 1, "2": 5, "3": 1}), lvs=1)
    assert [(e.parent, e.child) for e in weighted.edges()] == [("2", "3"), ("3", "1")]
    assert root_ids(weighted) == ["2"]


# --------------------------------------------------------------------------------------------
# forests and trees


FAR_APART = [
    [1, 1, 1, 1], [1, 1, 1, 2],  # group 1: one locus apart
    [5, 5, 5, 5], [5, 5, 6, 5], [5, 6, 6, 5],  # group 2: a chain of single-locus variants
    [9, 9, 9, 9],  # alone: 4 loci from everything
]


def test_goeburst_with_a_small_lvs_gives_a_forest() -> None:
    result = goeburst(dataset(FAR_APART), lvs=1)
    assert edge_set(result) == pairs(("1", "2", 1), ("3", "4", 1), ("4", "5", 1))
    # Row "4" has two single-locus variants, so 3-4 and 4-5 (max LV1 2) come before 1-2 (max 1):
    # the tree of "3" is rooted first, then that of "1"; "6" is a singleton, listed last.
    assert root_ids(result) == ["3", "1", "6"]
    assert [(e.parent, e.child) for e in result.edges()] == [("3", "4"), ("4", "5"), ("1", "2")]


def test_goeburst_full_always_gives_one_tree() -> None:
    rows = [*FAR_APART, [5, 5, 5, 5]]  # row "7" repeats row "3"
    result = goeburst_full(dataset(rows))
    distinct = 6
    assert len(result.children) == (distinct - 1) + 1  # n_distinct - 1 edges + 1 identical edge
    assert len(result.roots) == 1
    assert ("3", "7", 0, "identical") in directed(result)
    # Every row but the root is a child exactly once: a spanning tree.
    root = int(result.roots[0])
    assert sorted(result.children.tolist()) == sorted(set(range(7)) - {root})
    # Every pair from different groups is 4 apart, so the tree weighs 1 + 1 + 1 (inside the
    # groups) + 4 + 4 (joining the three groups).
    assert result.total_distance == 11


def test_one_profile() -> None:
    for result in (goeburst(dataset([[1, 2, 3]]), lvs=3), goeburst_full(dataset([[1, 2, 3]]))):
        assert directed(result) == []
        assert root_ids(result) == ["1"]


def test_two_identical_profiles() -> None:
    for result in (goeburst(dataset([[1, 2], [1, 2]]), lvs=1), goeburst_full(dataset([[1, 2], [1, 2]]))):
        assert directed(result) == [("1", "2", 0, "identical")]
        assert root_ids(result) == ["1"]


def test_no_profiles() -> None:
    result = goeburst(from_matrix(np.zeros((0, 3), np.uint16)), lvs=3)
    assert result.children.tolist() == [] and result.roots.tolist() == []


@pytest.mark.parametrize("lvs", [0, -1])
def test_lvs_below_one_is_a_parameter_error(lvs: int) -> None:
    with pytest.raises(ParameterError, match=f"lvs must be at least 1, not {lvs}"):
        goeburst(dataset(TRIANGLE), lvs=lvs)


def test_unknown_missing_mode_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="'skip' is not a missing-data mode"):
        goeburst(dataset(TRIANGLE), missing="skip")
    with pytest.raises(ParameterError, match="'skip' is not a missing-data mode"):
        goeburst_full(dataset(TRIANGLE), missing="skip")


def test_parameters_are_recorded() -> None:
    assert goeburst(dataset(TRIANGLE), lvs=2).parameters == {"lvs": 2, "missing": "difference"}
    assert goeburst(dataset(TRIANGLE), lvs=2).algorithm == "goeburst"
    full = goeburst_full(dataset(TRIANGLE), missing="allele")
    assert (full.algorithm, full.parameters) == ("goeburst-full", {"missing": "allele"})


def test_lvs_above_the_number_of_loci_is_the_full_range() -> None:
    rows = [[1, 1], [2, 2], [3, 3]]  # every pair 2 apart
    assert edge_set(goeburst(dataset(rows), lvs=50)) == edge_set(goeburst(dataset(rows), lvs=2))


# --------------------------------------------------------------------------------------------
# missing-data modes


# A = "1" [1,1,1], B = "2" [1,-,2], C = "3" [2,-,2]; lvs = 3.
#   difference: d(A,B) = 2, d(A,C) = 3, d(B,C) = 2 (the missing l2 counts)  -> A-B 2, B-C 2
#   ignore:     d(A,B) = 1, d(A,C) = 2, d(B,C) = 1 (l2 left out)           -> A-B 1, B-C 1
#   allele:     d(A,B) = 2, d(A,C) = 3, d(B,C) = 1 ('-' = '-')              -> B-C 1, A-B 2
MISSING_ROWS = [[1, 1, 1], [1, "-", 2], [2, "-", 2]]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("difference", pairs(("1", "2", 2), ("2", "3", 2))),
        ("ignore", pairs(("1", "2", 1), ("2", "3", 1))),
        ("allele", pairs(("1", "2", 2), ("2", "3", 1))),
    ],
)
def test_missing_modes_change_distances(mode: str, expected: set[EdgeKey]) -> None:
    assert edge_set(goeburst(dataset(MISSING_ROWS), lvs=3, missing=mode)) == expected
    assert edge_set(goeburst_full(dataset(MISSING_ROWS), missing=mode)) == expected


def test_missing_difference_can_push_a_pair_beyond_lvs() -> None:
    # Under "difference" A-B is 2 apart, beyond lvs = 1: B-C is 2 too, so nothing is linked;
    # under "ignore" both pairs are 1 apart.
    assert directed(goeburst(dataset(MISSING_ROWS), lvs=1)) == []
    assert len(goeburst(dataset(MISSING_ROWS), lvs=1, missing="ignore").children) == 2


# --------------------------------------------------------------------------------------------
# progress and cancel


def clonal(n: int, loci: int, seed: int) -> np.ndarray:
    """``n`` distinct profiles: each a copy of an earlier one with 1-3 loci changed to new alleles."""
    rng = np.random.default_rng(seed)
    matrix = np.zeros((n, loci), np.uint16)
    matrix[0] = 1
    fresh = 2
    for i in range(1, n):
        matrix[i] = matrix[rng.integers(0, i)]
        for locus in rng.choice(loci, size=rng.integers(1, 4), replace=False):
            matrix[i, locus] = fresh
            fresh = fresh % 60000 + 2
    return matrix


@pytest.fixture(scope="module")
def big() -> Dataset:
    """3,000 profiles x 50 loci: the distance pass runs in several chunks, Prim in two rounds."""
    return from_matrix(clonal(3000, 50, seed=7))


@pytest.mark.parametrize("run", [goeburst, goeburst_full])
def test_progress_rises_to_one(big: Dataset, run) -> None:
    values: list[float] = []
    result = run(big, progress=values.append)
    assert values[-1] == 1.0
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values)
    # Several reports along the way, not just 0 and 1.
    assert len({v for v in values if 0.0 < v < 1.0}) >= 3
    if run is goeburst_full:
        assert len(result.children) == 2999


def test_progress_on_a_tiny_dataset() -> None:
    values: list[float] = []
    goeburst(dataset(TRIANGLE), progress=values.append)
    assert values[0] == 0.0 and values[-1] == 1.0 and values == sorted(values)


def test_cancel_raises_cancelled_error() -> None:
    with pytest.raises(CancelledError, match="cancelled"):
        goeburst(dataset(TRIANGLE), cancel=lambda: True)


@pytest.mark.parametrize("after", [1, 3])
def test_cancel_stops_early(big: Dataset, after: int) -> None:
    # cancel() turns True once progress has been reported ``after`` times: the run must stop at
    # its next check, well before the end.
    values: list[float] = []
    with pytest.raises(CancelledError):
        goeburst(big, progress=values.append, cancel=lambda: len(values) >= after)
    assert len(values) == after
    assert max(values) < 1.0


def test_cancel_during_the_tree_phase(big: Dataset) -> None:
    # The distance pass reports up to 0.4; cancelling after the first report above it stops Prim.
    values: list[float] = []
    with pytest.raises(CancelledError):
        goeburst(big, progress=values.append, cancel=lambda: any(v > 0.4 for v in values))
    assert max(values) < 0.95


# --------------------------------------------------------------------------------------------
# the spec's rules, transcribed


def spec_forest(
    matrix: np.ndarray, ids: list[str], counts: np.ndarray, mode: str, *, full: bool, lvs: int = 0
) -> tuple[set[tuple[str, str]], list[tuple[str, str, int]], list[str]]:
    """Identical edges, forest edges (parent, child, d) in goeBURST order, and roots.

    A direct transcription of spec/algorithms.md §2 (``full=False``) and of reference/README.md
    for PHYLOViZ's full MST (``full=True``), quadratic and slow on purpose.

    Pairs of distinct nodes at distance 0 (possible only under ``ignore``, where two rows with
    different codes can agree on every locus they share) are candidates too, as the engine
    treats them; under ``difference`` and ``allele`` distinct nodes are never 0 apart.
    """
    n, loci = matrix.shape
    dist = pairwise_distances(matrix, mode)
    # Nodes: equal rows (and under "difference" only rows without a missing value).
    rep_of: dict[int, int] = {}
    first_of_key: dict[tuple[int, ...], int] = {}
    for i in range(n):
        key = tuple(int(v) for v in matrix[i])
        if mode == "difference" and 0 in key:
            rep_of[i] = i
        else:
            rep_of[i] = first_of_key.setdefault(key, i)
    nodes = sorted(set(rep_of.values()))
    identical = {(ids[rep_of[i]], ids[i]) for i in range(n) if rep_of[i] != i}
    freq = {v: sum(int(counts[i]) for i in range(n) if rep_of[i] == v) for v in nodes}
    max_d = loci if full else lvs
    levels = loci if full else min(lvs, loci)
    lv = {v: [sum(1 for w in nodes if w != v and dist[v, w] == k) for k in range(levels + 1)] for v in nodes}

    def length_first(label: str) -> tuple[int, str]:
        return (len(label), label)

    def key(edge: tuple[int, int, int]) -> tuple[object, ...]:
        a, b, d = edge
        parts: list[object] = [d]
        for k in range(1, levels + 1):
            parts += [-max(lv[a][k], lv[b][k]), -min(lv[a][k], lv[b][k])]
        parts += [-max(freq[a], freq[b]), -min(freq[a], freq[b])]
        if full:
            small, large = sorted((ids[a], ids[b]), key=length_first)
            parts += [small, large]  # plain string comparison: PHYLOViZ's quirk
        else:
            parts += [min(a, b), length_first(max(ids[a], ids[b], key=length_first))]
        return tuple(parts)

    candidates = [(a, b, int(dist[a, b])) for x, a in enumerate(nodes) for b in nodes[x + 1:]
                  if dist[a, b] <= max_d]
    candidates.sort(key=key)
    tree_of = {v: v for v in nodes}

    def find(v: int) -> int:
        while tree_of[v] != v:
            v = tree_of[v]
        return v

    kept: list[tuple[int, int, int]] = []
    for a, b, d in candidates:
        ra, rb = find(a), find(b)
        if ra != rb:
            tree_of[ra] = rb
            kept.append((a, b, d))
    # §2.6 orientation: (lower row, higher row) in Kruskal order; roots, then a walk from each.
    highs = {b for _, b, _ in kept}
    neighbours: dict[int, list[int]] = {v: [] for v in nodes}
    for a, b, _ in kept:
        neighbours[a].append(b)
        neighbours[b].append(a)
    parent: dict[int, int] = {}
    roots: list[int] = []
    seen: set[int] = set()
    for a, _, _ in kept:
        if a in seen or a in highs:
            continue
        roots.append(a)
        stack = [a]
        seen.add(a)
        while stack:
            x = stack.pop()
            for y in neighbours[x]:
                if y not in seen:
                    seen.add(y)
                    parent[y] = x
                    stack.append(y)
    roots += [v for v in nodes if not neighbours[v]]
    oriented = [(ids[a], ids[b], d) if parent.get(b) == a else (ids[b], ids[a], d) for a, b, d in kept]
    return identical, oriented, [ids[r] for r in roots]


def split(inference: Inference) -> tuple[set[tuple[str, str]], list[tuple[str, str, int]], list[str]]:
    """The engine's result in the shape :func:`spec_forest` returns."""
    identical = {(e.parent, e.child) for e in inference.edges() if e.rule == "identical"}
    forest = [(e.parent, e.child, e.distance) for e in inference.edges() if e.rule != "identical"]
    return identical, forest, root_ids(inference)


# --------------------------------------------------------------------------------------------
# property tests


@st.composite
def typing_data(draw: st.DrawFn, max_rows: int = 40) -> tuple[np.ndarray, list[str], np.ndarray, str]:
    """Small profile tables with many ties: 1-6 loci, 1-3 alleles, missing values in some."""
    n = draw(st.integers(1, max_rows))
    loci = draw(st.integers(1, 6))
    alleles = draw(st.integers(1, 3))
    low = 0 if draw(st.booleans()) else 1
    matrix = draw(arrays(np.uint16, (n, loci), elements=st.integers(low, alleles)))
    # Ids of 1-3 digits, so that length-first and plain string order disagree ("10" < "9").
    ids = [str(i) for i in draw(st.lists(st.integers(1, 300), min_size=n, max_size=n, unique=True))]
    counts = draw(st.one_of(
        st.just(np.ones(n, np.int64)), arrays(np.int64, n, elements=st.integers(0, 3))
    ))
    mode = draw(st.sampled_from(MISSING_MODES))
    return matrix, ids, counts, mode


PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def distinct_nodes(matrix: np.ndarray, mode: str) -> np.ndarray:
    return merge_identical(matrix, mode)[0]


def candidate_graph(matrix: np.ndarray, mode: str, max_d: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances between distinct nodes and the candidate adjacency (d <= max_d, off-diagonal)."""
    reps = distinct_nodes(matrix, mode)
    dist = pairwise_distances(matrix[reps], mode)
    adjacent = (dist <= max_d) & ~np.eye(len(reps), dtype=bool)
    return dist, adjacent


def msf_weight(dist: np.ndarray, adjacent: np.ndarray) -> int:
    """Weight of a minimum spanning forest by scipy (weights d + 1: scipy reads 0 as no edge)."""
    weights = np.where(adjacent, dist + 1, 0)
    forest = minimum_spanning_tree(csr_matrix(weights))
    return int(forest.sum()) - forest.nnz


def trees(inference: Inference) -> int:
    return len(inference.roots)


@PROPERTY
@given(data=typing_data(), lvs=st.integers(1, 4))
def test_goeburst_follows_the_spec_rules(data: tuple, lvs: int) -> None:
    matrix, ids, counts, mode = data
    result = goeburst(from_matrix(matrix, ids, counts), lvs=lvs, missing=mode)
    assert split(result) == spec_forest(matrix, ids, counts, mode, full=False, lvs=lvs)


@PROPERTY
@given(data=typing_data())
def test_goeburst_full_follows_the_phyloviz_rules(data: tuple) -> None:
    matrix, ids, counts, mode = data
    result = goeburst_full(from_matrix(matrix, ids, counts), missing=mode)
    assert split(result) == spec_forest(matrix, ids, counts, mode, full=True)


@PROPERTY
@given(data=typing_data(), lvs=st.integers(1, 4), full=st.booleans())
def test_result_is_a_spanning_forest_of_the_candidate_graph(data: tuple, lvs: int, full: bool) -> None:
    matrix, ids, counts, mode = data
    n, loci = matrix.shape
    result = (goeburst_full(from_matrix(matrix, ids, counts), missing=mode) if full
              else goeburst(from_matrix(matrix, ids, counts), lvs=lvs, missing=mode))
    max_d = loci if full else lvs
    reps, node_of_row = merge_identical(matrix, mode)
    full_dist = pairwise_distances(matrix, mode)
    for parent, child, d, rule in zip(result.parents.tolist(), result.children.tolist(),
                                      result.distances.tolist(), result.rules.tolist(), strict=True):
        assert d == full_dist[parent, child]
        assert d <= max_d
        same_node = node_of_row[parent] == node_of_row[child]
        assert same_node == (rule == -3)  # RULE_IDENTICAL exactly on rows of one node
        if same_node:
            assert d == 0 and parent == reps[node_of_row[child]]
        elif mode != "ignore":
            assert d > 0
    # Every row appears, each row is a child at most once, roots are never children: with
    # n - len(roots) edges over n rows this is a forest without cycles.
    children = result.children.tolist()
    assert len(children) == len(set(children))
    assert not set(children) & set(result.roots.tolist())
    assert len(children) + len(result.roots) == n
    assert set(children) | set(result.roots.tolist()) == set(range(n))
    parent_of = dict(zip(children, result.parents.tolist(), strict=True))
    for row in range(n):  # climbing from any row reaches a root: no cycle
        for _ in range(n):
            if row not in parent_of:
                break
            row = parent_of[row]
        assert row in set(result.roots.tolist())
    _, adjacent = candidate_graph(matrix, mode, max_d)
    components, _ = connected_components(csr_matrix(adjacent.astype(np.int8)), directed=False)
    assert trees(result) == components
    if full:
        assert trees(result) == 1


@PROPERTY
@given(data=typing_data(), lvs=st.integers(1, 4))
def test_total_weight_is_minimal(data: tuple, lvs: int) -> None:
    matrix, ids, counts, mode = data
    loci = matrix.shape[1]
    dataset_ = from_matrix(matrix, ids, counts)
    limited = goeburst(dataset_, lvs=lvs, missing=mode)
    assert limited.total_distance == msf_weight(*candidate_graph(matrix, mode, lvs))
    full = goeburst_full(dataset_, missing=mode)
    assert full.total_distance == msf_weight(*candidate_graph(matrix, mode, loci))
    # goeburst with lvs = number of loci links everything too: same weight as the full MST.
    assert goeburst(dataset_, lvs=loci, missing=mode).total_distance == full.total_distance


@PROPERTY
@given(data=typing_data(), lvs=st.integers(1, 4))
def test_same_input_same_result(data: tuple, lvs: int) -> None:
    matrix, ids, counts, mode = data
    for run in (lambda d: goeburst(d, lvs=lvs, missing=mode), lambda d: goeburst_full(d, missing=mode)):
        first = run(from_matrix(matrix, ids, counts))
        second = run(from_matrix(matrix.copy(), list(ids), counts.copy()))
        assert arrays_of(first) == arrays_of(second)


@PROPERTY
@given(data=typing_data(), lvs=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_row_order(data: tuple, lvs: int, seed: int) -> None:
    matrix, ids, counts, mode = data
    # Keep one row per node, so that no representative depends on the row order.
    keep = distinct_nodes(matrix, mode)
    matrix, ids, counts = matrix[keep], [ids[i] for i in keep.tolist()], counts[keep]
    order = list(range(len(ids)))
    random.Random(seed).shuffle(order)
    shuffled = (matrix[order], [ids[i] for i in order], counts[order])
    # goeburst-full: PHYLOViZ's rules use ids, LV counts and frequencies, never row order.
    assert edge_set(goeburst_full(from_matrix(*shuffled), missing=mode)) == edge_set(
        goeburst_full(from_matrix(matrix, ids, counts), missing=mode))
    # goeburst: the row index breaks ties, so only the weight and the number of trees are fixed.
    before = goeburst(from_matrix(matrix, ids, counts), lvs=lvs, missing=mode)
    after = goeburst(from_matrix(*shuffled), lvs=lvs, missing=mode)
    assert (after.total_distance, trees(after)) == (before.total_distance, trees(before))


# --------------------------------------------------------------------------------------------
# the distance matrix is an optimisation: computing distances on the fly gives the same result


@pytest.mark.parametrize("mode", MISSING_MODES)
def test_on_the_fly_distances_give_the_same_forest(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    # 700 x 400 loci with some missing cells: while 500 or more nodes are outside the tree, a
    # Prim step compares 200,000 loci or more and runs in parallel; 400 loci also take the
    # uint16 distance matrix (256 loci or more) on the matrix side.
    matrix = clonal(700, 400, seed=3)
    matrix[np.random.default_rng(1).random(matrix.shape) < 0.01] = 0
    data = from_matrix(matrix)
    def both() -> list[tuple[list[int], ...]]:
        return [arrays_of(goeburst(data, lvs=3, missing=mode)), arrays_of(goeburst_full(data, missing=mode))]

    expected = both()
    monkeypatch.setattr(engine.algorithms.goeburst, "DISTANCE_MATRIX_LIMIT_BYTES", 0)
    assert both() == expected


def test_infer_with_explicit_rules() -> None:
    # infer() is what both wrappers call: the PHYLOViZ tie-break on QUIRK data with lvs levels.
    result = infer(dataset(QUIRK_ROWS, ids=QUIRK_IDS), algorithm="custom", max_distance=2, levels=2,
                   tiebreak=engine.algorithms.goeburst.TIEBREAK_PHYLOVIZ, parameters={"x": 1})
    assert (result.algorithm, result.parameters) == ("custom", {"x": 1})
    assert edge_set(result) == pairs(("10", "11", 1), ("9", "10", 1))
