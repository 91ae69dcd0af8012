"""GrapeTree's view of a dataset: its allele encoding, its row order and its merged profiles.

GrapeTree's tree builders (``MSTreeV2``, ``MSTree``, ``NJ``) do not see the rows of a profile table
as the file lists them. Before any distance is computed they (``research/grapetree-methods.md``
section 1):

1. upper-case every allele and, per locus, number the distinct allele strings 1, 2, ... in string
   order; missing cells become 0 (with ``complete-delete`` every locus that has a missing cell
   in any row is then dropped);
2. stably sort the rows by their code vectors with the **last** locus as the primary key
   (``numpy.lexsort`` of the columns);
3. drop the rows in which every locus is missing;
4. merge rows with identical code vectors (same alleles, same missing loci) into one node whose
   representative is the group's first row in input order.

Every later tie-break ("smallest index") refers to this order, so a re-implementation has to
reproduce it exactly. Which cells are missing is the dataset's business: a cell is missing when
the reader coded it 0 (``Profiles.matrix``), so the missing values are those the dataset was read
with (GrapeTree itself hard-codes ``0``, ``-`` and ``N``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from engine.errors import ParameterError
from engine.models import Dataset

#: The missing-data modes, by name, with GrapeTree's ``-y`` value.
MISSING_MODES: dict[str, int] = {
    "pair-delete": 0,
    "complete-delete": 1,
    "as-allele": 2,
    "absolute": 3,
}


def missing_code(missing: str) -> int:
    """GrapeTree's ``-y`` value of a missing-data mode name.

    Parameters
    ----------
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}
        The mode (``-y 0``, ``1``, ``2``, ``3``).

    Returns
    -------
    int
        0, 1, 2 or 3.

    Raises
    ------
    ParameterError
        For any other name; the message lists the valid ones.
    """
    try:
        return MISSING_MODES[missing]
    except (KeyError, TypeError):
        raise ParameterError(
            f"{missing!r} is not a GrapeTree missing-data mode; choose one of {', '.join(MISSING_MODES)}"
        ) from None


@dataclass(frozen=True)
class GrapeTreeProfiles:
    """The distinct profiles of a dataset, encoded and ordered as GrapeTree does.

    Attributes
    ----------
    codes : numpy.ndarray
        ``(n, loci)`` allele codes of the ``n`` distinct profiles (nodes) in GrapeTree's row order:
        0 = missing, else the rank of the upper-cased allele among the locus' distinct strings.
        ``uint16`` (``uint32`` when a locus has more than 65,535 alleles).
    rows : numpy.ndarray
        ``(n,)`` int64: the dataset row that represents each node (first of its group).
    sizes : numpy.ndarray
        ``(n,)`` int64: number of dataset rows merged into each node.
    node_of_row : numpy.ndarray
        ``(rows,)`` int64: the node of every dataset row, -1 for a dropped row.
    dropped : numpy.ndarray
        int64 dataset rows left out because every locus is missing, ascending.
    loci : numpy.ndarray
        int64 dataset locus indices that ``codes`` holds (all of them except with
        ``complete-delete``).
    missing : str
        The missing-data mode the encoding was made for.
    """

    codes: np.ndarray
    rows: np.ndarray
    sizes: np.ndarray
    node_of_row: np.ndarray
    dropped: np.ndarray
    loci: np.ndarray
    missing: str

    @property
    def size(self) -> int:
        """Number of nodes (distinct profiles)."""
        return int(self.codes.shape[0])

    def groups(self) -> list[np.ndarray]:
        """The dataset rows merged into each node, in input order (so the representative first).

        Examples
        --------
        >>> from engine.io.datasets import read_dataset
        >>> data = read_dataset(b"ST\\tx\\ty\\na\\t1\\t2\\nb\\t2\\t1\\nc\\t1\\t2\\nd\\t-\\t-\\n")
        >>> [group.tolist() for group in grapetree_profiles(data).groups()]
        [[1], [0, 2]]
        """
        if self.size == 0:
            return []
        kept = np.flatnonzero(self.node_of_row >= 0)
        members = kept[np.argsort(self.node_of_row[kept], kind="stable")]
        return np.split(members, np.cumsum(self.sizes)[:-1])


@numba.njit(cache=True, parallel=True)
def _recode(matrix, offsets, table):
    """out[i, l] = table[offsets[l] + matrix[i, l]]: every locus' own recoding, row by row."""
    n, loci = matrix.shape
    out = np.empty((n, loci), table.dtype)
    for i in numba.prange(n):
        for locus in range(loci):
            out[i, locus] = table[offsets[locus] + matrix[i, locus]]
    return out


