"""Hamming distances under the three missing-data modes (engine/distances.py).

The literal case is PhyloDB's ``ctx-np-na-m`` test (research/phylodb.md §7.1): profiles
``[1,-,2]``, ``[1,2,1]``, ``[-,-,1]`` have ``difference`` distances 2, 3, 2. The ``ignore`` and
``allele`` values were worked out by hand from the rules of spec/algorithms.md §1 (see the
comments next to each expected matrix).
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.algorithms.distances import (
    BOUND_BLOCK,
    MODE_CODES,
    bounded_distance,
    mode_code,
    pairwise_distances,
)
from engine.errors import ParameterError
from engine.io.profiles import read_profiles
from engine.models import MISSING_MODES

# ``-`` is missing (code 0). Read through the reader so that the test also covers its coding.
CTX_NP_NA_M = b"ST\tl1\tl2\tl3\n1\t1\t-\t2\n2\t1\t2\t1\n3\t-\t-\t1\n"


def ctx_matrix() -> np.ndarray:
    """The allele codes of PhyloDB's ``ctx-np-na-m`` profiles."""
    profiles, _ = read_profiles(CTX_NP_NA_M)
    return profiles.matrix


def test_reader_codes_of_the_literal_case() -> None:
    # Codes number each locus's alleles by first appearance; 0 is missing.
    assert ctx_matrix().tolist() == [[1, 0, 1], [1, 1, 2], [0, 0, 2]]


def test_difference_counts_every_missing_locus() -> None:
    # PhyloDB's expected distances {{}, {2}, {3, 2}}: d(1,2) = 2, d(1,3) = 3, d(2,3) = 2.
    # d(2,3) = 2 although both sides are missing at l2: a missing locus always counts.
    assert pairwise_distances(ctx_matrix(), "difference").tolist() == [[0, 2, 3], [2, 0, 2], [3, 2, 0]]


def test_default_mode_is_difference() -> None:
    default = pairwise_distances(ctx_matrix())
    assert default.tolist() == pairwise_distances(ctx_matrix(), "difference").tolist()


def test_ignore_compares_only_loci_present_in_both() -> None:
    # By hand: (1,2) compares l1 (1=1) and l3 (2!=1) -> 1; (1,3) compares only l3 (2!=1) -> 1;
    # (2,3) compares only l3 (1=1) -> 0, although the two rows are not equal.
    assert pairwise_distances(ctx_matrix(), "ignore").tolist() == [[0, 1, 1], [1, 0, 0], [1, 0, 0]]


def test_allele_treats_missing_as_one_more_allele() -> None:
    # By hand: (1,2): l2 '-' vs 2, l3 2 vs 1 -> 2; (1,3): l1 1 vs '-', l2 '-' = '-', l3 2 vs 1
    # -> 2; (2,3): l1 1 vs '-', l2 2 vs '-', l3 1 = 1 -> 2.
    assert pairwise_distances(ctx_matrix(), "allele").tolist() == [[0, 2, 2], [2, 0, 2], [2, 2, 0]]


def test_rows_without_missing_values_agree_in_every_mode() -> None:
    # [1,1,1], [1,2,1], [3,2,1]: 1 and 2 loci differ; no missing value, so every mode agrees.
    matrix = np.array([[1, 1, 1], [1, 2, 1], [3, 2, 1]], dtype=np.uint16)
    expected = [[0, 1, 2], [1, 0, 1], [2, 1, 0]]
    for mode in MISSING_MODES:
        assert pairwise_distances(matrix, mode).tolist() == expected, mode


def test_diagonal_is_zero_even_for_rows_with_missing_values() -> None:
    # Under "difference" a row with a missing value is not compared with itself.
    matrix = np.array([[0, 0, 0], [1, 0, 2]], dtype=np.uint16)
    for mode in MISSING_MODES:
        assert np.diag(pairwise_distances(matrix, mode)).tolist() == [0, 0], mode


