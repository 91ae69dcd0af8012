r"""Readers of allelic profile tables and isolate tables, from file handles or bytes.

Formats
-------
Profiles, MLST / cgMLST (``kind="mlst"``): tab-separated text, one profile a line. Line 1 is a
header: the id column (any name: ``ST``, ``#Name``, ``#Strain``, ...), then one column per locus.
When the *second* header is ``ST`` (GrapeTree / EnteroBase exports, ``#Name<TAB>ST<TAB>locus...``)
that column holds sequence types, not alleles: it is left out and column 1 stays the id. Duplicate
locus names are kept as separate loci (the report notes them).

Profiles, SNP (``kind="snp"``): one profile a line, ``id<TAB>sequence``, one character per locus,
every sequence the same length (PhyloDB's SNP format). A header line is optional; loci are named
``1`` .. ``L``, or after the header when it has ``L + 1`` columns.

Isolates: tab-separated text with a header. One column names the profile of each isolate: the
first header that is ``ST`` or starts with ``ST`` followed by a non-letter (``ST (MLST)``,
``ST_MLST``; not ``Strain`` or ``STMMW_08711``), or the column the caller names.

Every reader accepts LF, CRLF and CR-only line endings, a UTF-8 byte-order mark (or UTF-16 text
with its byte-order mark, as Excel's "Unicode text" saves it), blank lines anywhere (skipped; lines
of tabs and spaces only count as blank) and spaces around cells (trimmed). Line numbers are the
file's physical lines, 1-based, the header being line 1.

Missing values
--------------
MLST: a cell is missing when, after trimming, it is empty or equals one of ``missing_values``
(default :data:`DEFAULT_MISSING`: empty, ``-``, ``?``, ``N`` and ``0``). An empty cell is always
missing. Allele values are compared as strings: ``01`` and ``1`` are different alleles.

EnteroBase writes ``-1`` for a locus that was not called. With the default list ``-1`` is an
ordinary allele, as in the reference outputs of PHYLOViZ and PhyloDB (``../shared/reference``,
agona dataset: only ``-`` is missing there). Pass ``missing_values=(*DEFAULT_MISSING, "-1")`` to
read it as missing instead.

SNP: a character is missing when it is ``-``, ``N``, ``?`` or a space, or when it is one of the
single-character entries of an explicit ``missing_values``. The MLST default ``0`` is not applied
to SNP data, where ``0`` and ``1`` are the two states of a binary SNP.

Problems
--------
Rows that cannot be used (wrong number of columns, no id, an id seen before) are left out and
listed in the report with their line and the reason. A file that cannot be used at all raises
:class:`~engine.errors.InputError` with a sentence a biologist understands and the line number
where it applies: empty, blank, binary, an image, a PDF, compressed or not UTF-8; a web page; not
tab-separated; no locus column; no profiles; or most rows left out for the same reason (which
means the file is not what its header says, and guessing would give a wrong tree).

Formulas and markup
-------------------
Ids, locus names, alleles and metadata are shown in web pages and saved back to spreadsheets, so a
file with a spreadsheet formula or HTML markup in any cell (the header too) is refused, naming the
line, the column and the cell:

- a formula is a cell that, after its leading spaces, starts with ``=`` or ``@`` followed by
  anything (``=HYPERLINK(...)``, ``@SUM(1+1)``), or starts with ``+`` or ``-`` and holds a
  function call (a name right before ``(``) or a link to another program (``|``, as in
  ``-2+3+cmd|' /C calc'!A0``);
- markup is ``<`` right before a letter, ``/``, ``!`` or ``?`` anywhere in a cell (``<script>``,
  ``<img src=x onerror=...>``, ``</b>``, ``<!-- -->``).

Plain values stay plain: numbers (``-1``, EnteroBase's uncalled allele, ``-0.5``, ``+3``), ``-``
or ``=`` alone, ``+ve``, ``-ve``, ``+/-``, ``ST-45 complex``, ``a+b`` or ``x@y.org`` inside text,
``age <5``, ``<=0.25`` and ``< 2 mg/L``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numba
import numpy as np

from engine.errors import InputError, ParameterError
from engine.models import Dataset, Isolates, Profiles, ReadReport, SkippedLine, first_identical_row

__all__ = [
    "DEFAULT_MISSING",
    "SNP_MISSING",
    "open_dataset",
    "read_dataset",
    "read_isolates",
    "read_profiles",
]

#: Missing-value codes of MLST / cgMLST profiles (an empty cell is always missing).
DEFAULT_MISSING: tuple[str, ...] = ("", "-", "?", "N", "0")
#: Characters that are always missing in SNP profiles.
SNP_MISSING: tuple[str, ...] = ("-", "N", "?", " ")

#: Characters an SNP sequence may hold for ``kind="auto"`` to take a file for SNP profiles.
_SNP_ALPHABET = b"ACGTUNRYSWKMBDHVacgtunryswkmbdhv01-?.* "
#: Whitespace trimmed around cells and ids (ASCII only, like the recoding kernel).
_SPACE = " \t\n\r\x0b\x0c"
_SPACE_BYTES = _SPACE.encode()
#: Leading bytes of files people upload by mistake, with what to tell them.
_MAGIC = (
    (b"\x1f\x8b", "The {what} is compressed (gzip). Decompress it and upload the text file."),
    (b"PK\x03\x04", "The {what} is a ZIP archive (an Excel .xlsx workbook is one). Save the sheet "
                    "as 'Text (Tab delimited)' and upload that."),
    (b"\xd0\xcf\x11\xe0", "The {what} is an Excel (.xls) workbook. Save the sheet as "
                          "'Text (Tab delimited)' and upload that."),
    (b"\x89PNG", "The {what} is a PNG image, not a text table. Upload the tab-separated text file."),
    (b"\xff\xd8\xff", "The {what} is a JPEG image, not a text table. Upload the tab-separated text "
                       "file."),
    (b"%PDF", "The {what} is a PDF document, not a text table. Upload the tab-separated text file."),
)
_HTML_STARTS = ("<!doctype", "<html", "<?xml", "<head", "<body", "<script")
#: A spreadsheet formula, matched at the first non-space byte of a cell ("Formulas and markup" above).
_FORMULA = re.compile(rb"[=@][ \x0b\x0c]*[^\s]|[+-][^\t\n]*?(?:[A-Za-z_][\w.]*\(|\|)")
#: Every formula holds one of these bytes: only the cells that hold one are matched.
_FORMULA_HINTS = b"=@(|"
#: The end of a cell.
_CELL_END = re.compile(rb"[\t\n]")
#: HTML markup anywhere in a cell.
_MARKUP = re.compile(rb"<[A-Za-z/!?]")

Source = BinaryIO | bytes | bytearray | memoryview


# --------------------------------------------------------------------------------------------
# Public API


def read_profiles(
    source: Source,
    *,
    missing_values: Sequence[str] | None = None,
    kind: str = "auto",
) -> tuple[Profiles, ReadReport]:
    r"""Read a profile table into allele codes.

    Parameters
    ----------
    source : binary file handle or bytes
        The whole file. A path or a ``str`` is refused (``TypeError``): open the file in binary
        mode, or use :func:`open_dataset`.
    missing_values : sequence of str, optional
        Cell values that mean "missing". Default (``None``): :data:`DEFAULT_MISSING` for MLST;
        for SNP the characters of :data:`SNP_MISSING`. An explicit list replaces the MLST default
        (an empty cell stays missing) and adds its one-character entries to :data:`SNP_MISSING`
        for SNP data. The list used is in ``Profiles.missing_values`` and the report.
    kind : {"auto", "mlst", "snp"}, default "auto"
        ``"auto"`` takes the file for SNP profiles when it has at least two non-blank lines,
        every line after the first has exactly two cells (trailing tabs aside), and the second
        cells are all as long as each other, at least 2 characters, made only of
        ``A C G T U N``, IUPAC ambiguity codes (either case), ``0 1 - ? . *`` and spaces.
        Anything else is MLST. The first line of an SNP file is a header unless it has that
        same shape. A 1-locus MLST file fails the test because its alleles differ in length or
        use other digits. ``"mlst"`` or ``"snp"`` force the kind.

    Returns
    -------
    profiles : Profiles
        Rows in file order (left-out rows removed). ``matrix`` is ``(profiles, loci)``, ``uint16``
        when every locus has fewer than 65,535 distinct alleles, else ``uint32``; code 0 is
        missing, codes 1.. number each locus's alleles in order of first appearance;
        ``alleles[l][code]`` is the allele as written (``alleles[l][0] == ""``).
    report : ReadReport
        Counts, the missing-value list, ``duplicate_ids``, ``identical_groups`` (ids of rows
        with equal codes at every locus, groups of two or more, in row order), the left-out
        lines with reasons, and notes on quirks met (GrapeTree ``ST`` column, duplicate locus
        names, blank lines inside the table, ...).

    Raises
    ------
    InputError
        When the file cannot be used; ``line`` is the 1-based line where the problem is, or
        ``None`` for a problem of the whole file (empty, compressed, ...).
    ParameterError
        When ``kind`` is not one of the allowed values.
    TypeError
        When ``source`` is not bytes or a binary file handle, or ``missing_values`` is a str.

    Notes
    -----
    Time and memory are linear in the file size: rows are checked line by line in Python and the
    cells recoded by a compiled kernel (about 1 s for 5,000 profiles x 3,000 loci). The first call
    in a fresh installation compiles the kernel (a few seconds); numba caches it on disk.

    Examples
    --------
    >>> profiles, report = read_profiles(b"ST\tabcZ\tadk\n1\t7\t01\n2\t7\t-\n3\t7\t1\n")
    >>> profiles.ids, profiles.loci
    (['1', '2', '3'], ['abcZ', 'adk'])
    >>> profiles.matrix.tolist()
    [[1, 1], [1, 0], [1, 2]]
    >>> profiles.alleles[1]
    ['', '01', '1']
    >>> report.missing_cells
    1
    """
    if kind not in ("auto", "mlst", "snp"):
        raise ParameterError(f"kind must be 'auto', 'mlst' or 'snp', not {kind!r}")
    if isinstance(missing_values, str):
        raise TypeError("missing_values must be a sequence of str, not a single str")
    data = _prepare(_read_source(source, "read_profiles"), "profile file")
    lines = data.split(b"\n")
    first = _first_nonblank(lines)
    _refuse_active_content(data, lines, first, "profile file")
    if kind == "snp" or (kind == "auto" and _looks_like_snp(lines, first)):
        return _read_snp(data, lines, first, missing_values)
    return _read_mlst(data, lines, first, missing_values)


def read_isolates(
    source: Source,
    profiles: Profiles,
    *,
    profile_column: str | None = None,
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
    >>> profiles, _ = read_profiles(b"ST\tadk\tpurA\n1\t1\t2\n2\t3\t2\n")
    >>> isolates, report = read_isolates(b"name\tST (MLST)\nA\t2\nB\t2\nC\t9\nD\t\n", profiles)
    >>> isolates.profile_column, isolates.profile_rows.tolist()
    ('ST (MLST)', [1, 1, -1, -1])
    >>> report.isolates, report.isolates_without_profile
    (4, 2)
    """
    what = "isolates file"
    data = _prepare(_read_source(source, "read_isolates"), what)
    lines = data.split(b"\n")
    first = _first_nonblank(lines)
    header_line = first + 1
    _refuse_active_content(data, lines, first, what)
    columns = _header_cells(lines[first])
    if len(columns) == 1:
        _refuse_other_separator(columns[0], header_line, what)
    column = _profile_column(columns, profile_column, header_line)
    rows: list[list[str]] = []
    skipped: list[SkippedLine] = []
    padded = 0
    width = len(columns)
    for index in range(first + 1, len(lines)):
        line = lines[index]
        if _is_blank(line):
            continue
        cells = [cell.strip(_SPACE) for cell in line.decode("utf-8").split("\t")]
        if len(cells) > width:
            if any(cells[width:]):
                skipped.append(SkippedLine(
                    index + 1, f"Row {_columns_detail(len(cells), width)}; this row was left out."))
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
            f"{_quote(columns[column])}: name the column that holds the profile ids.",
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


