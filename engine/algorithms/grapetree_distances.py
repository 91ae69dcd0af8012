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
  ``complete-delete`` the Hamming distance over the loci kept (none has a missing cell).
- **branch length** of a finished tree: the integer ``k`` (``as-allele``: the Hamming distance).

Every pair is compared once: the kernels count ``h`` = loci whose codes differ (missing equal to
missing) and ``m`` = loci missing in both (a popcount of per-row missing bit sets), and derive all
the above from ``h``, ``m`` and the per-row missing counts: ``k_asym(s, t) = h - miss_t + m``,
``k = h - miss_s - miss_t + 2 m``, ``c = L - miss_s - miss_t + m``. Rows are processed in blocks of
``_BLOCK`` so that both blocks stay in cache, four partner rows at a time.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.algorithms.grapetree_input import missing_code
from engine.hooks import check_cancel, report
from engine.models import CancelCheck, ProgressCallback

__all__ = [
    "asymmetric_differences",
    "asymmetric_distances",
    "asymmetric_value",
    "branch_lengths",
    "symmetric_distances",
]

_BLOCK = 32  # rows per block: two blocks of 3,000-locus uint16 rows fit in a core's L2 cache
_CHUNKS = 64  # kernel calls per pass (progress and cancel between them)

# What the pair kernel stores.
_STORE_ASYMMETRIC = 0  # out[i, j] = k_asym(i, j), out[j, i] = k_asym(j, i)
_STORE_SYMMETRIC = 1  # out[i, j] = out[j, i] = symmetric float32 distance of mode ``mode``


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


@numba.njit(cache=True, inline="always")
def _symmetric_value(h, m, miss_i, miss_j, loci, mode):
    """Symmetric float32 distance from the pair counts (see the module docstring)."""
    if mode == 2 or mode == 1:  # as-allele; complete-delete (no missing cell is left)
        return np.float32(h)
    k = h - miss_i - miss_j + 2 * m
    if mode == 3:
        return np.float32(k)
    c = loci - miss_i - miss_j + m
    return np.float32(((k + 0.01) * np.float64(loci)) / (c + 0.01))


@numba.njit(cache=True, inline="always")
def _both_missing(bits, i, j):
    """Number of loci missing in rows i and j (popcount of the AND of their bit sets)."""
    m = 0
    for w in range(bits.shape[1]):
        x = bits[i, w] & bits[j, w]
        # popcount (SWAR): numba has no popcount intrinsic for uint64 arrays
        x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
        x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
        x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
        m += np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))
    return m


@numba.njit(cache=True, inline="always")
def _store(out, store, mode, bits, miss, loci, i, j, h):
    m = _both_missing(bits, i, j) if bits.shape[1] else 0
    if store == _STORE_ASYMMETRIC:
        out[i, j] = h - miss[j] + m
        out[j, i] = h - miss[i] + m
    else:
        d = _symmetric_value(h, m, miss[i], miss[j], loci, mode)
        out[i, j] = d
        out[j, i] = d


@numba.njit(cache=True, parallel=True)
def _pair_blocks(codes, bits, miss, block_i, block_j, first, last, store, mode, out):
    """Fill ``out`` for the block pairs ``first..last-1`` (block_i <= block_j), each pair once."""
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
                h0 = np.int32(0)
                h1 = np.int32(0)
                h2 = np.int32(0)
                h3 = np.int32(0)
                for locus in range(loci):
                    a = ri[locus]
                    h0 += np.int32(a != r0[locus])
                    h1 += np.int32(a != r1[locus])
                    h2 += np.int32(a != r2[locus])
                    h3 += np.int32(a != r3[locus])
                _store(out, store, mode, bits, miss, loci, i, j, np.int64(h0))
                _store(out, store, mode, bits, miss, loci, i, j + 1, np.int64(h1))
                _store(out, store, mode, bits, miss, loci, i, j + 2, np.int64(h2))
                _store(out, store, mode, bits, miss, loci, i, j + 3, np.int64(h3))
                j += 4
            while j < j1:
                rj = codes[j]
                h = np.int32(0)
                for locus in range(loci):
                    h += np.int32(ri[locus] != rj[locus])
                _store(out, store, mode, bits, miss, loci, i, j, np.int64(h))
                j += 1


