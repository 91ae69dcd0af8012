r"""Bytes in, checked text out: the first steps of every reader of typing tables.

A reader takes the whole file as bytes or as a file handle opened in binary mode (never a path or a
``str``), and :mod:`engine.io.blocks` reads it, decompresses it when it is gzip-compressed
(:mod:`engine.io.compressed`) and turns it into UTF-8 bytes with LF line ends, a block of lines at a
time. So
every reader accepts LF, CRLF and CR-only line endings, a UTF-8 byte-order mark (or UTF-16 text
with its byte-order mark, as Excel's "Unicode text" saves it), blank lines anywhere (skipped; lines
of tabs and spaces only count as blank) and spaces around cells (trimmed). Line numbers are the
file's physical lines, 1-based, the header being line 1.

Problems
--------
A file that cannot be used at all raises :class:`~engine.errors.InputError` with a sentence a
biologist understands and the line number where it applies: empty, blank, binary, an image, a PDF,
a damaged, cut-short or too large gzip file, an archive or not UTF-8; a web page; not tab-separated;
or holding a spreadsheet formula or HTML markup.

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

import re
from typing import BinaryIO

from engine.errors import InputError

__all__ = [
    "SPACE",
    "SPACE_BYTES",
    "Source",
    "active_content_error",
    "columns_detail",
    "first_nonblank",
    "header_cells",
    "html_error",
    "is_blank",
    "other_separator_error",
    "quote",
    "refuse_active_content",
]


#: Whitespace trimmed around cells and ids (ASCII only, like the recoding kernel).
SPACE = " \t\n\r\x0b\x0c"
#: :data:`SPACE` as bytes.
SPACE_BYTES = SPACE.encode()
_HTML_STARTS = ("<!doctype", "<html", "<?xml", "<head", "<body", "<script")
#: A spreadsheet formula, matched at the first non-space byte of a cell ("Formulas and markup" above).
_FORMULA = re.compile(rb"[=@][ \x0b\x0c]*[^\s]|[+-][^\t\n]*?(?:[A-Za-z_][\w.]*\(|\|)")
#: Every formula holds one of these bytes: only the cells that hold one are matched.
_FORMULA_HINTS = b"=@(|"
#: The end of a cell.
_CELL_END = re.compile(rb"[\t\n]")
#: HTML markup anywhere in a cell.
_MARKUP = re.compile(rb"<[A-Za-z/!?]")


#: What a reader reads: the whole file as bytes, or a file handle opened in binary mode.
Source = BinaryIO | bytes | bytearray | memoryview


def is_blank(line: bytes) -> bool:
    """Whether ``line`` holds nothing but whitespace."""
    return not line.strip(SPACE_BYTES)


def first_nonblank(lines: list[bytes]) -> int:
    """Index of the first line that is not blank (the text of :mod:`engine.io.blocks` has one)."""
    return next(index for index, line in enumerate(lines) if not is_blank(line))


def quote(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def header_cells(line: bytes) -> list[str]:
    r"""The trimmed cells of a header line, trailing empty cells dropped (one cell at least).

    >>> header_cells(b"#Name \t ST\t\tadk\t\t")
    ['#Name', 'ST', '', 'adk']
    """
    cells = [cell.strip(SPACE) for cell in line.decode("utf-8").split("\t")]
    while len(cells) > 1 and not cells[-1]:
        cells.pop()
    return cells


def html_error(line: bytes, number: int, what: str) -> InputError | None:
    """The error for a header (line ``number``) that starts a web page, or None."""
    if line.decode("utf-8").strip(SPACE).lower().startswith(_HTML_STARTS):
        return InputError(f"The {what} looks like a web page (HTML), not a tab-separated table.", number)
    return None


def refuse_active_content(data: bytes, lines: list[bytes], first: int, what: str) -> None:
    """InputError when the file is a web page, or for its first cell that holds a spreadsheet
    formula or HTML markup (the rule is in the module docstring); the header is line ``first``."""
    error = (html_error(lines[first], first + 1, what)
             or active_content_error(data, 0, header_cells(lines[first]), first + 1, what))
    if error is not None:
        raise error


def active_content_error(text: bytes, before: int, header: list[str], header_line: int,
                         what: str) -> InputError | None:
    """The error for the first cell of ``text`` (whole lines, the first one line ``before + 1`` of
    the file) that holds a spreadsheet formula or HTML markup, or None; a cell below the header
    (``header``, line ``header_line``) is named after its column."""
    found = []
    formula = _first_formula(text)
    if formula is not None:
        found.append((formula, "a spreadsheet formula. Spreadsheet formulas have no place in typing "
                      "data (a spreadsheet that opens the file could run a program or open a link): "
                      "keep the values only"))
    markup = _MARKUP.search(text)
    if markup:
        found.append((markup.start(), "HTML markup (a tag such as <b> or <script>). Markup has no "
                      "place in typing data (a web page that shows it could run a script): keep plain "
                      "text only"))
    if not found:
        return None
    position, reason = min(found)
    cell_start, cell_end = _cell_around(text, position)
    cell = text[cell_start:cell_end].decode("utf-8").strip(SPACE)
    column = text.count(b"\t", text.rfind(b"\n", 0, position) + 1, position) + 1
    number = before + text.count(b"\n", 0, position) + 1
    name = header[column - 1] if number > header_line and column <= len(header) else ""
    named = f" ({quote(name)})" if name else ""
    return InputError(f"Column {column}{named} of the {what} holds {quote(cell)}, which is {reason} "
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


def other_separator_error(header: str, number: int, what: str) -> InputError | None:
    """The error for a header read as one cell (line ``number``) that is separated by commas,
    semicolons or spaces, or None."""
    for separator, name in ((",", "comma"), (";", "semicolon")):
        if separator in header:
            return InputError(f"The {what} seems to be {name}-separated; PhyloDash reads "
                              "tab-separated files (save it as 'Text (Tab delimited)').", number)
    if len(header.split()) > 1:
        return InputError(f"The {what} seems to be separated by spaces; PhyloDash reads "
                          "tab-separated files (save it as 'Text (Tab delimited)').", number)
    return None


def columns_detail(found: int, expected: int) -> str:
    """What is wrong with a row of ``found`` cells under a header of ``expected``."""
    return f"has {found} columns where the header has {expected}"
