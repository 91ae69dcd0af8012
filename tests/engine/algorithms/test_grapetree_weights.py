"""GrapeTree's node ranks (engine/algorithms/grapetree_weights.py).

Oracles: a plain-Python transcription of numpy's pairwise summation (research/grapetree-methods.md
section 3.2, step by step, each operation rounded to float32), ``numpy.sum`` itself (what
GrapeTree calls), and the eBurst rule of section 4.2 as a Python sort key. The literal counts
come from section 3.2 and section 8 of the same document.
"""

from __future__ import annotations

import doctest
import math
from collections import Counter
from pathlib import Path

import numpy as np
from grapetree_cases import REFERENCE_DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.algorithms import grapetree_weights
from engine.algorithms.grapetree_distances import (
    asymmetric_differences,
    asymmetric_distances,
    symmetric_distances,
)
from engine.algorithms.grapetree_input import grapetree_profiles
from engine.algorithms.grapetree_weights import (
    eburst_ranks,
    harmonic_means,
    harmonic_ranks,
    pairwise_sum_float32,
)
from engine.io.datasets import open_dataset

PROPERTY = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
F32 = np.float32


def plain_pairwise(a: list[np.float32]) -> np.float32:
    """research/grapetree-methods.md section 3.2, literally."""
    m = len(a)
    if m < 8:
        total = F32(0)
        for value in a:
            total = F32(total + value)
        return total
    if m <= 128:
        r = list(a[:8])
        i = 8
        while i < m - m % 8:
            for k in range(8):
                r[k] = F32(r[k] + a[i + k])
            i += 8
        total = F32(F32(F32(r[0] + r[1]) + F32(r[2] + r[3])) + F32(F32(r[4] + r[5]) + F32(r[6] + r[7])))
        for value in a[i:]:
            total = F32(total + value)
        return total
    q = m // 2 - (m // 2) % 8
    return F32(plain_pairwise(a[:q]) + plain_pairwise(a[q:]))


def test_doctests() -> None:
    assert doctest.testmod(grapetree_weights).failed == 0


@PROPERTY
@given(values=st.integers(0, 1500).flatmap(
    lambda m: arrays(np.float32, m, elements=st.floats(0.0, 1e4, width=32, allow_subnormal=False))))
def test_pairwise_sum_is_numpy_sum_bit_for_bit(values: np.ndarray) -> None:
    got = pairwise_sum_float32(values)
    assert got.tobytes() == plain_pairwise(list(values)).tobytes()
    assert got.tobytes() == np.float32(values.sum()).tobytes()


@PROPERTY
@given(x=st.integers(1, 300).flatmap(lambda n: arrays(np.uint16, (n, 9), elements=st.integers(0, 3))))
def test_harmonic_means_are_grapetree_s(x: np.ndarray) -> None:
    x[x.max(axis=1) == 0, 0] = 1
    d = asymmetric_distances(x)
    expected = x.shape[0] / np.sum(1.0 / (d + 0.1), 1)  # GrapeTree's line, float32 throughout
    counts, called = asymmetric_differences(x)
    got = harmonic_means(counts, called, x.shape[1])
    assert expected.dtype == np.float32
    assert got.tobytes() == expected.tobytes()


def test_harmonic_ties_are_decided_in_float32(shared_data: Path) -> None:
    # Section 3.2: 99 of the 2,000 profiles of phylodb_profiles_2000 have exactly tied harmonic
    # means (same multiset of distances); section 8: computing the means in float64 with a
    # correctly rounded sum changes 12 ranks.
    g = grapetree_profiles(open_dataset(shared_data / REFERENCE_DATA["phylodb_profiles_2000"]))
    counts, called = asymmetric_differences(g.codes)
    groups = Counter(tuple(sorted(row)) for row in counts.tolist())
    assert sum(size for size in groups.values() if size > 1) == 99
    means = harmonic_means(counts, called, g.codes.shape[1])
    d = asymmetric_distances(g.codes).astype(np.float64)
    tenth = float(np.float32(0.1))
    exact = np.array([g.size / math.fsum((1.0 / (row + tenth)).tolist()) for row in d])
    assert int((harmonic_ranks(means, g.sizes) != harmonic_ranks(exact, g.sizes)).sum()) == 12


def test_harmonic_rank_tie_breaks() -> None:
    # Equal means: the larger node first, then the lower index.
    means = np.array([1.0, 1.0, 1.0, 0.5], np.float32)
    assert harmonic_ranks(means, np.array([1, 2, 1, 1])).tolist() == [2, 1, 3, 0]


@PROPERTY
@given(x=st.integers(1, 30).flatmap(lambda n: arrays(np.uint16, (n, 6), elements=st.integers(0, 3))),
       sizes=st.lists(st.integers(1, 3), min_size=30, max_size=30))
def test_eburst_ranks_follow_the_rule(x: np.ndarray, sizes: list[int]) -> None:
    x[x.max(axis=1) == 0, 0] = 1
    d = symmetric_distances(x)
    n = x.shape[0]
    size = np.array(sizes[:n])
    top = int(d.max())
    counts = [[int((d[i].astype(int) == k).sum()) for k in range(top + 1)] for i in range(n)]
    for i in range(n):
        counts[i][0] += int(size[i])
    order = sorted(range(n), key=lambda i: ([-c for c in counts[i][1:]], -counts[i][0], i))
    expected = np.empty(n, np.int64)
    expected[order] = np.arange(n)
    assert eburst_ranks(d, size).tolist() == expected.tolist()
