"""Allele codes: the kept rows of a profile table recoded by a compiled kernel, and the read report.

Shared by the MLST and SNP readers. Code 0 is missing; codes 1.. number each locus's alleles in
order of first appearance, compared as written (``01`` and ``1`` are different alleles).
"""

from __future__ import annotations

import numba
import numpy as np

from engine.io.rows import Rows, row_notes
from engine.models import Profiles, ReadReport, first_identical_row

__all__ = ["tabulate"]


def tabulate(data: bytes, rows: Rows, loci: list[str], kind: str, missing: tuple[str, ...],
             notes: list[str]) -> tuple[Profiles, ReadReport]:
    r"""The profiles of the kept ``rows`` of the prepared file ``data`` and their read report.

    ``kind`` is ``"mlst"`` (alleles separated by tabs) or ``"snp"`` (one character per locus);
    ``missing`` are the values read as missing; ``notes`` come first in the report, before the
    notes on the rows.

    Examples
    --------
    ``rows.starts`` holds the offset of each row's first allele in ``data``:

    >>> from engine.io.rows import Rows
    >>> data = b"ST\tadk\tpurA\n1\t7\t01\n2\t-\t1\n"
    >>> rows = Rows(ids=["1", "2"], starts=[data.index(b"7"), data.index(b"-")], total=2)
    >>> profiles, report = tabulate(data, rows, ["adk", "purA"], "mlst", ("", "-"), [])
    >>> profiles.matrix.tolist(), profiles.alleles, report.missing_cells
    ([[1, 1], [0, 2]], [['', '7'], ['', '01', '1']], 1)
    """
    matrix, alleles = _recode(data, rows.starts, len(loci), kind == "snp", missing)
    profiles = Profiles(rows.ids, loci, matrix, alleles, missing, kind)
    return profiles, _report(profiles, rows, notes + row_notes(rows))


def _recode(data: bytes, starts: list[int], n_loci: int, fixed_width: bool,
            missing: tuple[str, ...]) -> tuple[np.ndarray, list[list[str]]]:
    """Allele codes ``(rows, loci)`` and the alleles of each locus, via the compiled kernel."""
    tokens = [value.encode("utf-8") for value in missing if value]
    bounds = np.cumsum([0, *map(len, tokens)], dtype=np.int64)
    codes, n_alleles, blob = _recode_kernel(
        np.frombuffer(data, dtype=np.uint8),
        np.asarray(starts, dtype=np.int64),
        n_loci,
        fixed_width,
        np.frombuffer(b"".join(tokens), dtype=np.uint8),
        bounds,
    )
    segments = blob.tobytes().decode("utf-8").split("\n")
    alleles = [["", *segment.split("\t")] if segment else [""] for segment in segments[:n_loci]]
    if n_alleles.size == 0 or int(n_alleles.max()) < 65535:
        codes = codes.astype(np.uint16)
    return codes, alleles


def _report(profiles: Profiles, rows: Rows, notes: list[str]) -> ReadReport:
    return ReadReport(
        profiles=profiles.size,
        loci=len(profiles.loci),
        missing_cells=int(np.count_nonzero(profiles.matrix == 0)),
        missing_values=profiles.missing_values,
        duplicate_ids=rows.duplicate_ids,
        identical_groups=_identical_groups(profiles),
        skipped_lines=rows.skipped,
        notes=notes,
    )


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
def _recode_kernel(buf: np.ndarray, starts: np.ndarray, n_loci: int, fixed_width: bool,
                   missing_blob: np.ndarray, missing_bounds: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Number the alleles of each locus in order of first appearance (0 = missing).

    ``buf`` holds the file, ``starts[r]`` the offset of row r's first allele. With
    ``fixed_width`` every byte is one allele (SNP); else alleles are separated by tabs and
    trimmed of ASCII whitespace, and a row ends at a line feed. A missing value is an empty
    allele or one of the tokens ``missing_blob[missing_bounds[k]:missing_bounds[k + 1]]``.
    Returns the ``uint32`` codes ``(rows, loci)``, the number of alleles per locus, and the
    alleles as text: per locus, tab-separated in code order, then a line feed. Every read is
    bounds-checked, so a wrong offset gives wrong codes, never a crash.
    """
    n = starts.shape[0]
    end = buf.shape[0]
    size = 16
    while size < 2 * n:
        size *= 2
    mask = size - 1
    codes = np.zeros((n, n_loci), np.uint32)
    slot_start = np.empty(size, np.int64)
    slot_length = np.empty(size, np.int64)
    slot_code = np.empty(size, np.uint32)
    cursor = starts.copy()
    capacity = 1024
    rep_start = np.empty(capacity, np.int64)
    rep_length = np.empty(capacity, np.int64)
    n_reps = 0
    n_alleles = np.zeros(n_loci, np.int64)
    n_tokens = missing_bounds.shape[0] - 1
    for locus in range(n_loci):
        slot_start[:] = -1
        next_code = 1
        for row in range(n):
            if fixed_width:
                s = min(starts[row] + locus, end)
                e = min(s + 1, end)
            else:
                s = min(cursor[row], end)
                e = s
                while e < end and buf[e] != 9 and buf[e] != 10:
                    e += 1
                cursor[row] = e + 1
                while s < e and _is_space(buf[s]):
                    s += 1
                while e > s and _is_space(buf[e - 1]):
                    e -= 1
            length = e - s
            if length == 0:
                continue
            h = np.uint64(14695981039346656037)
            for i in range(s, e):
                h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
            slot = np.int64(h & np.uint64(mask))
            while True:
                known = slot_start[slot]
                if known < 0:
                    code = np.uint32(0)
                    is_missing = False
                    for k in range(n_tokens):
                        a = missing_bounds[k]
                        if missing_bounds[k + 1] - a == length:
                            is_missing = True
                            for i in range(length):
                                if missing_blob[a + i] != buf[s + i]:
                                    is_missing = False
                                    break
                            if is_missing:
                                break
                    if not is_missing:
                        code = np.uint32(next_code)
                        next_code += 1
                        if n_reps == capacity:
                            capacity *= 2
                            grown = np.empty(capacity, np.int64)
                            grown[:n_reps] = rep_start[:n_reps]
                            rep_start = grown
                            grown = np.empty(capacity, np.int64)
                            grown[:n_reps] = rep_length[:n_reps]
                            rep_length = grown
                        rep_start[n_reps] = s
                        rep_length[n_reps] = length
                        n_reps += 1
                    slot_start[slot] = s
                    slot_length[slot] = length
                    slot_code[slot] = code
                    break
                if slot_length[slot] == length:
                    same = True
                    for i in range(length):
                        if buf[known + i] != buf[s + i]:
                            same = False
                            break
                    if same:
                        code = slot_code[slot]
                        break
                slot = (slot + 1) & mask
            codes[row, locus] = code
        n_alleles[locus] = next_code - 1
    total = n_reps + n_loci
    for k in range(n_reps):
        total += rep_length[k]
    blob = np.empty(total, np.uint8)
    q = 0
    k = 0
    for locus in range(n_loci):
        for j in range(n_alleles[locus]):
            if j > 0:
                blob[q] = 9
                q += 1
            for i in range(rep_length[k]):
                blob[q] = buf[rep_start[k] + i]
                q += 1
            k += 1
        blob[q] = 10
        q += 1
    return codes, n_alleles, blob[:q]
