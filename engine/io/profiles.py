r"""Profile tables, MLST / cgMLST or SNP, read into allele codes.

Format
------
Profiles, MLST / cgMLST (``kind="mlst"``): tab-separated text, one profile a line. Line 1 is a
header: the id column (any name: ``ST``, ``#Name``, ``#Strain``, ...), then one column per locus.
When the *second* header is ``ST`` (GrapeTree / EnteroBase exports, ``#Name<TAB>ST<TAB>locus...``)
that column holds sequence types, not alleles: it is left out and column 1 stays the id. Duplicate
locus names are kept as separate loci (the report notes them). SNP profiles (``kind="snp"``) are
described in :mod:`engine.io.snp`; the text both kinds accept, and the files refused, in
:mod:`engine.io.text`; the rows left out in :mod:`engine.io.rows`.

Missing values
--------------
A cell is missing when, after trimming, it is empty or equals one of ``missing_values`` (default
:data:`DEFAULT_MISSING`: empty, ``-``, ``?``, ``N`` and ``0``). An empty cell is always missing.
Allele values are compared as strings: ``01`` and ``1`` are different alleles.

EnteroBase writes ``-1`` for a locus that was not called. With the default list ``-1`` is an
ordinary allele, as in the reference outputs of PHYLOViZ and PhyloDB (``../shared/reference``,
agona dataset: only ``-`` is missing there). Pass ``missing_values=(*DEFAULT_MISSING, "-1")`` to
read it as missing instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from engine.errors import ParameterError
from engine.io.blocks import Block, block_lines, text_blocks
from engine.io.compressed import INFLATE_LIMIT
from engine.io.mlst import MlstReader
from engine.io.snp import read_snp, snp_length
from engine.io.text import SPACE, Source, is_blank
from engine.models import Profiles, ReadReport

__all__ = ["DEFAULT_MISSING", "read_profiles"]


#: Missing-value codes of MLST / cgMLST profiles (an empty cell is always missing).
DEFAULT_MISSING: tuple[str, ...] = ("", "-", "?", "N", "0")


def read_profiles(
    source: Source,
    *,
    missing_values: Sequence[str] | None = None,
    kind: str = "auto",
    inflate_limit: int = INFLATE_LIMIT,
) -> tuple[Profiles, ReadReport]:
    r"""Read a profile table into allele codes.

    Parameters
    ----------
    source : binary file handle or bytes
        The whole file (a handle is read a block at a time). A path or a ``str`` is refused
        (``TypeError``): open the file in binary mode, or use :func:`~engine.io.datasets.open_dataset`.
    missing_values : sequence of str, optional
        Cell values that mean "missing". Default (``None``): :data:`DEFAULT_MISSING` for MLST;
        for SNP the characters of :data:`~engine.io.snp.SNP_MISSING`. An explicit list replaces the
        MLST default (an empty cell stays missing) and adds its one-character entries to
        :data:`~engine.io.snp.SNP_MISSING` for SNP data. The list used is in
        ``Profiles.missing_values`` and the report.
    kind : {"auto", "mlst", "snp"}, default "auto"
        ``"auto"`` takes the file for SNP profiles when it has at least two non-blank lines,
        every line after the first has exactly two cells (trailing tabs aside), and the second
        cells are all as long as each other, at least 2 characters, made only of
        ``A C G T U N``, IUPAC ambiguity codes (either case), ``0 1 - ? . *`` and spaces.
        Anything else is MLST. The first line of an SNP file is a header unless it has that
        same shape. A 1-locus MLST file fails the test because its alleles differ in length or
        use other digits. ``"mlst"`` or ``"snp"`` force the kind.
    inflate_limit : int, default :data:`~engine.io.compressed.INFLATE_LIMIT`
        The most bytes a gzip-compressed ``source`` may decompress to (2 GB by default); the
        file is recognised by its leading bytes, whatever its name, and read as the text it holds.

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
        ``None`` for a problem of the whole file (empty, a damaged or too large gzip file, ...).
    ParameterError
        When ``kind`` is not one of the allowed values.
    TypeError
        When ``source`` is not bytes or a binary file handle, or ``missing_values`` is a str.

    Notes
    -----
    Time is linear in the file size: rows are checked line by line in Python and the cells recoded
    by a compiled kernel (about 1 s for 5,000 profiles x 3,000 loci). An MLST / cgMLST file is read a
    block of lines at a time (:mod:`engine.io.blocks`, :mod:`engine.io.mlst`), from a file handle and
    through gzip alike, so memory is the codes and the alleles plus one block of text, not the
    file's text. An SNP file's text is held as its blocks (the sequence length is the most common one
    of the whole file, and ``kind="auto"`` reads to the end to decide), never joined, and its rows are
    checked and recoded a block at a time (:mod:`engine.io.snp`). The first call in a fresh
    installation compiles the kernel (a few seconds); numba caches it on disk.

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
    blocks = text_blocks(source, "profile file", "read_profiles", inflate_limit)
    held, snp = _kind(blocks, kind)
    if snp:
        return read_snp([*held, *blocks], missing_values)
    reader = MlstReader(_mlst_missing(missing_values))
    while held:
        reader.add(held.pop(0))
    for block in blocks:
        reader.add(block)
    return reader.result()


def _kind(blocks: Iterator[Block], kind: str) -> tuple[list[Block], bool]:
    """The blocks read until the kind is known (all of them when the file may be SNP profiles to its
    end) and whether it is SNP profiles; ``kind`` is a valid choice."""
    held: list[Block] = []
    length = 0 if kind == "auto" else -1  # that of the SNP sequences so far; -1: decided
    header = False
    for block in blocks:
        held.append(block)
        lines = block_lines(block.text)
        begin = 0
        if not header:
            begin = next((index + 1 for index, line in enumerate(lines) if not is_blank(line)), 0)
            header = begin > 0
        if header and length >= 0:
            length = snp_length(lines[begin:], length)
        if length < 0:
            break
    return held, kind == "snp" or length > 0


def _mlst_missing(missing_values: Sequence[str] | None) -> tuple[str, ...]:
    if missing_values is None:
        return DEFAULT_MISSING
    return tuple(dict.fromkeys(["", *(value.strip(SPACE) for value in missing_values)]))
