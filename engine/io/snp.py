"""SNP profiles: one profile a line, an id then a sequence of one character per locus.

Format
------
Profiles, SNP (``kind="snp"``): one profile a line, ``id<TAB>sequence``, one character per locus,
every sequence the same length (PhyloDB's SNP format). A header line is optional; loci are named
``1`` .. ``L``, or after the header when it has ``L + 1`` columns.

Missing values
--------------
A character is missing when it is ``-``, ``N``, ``?`` or a space, or when it is one of the
single-character entries of an explicit ``missing_values``. The MLST default ``0`` is not applied
to SNP data, where ``0`` and ``1`` are the two states of a binary SNP.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from engine.errors import InputError
from engine.io.blocks import Block, block_lines
from engine.io.recoding import Recoder, finish
from engine.io.rows import RowScanner, check_rows, locus_notes
from engine.io.text import SPACE, active_content_error, header_cells, html_error, is_blank
from engine.models import Profiles, ReadReport

__all__ = ["SNP_MISSING", "looks_like_snp", "read_snp", "snp_length"]


#: The profile file, in messages.
_WHAT = "profile file"
#: Characters that are always missing in SNP profiles.
SNP_MISSING: tuple[str, ...] = ("-", "N", "?", " ")
#: Characters an SNP sequence may hold for ``kind="auto"`` to take a file for SNP profiles.
_SNP_ALPHABET = b"ACGTUNRYSWKMBDHVacgtunryswkmbdhv01-?.* "


def _snp_cells(line: bytes) -> tuple[bytes, bytes] | None:
    """``(id, sequence)`` when the line has exactly two cells (trailing tabs aside)."""
    cells = line.rstrip(b"\t").split(b"\t")
    return (cells[0], cells[1]) if len(cells) == 2 else None


def _snp_like(sequence: bytes, length: int) -> bool:
    return len(sequence) == length and not sequence.translate(None, _SNP_ALPHABET)


def looks_like_snp(lines: list[bytes], first: int) -> bool:
    r"""The ``kind="auto"`` test described in :func:`~engine.io.profiles.read_profiles`, on the lines
    after index ``first``.

    >>> looks_like_snp(b"ID\tsequence\n1\tACGT\n2\tAC-T\n".split(b"\n"), 0)
    True
    >>> looks_like_snp(b"ST\taroE\n1\t12\n2\t3\n".split(b"\n"), 0)
    False
    """
    return snp_length(lines[first + 1:]) > 0


def snp_length(lines: Iterable[bytes], length: int = 0) -> int:
    r"""The length of the sequences of ``lines`` when each non-blank one passes the ``kind="auto"``
    test, carrying on from the ``length`` of earlier lines (0: none yet); 0 when no line is
    non-blank (nor was one before); -1 when one fails the test.

    >>> snp_length([b"1\tACGT", b""]), snp_length([b"2\tAC"], 4), snp_length([b""], 4)
    (4, -1, 4)
    """
    for line in lines:
        if is_blank(line):
            continue
        cells = _snp_cells(line)
        if cells is None:
            return -1
        if length == 0:
            length = len(cells[1])
            if length < 2:
                return -1
        if not _snp_like(cells[1], length):
            return -1
    return length


def read_snp(blocks: Sequence[Block], missing_values: Sequence[str] | None) -> tuple[Profiles, ReadReport]:
    """The SNP profiles of a file whose whole text is ``blocks`` (checked by
    :func:`~engine.io.blocks.text_blocks`) and their read report, as
    :func:`~engine.io.profiles.read_profiles` returns them.

    The blocks are read more than once (the sequence length is the most common one of the whole file,
    needed before any row is checked) but never joined: memory is the blocks, one block's lines and
    the codes, recoded a block at a time. The errors and the report are those of a reading of the
    whole text.
    """
    at, first = next((at, index) for at, block in enumerate(blocks)
                     for index, line in enumerate(block_lines(block.text)) if not is_blank(line))
    header_line = blocks[at].before + first + 1
    top = block_lines(blocks[at].text)[first]
    cells = header_cells(top)
    error = html_error(top, header_line, _WHAT) or next(
        (found for block in blocks if (found := active_content_error(
            block.text, block.before, cells, header_line, _WHAT)) is not None), None)
    if error is not None:
        raise error
    length = _snp_length(blocks, at, first)
    if length == 0:
        raise InputError("No line of the profile file has the two columns of an SNP profile "
                         "(an id, then a sequence).", header_line)
    head = _snp_cells(top)
    label = "id"
    loci = [str(i) for i in range(1, length + 1)]
    notes: list[str] = []
    if head is not None and _snp_like(head[1], length):
        begin = first
        notes.append(f"The SNP file has no header; its loci are named 1 to {length} after "
                     "their position.")
    else:
        begin = first + 1
        label = cells[0].lstrip("#").strip(SPACE) or label
        if len(cells) == length + 1:
            notes.extend(locus_notes(cells[1:], 1, header_line))
            loci = [name or f"column {index + 2}" for index, name in enumerate(cells[1:])]
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

    scanner = RowScanner(label, shape)
    starts = [scanner.scan(block_lines(block.text), begin if index == 0 else 0, block.before)
              for index, block in enumerate(blocks[at:])]
    check_rows(scanner.rows, header_line, label, "each SNP profile needs an id, a tab, then a sequence "
               "as long as the others")
    missing = _snp_missing(missing_values)
    recoder = Recoder(len(loci), True, missing)
    for block, block_starts in zip(blocks[at:], starts, strict=True):
        if block_starts:
            recoder.add(block.text, block_starts)
    return finish(recoder, scanner.rows, loci, "snp", missing, notes)


def _snp_length(blocks: Sequence[Block], at: int, first: int) -> int:
    """The most common sequence length after line ``first`` of block ``at`` (ties: first seen), else
    that line's, else 0 when no line has two cells."""
    lengths: Counter[int] = Counter()
    for index, block in enumerate(blocks[at:]):
        for line in block_lines(block.text)[first + 1 if index == 0 else 0:]:
            cells = _snp_cells(line)
            if cells is not None and cells[1]:
                lengths[len(cells[1])] += 1
    if lengths:
        return lengths.most_common(1)[0][0]
    head = _snp_cells(block_lines(blocks[at].text)[first])
    return len(head[1]) if head is not None else 0


def _snp_missing(missing_values: Sequence[str] | None) -> tuple[str, ...]:
    extra = [value for value in missing_values or () if len(value) == 1]
    return tuple(dict.fromkeys([*SNP_MISSING, *extra]))
