r"""MLST / cgMLST profile tables read a block of lines at a time (the format is in
:mod:`engine.io.profiles`).

:class:`MlstReader` takes the blocks of :func:`~engine.io.blocks.text_blocks` one by one: it reads the
header in the first block that has a non-blank line, checks every block for formulas and markup,
checks each row and recodes the kept rows of each block (:class:`~engine.io.recoding.Recoder`), so
it holds one block of text and the codes, never the whole text. Its errors and report are those of a
reading of the whole text: a web page, a formula or markup (the first in the file) comes before a
problem of the header, which comes before the rows' problems; once a problem is met the blocks that
follow are only checked for one that comes before it.
"""

from __future__ import annotations

from engine.errors import InputError
from engine.io.blocks import Block, block_lines
from engine.io.recoding import Recoder, finish
from engine.io.rows import RowScanner, check_rows, locus_notes
from engine.io.text import (
    SPACE,
    SPACE_BYTES,
    active_content_error,
    columns_detail,
    header_cells,
    html_error,
    is_blank,
    other_separator_error,
    quote,
)
from engine.models import Profiles, ReadReport

__all__ = ["MlstReader"]

#: The profile file, in messages.
_WHAT = "profile file"


class MlstReader:
    r"""The profiles of an MLST / cgMLST table fed to :meth:`add` a block at a time, from
    :meth:`result`.

    ``missing`` are the values read as missing.

    Examples
    --------
    >>> from engine.io.blocks import Block
    >>> reader = MlstReader(("", "-"))
    >>> reader.add(Block(0, b"ST\tadk\tpurA\n1\t7\t01\n"))
    >>> reader.add(Block(2, b"2\t-\t1\n"))
    >>> profiles, report = reader.result()
    >>> profiles.ids, profiles.matrix.tolist(), report.missing_cells
    (['1', '2'], [[1, 1], [0, 2]], 1)
    """

    def __init__(self, missing: tuple[str, ...]) -> None:
        self._missing = missing
        self._error: tuple[int, InputError] | None = None  # rank 0: active content; 1: the header
        self._header: list[str] | None = None
        self._header_line = 0
        self._width = 0
        self._skip = 1
        self._notes: list[str] = []
        self._loci: list[str] = []
        self._scanner: RowScanner | None = None
        self._recoder: Recoder | None = None

    def _keep(self, rank: int, error: InputError | None) -> None:
        if error is not None and (self._error is None or rank < self._error[0]):
            self._error = (rank, error)

    def add(self, block: Block) -> None:
        """Read the next block of the file's text."""
        lines = block_lines(block.text)
        begin = 0
        if self._header is None:
            begin = next((index for index, line in enumerate(lines) if not is_blank(line)), len(lines))
            if begin == len(lines):
                return
            self._start(lines[begin], block.before + begin + 1)
            begin += 1
        if self._error is None or self._error[0] > 0:
            self._keep(0, active_content_error(block.text, block.before, self._header or [],
                                               self._header_line, _WHAT))
        if self._error is None and self._scanner is not None and self._recoder is not None:
            self._recoder.add(block.text, self._scanner.scan(lines, begin, block.before))

    def _start(self, line: bytes, number: int) -> None:
        """Read the header, line ``number``."""
        self._header_line = number
        self._keep(0, html_error(line, number, _WHAT))
        header = self._header = header_cells(line)
        self._width = len(header)
        if len(header) == 1:
            self._keep(1, other_separator_error(header[0], number, _WHAT) or InputError(
                "The profile file has a single column: it needs an id column and at least one locus "
                "column, separated by tabs.", number))
            return
        if len(header) >= 3 and header[1] == "ST":
            self._skip = 2
            self._notes.append(f"Column 2 ('ST') holds sequence types, not alleles: it was left out "
                               f"of the loci, and column 1 ({quote(header[0])}) is the id.")
        loci = header[self._skip:]
        self._notes.extend(locus_notes(loci, self._skip, number))
        self._loci = [name or f"column {self._skip + index + 1}" for index, name in enumerate(loci)]
        self._scanner = RowScanner(header[0].lstrip("#").strip(SPACE) or "id", self._shape)
        self._recoder = Recoder(len(self._loci), False, self._missing)

    def _shape(self, line: bytes) -> tuple[int, str]:
        width = self._width
        tabs = line.count(b"\t")
        if tabs + 1 < width or (tabs + 1 > width and line.rstrip(SPACE_BYTES).count(b"\t") + 1 > width):
            return -1, columns_detail(tabs + 1, width)
        cut = line.find(b"\t")
        if self._skip == 2:
            cut = line.find(b"\t", cut + 1)
        return cut + 1, ""

    def result(self) -> tuple[Profiles, ReadReport]:
        """The profiles and the read report, once every block of the file was added; InputError
        (the first problem, in the order above) when the file cannot be used."""
        if self._error is not None:
            raise self._error[1]
        if self._scanner is None or self._recoder is None:
            raise InputError(f"The {_WHAT} has only blank lines.")
        rows = self._scanner.rows
        check_rows(rows, self._header_line, self._scanner.label, "check that the file is tab-separated "
                   "and that the header names every column")
        return finish(self._recoder, rows, self._loci, "mlst", self._missing, self._notes)