@numba.njit(cache=True, parallel=True)
def _missing_bits(codes):
    """Per row: the missing loci as a bit set (uint64 words) and their number."""
    n, loci = codes.shape
    words = (loci + 63) // 64
    bits = np.zeros((n, words), np.uint64)
    miss = np.zeros(n, np.int64)
    for i in numba.prange(n):
        count = 0
        for locus in range(loci):
            if codes[i, locus] == 0:
                bits[i, locus >> 6] |= np.uint64(1) << np.uint64(locus & 63)
                count += 1
        miss[i] = count
    return bits, miss


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


def _all_pairs(codes, store, mode, out, progress, cancel):
    """Run the pair kernel over every block pair, in chunks, with progress and cancel hooks."""
    codes = np.ascontiguousarray(codes)
    n = codes.shape[0]
    bits, miss = _missing_bits(codes)
    if not miss.any():
        bits = np.zeros((n, 0), np.uint64)
    blocks = (n + _BLOCK - 1) // _BLOCK
    block_i, block_j = np.triu_indices(blocks)
    block_i = block_i.astype(np.int64)
    block_j = block_j.astype(np.int64)
    pairs = block_i.shape[0]
    step = max(1, -(-pairs // _CHUNKS))
    for first in range(0, pairs, step):
        check_cancel(cancel)
        last = min(pairs, first + step)
        _pair_blocks(codes, bits, miss, block_i, block_j, first, last, store, mode, out)
        report(progress, last / pairs)
    return miss


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
        ``(n, n)``: ``counts[s, t]`` = loci called in ``t`` where ``s`` and ``t`` differ; ``uint16``
        (``uint32`` past 65,535 loci), zero diagonal.
    called : numpy.ndarray
        ``(n,)`` int64 number of called loci of each row.

    Notes
    -----
    O(n^2 L) time (each unordered pair once, on all cores), O(n^2) memory: 2 bytes a pair, half
    of a float32 distance matrix, and :func:`asymmetric_value` turns a count into the exact
    float32 distance. ``D[s, t] = asymmetric_value(counts[s, t], called[t], L, scaled)``.
    """
    codes = np.ascontiguousarray(codes)
    n, loci = codes.shape
    out = np.zeros((n, n), np.uint16 if loci <= 65535 else np.uint32)
    miss = _all_pairs(codes, _STORE_ASYMMETRIC, 0, out, progress, cancel)
    return out, loci - miss


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
    """GrapeTree's symmetric distance matrix (MSTree, NJ, RapidNJ), float32.

    Parameters
    ----------
    codes : numpy.ndarray
        ``(n, L)`` allele codes, 0 = missing (for ``complete-delete`` already without the loci
        that have missing cells, as :func:`~engine.algorithms.grapetree_input.grapetree_profiles`
        returns them).
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}, default "pair-delete"
        GrapeTree's ``-y 0`` .. ``3`` (see the module docstring).
    progress, cancel : callable, optional
        Progress and cancellation hooks, called between chunks of the pass.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float32, symmetric, zero diagonal.

    Notes
    -----
    O(n^2 L) time on all cores (each pair once), O(n^2) memory (4 bytes a pair).

    Examples
    --------
    ``pair-delete`` adds 0.01 to both counts: ``(1.01 * 3) / 2.01`` and ``(0.01 * 3) / 1.01``:

    >>> m = np.array([[1, 1, 0], [2, 1, 1], [1, 1, 1]], np.uint16)
    >>> symmetric_distances(m)[0].tolist() == [0.0, np.float32(3.03 / 2.01), np.float32(0.03 / 2.01)]
    True
    >>> symmetric_distances(m, "as-allele").tolist()
    [[0.0, 2.0, 1.0], [2.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    """
    mode = missing_code(missing)
    codes = np.ascontiguousarray(codes)
    n = codes.shape[0]
    out = np.zeros((n, n), np.float32)
    _all_pairs(codes, _STORE_SYMMETRIC, mode, out, progress, cancel)
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