def read_dataset(
    profiles_source: Source,
    isolates_source: Source | None = None,
    *,
    missing_values: Sequence[str] | None = None,
    profile_column: str | None = None,
    kind: str = "auto",
) -> Dataset:
    r"""Read profiles, and optionally isolates, into a :class:`~engine.models.Dataset`.

    Parameters
    ----------
    profiles_source : binary file handle or bytes
        The profile table (see :func:`read_profiles`).
    isolates_source : binary file handle or bytes, optional
        The isolate table (see :func:`read_isolates`).
    missing_values : sequence of str, optional
        As in :func:`read_profiles`.
    profile_column : str, optional
        As in :func:`read_isolates`.
    kind : {"auto", "mlst", "snp"}, default "auto"
        As in :func:`read_profiles`.

    Returns
    -------
    Dataset
        ``counts[i]`` (``int64``) is the number of isolates that reference profile row ``i``
        (0 for a profile no isolate names) when isolates are given, else 1 for every row. The
        report is the profile report with the isolate counts, left-out isolate lines and notes
        added.

    Raises
    ------
    InputError, ParameterError, TypeError
        As :func:`read_profiles` and :func:`read_isolates`.

    Examples
    --------
    >>> dataset = read_dataset(b"ST\tadk\tpurA\n1\t1\t2\n2\t3\t2\n3\t1\t2\n",
    ...                        b"ST\tcountry\n1\tPT\n1\tES\n2\tPT\n")
    >>> dataset.counts.tolist(), dataset.report.identical_groups
    ([2, 1, 0], [['1', '3']])
    """
    profiles, report = read_profiles(profiles_source, missing_values=missing_values, kind=kind)
    if isolates_source is None:
        return Dataset(profiles, None, np.ones(profiles.size, dtype=np.int64), report)
    isolates, isolate_report = read_isolates(isolates_source, profiles,
                                             profile_column=profile_column)
    linked = isolates.profile_rows[isolates.profile_rows >= 0]
    counts = np.bincount(linked, minlength=profiles.size).astype(np.int64)
    merged = replace(
        report,
        isolates=isolate_report.isolates,
        isolates_without_profile=isolate_report.isolates_without_profile,
        isolate_skipped_lines=isolate_report.isolate_skipped_lines,
        notes=report.notes + isolate_report.notes,
    )
    return Dataset(profiles, isolates, counts, merged)


