"""Allele codes: the kept rows of a profile table recoded by a compiled kernel, and the read report.

Shared by the MLST and SNP readers. Code 0 is missing; codes 1.. number each locus's alleles in
order of first appearance, compared as written (``01`` and ``1`` are different alleles).
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from engine.io.rows import Rows, row_notes
from engine.models import Profiles, ReadReport, first_identical_row

__all__ = ["Recoder", "finish"]

#: Codes below this fit in ``uint16``.
_UINT16_CODES = 65535


class Recoder:
    r"""The allele codes of a table's kept rows, recoded a block of text at a time.

    Each locus's alleles are numbered in order of first appearance across all the blocks, so reading
    a table in blocks gives the codes of a reading of the whole text. Memory: the codes (``uint16``
    while every locus has fewer than 65,535 alleles, then ``uint32``), one copy of each distinct
    allele, and one block's codes as ``uint32``.

    Parameters
    ----------
    n_loci : int
        The number of loci.
    fixed_width : bool
        True for SNP rows (one byte per locus); False for tab-separated alleles, trimmed of ASCII
        whitespace, a row ending at a line feed.
    missing : tuple of str
        The values read as missing (an empty allele always is).

    Examples
    --------
    >>> recoder = Recoder(2, False, ("", "-"))
    >>> recoder.add(b"7\t01\n", [0])
    >>> recoder.add(b"-\t1\n7\t01\n", [0, 4])
    >>> matrix, alleles = recoder.result()
    >>> matrix.tolist(), alleles, recoder.missing_cells
    ([[1, 1], [0, 2], [1, 1]], [['', '7'], ['', '01', '1']], 1)
    """

    def __init__(self, n_loci: int, fixed_width: bool, missing: tuple[str, ...]) -> None:
        tokens = [value.encode("utf-8") for value in missing if value]
        self._missing = np.frombuffer(b"".join(tokens), dtype=np.uint8)
        self._bounds = np.cumsum([0, *map(len, tokens)], dtype=np.int64)
        self._fixed_width = fixed_width
        self._table = np.full(1024, -1, np.int64)
        self._keys = np.zeros((256, 4), np.int64)  # per key: store offset, length, locus, code
        self._store = np.empty(4096, np.uint8)
        self._state = np.zeros(3, np.int64)  # keys, store bytes used, store bytes needed
        self._n_alleles = np.zeros(n_loci, np.int64)
        self._matrix = np.zeros((0, n_loci), np.uint16)
        self._rows = 0
        #: Cells read as missing so far.
        self.missing_cells = 0

    def add(self, text: bytes, starts: Sequence[int]) -> None:
        """Recode the rows of ``text`` whose first allele is at the offsets ``starts``, in order."""
        n_loci = self._n_alleles.shape[0]
        offsets = np.asarray(starts, dtype=np.int64)
        codes = np.zeros((offsets.shape[0], n_loci), np.uint32)
        buf = np.frombuffer(text, dtype=np.uint8)
        row = 0
        while row < offsets.shape[0]:
            row = _recode_rows(buf, offsets, row, codes, self._fixed_width, self._missing, self._bounds,
                               self._table, self._keys, self._store, self._n_alleles, self._state)
            self._make_room(n_loci)
        self._append(codes)

    def _make_room(self, n_loci: int) -> None:
        """Grow the key table, the hash table and the allele store for one more row of any length."""
        keys, used, needed = (int(value) for value in self._state)
        if keys + n_loci > self._keys.shape[0]:
            grown = np.zeros((2 * (keys + n_loci), 4), np.int64)
            grown[:keys] = self._keys[:keys]
            self._keys = grown
        if 2 * (keys + n_loci) > self._table.shape[0]:
            size = self._table.shape[0]
            while 2 * (keys + n_loci) > size:
                size *= 2
            self._table = _rehash(size, self._keys, keys, self._store)
        if needed > self._store.shape[0]:
            grown = np.empty(2 * needed, np.uint8)
            grown[:used] = self._store[:used]
            self._store = grown

    def _append(self, codes: np.ndarray) -> None:
        if self._matrix.dtype == np.uint16 and int(self._n_alleles.max(initial=0)) >= _UINT16_CODES:
            self._matrix = self._matrix.astype(np.uint32)
        end = self._rows + codes.shape[0]
        if end > self._matrix.shape[0]:  # in place where the allocator can (mremap), by an eighth: the
            # rows added are zeroed, so a larger step would hold more memory than the codes need
            self._matrix.resize((max(end, self._matrix.shape[0] * 9 // 8), codes.shape[1]), refcheck=False)
        self._matrix[self._rows:end] = codes
        self._rows = end
        self.missing_cells += int(codes.size - np.count_nonzero(codes))

    def result(self) -> tuple[np.ndarray, list[list[str]]]:
        """The codes ``(rows, loci)`` and, per locus, its alleles in code order (``""`` for code 0)."""
        self._matrix.resize((self._rows, self._n_alleles.shape[0]), refcheck=False)
        keys = self._keys[: int(self._state[0])]
        named = keys[keys[:, 3] > 0]
        first = np.concatenate(([0], np.cumsum(self._n_alleles)))
        order = np.empty(named.shape[0], np.int64)
        order[first[named[:, 2]] + named[:, 3] - 1] = np.arange(named.shape[0])
        store = self._store.tobytes()
        values = [store[start:start + length].decode("utf-8") for start, length in named[order, :2].tolist()]
        alleles = [["", *values[first[locus]:first[locus + 1]]] for locus in range(self._n_alleles.shape[0])]
        return self._matrix, alleles


def finish(recoder: Recoder, rows: Rows, loci: list[str], kind: str, missing: tuple[str, ...],
           notes: list[str]) -> tuple[Profiles, ReadReport]:
    """The profiles recoded by ``recoder`` (the kept ``rows``, all added) and their read report.

    ``kind`` is ``"mlst"`` or ``"snp"``; ``missing`` are the values read as missing; ``notes`` come
    first in the report, before the notes on the rows.
    """
    matrix, alleles = recoder.result()
    profiles = Profiles(rows.ids, loci, matrix, alleles, missing, kind)
    report = ReadReport(
        profiles=profiles.size,
        loci=len(profiles.loci),
        missing_cells=recoder.missing_cells,
        missing_values=profiles.missing_values,
        duplicate_ids=rows.duplicate_ids,
        identical_groups=_identical_groups(profiles),
        skipped_lines=rows.skipped,
        notes=notes + row_notes(rows),
    )
    return profiles, report


def _identical_groups(profiles: Profiles) -> list[list[str]]:
    """Ids of rows with equal codes at every locus, groups of 2+ in order of their first row."""
    groups: dict[int, list[int]] = {}
    for row, first in enumerate(first_identical_row(profiles.matrix).tolist()):
        groups.setdefault(first, []).append(row)
    return [[profiles.ids[row] for row in group] for group in groups.values() if len(group) > 1]


@numba.njit(cache=True, nogil=True)
def _is_space(byte: np.uint8) -> bool:
    return byte == 32 or 9 <= byte <= 13


@numba.njit(cache=True, nogil=True)
def _hash(buf: np.ndarray, start: int, end: int, locus: int) -> np.uint64:
    """FNV-1a of the locus number and the bytes ``buf[start:end]``."""
    h = (np.uint64(14695981039346656037) ^ np.uint64(locus)) * np.uint64(1099511628211)
    for i in range(start, end):
        h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
    return h


@numba.njit(cache=True, nogil=True)
def _rehash(size: int, keys: np.ndarray, n_keys: int, store: np.ndarray) -> np.ndarray:
    """A hash table of ``size`` slots (a power of 2) holding the first ``n_keys`` keys."""
    table = np.full(size, -1, np.int64)
    mask = size - 1
    for k in range(n_keys):
        start = keys[k, 0]
        slot = np.int64(_hash(store, start, start + keys[k, 1], keys[k, 2]) & np.uint64(mask))
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = k
    return table


@numba.njit(cache=True, nogil=True)
def _recode_rows(buf: np.ndarray, starts: np.ndarray, row: int, codes: np.ndarray, fixed_width: bool,
                 missing_blob: np.ndarray, missing_bounds: np.ndarray, table: np.ndarray,
                 keys: np.ndarray, store: np.ndarray, n_alleles: np.ndarray, state: np.ndarray) -> int:
    """Code the rows from ``row`` on, while the tables have room for one more row; the next row.

    ``buf`` holds the text, ``starts[r]`` the offset of row r's first allele. With ``fixed_width``
    every byte is one allele (SNP); else alleles are separated by tabs and trimmed of ASCII
    whitespace, and a row ends at a line feed. A missing value (code 0) is an empty allele or one
    of the tokens ``missing_blob[missing_bounds[k]:missing_bounds[k + 1]]``. Every value met is a
    key (its bytes in ``store``, its locus and code) found through the open-addressing ``table``;
    ``n_alleles`` counts each locus's alleles; ``state`` holds the keys and store bytes used, and
    the store bytes the next row may need when it stops for room. Every read is bounds-checked, so
    a wrong offset gives wrong codes, never a crash.
    """
    n = starts.shape[0]
    n_loci = codes.shape[1]
    end = buf.shape[0]
    mask = table.shape[0] - 1
    n_keys = state[0]
    used = state[1]
    n_tokens = missing_bounds.shape[0] - 1
    while row < n:
        first = min(starts[row], end)
        last = min(first + n_loci, end)
        if not fixed_width:
            last = first
            while last < end and buf[last] != 10:
                last += 1
        if (n_keys + n_loci > keys.shape[0] or 2 * (n_keys + n_loci) > table.shape[0]
                or used + last - first > store.shape[0]):
            state[2] = used + last - first
            break
        cursor = first
        for locus in range(n_loci):
            if fixed_width:
                s = min(first + locus, end)
                e = min(s + 1, end)
            else:
                s = min(cursor, end)
                e = s
                while e < end and buf[e] != 9 and buf[e] != 10:
                    e += 1
                cursor = e + 1
                while s < e and _is_space(buf[s]):
                    s += 1
                while e > s and _is_space(buf[e - 1]):
                    e -= 1
            length = e - s
            if length == 0:
                continue
            slot = np.int64(_hash(buf, s, e, locus) & np.uint64(mask))
            while True:
                k = table[slot]
                if k < 0:
                    code = 0
                    is_missing = False
                    for t in range(n_tokens):
                        a = missing_bounds[t]
                        if missing_bounds[t + 1] - a == length:
                            is_missing = True
                            for i in range(length):
                                if missing_blob[a + i] != buf[s + i]:
                                    is_missing = False
                                    break
                            if is_missing:
                                break
                    if not is_missing:
                        n_alleles[locus] += 1
                        code = n_alleles[locus]
                    store[used:used + length] = buf[s:e]
                    keys[n_keys, 0] = used
                    keys[n_keys, 1] = length
                    keys[n_keys, 2] = locus
                    keys[n_keys, 3] = code
                    table[slot] = n_keys
                    n_keys += 1
                    used += length
                    break
                if keys[k, 2] == locus and keys[k, 1] == length:
                    same = True
                    start = keys[k, 0]
                    for i in range(length):
                        if store[start + i] != buf[s + i]:
                            same = False
                            break
                    if same:
                        code = keys[k, 3]
                        break
                slot = (slot + 1) & mask
            codes[row, locus] = code
        row += 1
    state[0] = n_keys
    state[1] = used
    return row