def test_result_shape_and_type() -> None:
    result = pairwise_distances(np.ones((4, 2), dtype=np.uint16))
    assert result.shape == (4, 4)
    assert result.dtype == np.int64


def test_no_rows_gives_an_empty_matrix() -> None:
    assert pairwise_distances(np.zeros((0, 3), dtype=np.uint16)).shape == (0, 0)


def test_non_contiguous_input_is_accepted() -> None:
    # A column slice is not C-contiguous; the public function copies it.
    matrix = np.array([[1, 9, 1], [2, 9, 1], [2, 9, 2]], dtype=np.uint16)[:, ::2]
    assert pairwise_distances(matrix).tolist() == [[0, 1, 2], [1, 0, 1], [2, 1, 0]]


@pytest.mark.parametrize("mode", ["", "Difference", "missing", "pairwise"])
def test_unknown_mode_is_a_parameter_error(mode: str) -> None:
    with pytest.raises(ParameterError, match="is not a missing-data mode; choose one of difference"):
        pairwise_distances(ctx_matrix(), mode)


def test_mode_codes_cover_every_mode() -> None:
    assert sorted(MODE_CODES) == sorted(MISSING_MODES)
    assert [mode_code(mode) for mode in MISSING_MODES] == [0, 1, 2]


def brute_force(matrix: np.ndarray, mode: str) -> np.ndarray:
    """Spec §1 written out per pair in plain Python (0 = missing)."""
    n, loci = matrix.shape
    out = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            total = 0
            for locus in range(loci):
                a, b = int(matrix[i, locus]), int(matrix[j, locus])
                if mode == "difference":
                    total += a != b or a == 0 or b == 0
                elif mode == "ignore":
                    total += a != b and a != 0 and b != 0
                else:
                    total += a != b
            out[i, j] = total
    return out


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    matrix=st.integers(1, 12).flatmap(
        lambda n: st.integers(1, 8).flatmap(
            lambda loci: arrays(np.uint16, (n, loci), elements=st.integers(0, 3))
        )
    ),
    mode=st.sampled_from(MISSING_MODES),
)
def test_matches_the_rules_and_is_symmetric(matrix: np.ndarray, mode: str) -> None:
    result = pairwise_distances(matrix, mode)
    assert (result == result.T).all()
    assert (np.diag(result) == 0).all()
    assert result.tolist() == brute_force(matrix, mode).tolist()
    # The modes are ordered: ignore <= allele <= difference for every pair.
    if mode == "allele":
        assert (pairwise_distances(matrix, "ignore") <= result).all()
        assert (result <= pairwise_distances(matrix, "difference")).all()


@numba.njit(cache=True)
def _bounded_all(matrix: np.ndarray, mode: int, bound: int) -> np.ndarray:
    n = matrix.shape[0]
    out = np.zeros((n, n), np.int64)
    for i in range(n):
        for j in range(n):
            out[i, j] = bounded_distance(matrix, i, j, mode, bound)
    return out


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    matrix=st.integers(2, 6).flatmap(
        lambda n: st.integers(1, 3 * BOUND_BLOCK + 5).flatmap(
            lambda loci: arrays(np.uint16, (n, loci), elements=st.integers(0, 2))
        )
    ),
    mode=st.sampled_from(MISSING_MODES),
    bound=st.integers(0, 3 * BOUND_BLOCK + 5),
)
def test_bounded_distance_is_exact_up_to_its_bound(matrix: np.ndarray, mode: str, bound: int) -> None:
    exact = brute_force(matrix, mode)
    bounded = _bounded_all(matrix, MODE_CODES[mode], bound)
    off = ~np.eye(matrix.shape[0], dtype=bool)
    within = exact <= bound
    assert (bounded[within & off] == exact[within & off]).all()
    # Past the bound it says so, and never exceeds the true distance (it stopped early).
    assert (bounded[~within] > bound).all()
    assert (bounded[~within] <= exact[~within]).all()
