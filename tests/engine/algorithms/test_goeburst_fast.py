"""goeBURST without a distance matrix gives exactly the matrix path's forest (engine/algorithms/goeburst.py).

Past ``DISTANCE_MATRIX_LIMIT_BYTES`` the engine computes distances on the fly, and it saves work
there: the LV pass stops comparing two profiles once they are farther apart than ``lvs`` (or, on
schemes of few loci, counts by grouping the profiles on every set of loci), and Prim
skips the pairs that a cover of balls (triangle inequality) proves too far apart to change any
node's best or second-best edge. Both are meant to change nothing: here the on-the-fly path is
forced on small generated inputs, with every saving switched on (balls at any number of loci,
bounded LV passes at any lvs), and its forest is compared with the matrix path's, edge for edge,
with the rule that decided each edge and the runner-up it beat, in all three missing-data modes.

Inputs: random tables (any distance), clonal ones (clusters of near-identical profiles far
apart: the case the balls are for) and tie-heavy ones (two alleles, few loci: most edges tie on
distance and are decided by LV counts, frequency or ids).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_goeburst import from_matrix

import engine.algorithms.goeburst as goeburst_module
from engine.algorithms.distances import mode_code, pairwise_distances
from engine.algorithms.goeburst import goeburst, goeburst_full, node_forest
from engine.algorithms.goeburst_kernels import TIEBREAK_PHYLODB, TIEBREAK_PHYLOVIZ, cover
from engine.algorithms.lv_subsets import SUBSET_MAX_LOCI, subset_level_counts
from engine.models import MISSING_MODES, Dataset

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def with_holes(rng: np.random.Generator, matrix: np.ndarray, rate: float) -> np.ndarray:
    """``matrix`` with a fraction ``rate`` of its cells made missing (0)."""
    holes = rng.random(matrix.shape) < rate
    return np.where(holes, 0, matrix).astype(np.uint16)


def random_table(rng: np.random.Generator, n: int) -> np.ndarray:
    """Any distances: 1-90 loci (blocks of 64 and a remainder), 1-4 alleles."""
    loci = int(rng.integers(1, 91))
    return rng.integers(1, int(rng.integers(1, 5)) + 1, size=(n, loci)).astype(np.uint16)


def clonal_table(rng: np.random.Generator, n: int) -> np.ndarray:
    """A few founders far apart, each profile a copy of an earlier one of its cluster with 0-3 changes."""
    loci = int(rng.integers(20, 130))
    founders = int(rng.integers(1, 6))
    matrix = np.zeros((n, loci), np.uint16)
    fresh = 2
    cluster = np.zeros(n, np.int64)
    for i in range(n):
        if i < founders:
            matrix[i] = rng.integers(1, 3, size=loci)
            cluster[i] = i
            changes = int(rng.integers(0, loci))
        else:
            cluster[i] = rng.integers(0, min(i, founders))
            members = np.flatnonzero(cluster[:i] == cluster[i])
            matrix[i] = matrix[rng.choice(members)]
            changes = int(rng.integers(0, 4))
        for locus in rng.choice(loci, size=changes, replace=False):
            matrix[i, locus] = fresh
            fresh = fresh % 60000 + 2
    return matrix


def tie_table(rng: np.random.Generator, n: int) -> np.ndarray:
    """Most edges tie on distance: 2-6 loci, 1-2 alleles."""
    loci = int(rng.integers(2, 7))
    return rng.integers(1, int(rng.integers(1, 3)) + 1, size=(n, loci)).astype(np.uint16)


TABLES = {"random": random_table, "clonal": clonal_table, "ties": tie_table}


@st.composite
def cases(draw: st.DrawFn) -> tuple[Dataset, str]:
    """A generated dataset (up to 150 rows: Prim compacts its list of outside nodes) and a mode."""
    kind = draw(st.sampled_from(sorted(TABLES)))
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, 150))
    rng = np.random.default_rng(seed)
    matrix = with_holes(rng, TABLES[kind](rng, n), draw(st.sampled_from([0.0, 0.02, 0.3])))
    counts = rng.integers(1, 4, size=n) if draw(st.booleans()) else np.ones(n, np.int64)
    return from_matrix(matrix, counts=counts), draw(st.sampled_from(MISSING_MODES))


def forest_columns(dataset: Dataset, mode: str, full: bool, lvs: int) -> list[list[int]]:
    """Every column of the node forest (edges, rules, runner-ups) and its LV counts."""
    loci = dataset.profiles.matrix.shape[1]
    levels = loci if full else lvs
    forest = node_forest(dataset, max_distance=levels, levels=levels,
                         tiebreak=TIEBREAK_PHYLOVIZ if full else TIEBREAK_PHYLODB, missing=mode)
    return [column.tolist() for column in forest.edges] + [forest.order.lv.tolist()]


def on_the_fly(monkeypatch: pytest.MonkeyPatch, parallel: bool, by_locus: bool) -> None:
    """No distance matrix; bounded LV passes at any lvs; profiles compared a locus at a time
    (``by_locus``) or a pair at a time, with balls from 1 locus on."""
    monkeypatch.setattr(goeburst_module, "DISTANCE_MATRIX_LIMIT_BYTES", 0)
    monkeypatch.setattr(goeburst_module, "_COVER_MIN_LOCI", 10**9 if by_locus else 1)
    monkeypatch.setattr(goeburst_module, "_BOUNDED_LEVELS_FRACTION", 1.0)
    monkeypatch.setattr(goeburst_module, "_PARALLEL_RELAX_WORK", 0 if parallel else 10**12)


@PROPERTY
@given(case=cases(), lvs=st.integers(1, 5), full=st.booleans(), parallel=st.booleans(),
       by_locus=st.booleans())
def test_on_the_fly_forest_equals_the_matrix_forest(case: tuple[Dataset, str], lvs: int, full: bool,
                                                    parallel: bool, by_locus: bool) -> None:
    data, mode = case
    expected = forest_columns(data, mode, full, lvs)
    with pytest.MonkeyPatch.context() as patch:
        on_the_fly(patch, parallel, by_locus)
        assert forest_columns(data, mode, full, lvs) == expected


@pytest.mark.parametrize("mode", MISSING_MODES)
def test_clonal_cgmlst_like_data_gives_the_same_trees(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    # 400 profiles x 300 loci in 8 clusters with 3% missing calls: the balls rule out most pairs
    # of different clusters; the trees (arrays of the inference) must not change.
    rng = np.random.default_rng(13)
    founders = rng.integers(1, 40, size=(8, 300))
    parents = rng.integers(0, 8, size=400)
    matrix = founders[parents].astype(np.uint16)
    changed = rng.random(matrix.shape) < 0.02
    matrix[changed] = rng.integers(40, 60, size=int(changed.sum()))
    data = from_matrix(with_holes(rng, matrix, 0.03))

    def trees() -> list[list[int]]:
        results = (goeburst(data, lvs=3, missing=mode), goeburst_full(data, missing=mode))
        return [getattr(r, name).tolist() for r in results for name in ("parents", "children", "distances",
                                                                           "rules", "roots")]

    expected = trees()
    monkeypatch.setattr(goeburst_module, "DISTANCE_MATRIX_LIMIT_BYTES", 0)
    monkeypatch.setattr(goeburst_module, "_BOUNDED_LEVELS_FRACTION", 1.0)
    assert trees() == expected


@pytest.mark.parametrize("mode", ["difference", "allele"])
@pytest.mark.parametrize("balls", [1, 5, 40])
def test_cover_bounds_every_distance_from_below(mode: str, balls: int) -> None:
    rng = np.random.default_rng(balls)
    matrix = with_holes(rng, rng.integers(1, 4, size=(40, 70)).astype(np.uint16), 0.1)
    center_of, to_center, between = cover(matrix, mode_code(mode), balls)
    dist = pairwise_distances(matrix, mode)
    assert between.shape == (balls, balls) and np.array_equal(between, between.T)
    centers = [int(np.flatnonzero((center_of == b) & (to_center == 0))[0]) for b in range(balls)]
    for b, center in enumerate(centers):  # each centre is in its own ball, 0 from itself
        assert center_of[center] == b
        assert [int(between[b, c]) for c in range(balls)] == [int(dist[center, other]) for other in centers]
    for a in range(40):
        assert to_center[a] == dist[a, centers[center_of[a]]] or a in centers
        apart = between[center_of[a], center_of].astype(np.int64)
        assert (apart - int(to_center[a]) - to_center.astype(np.int64) <= dist[a]).all()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(1, 60), loci=st.integers(1, SUBSET_MAX_LOCI), alleles=st.integers(1, 3),
       holes=st.sampled_from([0.0, 0.1, 0.4]), allele_mode=st.booleans(), levels=st.integers(1, 10),
       seed=st.integers(0, 2**32 - 1))
def test_subset_counts_equal_pairwise_counts(n: int, loci: int, alleles: int, holes: float, allele_mode: bool,
                                             levels: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = with_holes(rng, rng.integers(1, alleles + 1, size=(n, loci)).astype(np.uint16), holes)
    dist = pairwise_distances(matrix, "allele" if allele_mode else "difference")
    expected = np.zeros((n, levels + 1), np.int64)
    for k in range(1, levels + 1):
        expected[:, k] = ((dist == k) & ~np.eye(n, dtype=bool)).sum(axis=1)
    assert subset_level_counts(matrix, allele_mode, levels).tolist() == expected.tolist()
