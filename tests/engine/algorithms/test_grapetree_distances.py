"""GrapeTree's distances (engine/algorithms/grapetree_distances.py), bit for bit.

The oracle is research/grapetree-methods.md section 2 written out with numpy, one formula per
mode, in the same float64-then-float32 arithmetic (vectorised, and pair by pair); literal counts
come from the same document. NJ's values are checked against ``%.6f`` text read back.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest
from grapetree_cases import REFERENCE_DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.algorithms import grapetree_distances
from engine.algorithms.grapetree_distances import (
    asymmetric_differences,
    asymmetric_distances,
    branch_lengths,
    rounded_distances,
    symmetric_distances,
)
from engine.algorithms.grapetree_input import MISSING_MODES, grapetree_profiles
from engine.errors import ParameterError
from engine.io.datasets import open_dataset

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def codes(draw: st.DrawFn) -> np.ndarray:
    """Allele codes 0..4 (0 = missing), every row with at least one called locus."""
    n = draw(st.integers(1, 40))
    loci = draw(st.integers(1, 70))  # past 64 loci the missing bit sets take two words
    matrix = draw(arrays(np.uint16, (n, loci), elements=st.integers(0, 4)))
    matrix[matrix.max(axis=1) == 0, 0] = 1
    return matrix


def spec_asymmetric(x: np.ndarray, absolute: bool) -> np.ndarray:
    """D[s, t]: child t's called loci where s differs, times L / called(t), float64 then float32."""
    called = x > 0
    loci = x.shape[1]
    out = np.zeros((x.shape[0],) * 2, np.float32)
    for t in range(x.shape[0]):
        k = ((x != x[t]) & called[t]).sum(axis=1)
        out[:, t] = k if absolute else k * float(loci) / called[t].sum()
    return out


def spec_symmetric(x: np.ndarray, mode: str) -> np.ndarray:
    loci = x.shape[1]
    if mode == "as-allele":
        both = np.ones((x.shape[0], x.shape[0], loci), bool)
    else:
        both = (x > 0)[:, None, :] & (x > 0)[None, :, :]
    differ = x[:, None, :] != x[None, :, :]
    k = (differ & both).sum(axis=2)
    out = ((k + 0.01) * float(loci)) / (both.sum(axis=2) + 0.01) if mode == "pair-delete" else k
    out = out.astype(np.float32)
    np.fill_diagonal(out, 0)
    return out


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a.view(np.uint32), b.astype(np.float32).view(np.uint32))


def test_doctests() -> None:
    assert doctest.testmod(grapetree_distances).failed == 0


@PROPERTY
@given(x=codes(), absolute=st.booleans())
def test_asymmetric_distances_follow_the_formula(x: np.ndarray, absolute: bool) -> None:
    got = asymmetric_distances(x, "absolute" if absolute else "pair-delete")
    assert same_bits(got, spec_asymmetric(x, absolute))


@PROPERTY
@given(x=codes(), mode=st.sampled_from(sorted(MISSING_MODES)))
def test_symmetric_distances_follow_the_formula(x: np.ndarray, mode: str) -> None:
    if mode == "complete-delete":
        x = np.ascontiguousarray(x[:, (x > 0).all(axis=0)])  # what the encoding leaves
    assert same_bits(symmetric_distances(x, mode), spec_symmetric(x, mode))


@PROPERTY
@given(x=codes())
def test_counts_and_called_loci(x: np.ndarray) -> None:
    counts, called = asymmetric_differences(x)
    assert called.tolist() == (x > 0).sum(axis=1).tolist()
    assert same_bits(asymmetric_distances(x, "absolute"), counts.astype(np.float32))


@PROPERTY
@given(x=codes(), mode=st.sampled_from(sorted(MISSING_MODES)))
def test_branch_lengths(x: np.ndarray, mode: str) -> None:
    n = x.shape[0]
    a, b = (v.ravel() for v in np.meshgrid(np.arange(n), np.arange(n)))
    got = branch_lengths(x, a, b, mode)
    differ = x[a] != x[b]
    if mode != "as-allele":
        differ &= (x[a] > 0) & (x[b] > 0)
    assert got.tolist() == differ.sum(axis=1).tolist()


def test_agona_asymmetry(shared_data: Path) -> None:
    # research/grapetree-methods.md section 2: "for Agona 390 of 4,422 ordered pairs differ from
    # their transpose" (67 distinct profiles, 67 * 66 ordered pairs).
    g = grapetree_profiles(open_dataset(shared_data / REFERENCE_DATA["agona_profiles"]))
    d = asymmetric_distances(g.codes)
    assert g.size * (g.size - 1) == 4422
    assert int((d != d.T).sum()) == 390


def test_pair_delete_without_missing_data_is_slightly_above_the_count() -> None:
    # section 2: without missing data D = (k + 0.01) L / (L + 0.01); here k = 1, L = 3.
    d = symmetric_distances(np.array([[1, 1, 1], [2, 1, 1]], np.uint16))
    assert d[0, 1] == np.float32(1.01 * 3 / 3.01)
    assert 1 < d[0, 1] < 1.01


def by_formula(codes: np.ndarray, mode: str) -> np.ndarray:
    """GrapeTree's ``distance_matrix.symmetric`` for one pair at a time, in float64, then float32."""
    if mode == "complete-delete":
        codes = codes[:, ~(codes == 0).any(axis=0)]
    n, loci = codes.shape
    out = np.zeros((n, n), np.float32)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            a, b = codes[i], codes[j]
            if mode == "as-allele":
                out[i, j] = np.sum(a != b)
                continue
            comparable = (a > 0) & (b > 0)
            k = int(np.sum((a != b) & comparable))
            if mode == "pair-delete":
                out[i, j] = ((k + 0.01) * float(loci)) / (int(np.sum(comparable)) + 0.01)
            else:
                out[i, j] = k
    return out


@pytest.mark.parametrize("mode", ["pair-delete", "complete-delete", "as-allele", "absolute"])
@pytest.mark.parametrize(("missing", "top"), [(0.03, 9), (0.3, 9), (0.03, 900)])
def test_symmetric_and_rounded_distances_match_the_formula(mode, missing, top):
    # complete-delete is given every locus: the loci with a missing cell are left out here.
    rng = np.random.default_rng(11)
    codes = rng.integers(1, top, size=(23, 150)).astype(np.uint16)
    codes[rng.random(codes.shape) < missing] = 0
    codes[5] = codes[4]  # identical rows
    expected = by_formula(codes, mode)
    assert np.array_equal(symmetric_distances(codes, mode), expected)
    rounded = rounded_distances(codes, mode)
    as_text = np.array([[float(f"{v:.6f}") for v in row] for row in expected.astype(float)])
    assert np.array_equal(rounded, as_text)


def test_unknown_mode():
    with pytest.raises(ParameterError, match="missing-data mode"):
        symmetric_distances(np.ones((2, 2), np.uint16), "ignore")
    with pytest.raises(ParameterError, match="missing-data mode"):
        rounded_distances(np.ones((2, 2), np.uint16), "ignore")
