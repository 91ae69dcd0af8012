"""The goeBURST kernels and their named state (engine/algorithms/goeburst_kernels.py).

The forests themselves are checked end to end in test_goeburst.py and test_reference.py; here the
kernels' own promises: the balanced pair split visits every pair once, node ranks follow LV counts
then frequency, and Prim gives the same edges whether it runs in one call or one step per call,
from a heap that must grow, relaxing on one core or split into tasks.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

from engine.algorithms import goeburst_kernels as kernels
from engine.algorithms.distances import pairwise_distances


def random_matrix(n: int, loci: int, alleles: int, seed: int) -> np.ndarray:
    """Allele codes 1..alleles (no missing value): few alleles make many ties."""
    return np.random.default_rng(seed).integers(1, alleles + 1, size=(n, loci)).astype(np.uint16)


def lv_counts(dist: np.ndarray, levels: int) -> np.ndarray:
    """``lv[a, k]``: the other rows at distance k from row a, counted in plain numpy."""
    n = dist.shape[0]
    lv = np.zeros((n, levels + 1), np.int64)
    others = ~np.eye(n, dtype=bool)
    for k in range(1, levels + 1):
        lv[:, k] = ((dist == k) & others).sum(axis=1)
    return lv


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 8, 9])
def test_balanced_pairs_fill_the_upper_triangle_once(n: int) -> None:
    matrix = random_matrix(n, 6, 3, seed=n)
    expected = pairwise_distances(matrix)
    pairs = (n + 1) // 2
    dist = np.zeros((n, n), np.uint8)
    for first, last in ((0, pairs // 2), (pairs // 2, pairs)):  # two blocks, as the wrapper does
        kernels.upper_distances(matrix, 0, first, last, *kernels.upper_rows(dist, first, last))
    assert np.array_equal(dist, np.triu(expected, 1))

    no_columns = np.zeros((0, 0), np.uint16)
    # Comparisons abandoned past 2 loci; whole comparisons; a locus at a time across the rows.
    for levels, columns in ((2, no_columns), (6, no_columns), (6, np.ascontiguousarray(matrix.T))):
        local = np.zeros((numba.get_num_threads(), n, levels + 1), np.int32)
        scratch = np.zeros((numba.get_num_threads(), n), np.uint16)
        kernels.level_counts_block(matrix, 0, levels, levels, 0, pairs, local, scratch, columns)
        assert np.array_equal(local.sum(axis=0), lv_counts(expected, levels))


def test_node_ranks_follow_lv_levels_then_frequency() -> None:
    # Node:            0        1        2        3        4
    # (LV_1, LV_2):  (1, 0)   (2, 0)   (1, 5)   (1, 0)   (2, 0)
    # frequency:        1        1        1        1        3
    # Order: 4 (LV_1 2, freq 3), 1 (LV_1 2), 2 (LV_1 1, LV_2 5), then 0 and 3, which tie.
    lv = np.array([[0, 1, 0], [0, 2, 0], [0, 1, 5], [0, 1, 0], [0, 2, 0]], np.int64)
    freq = np.array([1, 1, 1, 1, 3], np.int64)
    assert kernels.node_ranks(lv, freq, 2).tolist() == [3, 1, 2, 3, 0]
    assert kernels.node_ranks(lv, freq, 1).tolist() == [2, 1, 2, 2, 0]  # LV_2 not compared: 2 ties with 0, 3


def test_node_ranks_match_a_sort_by_key() -> None:
    rng = np.random.default_rng(7)
    lv = rng.integers(0, 3, size=(200, 5)).astype(np.int64)
    freq = rng.integers(1, 3, size=200).astype(np.int64)
    keys = [(*(-lv[a, 1:]).tolist(), -freq[a]) for a in range(200)]
    distinct = sorted(set(keys))
    assert kernels.node_ranks(lv, freq, 4).tolist() == [distinct.index(key) for key in keys]


def run_prim(matrix: np.ndarray, max_distance: int, *, keep_matrix: bool, steps: int, parallel_work: int,
             heap_capacity: int, balls: bool = False, by_locus: bool = False,
             ) -> tuple[kernels.KeptEdges, list[kernels.PrimState]]:
    """Prim over the rows of ``matrix`` (frequencies 1, ids in row order), ``steps`` nodes a call.

    ``balls``: pairs are bounded by a cover of 7 balls; ``by_locus``: compared a locus at a time.
    """
    n, loci = matrix.shape
    full = pairwise_distances(matrix)
    lv = lv_counts(full, loci)
    freq = np.ones(n, np.int64)
    ranks = np.arange(n, dtype=np.int64)
    node_rank = kernels.node_ranks(lv, freq, loci)
    order = kernels.EdgeOrder(lv, freq, ranks, ranks, node_rank, loci, kernels.TIEBREAK_PHYLODB)
    dist = full.astype(np.uint8) if keep_matrix else np.zeros((1, 1), np.uint8)
    no_cover = (np.zeros(1, np.int64), np.zeros(1, np.uint16), np.zeros((0, 0), np.uint16))
    cover = kernels.cover(matrix, 0, 7) if balls else no_cover
    pairs = kernels.PairDistances(matrix, 0, dist, keep_matrix, max_distance, *cover)
    candidates = kernels.Candidates.every_node()
    options = kernels.PrimOptions(steps, 3, parallel_work)
    columns = np.ascontiguousarray(matrix.T) if by_locus else None
    state, best = kernels.PrimState.start_empty(n, loci, columns), kernels.BestEdges.unset(n)
    heap, edges = kernels.EdgeHeap.empty(heap_capacity), kernels.KeptEdges.empty(n - 1)
    states = [state]
    while state.added < n:
        state, heap = kernels.prim_steps(pairs, candidates, order, options, state, best, heap, edges)
        states.append(state)
    return kernels.KeptEdges(*(column[: state.kept] for column in edges)), states


@pytest.mark.parametrize("max_distance", [2, 6])
def test_prim_gives_the_same_edges_however_it_is_split(max_distance: int) -> None:
    matrix = random_matrix(60, 6, 3, seed=11)
    whole, _ = run_prim(matrix, max_distance, keep_matrix=True, steps=10**6, parallel_work=10**9,
                        heap_capacity=128)
    # One node a call, a heap of one entry that has to grow, every relax step split into tasks,
    # pairs bounded by balls.
    split, states = run_prim(matrix, max_distance, keep_matrix=False, steps=1, parallel_work=0,
                             heap_capacity=1, balls=True)
    by_locus, _ = run_prim(matrix, max_distance, keep_matrix=False, steps=7, parallel_work=0,
                           heap_capacity=1, by_locus=True)
    for a, b in zip(whole, by_locus, strict=True):
        assert a.tolist() == b.tolist()
    for column, (a, b) in zip(kernels.KeptEdges._fields, zip(whole, split, strict=True), strict=True):
        assert a.tolist() == b.tolist(), column
    assert [state.added for state in states] == list(range(61))
    first, last = states[0], states[-1]
    assert last.kept == whole.u.shape[0] and last.in_tree.all()
    for name in ("in_tree", "outside", "improved", "found"):  # updated in place, never replaced
        assert getattr(last, name) is getattr(first, name)
