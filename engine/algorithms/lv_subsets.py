"""goeBURST's locus-variant counts of a scheme of few loci (MLST) without comparing pairs.

Two profiles a, b of L loci are d apart when they match on exactly L - d loci, where "match"
means equal (``allele``: missing is one more allele) or equal and present (``difference``: a
missing call never matches). For every set S of loci, grouping the profiles by their alleles on S
counts N_S(a), the profiles (a itself included) that match a on every locus of S. Summing over the
sets of j loci gives F_j(a) = sum over b of C(m(a, b), j), m the number of loci where a and b match,
and the binomial transform inverts that into c_m(a), the number of profiles matching a on exactly
m loci: LV_k(a) = c_{L - k}(a), less a itself. That is 2^L groupings of n profiles instead of
n^2 / 2 comparisons: for 7 loci and 100,000 profiles, about a second instead of tens.

``ignore`` is left out: there "match" (equal or either missing) is not an equivalence, so the
profiles cannot be grouped.
"""

from __future__ import annotations

from math import comb

import numpy as np

#: Largest scheme counted this way: 2^loci groupings, each O(n log n).
SUBSET_MAX_LOCI = 8


def _dense(keys: np.ndarray) -> np.ndarray:
    """Each key's rank among the distinct keys (0..distinct-1)."""
    return np.unique(keys, return_inverse=True)[1].astype(np.int64)


def subset_level_counts(matrix: np.ndarray, allele_mode: bool, levels: int) -> np.ndarray:
    """LV counts ``lv[a, k]`` (k in 1..levels) of the rows of ``matrix``, by grouping on every set of loci.

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(n, loci)`` allele codes, 0 = missing, at most ``SUBSET_MAX_LOCI`` loci; rows are nodes.
    allele_mode : bool
        True for the ``allele`` missing-data mode (missing matches missing), False for
        ``difference`` (a missing call matches nothing).
    levels : int
        Count distances 1..levels.

    Returns
    -------
    numpy.ndarray
        ``(n, levels + 1)`` int64; ``lv[a, k]`` is the number of other rows at distance k from row
        a (column 0 is 0), as the pairwise LV pass counts them.

    Notes
    -----
    O(2^loci n log n) time, O(2^loci n) memory for the groupings' keys (one int64 column per
    set of loci).

    Examples
    --------
    >>> m = np.array([[1, 2], [1, 1], [2, 1]], np.uint16)
    >>> subset_level_counts(m, False, 2).tolist()
    [[0, 1, 1], [0, 2, 0], [0, 1, 1]]
    """
    n, loci = matrix.shape
    if loci > SUBSET_MAX_LOCI:
        raise ValueError(f"at most {SUBSET_MAX_LOCI} loci, not {loci}")
    values = matrix.astype(np.int64)
    missing = values == 0
    keys = np.zeros((1 << loci, n), np.int64)  # keys[S]: the group of each row on the loci of S
    sums = np.zeros((loci + 1, n), np.int64)  # sums[j] = F_j, the sum of N_S over |S| = j
    sums[0] = n
    for subset in range(1, 1 << loci):
        top = subset.bit_length() - 1
        rest = subset & ~(1 << top)
        keys[subset] = _dense(keys[rest] * (int(values[:, top].max(initial=0)) + 1) + values[:, top])
        sizes = np.bincount(keys[subset])[keys[subset]]
        if not allele_mode:
            chosen = [locus for locus in range(loci) if subset >> locus & 1]
            sizes[missing[:, chosen].any(axis=1)] = 0
        sums[subset.bit_count()] += sizes
    lv = np.zeros((n, levels + 1), np.int64)
    own = loci if allele_mode else loci - missing.sum(axis=1)  # loci where a row matches itself
    for k in range(1, min(levels, loci) + 1):
        m = loci - k
        exact = sum((-1) ** (j - m) * comb(j, m) * sums[j] for j in range(m, loci + 1))
        lv[:, k] = exact - (own == m)
    return lv
