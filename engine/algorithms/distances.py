"""Hamming distances between allelic profiles under the three missing-data modes.

Profiles are rows of a matrix of per-locus allele codes (0 = missing), as the readers make them.
The modes (``../shared/spec/algorithms.md`` section 1):

- ``difference``: a locus where either side is missing counts as a difference (PhyloDB);
- ``ignore``: only loci present in both profiles are compared (pairwise deletion);
- ``allele``: "missing" is one more allele value (PHYLOViZ Online).

The kernels are numba functions over plain arrays; the mode travels as a small integer.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.errors import ParameterError
from engine.models import MISSING_MODES

MODE_CODES = {name: code for code, name in enumerate(MISSING_MODES)}


def mode_code(missing: str) -> int:
    """The kernel code of a missing-data mode name; raises ParameterError for an unknown name."""
    try:
        return MODE_CODES[missing]
    except KeyError:
        raise ParameterError(
            f"{missing!r} is not a missing-data mode; choose one of {', '.join(MISSING_MODES)}"
        ) from None


#: Loci compared between two checks of the bound in :func:`bounded_distance`.
BOUND_BLOCK = 64


@numba.njit(cache=True, inline="always")
def _span_distance(matrix: np.ndarray, i: int, j: int, mode: int, start: int, stop: int) -> int:
    """Loci ``start..stop-1`` of :func:`row_distance`: a sum the compiler vectorises (numba)."""
    distance = 0
    if mode == 0:
        for locus in range(start, stop):
            a = matrix[i, locus]
            b = matrix[j, locus]
            distance += (a != b) | (a == 0) | (b == 0)
    elif mode == 1:
        for locus in range(start, stop):
            a = matrix[i, locus]
            b = matrix[j, locus]
            distance += (a != b) & (a != 0) & (b != 0)
    else:
        for locus in range(start, stop):
            distance += matrix[i, locus] != matrix[j, locus]
    return distance


@numba.njit(cache=True, inline="always")
def row_distance(matrix: np.ndarray, i: int, j: int, mode: int) -> int:
    """Distance between rows ``i`` and ``j`` of ``matrix`` under mode code ``mode`` (numba)."""
    return _span_distance(matrix, i, j, mode, 0, matrix.shape[1])


@numba.njit(cache=True, inline="always")
def bounded_distance(matrix: np.ndarray, i: int, j: int, mode: int, bound: int) -> int:
    """:func:`row_distance` of rows ``i`` and ``j`` when it is at most ``bound``, else some value above it.

    The loci are summed a block of ``BOUND_BLOCK`` at a time and the comparison stops after the
    first block that takes the partial sum past ``bound``. Every mode's distance is a sum of
    non-negative per-locus terms, so a partial sum above the bound proves the distance is above
    it too: the result is exact whenever it is ``<= bound`` (numba).
    """
    loci = matrix.shape[1]
    distance = 0
    for start in range(0, loci, BOUND_BLOCK):
        distance += _span_distance(matrix, i, j, mode, start, min(start + BOUND_BLOCK, loci))
        if distance > bound:
            break
    return distance


@numba.njit(cache=True, parallel=True)
def _square(matrix: np.ndarray, mode: int) -> np.ndarray:
    n = matrix.shape[0]
    out = np.zeros((n, n), dtype=np.int64)
    for i in numba.prange(n):
        for j in range(n):
            if i != j:
                out[i, j] = row_distance(matrix, i, j, mode)
    return out


def pairwise_distances(matrix: np.ndarray, missing: str = "difference") -> np.ndarray:
    """All pairwise distances of the rows of an allele-code matrix as a dense ``n x n`` array.

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(n, loci)`` allele codes, 0 = missing (``Profiles.matrix``).
    missing : {"difference", "ignore", "allele"}
        Missing-data mode.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` int64, symmetric, zero diagonal (even under ``difference``: a row is not
        compared with itself).

    Raises
    ------
    ParameterError
        For an unknown mode.

    Notes
    -----
    O(n^2 loci) time and O(n^2) memory: for small data, tests and checks. The tree algorithms
    never build this matrix.

    Examples
    --------
    >>> m = np.array([[1, 0, 2], [1, 2, 1], [0, 0, 1]], dtype=np.uint16)
    >>> pairwise_distances(m).tolist()
    [[0, 2, 3], [2, 0, 2], [3, 2, 0]]
    >>> pairwise_distances(m, "ignore").tolist()
    [[0, 1, 1], [1, 0, 0], [1, 0, 0]]
    >>> pairwise_distances(m, "allele").tolist()
    [[0, 2, 2], [2, 0, 2], [2, 2, 0]]
    """
    code = mode_code(missing)
    return _square(np.ascontiguousarray(matrix), code)
