"""GrapeTree's symmetric distance between allele-code rows, in float32, under its four ``-y`` modes.

With ``c`` the loci called in both rows and ``k`` those of them whose alleles differ
(``../shared/research/grapetree-methods.md`` section 2):

==================== ====== ==========================================================
mode                 ``-y`` ``D[i, j]`` (float32; ``D[i, i] = 0``)
==================== ====== ==========================================================
``pair-delete``      0      ``float32(((k + 0.01) * L) / (c + 0.01))`` evaluated in float64
``complete-delete``  1      ``k`` over the loci that no row misses (the others are dropped)
``as-allele``        2      loci where the codes differ, missing being one more allele
``absolute``         3      ``k``
==================== ====== ==========================================================

``L`` is the number of locus columns. The ``+ 0.01`` terms are GrapeTree's: two distinct profiles
that agree wherever both are called are ``0.01 L / (c + 0.01)`` apart, not 0.

The kernels count, for each pair, the loci where the codes differ (one vectorised pass over the two
rows) and correct that count with the rows' missing loci, kept as short sorted lists when data are
sparse in missing values (cgMLST: about 2%), so a pair costs about one pass over ``L`` codes.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.errors import ParameterError
from engine.models import CancelCheck, ProgressCallback
from engine.progress import check_cancel, report

#: Mode names and GrapeTree's ``-y`` numbers.
MODES: dict[str, int] = {"pair-delete": 0, "complete-delete": 1, "as-allele": 2, "absolute": 3}

#: Rows compared together while each other row is in cache.
_TILE = 16
#: Above this fraction of missing cells the kernels count missing loci in the main pass instead.
_SPARSE_MISSING = 0.08


def mode_number(mode: str) -> int:
    """GrapeTree's ``-y`` number of a mode name; raises ParameterError for an unknown name."""
    try:
        return MODES[mode]
    except KeyError:
        raise ParameterError(
            f"{mode!r} is not a missing-data mode of GrapeTree's distance; choose one of "
            f"{', '.join(MODES)}"
        ) from None


def kept_columns(codes: np.ndarray, mode: str) -> np.ndarray:
    """The locus columns a mode uses: all of them, or for ``complete-delete`` those without a 0."""
    if mode_number(mode) == 1:
        return np.flatnonzero(~(codes == 0).any(axis=0))
    return np.arange(codes.shape[1])


class Prepared:
    """Codes plus per-row missing lists, made once and shared by the block kernels.

    Parameters
    ----------
    codes : numpy.ndarray
        ``(n, L)`` uint16 allele codes, 0 = missing (kept as uint8 when every code is below 256).
    mode : str
        One of :data:`MODES`; ``complete-delete`` drops the columns with a 0 here.
    """

    def __init__(self, codes: np.ndarray, mode: str) -> None:
        number = mode_number(mode)
        codes = np.asarray(codes)
        if codes.ndim != 2:
            raise ParameterError("codes must be a 2-dimensional matrix (rows x loci)")
        if number == 1:
            codes = codes[:, kept_columns(codes, mode)]
        # One byte a code when every code fits: half the memory traffic of the pair loop.
        small = codes.size == 0 or int(codes.max()) < 256
        self.codes = np.ascontiguousarray(codes, dtype=np.uint8 if small else np.uint16)
        self.mode = number
        missing = self.codes == 0
        self.missing_count = missing.sum(axis=1).astype(np.int64)
        total = int(self.missing_count.sum())
        cells = max(1, self.codes.size)
        self.sparse = number in (0, 3) and total / cells <= _SPARSE_MISSING
        if self.sparse:
            rows, cols = np.nonzero(missing)
            self.offsets = np.zeros(self.codes.shape[0] + 1, np.int64)
            np.cumsum(self.missing_count, out=self.offsets[1:])
            self.positions = cols.astype(np.int32)
            del rows
        else:
            self.offsets = np.zeros(1, np.int64)
            self.positions = np.zeros(0, np.int32)

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.codes.shape[0])


@numba.njit(cache=True, inline="always")
def _both_missing(positions, offsets, i, j):
    """Number of loci missing in both rows i and j (merge of two sorted lists)."""
    a = offsets[i]
    a_end = offsets[i + 1]
    b = offsets[j]
    b_end = offsets[j + 1]
    both = 0
    while a < a_end and b < b_end:
        pa = positions[a]
        pb = positions[b]
        if pa == pb:
            both += 1
            a += 1
            b += 1
        elif pa < pb:
            a += 1
        else:
            b += 1
    return both


@numba.njit(cache=True, inline="always")
def _pair(codes, mode, sparse, missing_count, positions, offsets, i, j):
    """float32 distance of rows i != j (see the module docstring)."""
    a = codes[i]
    b = codes[j]
    loci = a.shape[0]
    if sparse:
        differ = 0
        for locus in range(loci):
            differ += a[locus] != b[locus]
        both = 0
        for t in range(offsets[i], offsets[i + 1]):
            both += b[positions[t]] == 0
        one = missing_count[i] + missing_count[j] - 2 * both
        k = differ - one
        c = loci - missing_count[i] - missing_count[j] + both
    elif mode == 0 or mode == 3:
        k = 0
        c = 0
        for locus in range(loci):
            x = a[locus]
            y = b[locus]
            called = (x != 0) & (y != 0)
            c += called
            k += called & (x != y)
    else:
        k = 0
        for locus in range(loci):
            k += a[locus] != b[locus]
        c = loci
    if mode == 0:
        return np.float32(((k + 0.01) * float(loci)) / (c + 0.01))
    return np.float32(k)