@numba.njit(cache=True, parallel=True)
def _transposed(codes):
    """A contiguous transposed copy, in 64 x 64 tiles."""
    n, loci = codes.shape
    out = np.empty((loci, n), codes.dtype)
    for tile in numba.prange((n + 63) // 64):
        for l0 in range(0, loci, 64):
            for i in range(tile * 64, min(n, tile * 64 + 64)):
                for locus in range(l0, min(loci, l0 + 64)):
                    out[locus, i] = codes[i, locus]
    return out


def grapetree_profiles(dataset: Dataset, missing: str = "pair-delete") -> GrapeTreeProfiles:
    """Encode, order, filter and merge a dataset's profiles as GrapeTree does.

    Parameters
    ----------
    dataset : Dataset
        Profiles as read by :mod:`engine.io.datasets` (``matrix`` code 0 = missing).
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}, default "pair-delete"
        Missing-data mode, GrapeTree's ``-y 0``, ``1``, ``2`` and ``3``. Only ``complete-delete``
        changes the encoding: every locus with a missing cell in any row (dropped rows included,
        as GrapeTree 3.0.0 does) is left out before the rows are sorted.

    Returns
    -------
    GrapeTreeProfiles
        Nodes in GrapeTree's order with their representatives and sizes.

    Raises
    ------
    ParameterError
        For an unknown missing-data mode.

    Notes
    -----
    O(rows x loci) time and memory, plus a stable lexsort (``loci`` passes of a radix sort). Two
    alleles that differ only in case are one allele here, as in GrapeTree; the dataset keeps them
    apart.

    Examples
    --------
    Rows sorted with the last locus first; the all-missing row "d" is dropped and the copies
    "a" and "c" merged (representative "a", first in the file):

    >>> from engine.io.datasets import read_dataset
    >>> data = read_dataset(b"ST\\tx\\ty\\na\\t1\\t2\\nb\\t2\\t1\\nc\\t1\\t2\\nd\\t-\\t-\\n")
    >>> g = grapetree_profiles(data)
    >>> g.codes.tolist(), g.rows.tolist(), g.sizes.tolist(), g.dropped.tolist()
    ([[2, 1], [1, 2]], [1, 0], [1, 2], [3])
    """
    mode = missing_code(missing)
    profiles = dataset.profiles
    matrix = np.asarray(profiles.matrix)
    rows_total, loci_total = matrix.shape
    dtype = np.uint16 if max((len(a) for a in profiles.alleles), default=1) <= 65536 else np.uint32
    tables = []
    for locus in range(loci_total):
        texts = [text.upper() for text in profiles.alleles[locus]]
        number = {text: k + 1 for k, text in enumerate(sorted(set(texts[1:])))}
        tables.append(np.array([0] + [number[text] for text in texts[1:]], dtype))
    offsets = np.zeros(loci_total + 1, np.int64)
    np.cumsum([table.shape[0] for table in tables], out=offsets[1:])
    table = np.concatenate(tables) if tables else np.zeros(0, dtype)
    codes = _recode(np.ascontiguousarray(matrix), offsets, table)
    loci = np.arange(loci_total, dtype=np.int64)
    if mode == MISSING_MODES["complete-delete"]:
        complete = ~(codes == 0).any(axis=0)
        codes = np.ascontiguousarray(codes[:, complete])
        loci = loci[complete]
    # numpy.lexsort: the last key (locus) is the primary one; it is faster on contiguous keys
    order = np.lexsort(_transposed(codes)) if codes.shape[1] else np.arange(rows_total)
    order = order.astype(np.int64)
    ordered = codes[order]
    kept = (ordered != 0).any(axis=1) if ordered.shape[1] else np.zeros(rows_total, bool)
    dropped = np.sort(order[~kept])
    order, ordered = order[kept], ordered[kept]
    if ordered.shape[0]:
        starts = np.ones(ordered.shape[0], bool)
        starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    else:
        starts = np.zeros(0, bool)
    group = np.cumsum(starts) - 1
    node_of_row = np.full(rows_total, -1, np.int64)
    node_of_row[order] = group
    first = np.flatnonzero(starts)
    sizes = np.diff(np.append(first, ordered.shape[0])).astype(np.int64)
    return GrapeTreeProfiles(
        codes=np.ascontiguousarray(ordered[first]),
        rows=order[first],
        sizes=sizes,
        node_of_row=node_of_row,
        dropped=dropped.astype(np.int64),
        loci=loci,
        missing=missing,
    )
