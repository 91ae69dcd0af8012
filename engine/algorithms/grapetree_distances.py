"""GrapeTree's distances between profiles: asymmetric, symmetric and the final branch length.

All three are defined on GrapeTree's allele codes (:mod:`engine.algorithms.grapetree_input`;
0 = missing) with ``L`` = number of locus columns, ``p_i(l) = [x_i(l) > 0]``
(``research/grapetree-methods.md`` section 2):

- **asymmetric** (MSTreeV2), parent ``s``, child ``t``: ``k = sum_l p_t(l) [x_s(l) != x_t(l)]``
  (only the child's called loci count; a locus missing in the parent counts as a difference),
  ``D[s, t] = float32(k * L / sum_l p_t(l))`` computed in float64 then rounded, or ``float32(k)``
  for ``absolute``. ``D`` is not symmetric when data are missing.
- **symmetric** (MSTree, NJ), ``c`` = loci called in both, ``k`` = loci called in both that
  differ: ``pair-delete`` ``float32(((k + 0.01) * L) / (c + 0.01))`` (note the ``+ 0.01``: two
  different profiles are never 0 apart, and without missing data ``D`` is slightly above ``k``);
  ``absolute`` ``k``; ``as-allele`` the plain Hamming distance with missing as one more allele;
  ``complete-delete`` the Hamming distance over the loci kept (none has a missing cell). MSTree
  uses the float32 values; NJ the float64 values FastME reads back from GrapeTree's PHYLIP file,
  where each is written with ``%.6f`` (:func:`rounded_distances`).
- **branch length** of a finished tree: the integer ``k`` (``as-allele``: the Hamming distance).

Every pair is compared once, in blocks of ``_BLOCK`` rows so that both blocks stay in cache,
four partner rows at a time. The inner loop over loci only counts, and its counts are stored as
they are (``uint8`` or ``uint16``) into the two triangles of one ``n x n`` matrix: for the asymmetric
distance ``k(s, t)`` and ``k(t, s)``; for the symmetric one ``k`` and ``c``; without missing data
the plain Hamming count in both. Any arithmetic on the counts right after the loop (even a
subtraction) makes the compiler widen the vector accumulators to 64 bits, five times slower, so
the distances are made in a second, cheap pass.
"""

from __future__ import annotations

from functools import partial

import numba
import numpy as np
from numba import types
from numba.extending import overload

from engine.algorithms import blocks
from engine.algorithms.grapetree_input import MISSING_MODES, missing_code
from engine.models import CancelCheck, ProgressCallback
from engine.progress import check_cancel, report

__all__ = [
    "asymmetric_differences",
    "asymmetric_distances",
    "asymmetric_table",
    "asymmetric_value",
    "branch_lengths",
    "rounded_distances",
    "symmetric_distances",
]

_BLOCK = 32  # rows per block: two blocks of 3,000-locus uint16 rows fit in a core's L2 cache
_CHUNKS = 64  # kernel calls per pass (progress and cancel between them)

# What the pair kernel counts into out[i, j] and out[j, i] (i < j).
_COUNT_ASYMMETRIC = 0  # loci called in j where i differs; loci called in i where j differs
_COUNT_CALLED = 1  # loci called in both that differ; loci called in both
_COUNT_HAMMING = 2  # loci whose codes differ (missing equal to missing), in both triangles


# --------------------------------------------------------------------------------------------
# numba kernels


@numba.njit(cache=True, inline="always")
def asymmetric_value(k, called_child, loci, scaled):
    """The float32 asymmetric distance of a difference count (numba; also callable from Python).

    ``k`` loci differ among the child's ``called_child`` called loci; ``scaled`` rescales to
    ``loci`` loci exactly as GrapeTree does (``k * L / called`` in float64, then float32).
    """
    if scaled:
        return np.float32(np.float64(k * loci) / np.float64(called_child))
    return np.float32(k)


#: Largest lookup table of asymmetric distances (entries); beyond it they are computed each time.
TABLE_LIMIT = 1 << 25


