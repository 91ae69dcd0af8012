"""GrapeTree's symmetric distance against its formulas written out in numpy (section 2 of
``../shared/research/grapetree-methods.md``), on both kernel paths and both code widths."""

from __future__ import annotations

import numpy as np
import pytest

from engine.algorithms.symmetric_distance import (
    Prepared,
    distance_block,
    rounded_distances,
    symmetric_distances,
)
from engine.errors import ParameterError


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
def test_matches_the_formula(mode, missing, top):
    rng = np.random.default_rng(11)
    codes = rng.integers(1, top, size=(23, 150)).astype(np.uint16)
    codes[rng.random(codes.shape) < missing] = 0
    codes[5] = codes[4]  # identical rows
    expected = by_formula(codes, mode)
    assert np.array_equal(symmetric_distances(codes, mode), expected)
    prepared = Prepared(codes, mode)
    assert np.array_equal(distance_block(prepared, 3, 9), expected[3:9])
    rounded = rounded_distances(prepared)
    as_text = np.array([[float(f"{v:.6f}") for v in row] for row in expected.astype(float)])
    assert np.array_equal(rounded, as_text)


def test_unknown_mode_and_bad_block():
    with pytest.raises(ParameterError, match="missing-data mode"):
        symmetric_distances(np.ones((2, 2), np.uint16), "ignore")
    with pytest.raises(ParameterError, match="outside"):
        distance_block(Prepared(np.ones((2, 2), np.uint16), "absolute"), 1, 3)