@numba.njit(cache=True, parallel=True)
def _block(codes, mode, sparse, missing_count, positions, offsets, first, out):
    """``out[r, j] = D[first + r, j]`` for every row r of ``out`` and every column j."""
    n = codes.shape[0]
    for r in numba.prange(out.shape[0]):
        i = first + r
        for j in range(n):
            if j == i:
                out[r, j] = 0.0
            else:
                out[r, j] = _pair(codes, mode, sparse, missing_count, positions, offsets, i, j)


@numba.njit(cache=True, parallel=True)
def _upper_rounded(codes, mode, sparse, missing_count, positions, offsets, p_first, p_last, out):
    """Fill the square float64 ``out`` with ``%.6f``-rounded distances (upper triangle, mirrored).

    Rows go in tiles of ``_TILE``: each row j is read once per tile and compared with the tile's
    rows while it is in cache. Task p in [p_first, p_last) handles tiles p and (tiles - 1 - p), so
    every task does about the same number of pairs.
    """
    n = codes.shape[0]
    tiles = (n + _TILE - 1) // _TILE
    for p in numba.prange(p_last - p_first):
        first = np.int64(p_first + p)
        for side in range(2):
            tile = first if side == 0 else tiles - 1 - first
            if side == 1 and tile == first:
                break
            i0 = tile * _TILE
            i1 = min(n, i0 + _TILE)
            for i in range(i0, i1):
                out[i, i] = 0.0
            for j in range(i0 + 1, n):
                for i in range(i0, min(i1, j)):
                    value = _pair(codes, mode, sparse, missing_count, positions, offsets, i, j)
                    rounded = six_decimals(value)
                    out[i, j] = rounded
                    out[j, i] = rounded


@numba.njit(cache=True, inline="always")
def six_decimals(value):
    """The float64 that reading ``'%.6f' % value`` back gives, for a float32 ``value`` (numba).

    ``value * 1e6`` is exact in float64 (24 + 20 bits), printf rounds it half-to-even like
    ``np.rint``, and the division by ``1e6`` is correctly rounded, as ``strtod`` is.
    """
    return np.rint(np.float64(value) * 1e6) / 1e6


def symmetric_distances(codes: np.ndarray, mode: str = "pair-delete") -> np.ndarray:
    """GrapeTree's symmetric distance matrix of allele-code rows.

    Parameters
    ----------
    codes : numpy.ndarray
        ``(n, L)`` allele codes (uint16), 0 = missing. Rows are compared as given.
    mode : {"pair-delete", "complete-delete", "as-allele", "absolute"}
        GrapeTree's ``-y`` 0, 1, 2 and 3 (module docstring).

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float32, symmetric, zero diagonal.

    Raises
    ------
    ParameterError
        For an unknown mode or a matrix that is not 2-dimensional.

    Notes
    -----
    O(n^2 L) time (O(n^2 (L / vector width + m)) with m the missing loci per row when fewer than
    8% of the cells are missing), O(n^2) memory for the result; rows are shared among threads.

    Examples
    --------
    >>> codes = np.array([[1, 2, 0], [1, 3, 4], [1, 2, 5]], np.uint16)
    >>> symmetric_distances(codes, "absolute").tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 2.0], [0.0, 2.0, 0.0]]
    >>> symmetric_distances(codes, "as-allele").tolist()
    [[0.0, 2.0, 1.0], [2.0, 0.0, 2.0], [1.0, 2.0, 0.0]]
    >>> round(float(symmetric_distances(codes)[0, 2]), 5)  # (0 + 0.01) * 3 / (2 + 0.01)
    0.01493
    """
    prepared = Prepared(codes, mode)
    return distance_block(prepared, 0, prepared.n)


def distance_block(prepared: Prepared, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of the distance matrix of :class:`Prepared` codes (float32, all columns).

    A row-block variant of :func:`symmetric_distances` for callers that stream the matrix.
    """
    if not 0 <= start <= stop <= prepared.n:
        raise ParameterError(f"row block {start}:{stop} is outside 0:{prepared.n}")
    out = np.empty((stop - start, prepared.n), np.float32)
    if out.size:
        _block(prepared.codes, prepared.mode, prepared.sparse, prepared.missing_count,
               prepared.positions, prepared.offsets, start, out)
    return out


def rounded_distances(
    prepared: Prepared,
    out: np.ndarray | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> np.ndarray:
    """The distance matrix as FastME reads GrapeTree's PHYLIP file: ``%.6f`` of the float32, as float64.

    Parameters
    ----------
    prepared : Prepared
        Codes and mode.
    out : numpy.ndarray, optional
        A C-contiguous ``(n, n)`` float64 array to fill (saves one allocation).
    progress, cancel : callable, optional
        Progress (fraction done) and cancellation hooks, called between blocks of rows.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float64, symmetric, zero diagonal; never holds the float32 matrix as a whole.
    """
    n = prepared.n
    if out is None:
        out = np.empty((n, n), np.float64)
    tasks = ((n + _TILE - 1) // _TILE + 1) // 2
    step = max(1, min(tasks, 2_000_000 // max(1, n * _TILE)))
    for first in range(0, tasks, step):
        check_cancel(cancel, "the distance matrix")
        _upper_rounded(prepared.codes, prepared.mode, prepared.sparse, prepared.missing_count,
                       prepared.positions, prepared.offsets, first, min(tasks, first + step), out)
        report(progress, min(tasks, first + step) / tasks)
    return out