def asymmetric_table(called: np.ndarray, loci: int, scaled: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every asymmetric distance the data can produce, as a lookup table.

    ``D[s, t]`` depends only on the count ``k`` and the child's number of called loci, and few
    distinct numbers of called loci occur, so ``table[column[t], k]`` replaces a float64 division
    in the O(n^2) passes that read distances.

    Parameters
    ----------
    called : numpy.ndarray
        ``(n,)`` called loci of each node.
    loci : int
        Number of locus columns ``L``.
    scaled : bool
        False for unscaled (``absolute``) distances.

    Returns
    -------
    column : numpy.ndarray
        ``(n,)`` int64 row of the table for each node (as a child).
    table : numpy.ndarray
        ``(distinct called counts, L + 1)`` float32, bit-identical to :func:`asymmetric_value`;
        ``(0, 0)`` when it would exceed ``TABLE_LIMIT`` entries.

    Examples
    --------
    >>> column, table = asymmetric_table(np.array([3, 2, 3]), 3, True)
    >>> column.tolist(), table.tolist()
    ([1, 0, 1], [[0.0, 1.5, 3.0, 4.5], [0.0, 1.0, 2.0, 3.0]])
    """
    distinct, column = np.unique(np.asarray(called, np.int64), return_inverse=True)
    if distinct.shape[0] * (loci + 1) > TABLE_LIMIT:
        return column.astype(np.int64), np.zeros((0, 0), np.float32)
    return column.astype(np.int64), _table(distinct, loci, scaled)


@numba.njit(cache=True)
def _table(distinct, loci, scaled):
    out = np.empty((distinct.shape[0], loci + 1), np.float32)
    for u in range(distinct.shape[0]):
        for k in range(loci + 1):
            out[u, k] = asymmetric_value(np.int64(k), distinct[u], loci, scaled)
    return out


@numba.njit(cache=True, inline="always")
def table_value(table, column, called, loci, scaled, k, t):
    """``D`` for count ``k`` and child ``t``: from ``table`` (:func:`asymmetric_table`) when it exists."""
    if table.shape[0]:
        return table[column[t], k]
    return asymmetric_value(np.int64(k), called[t], loci, scaled)


@numba.njit(cache=True, inline="always")
def _symmetric_value(k, c, h, loci, mode):
    """Symmetric float32 distance from the counts (see the module docstring)."""
    if mode == 2 or mode == 1:  # as-allele; complete-delete (no missing cell is left)
        return np.float32(h)
    if mode == 3:
        return np.float32(k)
    return np.float32(((k + 0.01) * np.float64(loci)) / (c + 0.01))


def _add_counts(count, a, x, first, second):
    """A pair's two counts, ``first`` and ``second``, plus what locus codes ``a`` (row i) and ``x``
    (row j) add to them (numba only).

    ``count`` is one of the ``_COUNT_*`` constants and must be a compile-time constant: each kind
    of count compiles to its own branch-free loop (see :func:`_pair_blocks`).
    """
    raise NotImplementedError("compiled code only")


@overload(_add_counts, inline="always")
def _add_counts_of_kind(count, a, x, first, second):
    if not isinstance(count, types.IntegerLiteral):
        return None
    if count.literal_value == _COUNT_ASYMMETRIC:
        def asymmetric(count, a, x, first, second):  # called in j, i differs; called in i, j differs
            differ = np.int32(a != x)
            return first + (differ & np.int32(x != 0)), second + (differ & np.int32(a != 0))
        return asymmetric
    if count.literal_value == _COUNT_CALLED:
        def called(count, a, x, first, second):  # called in both and different; called in both
            both = np.int32(a != 0) & np.int32(x != 0)
            return first + (both & np.int32(a != x)), second + both
        return called

    def hamming(count, a, x, first, second):  # different codes (``second`` is unused)
        return first + np.int32(a != x), second
    return hamming


def _store(count, upper, lower, x, y, first, second):
    """Store a pair's two counts: ``upper[x, y] = first`` and ``lower[x, y] = second`` (numba only;
    the Hamming count goes to both). With ``upper = out`` and ``lower = out.T`` that is ``out[i, j]``
    and ``out[j, i]``."""
    raise NotImplementedError("compiled code only")


@overload(_store, inline="always")
def _store_of_kind(count, upper, lower, x, y, first, second):
    if not isinstance(count, types.IntegerLiteral):
        return None
    if count.literal_value == _COUNT_HAMMING:
        def mirrored(count, upper, lower, x, y, first, second):
            upper[x, y] = first
            lower[x, y] = first
        return mirrored

    def both(count, upper, lower, x, y, first, second):
        upper[x, y] = first
        lower[x, y] = second
    return both


@numba.njit(cache=True, parallel=True)
def _pair_blocks(count, codes, block_i, block_j, first, last, upper, lower, row0):
    """Count every pair i < j of the block pairs first..last-1 into ``upper[i - row0, j - row0]`` and
    ``lower[i - row0, j - row0]``: ``out[i, j]`` and ``out[j, i]`` when they are ``out`` and ``out.T``
    and ``row0`` is 0, a slab of rows from ``row0`` on otherwise (:func:`pair_count_slabs`).

    ``count`` (a ``_COUNT_*`` constant) is a compile-time literal, so each kind of count gets its
    own copy of the loop without a run-time switch inside it (one would keep the accumulators in
    64-bit lanes). Four partner rows share each read of row i.
    """
    numba.literally(count)
    n, loci = codes.shape
    for p in numba.prange(last - first):
        i0 = block_i[first + p] * _BLOCK
        j0 = block_j[first + p] * _BLOCK
        i1 = min(n, i0 + _BLOCK)
        j1 = min(n, j0 + _BLOCK)
        for i in range(i0, i1):
            ri = codes[i]
            j = max(j0, i + 1)
            while j + 4 <= j1:
                r0 = codes[j]
                r1 = codes[j + 1]
                r2 = codes[j + 2]
                r3 = codes[j + 3]
                a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = np.int32(0)
                for locus in range(loci):
                    a = ri[locus]
                    a0, b0 = _add_counts(count, a, r0[locus], a0, b0)
                    a1, b1 = _add_counts(count, a, r1[locus], a1, b1)
                    a2, b2 = _add_counts(count, a, r2[locus], a2, b2)
                    a3, b3 = _add_counts(count, a, r3[locus], a3, b3)
                x = i - row0
                y = j - row0
                _store(count, upper, lower, x, y, a0, b0)
                _store(count, upper, lower, x, y + 1, a1, b1)
                _store(count, upper, lower, x, y + 2, a2, b2)
                _store(count, upper, lower, x, y + 3, a3, b3)
                j += 4
            while j < j1:
                rj = codes[j]
                a0 = b0 = np.int32(0)
                for locus in range(loci):
                    a0, b0 = _add_counts(count, ri[locus], rj[locus], a0, b0)
                _store(count, upper, lower, i - row0, j - row0, a0, b0)
                j += 1


@numba.njit(cache=True)
def _count_blocks(count, codes, block_i, block_j, first, last, upper, lower, row0):
    """:func:`_pair_blocks` for a run-time ``count``: compiled code passes each constant as the
    literal it needs once, where a call from Python would go through numba's literal dispatch
    (tens of milliseconds) every time."""
    if count == _COUNT_ASYMMETRIC:
        _pair_blocks(_COUNT_ASYMMETRIC, codes, block_i, block_j, first, last, upper, lower, row0)
    elif count == _COUNT_CALLED:
        _pair_blocks(_COUNT_CALLED, codes, block_i, block_j, first, last, upper, lower, row0)
    else:
        _pair_blocks(_COUNT_HAMMING, codes, block_i, block_j, first, last, upper, lower, row0)


@numba.njit(cache=True, inline="always")
def _six_decimals(value):
    """The float64 that reading ``'%.6f' % value`` back gives, for a float32 ``value``.

    ``value * 1e6`` is exact in float64 (24 + 20 bits), printf rounds it half-to-even like
    ``np.rint``, and the division by ``1e6`` is correctly rounded, as ``strtod`` is.
    """
    return np.rint(np.float64(value) * 1e6) / 1e6


@numba.njit(cache=True, parallel=True)
def _symmetric_from_counts(counts, block_i, block_j, loci, mode, hamming, rounded, out):
    """The symmetric distances from the pair counts, block pair by block pair: k above the
    diagonal and c below it (or, when ``hamming``, the Hamming count on both sides and c = L).
    ``rounded``: each float32 distance as ``%.6f`` reads back, into a float64 ``out``."""
    n = counts.shape[0]
    for p in numba.prange(block_i.shape[0]):
        i0 = block_i[p] * _BLOCK
        j0 = block_j[p] * _BLOCK
        for i in range(i0, min(n, i0 + _BLOCK)):
            if i0 == j0:
                out[i, i] = 0
            for j in range(max(j0, i + 1), min(n, j0 + _BLOCK)):
                k = np.int64(counts[i, j])
                c = np.int64(loci) if hamming else np.int64(counts[j, i])
                d = _symmetric_value(k, c, k, loci, mode)
                if rounded:
                    out[i, j] = out[j, i] = _six_decimals(d)
                else:
                    out[i, j] = out[j, i] = d


@numba.njit(cache=True, parallel=True)
def _lengths(codes, a, b, as_allele):
    out = np.empty(a.shape[0], np.int64)
    for e in numba.prange(a.shape[0]):
        i = a[e]
        j = b[e]
        k = 0
        for locus in range(codes.shape[1]):
            x = codes[i, locus]
            y = codes[j, locus]
            if as_allele:
                k += x != y
            else:
                k += (x != y) & (x != 0) & (y != 0)
        out[e] = k
    return out


# --------------------------------------------------------------------------------------------
# Python wrappers


def _block_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of row blocks (bi <= bj)."""
    blocks = (n + _BLOCK - 1) // _BLOCK
    block_i, block_j = np.triu_indices(blocks)
    return block_i.astype(np.int64), block_j.astype(np.int64)


