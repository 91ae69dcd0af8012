"""Isolate tables: one isolate a row with its metadata, joined to the profiles by id.

Format
------
Tab-separated text with a header. One column names the profile of each isolate: the first header
that is ``ST`` or starts with ``ST`` followed by a non-letter (``ST (MLST)``, ``ST_MLST``; not
``Strain`` or ``STMMW_08711``), or the column the caller names. The text accepted and the files
refused are those of :mod:`engine.io.text`.
"""

from __future__ import annotations

import numpy as np

from engine.errors import InputError
from engine.io.blocks import read_text
from engine.io.compressed import INFLATE_LIMIT
from engine.io.text import (
    SPACE,
    Source,
    columns_detail,
    first_nonblank,
    header_cells,
    is_blank,
    other_separator_error,
    quote,
    refuse_active_content,
)
from engine.models import Isolates, Profiles, ReadReport, SkippedLine

__all__ = ["read_isolates"]


def read_isolates(
    source: Source,
    profiles: Profiles,
    *,
    profile_column: str | None = None,
    inflate_limit: int = INFLATE_LIMIT,
) -> tuple[Isolates, ReadReport]:
    r"""Read an isolate table and join each isolate to its profile.

    Parameters
    ----------
    source : binary file handle or bytes
        The whole file, tab-separated with a header line.
    profiles : Profiles
        The profiles the isolates refer to, by id.
    profile_column : str, optional
        Header of the column that holds each isolate's profile id (for example ``"ID"``). Default:
        the first header that is ``ST`` or starts with ``ST`` then a non-letter (``ST (MLST)``).
    inflate_limit : int, default :data:`~engine.io.compressed.INFLATE_LIMIT`
        The most bytes a gzip-compressed ``source`` may decompress to (2 GB by default); the
        file is recognised by its leading bytes, whatever its name, and read as the text it holds.

    Returns
    -------
    isolates : Isolates
        Every usable row in file order, cells trimmed; rows shorter than the header are padded
        with empty cells. ``profile_rows[r]`` is the profile row of isolate ``r``, or -1 when its
        profile cell is empty, a missing-value code, or an id that is not among the profiles.
    report : ReadReport
        The profile counts of ``profiles``, plus ``isolates``, ``isolates_without_profile``,
        ``isolate_skipped_lines`` (rows left out, with reasons) and notes on the join.

    Raises
    ------
    InputError
        When the file cannot be used: empty, binary, not tab-separated, no profile column (or no
        column of the given name), no isolates, most rows with too many cells, or no isolate
        that names one of the profiles (the column is then almost surely the wrong one).

    Examples
    --------
    >>> from engine.io.profiles import read_profiles
    >>> profiles, _ = read_profiles(b"ST\tadk\tpurA\n1\t1\t2\n2\t3\t2\n")
    >>> isolates, report = read_isolates(b"name\tST (MLST)\nA\t2\nB\t2\nC\t9\nD\t\n", profiles)
    >>> isolates.profile_column, isolates.profile_rows.tolist()
    ('ST (MLST)', [1, 1, -1, -1])
    >>> report.isolates, report.isolates_without_profile
    (4, 2)
    """
    what = "isolates file"
    data = read_text(source, what, "read_isolates", inflate_limit)
    lines = data.split(b"\n")
    first = first_nonblank(lines)
    header_line = first + 1
    refuse_active_content(data, lines, first, what)
    columns = header_cells(lines[first])
    separator = other_separator_error(columns[0], header_line, what) if len(columns) == 1 else None
    if separator is not None:
        raise separator
    column = _profile_column(columns, profile_column, header_line)
    rows: list[list[str]] = []
    skipped: list[SkippedLine] = []
    padded = 0
    width = len(columns)
    for index in range(first + 1, len(lines)):
        line = lines[index]
        if is_blank(line):
            continue
        cells = [cell.strip(SPACE) for cell in line.decode("utf-8").split("\t")]
        if len(cells) > width:
            if any(cells[width:]):
                skipped.append(SkippedLine(
                    index + 1, f"Row {columns_detail(len(cells), width)}; this row was left out."))
                continue
            del cells[width:]
        elif len(cells) < width:
            cells.extend([""] * (width - len(cells)))
            padded += 1
        rows.append(cells)
    if len(skipped) > len(rows):
        raise InputError(
            f"{len(skipped)} of {len(rows) + len(skipped)} rows have more columns than the header "
            f"({width}): check that the file is tab-separated and that the header names every "
            "column.",
            skipped[0].line,
        )
    if not rows:
        raise InputError(f"The {what} has a header but no isolates.", header_line)
    profile_rows, notes = _join(rows, column, columns[column], profiles)
    if not (profile_rows >= 0).any():
        raise InputError(
            f"No isolate names one of the {profiles.size} profiles in column "
            f"{quote(columns[column])}: name the column that holds the profile ids.",
            header_line,
        )
    if padded:
        notes.append(f"Isolate rows with fewer columns than the header, their last cells left "
                     f"empty: {padded}.")
    isolates = Isolates(columns, rows, columns[column], profile_rows)
    report = ReadReport(
        profiles=profiles.size,
        loci=len(profiles.loci),
        missing_cells=int(np.count_nonzero(profiles.matrix == 0)),
        missing_values=profiles.missing_values,
        isolates=len(rows),
        isolates_without_profile=int(np.count_nonzero(profile_rows < 0)),
        isolate_skipped_lines=skipped,
        notes=notes,
    )
    return isolates, report


def _profile_column(columns: list[str], name: str | None, header_line: int) -> int:
    """Index of the named column, else of the first ``ST``-like header, or InputError."""
    if name is not None:
        if name.strip(SPACE) in columns:
            return columns.index(name.strip(SPACE))
        raise InputError(f"The isolates file has no column named {quote(name)}; its columns are "
                         f"{', '.join(map(quote, columns[:12]))}"
                         f"{' and more' if len(columns) > 12 else ''}.", header_line)
    for index, header in enumerate(columns):
        if header == "ST" or (header.startswith("ST") and not header[2].isalpha()):
            return index
    raise InputError("The isolates file has no ST column (a header such as 'ST' or 'ST (MLST)'): "
                     "name the column that holds the profile ids.", header_line)


def _join(rows: list[list[str]], column: int, name: str,
          profiles: Profiles) -> tuple[np.ndarray, list[str]]:
    """Profile row of each isolate (-1 when none) and notes on the isolates left without one."""
    index = {profile_id: row for row, profile_id in enumerate(profiles.ids)}
    missing = {"", *profiles.missing_values}
    linked: list[int] = []
    without = 0
    unknown: dict[str, None] = {}
    for cells in rows:
        value = cells[column]
        row = index.get(value, -1)
        linked.append(row)
        if row >= 0:
            continue
        if value in missing:
            without += 1
        else:
            unknown[value] = None
    notes = []
    if without:
        notes.append(f"Isolates without a profile id in column {quote(name)}: {without}.")
    strangers = len(rows) - without - sum(row >= 0 for row in linked)
    if strangers:
        examples = ", ".join(list(unknown)[:5]) + (", ..." if len(unknown) > 5 else "")
        notes.append(f"Isolates naming a profile that is not in the profile file: {strangers} "
                     f"({examples}).")
    return np.array(linked, dtype=np.int64), notes