def open_dataset(
    path: str | os.PathLike[str],
    isolates_path: str | os.PathLike[str] | None = None,
    *,
    missing_values: Sequence[str] | None = None,
    profile_column: str | None = None,
    kind: str = "auto",
) -> Dataset:
    """Read a dataset from file paths (for the command line).

    Parameters
    ----------
    path : path-like
        The profile table.
    isolates_path : path-like, optional
        The isolate table.
    missing_values, profile_column, kind
        As in :func:`read_dataset`.

    Returns
    -------
    Dataset
        As :func:`read_dataset`.

    Raises
    ------
    InputError
        When a file cannot be opened (``line`` is ``None``) or cannot be used.
    """
    with ExitStack() as stack:
        profiles_file = stack.enter_context(_open_binary(path))
        isolates_file = None if isolates_path is None else stack.enter_context(
            _open_binary(isolates_path))
        return read_dataset(profiles_file, isolates_file, missing_values=missing_values,
                            profile_column=profile_column, kind=kind)


# --------------------------------------------------------------------------------------------
# Bytes to checked text


def _open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as error:
        raise InputError(f"Cannot open {os.fspath(path)}: {error.strerror}.") from error


def _read_source(source: Source, caller: str) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str) or not hasattr(source, "read"):
        raise TypeError(f"{caller} reads bytes or a file opened in binary mode ('rb'), "
                        f"not {type(source).__name__}")
    data = source.read()
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"{caller} needs a file opened in binary mode ('rb')")
    return bytes(data)