def _all_pairs(codes, count, out, progress, cancel):
    """Run the pair kernel over every block pair into ``out``, with progress and cancel hooks: in
    chunks in this process or, when the current block executor (:mod:`engine.algorithms.blocks`)
    splits the pass, as slabs (:func:`pair_count_slabs`) added into ``out`` (the same counts)."""
    codes = np.ascontiguousarray(codes)
    n, loci = codes.shape
    block_i, block_j = _block_pairs(n)
    pairs = block_i.shape[0]
    executor = blocks.current()
    split = executor.split(pairs, n * (n - 1) // 2 * loci)
    if split is not None:
        executor.run(pair_count_slabs, (codes, count, block_i, block_j), split,
                     partial(_add_slabs, out, block_i), progress=progress, cancel=cancel)
        return
    step = max(1, -(-pairs // _CHUNKS))
    for first in range(0, pairs, step):
        check_cancel(cancel)
        last = min(pairs, first + step)
        _count_blocks(count, codes, block_i, block_j, first, last, out, out.T, 0)
        report(progress, last / pairs)


def _slab_rows(block_i: np.ndarray, first: int, last: int, n: int) -> tuple[int, int]:
    """The rows [row0, row1) of the block pairs first..last-1 (they come row block by row block)."""
    return int(block_i[first]) * _BLOCK, min(n, (int(block_i[last - 1]) + 1) * _BLOCK)


def pair_count_slabs(codes: np.ndarray, count: int, block_i: np.ndarray, block_j: np.ndarray,
                     first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """One block of the pair counts: the block pairs first..last-1 of ``_block_pairs(n)`` counted
    into two slabs ``(row1 - row0, n - row0)`` of their rows [row0, row1) (:func:`_slab_rows`):
    ``upper[i - row0, j - row0]`` is what the whole pass puts in ``out[i, j]``, ``lower[...]`` what
    it puts in ``out[j, i]`` (i < j); zero elsewhere.

    Examples
    --------
    >>> codes = np.array([[1, 0], [1, 2], [2, 2]], np.uint16)
    >>> upper, lower = pair_count_slabs(codes, _COUNT_CALLED, *_block_pairs(3), 0, 1)
    >>> upper.tolist(), lower.tolist()  # differing and called loci of the pairs (0, 1), (0, 2), (1, 2)
    ([[0, 0, 1], [0, 0, 1], [0, 0, 0]], [[0, 1, 1], [0, 0, 2], [0, 0, 0]])
    """
    n = codes.shape[0]
    row0, row1 = _slab_rows(block_i, first, last, n)
    upper = np.zeros((row1 - row0, n - row0), counts_dtype(codes.shape[1]))
    lower = np.zeros_like(upper)
    _count_blocks(count, codes, block_i, block_j, first, last, upper, lower, row0)
    return upper, lower


def _add_slabs(out: np.ndarray, block_i: np.ndarray, block: tuple[int, int],
               slabs: tuple[np.ndarray, np.ndarray]) -> None:
    """Add the slabs of :func:`pair_count_slabs` into ``out`` (each entry is set by one block)."""
    row0, row1 = _slab_rows(block_i, *block, out.shape[0])
    upper, lower = slabs
    out[row0:row1, row0:] += upper
    out[row0:, row0:row1] += lower.T


def counts_dtype(loci: int) -> type:
    """The smallest unsigned type that holds counts up to ``loci``: uint8, uint16 or uint32."""
    return np.uint8 if loci <= 255 else np.uint16 if loci <= 65535 else np.uint32


def asymmetric_differences(
    codes: np.ndarray,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The difference counts behind GrapeTree's asymmetric distance, and each row's called loci.

    Parameters
    ----------
    codes : numpy.ndarray
        ``(n, L)`` allele codes, 0 = missing (``GrapeTreeProfiles.codes``).
    progress, cancel : callable, optional
        ``progress(fraction)`` after each chunk of the pass; ``cancel()`` returning True stops it
        with :class:`~engine.errors.CancelledError`.

    Returns
    -------
    counts : numpy.ndarray
        ``(n, n)``: ``counts[s, t]`` = loci called in ``t`` where ``s`` and ``t`` differ; zero
        diagonal; ``uint8`` up to 255 loci, ``uint16`` up to 65,535, else ``uint32``.
    called : numpy.ndarray
        ``(n,)`` int64 number of called loci of each row.

    Notes
    -----
    O(n^2 L) time (each unordered pair once, on all cores), O(n^2) memory: 2 bytes a pair (1 up
    to 255 loci), half of a float32 distance matrix or less; :func:`asymmetric_value` turns a
    count into the exact float32 distance. ``D[s, t] = asymmetric_value(counts[s, t], called[t], L, scaled)``.
    """
    codes = np.ascontiguousarray(codes)
    n, loci = codes.shape
    called = (codes != 0).sum(axis=1).astype(np.int64)
    out = np.zeros((n, n), counts_dtype(loci))
    complete = bool((called == loci).all())  # then both counts are the Hamming distance
    _all_pairs(codes, _COUNT_HAMMING if complete else _COUNT_ASYMMETRIC, out, progress, cancel)
    return out, called


def asymmetric_distances(codes: np.ndarray, missing: str = "pair-delete") -> np.ndarray:
    """GrapeTree's asymmetric distance matrix (MSTreeV2), float32, as a dense array.

    Parameters
    ----------
    codes : numpy.ndarray
        ``(n, L)`` allele codes, 0 = missing.
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}, default "pair-delete"
        ``absolute`` (``-y 3``) leaves the counts unscaled; the others rescale to ``L`` loci.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float32; ``D[s, t]`` with ``s`` the parent and ``t`` the child; zero diagonal.

    Notes
    -----
    O(n^2 L) time, O(n^2) memory. MSTreeV2 itself keeps the 2-byte counts of
    :func:`asymmetric_differences` instead of this matrix.

    Examples
    --------
    The parent's missing locus counts against it, the child's does not:

    >>> asymmetric_distances(np.array([[1, 0, 1], [1, 2, 0]], np.uint16)).tolist()
    [[0.0, 1.5], [1.5, 0.0]]
    >>> asymmetric_distances(np.array([[1, 0, 1], [1, 2, 0]], np.uint16), "absolute").tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    scaled = missing_code(missing) != 3
    counts, called = asymmetric_differences(codes)
    loci = codes.shape[1]
    return _asymmetric_matrix(counts, called, loci, scaled)


@numba.njit(cache=True, parallel=True)
def _asymmetric_matrix(counts, called, loci, scaled):
    n = counts.shape[0]
    out = np.zeros((n, n), np.float32)
    for s in numba.prange(n):
        for t in range(n):
            if s != t:
                out[s, t] = asymmetric_value(np.int64(counts[s, t]), called[t], loci, scaled)
    return out


def symmetric_distances(
    codes: np.ndarray,
    missing: str = "pair-delete",
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> np.ndarray:
    """GrapeTree's symmetric distance matrix (MSTree), float32.

    Parameters
    ----------
    codes : numpy.ndarray
        ``(n, L)`` allele codes, 0 = missing. With ``complete-delete`` the loci that have a missing
        cell are left out first (:func:`~engine.algorithms.grapetree_input.grapetree_profiles`
        has already done so), and ``L`` counts the loci kept.
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}, default "pair-delete"
        GrapeTree's ``-y 0`` .. ``3`` (see the module docstring).
    progress, cancel : callable, optional
        Progress and cancellation hooks, called between chunks of the pass.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float32, symmetric, zero diagonal.

    Raises
    ------
    ParameterError
        For an unknown missing-data mode.

    Notes
    -----
    O(n^2 L) time on all cores (each pair once), O(n^2) memory (4 bytes a pair, plus 1 or 2
    bytes a pair of counts while it runs).

    Examples
    --------
    ``pair-delete`` adds 0.01 to both counts: ``(1.01 * 3) / 2.01`` and ``(0.01 * 3) / 1.01``:

    >>> m = np.array([[1, 1, 0], [2, 1, 1], [1, 1, 1]], np.uint16)
    >>> symmetric_distances(m)[0].tolist() == [0.0, np.float32(3.03 / 2.01), np.float32(0.03 / 2.01)]
    True
    >>> symmetric_distances(m, "as-allele").tolist()
    [[0.0, 2.0, 1.0], [2.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    >>> symmetric_distances(m, "complete-delete").tolist()  # over loci x and y only
    [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    return _symmetric(codes, missing, np.float32, progress, cancel)


def rounded_distances(
    codes: np.ndarray,
    missing: str = "pair-delete",
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> np.ndarray:
    """The symmetric distances as FastME reads GrapeTree's PHYLIP file (NJ): ``%.6f`` of the float32.

    Parameters
    ----------
    codes, missing, progress, cancel
        As for :func:`symmetric_distances`.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float64, symmetric, zero diagonal: each entry is the float64 that reading
        ``'%.6f' % D[i, j]`` back gives.

    Notes
    -----
    O(n^2 L) time, O(n^2) memory (8 bytes a pair, plus 1 or 2 bytes a pair of counts while it
    runs); the float32 matrix is never made.

    Examples
    --------
    >>> m = np.array([[1, 1, 0], [2, 1, 1], [1, 1, 1]], np.uint16)
    >>> rounded_distances(m)[0].tolist()  # float32(3.03 / 2.01) = 1.50746274...
    [0.0, 1.507463, 0.014925]
    """
    return _symmetric(codes, missing, np.float64, progress, cancel)


def _symmetric(codes, missing, dtype, progress, cancel):
    """:func:`symmetric_distances` (float32) or :func:`rounded_distances` (float64)."""
    mode = missing_code(missing)
    codes = np.asarray(codes)
    if mode == MISSING_MODES["complete-delete"]:
        codes = codes[:, ~(codes == 0).any(axis=0)]
    codes = np.ascontiguousarray(codes)
    n, loci = codes.shape
    counts = np.zeros((n, n), counts_dtype(loci))
    hamming = mode in (1, 2) or bool((codes != 0).all())
    _all_pairs(codes, _COUNT_HAMMING if hamming else _COUNT_CALLED, counts, progress, cancel)
    out = np.empty((n, n), dtype)
    _symmetric_from_counts(counts, *_block_pairs(n), loci, mode, hamming, dtype == np.float64, out)
    return out


def branch_lengths(codes: np.ndarray, parents: np.ndarray, children: np.ndarray,
                   missing: str = "pair-delete") -> np.ndarray:
    """GrapeTree's final integer branch lengths of the edges ``parents[e] -> children[e]``.

    Parameters
    ----------
    codes : numpy.ndarray
        ``(n, L)`` allele codes, 0 = missing.
    parents, children : numpy.ndarray
        Row indices of ``codes``, one pair per edge.
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}, default "pair-delete"
        ``as-allele`` counts every difference (missing is an allele); the others count loci
        called in both rows that differ.

    Returns
    -------
    numpy.ndarray
        int64 lengths, symmetric in the two ends; 0 is possible for two different profiles.

    Notes
    -----
    O(edges x L) time.

    Examples
    --------
    >>> m = np.array([[1, 0, 1], [2, 2, 1]], np.uint16)
    >>> branch_lengths(m, np.array([0]), np.array([1])).tolist()
    [1]
    >>> branch_lengths(m, np.array([0]), np.array([1]), "as-allele").tolist()
    [2]
    """
    as_allele = missing_code(missing) == 2
    return _lengths(np.ascontiguousarray(codes), np.asarray(parents, np.int64),
                    np.asarray(children, np.int64), as_allele)
