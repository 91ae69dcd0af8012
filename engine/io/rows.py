"""The rows of a profile table, MLST or SNP: the locus names of the header, and each row kept or
left out.

Rows that cannot be used (wrong number of columns, no id, an id seen before) are left out and
listed in the report with their line and the reason. A table without rows, without one usable row,
or with most rows left out for the same reason raises :class:`~engine.errors.InputError` (most rows
left out means the file is not what its header says, and guessing would give a wrong tree).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.errors import InputError
from engine.io.text import SPACE, is_blank, quote
from engine.models import SkippedLine

__all__ = ["RowScanner", "Rows", "Shape", "check_rows", "locus_notes", "row_notes"]


def locus_notes(loci: list[str], skip: int, header_line: int) -> list[str]:
    """Notes on the locus names of the header (line ``header_line``), whose first locus is in column
    ``skip + 1``: only numbers (a file without a header?), names missing, names repeated.

    >>> locus_notes(["adk", "", "adk"], 1, 1)  # doctest: +NORMALIZE_WHITESPACE
    ['Locus columns without a name in the header, named after their column number: 1 (first: column 3).',
     "Locus name 'adk' appears 2 times (columns 2, 4); they are kept as separate loci."]
    """
    notes = []
    if all(name.isdigit() for name in loci):
        notes.append(f"The header (line {header_line}) has only numbers as locus names; if the "
                     "file has no header, its first profile was read as the header.")
    empty = [skip + index + 1 for index, name in enumerate(loci) if not name]
    if empty:
        notes.append(f"Locus columns without a name in the header, named after their column "
                     f"number: {len(empty)} (first: column {empty[0]}).")
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(loci):
        if name:
            positions.setdefault(name, []).append(skip + index + 1)
    for name, columns in positions.items():
        if len(columns) > 1:
            notes.append(f"Locus name {quote(name)} appears {len(columns)} times (columns "
                         f"{', '.join(map(str, columns))}); they are kept as separate loci.")
    return notes


@dataclass
class Rows:
    """The rows kept by a :class:`RowScanner` and what happened to the others."""

    ids: list[str] = field(default_factory=list)
    skipped: list[SkippedLine] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    #: "columns", "id" or "duplicate" -> (line, what is wrong with it) of the rows left out
    problems: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    blank_inside: list[int] = field(default_factory=list)
    total: int = 0


#: A row's shape check: (offset of its first allele in the line, "") or (-1, what is wrong).
Shape = Callable[[bytes], tuple[int, str]]


class RowScanner:
    """Check every non-blank line of a table, a block of lines at a time, keeping the first row of each
    id: the ids seen, and the blank lines not yet known to be inside the table, are kept from one block
    to the next in :attr:`rows`."""

    def __init__(self, label: str, shape: Shape) -> None:
        self.rows = Rows()
        #: What the id column holds, in messages ("ST", "id").
        self.label = label
        self._shape = shape
        self._seen: dict[str, int] = {}
        self._blanks: list[int] = []

    def scan(self, lines: list[bytes], begin: int, before: int) -> list[int]:
        """Check ``lines[begin:]``, where ``lines[0]`` is line ``before + 1`` of the file and starts at
        offset 0; the offsets of the first alleles of the rows kept."""
        rows, seen, blanks, label = self.rows, self._seen, self._blanks, self.label
        starts: list[int] = []
        offset = sum(len(line) + 1 for line in lines[:begin])
        for index in range(begin, len(lines)):
            line = lines[index]
            number = before + index + 1
            start = offset
            offset += len(line) + 1
            if is_blank(line):
                blanks.append(number)
                continue
            rows.blank_inside.extend(blanks)
            blanks.clear()
            rows.total += 1
            cell, detail = self._shape(line)
            kind = "columns"
            reason = f"Row {detail}; this row was left out."
            if cell >= 0:
                row_id = line[: line.find(b"\t")].decode("utf-8").strip(SPACE)
                if not row_id:
                    kind, detail = "id", f"has no {label} in column 1"
                    reason = f"Row {detail}; this row was left out."
                elif row_id in seen:
                    kind, detail = "duplicate", f"repeats {label} {row_id} of line {seen[row_id]}"
                    reason = (f"{label} {row_id} appears again (first on line {seen[row_id]}); "
                              "this row was left out.")
                    if row_id not in rows.duplicate_ids:
                        rows.duplicate_ids.append(row_id)
                else:
                    seen[row_id] = number
                    rows.ids.append(row_id)
                    starts.append(start + cell)
                    continue
            rows.skipped.append(SkippedLine(number, reason))
            rows.problems.setdefault(kind, []).append((number, detail))
        return starts


def check_rows(rows: Rows, header_line: int, label: str, shape_advice: str) -> None:
    """Raise when no row is usable, or when most rows fail for the same reason."""
    if rows.total == 0:
        raise InputError("The profile file has a header but no profiles.", header_line)
    advice = {
        "columns": shape_advice,
        "id": "the first column must hold the id of each profile",
        "duplicate": "the first column must hold a different id for each profile",
    }
    for kind, problems in rows.problems.items():
        if 2 * len(problems) > rows.total:
            line, detail = problems[0]
            raise InputError(f"{len(problems)} of {rows.total} rows cannot be used (line {line} "
                             f"{detail}): {advice[kind]}.", line)
    if not rows.ids:
        line, detail = min(problem for problems in rows.problems.values() for problem in problems)
        raise InputError(f"No row of the profile file can be used (line {line} {detail}; see the "
                         "reason given for each line).", line)


def row_notes(rows: Rows) -> list[str]:
    """A note on the blank lines met inside the table, if any."""
    if not rows.blank_inside:
        return []
    return [f"Blank lines skipped inside the table: {len(rows.blank_inside)} (first on line "
            f"{rows.blank_inside[0]})."]