def _prepare(data: bytes, what: str) -> bytes:
    """UTF-8 bytes without byte-order mark and with LF line ends, or InputError."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeError as error:
            raise InputError(f"The {what} starts like UTF-16 text but cannot be read as such; "
                             "save it as UTF-8 text.") from error
    elif data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data:
        raise InputError(f"The {what} is empty.")
    for magic, message in _MAGIC:
        if data.startswith(magic):
            raise InputError(message.format(what=what))
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(f"The {what} contains binary data (a NUL byte): it is not a text table, "
                         "or it is UTF-16 text without a byte-order mark. Save it as UTF-8 text.",
                         line)
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise InputError(
                f"The {what} is not UTF-8 text: byte 0x{data[error.start]:02X} cannot be read. "
                "Save it as UTF-8 (Unicode) text.",
                line,
            ) from error
    if not data.strip(_SPACE_BYTES):
        raise InputError(f"The {what} has only blank lines.")
    return data


def _is_blank(line: bytes) -> bool:
    return not line.strip(_SPACE_BYTES)


def _first_nonblank(lines: list[bytes]) -> int:
    return next(index for index, line in enumerate(lines) if not _is_blank(line))


def _quote(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _header_cells(line: bytes) -> list[str]:
    cells = [cell.strip(_SPACE) for cell in line.decode("utf-8").split("\t")]
    while len(cells) > 1 and not cells[-1]:
        cells.pop()
    return cells


def _refuse_html(line: bytes, number: int, what: str) -> None:
    if line.decode("utf-8").strip(_SPACE).lower().startswith(_HTML_STARTS):
        raise InputError(f"The {what} looks like a web page (HTML), not a tab-separated table.",
                         number)


def _refuse_active_content(data: bytes, lines: list[bytes], first: int, what: str) -> None:
    """InputError when the file is a web page, or for its first cell that holds a spreadsheet
    formula or HTML markup (the rule is in the module docstring); the header is line ``first``."""
    _refuse_html(lines[first], first + 1, what)
    found = []
    formula = _first_formula(data)
    if formula is not None:
        found.append((formula, "a spreadsheet formula. Spreadsheet formulas have no place in typing "
                      "data (a spreadsheet that opens the file could run a program or open a link): "
                      "keep the values only"))
    markup = _MARKUP.search(data)
    if markup:
        found.append((markup.start(), "HTML markup (a tag such as <b> or <script>). Markup has no "
                      "place in typing data (a web page that shows it could run a script): keep plain "
                      "text only"))
    if not found:
        return
    position, reason = min(found)
    cell_start, cell_end = _cell_around(data, position)
    cell = data[cell_start:cell_end].decode("utf-8").strip(_SPACE)
    column = data.count(b"\t", data.rfind(b"\n", 0, position) + 1, position) + 1
    number = data.count(b"\n", 0, position) + 1
    header = _header_cells(lines[first])
    name = header[column - 1] if number > first + 1 and column <= len(header) else ""
    named = f" ({_quote(name)})" if name else ""
    raise InputError(f"Column {column}{named} of the {what} holds {_quote(cell)}, which is {reason} "
                     "and upload the file again.", number)


def _cell_around(data: bytes, position: int, low: int = 0) -> tuple[int, int]:
    """Offsets of the start and the end of the cell holding ``position``; its start is searched for
    back to ``low`` only (a tab or line end before ``position``, or 0), so that a caller checking
    cells in order searches each byte once."""
    tab = data.rfind(b"\t", low, position)
    start = max(tab, data.rfind(b"\n", max(tab, low), position)) + 1
    end = _CELL_END.search(data, position)
    return start, len(data) if end is None else end.start()


def _first_formula(data: bytes) -> int | None:
    """Offset of the first cell that is a spreadsheet formula, or None.

    Only cells holding one of ``= @ ( |`` can be one, so they alone are matched (found with
    ``bytes.find``, which is fast): a table without these bytes costs four quick scans.
    """
    found = []
    for hint in _FORMULA_HINTS:
        position, cell_end = data.find(hint), 0
        while position >= 0:
            cell_start, cell_end = _cell_around(data, position, cell_end)
            while cell_start < cell_end and data[cell_start] in b" \x0b\x0c":
                cell_start += 1
            if _FORMULA.match(data, cell_start, cell_end):
                found.append(cell_start)
                break
            position = data.find(hint, cell_end)
    return min(found, default=None)


def _refuse_other_separator(header: str, number: int, what: str) -> None:
    for separator, name in ((",", "comma"), (";", "semicolon")):
        if separator in header:
            raise InputError(f"The {what} seems to be {name}-separated; PhyloDash reads "
                             "tab-separated files (save it as 'Text (Tab delimited)').", number)
    if len(header.split()) > 1:
        raise InputError(f"The {what} seems to be separated by spaces; PhyloDash reads "
                         "tab-separated files (save it as 'Text (Tab delimited)').", number)


def _columns_detail(found: int, expected: int) -> str:
    return f"has {found} columns where the header has {expected}"


def _profile_column(columns: list[str], name: str | None, header_line: int) -> int:
    """Index of the named column, else of the first ``ST``-like header, or InputError."""
    if name is not None:
        if name.strip(_SPACE) in columns:
            return columns.index(name.strip(_SPACE))
        raise InputError(f"The isolates file has no column named {_quote(name)}; its columns are "
                         f"{', '.join(map(_quote, columns[:12]))}"
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
        notes.append(f"Isolates without a profile id in column {_quote(name)}: {without}.")
    strangers = len(rows) - without - sum(row >= 0 for row in linked)
    if strangers:
        examples = ", ".join(list(unknown)[:5]) + (", ..." if len(unknown) > 5 else "")
        notes.append(f"Isolates naming a profile that is not in the profile file: {strangers} "
                     f"({examples}).")
    return np.array(linked, dtype=np.int64), notes


# --------------------------------------------------------------------------------------------
# Rows: shape, ids, duplicates


@dataclass
class _Rows:
    """The rows kept by :func:`_scan_rows` and what happened to the others."""

    ids: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # byte offset of each row's first allele
    skipped: list[SkippedLine] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    #: "columns", "id" or "duplicate" -> (line, what is wrong with it) of the rows left out
    problems: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    blank_inside: list[int] = field(default_factory=list)
    total: int = 0


#: A row's shape check: (offset of its first allele in the line, "") or (-1, what is wrong).
_Shape = Callable[[bytes], tuple[int, str]]


def _scan_rows(lines: list[bytes], begin: int, label: str, shape: _Shape) -> _Rows:
    """Check every non-blank line from index ``begin`` on; keep the first row of each id."""
    rows = _Rows()
    seen: dict[str, int] = {}
    blanks: list[int] = []
    offset = sum(len(line) + 1 for line in lines[:begin])
    for index in range(begin, len(lines)):
        line = lines[index]
        number = index + 1
        start = offset
        offset += len(line) + 1
        if _is_blank(line):
            blanks.append(number)
            continue
        rows.blank_inside.extend(blanks)
        blanks.clear()
        rows.total += 1
        cell, detail = shape(line)
        kind = "columns"
        reason = f"Row {detail}; this row was left out."
        if cell >= 0:
            row_id = line[: line.find(b"\t")].decode("utf-8").strip(_SPACE)
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
                rows.starts.append(start + cell)
                continue
        rows.skipped.append(SkippedLine(number, reason))
        rows.problems.setdefault(kind, []).append((number, detail))
    return rows


def _check_rows(rows: _Rows, header_line: int, label: str, shape_advice: str) -> None:
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


def _row_notes(rows: _Rows) -> list[str]:
    if not rows.blank_inside:
        return []
    return [f"Blank lines skipped inside the table: {len(rows.blank_inside)} (first on line "
            f"{rows.blank_inside[0]})."]


# --------------------------------------------------------------------------------------------
# MLST / cgMLST


def _read_mlst(data: bytes, lines: list[bytes], first: int,
               missing_values: Sequence[str] | None) -> tuple[Profiles, ReadReport]:
    header_line = first + 1
    header = _header_cells(lines[first])
    if len(header) == 1:
        _refuse_other_separator(header[0], header_line, "profile file")
        raise InputError("The profile file has a single column: it needs an id column and at "
                         "least one locus column, separated by tabs.", header_line)
    notes: list[str] = []
    skip = 1
    if len(header) >= 3 and header[1] == "ST":
        skip = 2
        notes.append(f"Column 2 ('ST') holds sequence types, not alleles: it was left out of the "
                     f"loci, and column 1 ({_quote(header[0])}) is the id.")
    loci = header[skip:]
    notes.extend(_locus_notes(loci, skip, header_line))
    loci = [name or f"column {skip + index + 1}" for index, name in enumerate(loci)]
    label = header[0].lstrip("#").strip(_SPACE) or "id"
    width = len(header)

    def shape(line: bytes) -> tuple[int, str]:
        tabs = line.count(b"\t")
        if tabs + 1 < width or (tabs + 1 > width
                                and line.rstrip(_SPACE_BYTES).count(b"\t") + 1 > width):
            return -1, _columns_detail(tabs + 1, width)
        cut = line.find(b"\t")
        if skip == 2:
            cut = line.find(b"\t", cut + 1)
        return cut + 1, ""

    rows = _scan_rows(lines, first + 1, label, shape)
    _check_rows(rows, header_line, label, "check that the file is tab-separated and that the "
                "header names every column")
    missing = _mlst_missing(missing_values)
    matrix, alleles = _recode(data, rows.starts, len(loci), False, missing)
    profiles = Profiles(rows.ids, loci, matrix, alleles, missing, "mlst")
    return profiles, _report(profiles, rows, notes + _row_notes(rows))


def _locus_notes(loci: list[str], skip: int, header_line: int) -> list[str]:
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
            notes.append(f"Locus name {_quote(name)} appears {len(columns)} times (columns "
                         f"{', '.join(map(str, columns))}); they are kept as separate loci.")
    return notes


def _mlst_missing(missing_values: Sequence[str] | None) -> tuple[str, ...]:
    if missing_values is None:
        return DEFAULT_MISSING
    return tuple(dict.fromkeys(["", *(value.strip(_SPACE) for value in missing_values)]))


# --------------------------------------------------------------------------------------------
# SNP


def _snp_cells(line: bytes) -> tuple[bytes, bytes] | None:
    """``(id, sequence)`` when the line has exactly two cells (trailing tabs aside)."""
    cells = line.rstrip(b"\t").split(b"\t")
    return (cells[0], cells[1]) if len(cells) == 2 else None


def _snp_like(sequence: bytes, length: int) -> bool:
    return len(sequence) == length and not sequence.translate(None, _SNP_ALPHABET)


def _looks_like_snp(lines: list[bytes], first: int) -> bool:
    """The ``kind="auto"`` test described in :func:`read_profiles`."""
    length = -1
    for line in lines[first + 1:]:
        if _is_blank(line):
            continue
        cells = _snp_cells(line)
        if cells is None:
            return False
        if length < 0:
            length = len(cells[1])
            if length < 2:
                return False
        if not _snp_like(cells[1], length):
            return False
    return length > 0


def _snp_length(lines: list[bytes], first: int) -> int:
    """The most common sequence length after line ``first`` (ties: first seen), else line
    ``first``'s, else 0 when no line has two cells."""
    lengths: Counter[int] = Counter()
    for line in lines[first + 1:]:
        cells = _snp_cells(line)
        if cells is not None and cells[1]:
            lengths[len(cells[1])] += 1
    if lengths:
        return lengths.most_common(1)[0][0]
    head = _snp_cells(lines[first])
    return len(head[1]) if head is not None else 0


def _read_snp(data: bytes, lines: list[bytes], first: int,
              missing_values: Sequence[str] | None) -> tuple[Profiles, ReadReport]:
    length = _snp_length(lines, first)
    if length == 0:
        raise InputError("No line of the profile file has the two columns of an SNP profile "
                         "(an id, then a sequence).", first + 1)
    head = _snp_cells(lines[first])
    header_line = first + 1
    label = "id"
    loci = [str(i) for i in range(1, length + 1)]
    notes: list[str] = []
    if head is not None and _snp_like(head[1], length):
        begin = first
        notes.append(f"The SNP file has no header; its loci are named 1 to {length} after "
                     "their position.")
    else:
        begin = first + 1
        header = _header_cells(lines[first])
        label = header[0].lstrip("#").strip(_SPACE) or label
        if len(header) == length + 1:
            notes.extend(_locus_notes(header[1:], 1, header_line))
            loci = [name or f"column {index + 2}" for index, name in enumerate(header[1:])]
        else:
            notes.append(f"Line {header_line} was read as the header of the SNP file; its loci "
                         f"are named 1 to {length} after their position.")

    def shape(line: bytes) -> tuple[int, str]:
        cells = _snp_cells(line)
        if cells is None:
            found = line.count(b"\t") + 1
            return -1, f"has {found} columns where an SNP profile has 2 (an id and a sequence)"
        if not cells[1].isascii():
            return -1, "has characters other than plain letters and punctuation in its sequence"
        if len(cells[1]) != length:
            return -1, (f"has a sequence of {len(cells[1])} characters where the profiles "
                        f"have {length}")
        return len(cells[0]) + 1, ""

    rows = _scan_rows(lines, begin, label, shape)
    _check_rows(rows, header_line, label, "each SNP profile needs an id, a tab, then a sequence "
                "as long as the others")
    missing = _snp_missing(missing_values)
    matrix, alleles = _recode(data, rows.starts, length, True, missing)
    profiles = Profiles(rows.ids, loci, matrix, alleles, missing, "snp")
    return profiles, _report(profiles, rows, notes + _row_notes(rows))


def _snp_missing(missing_values: Sequence[str] | None) -> tuple[str, ...]:
    extra = [value for value in missing_values or () if len(value) == 1]
    return tuple(dict.fromkeys([*SNP_MISSING, *extra]))


# --------------------------------------------------------------------------------------------
# Recoding and the report


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


def _report(profiles: Profiles, rows: _Rows, notes: list[str]) -> ReadReport:
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
