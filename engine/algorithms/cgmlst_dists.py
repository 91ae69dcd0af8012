"""The pairwise distance table of Torsten Seemann's ``cgmlst-dists`` (0.4.0), byte for byte.

``cgmlst-dists`` reads a chewBBACA allele-call table and prints the number of loci at which two
samples both have a call and the calls differ. Read from its ``main.c`` (tseemann/cgmlst-dists
``f136c7a``), its rules are:

- **Lines** are read with ``fgets`` into a 100,000-byte buffer (a longer line is cut into pieces,
  each read as a row). The first line is the header; every later line is a sample.
- **Cleaning** (samples only): after the first tab, ``PLOT3`` and ``PLOT5`` become ``    0`` and
  every ASCII letter becomes a space. The text from the first tab to the end of the line must hold
  at least 5 bytes, or the program stops (``str_replace`` refuses): so a blank line, or a row such
  as ``A<TAB>1``, is an error.
- **Cells** are the pieces between tabs, CRs and LFs, **empty pieces skipped** (``strtok``); the
  first is the sample id, every other becomes ``abs(atoi(cell))``. So ``LNF``, ``NIPH``, ``ASM``,
  ``ALM``, ``PLOT3``, ``-``, ``?``, ``N``, ``0`` and ``0x1`` are 0 (missing); ``INF-8`` is
  ``   -8``, i.e. allele 8 (the same as ``8``); ``-1`` is allele 1; ``12abc`` and ``x12`` are 12.
- Every sample line must have as many cells as the header has columns after the first, else it
  stops ("row R had C cols, expected E"); at most 100,000 lines are read.
- **Distance**: loci where both calls are non-zero and differ; counting stops at ``-x`` (default
  9999), which is then printed.
- **Output**: a header ``cgmlst-dists`` followed by the ids, then one line per sample, its id and
  the distances (full matrix; ``-m 1`` lower triangle with the diagonal, ``-m 2`` upper triangle
  with the diagonal), separated by tabs (``-c``: commas), each line ending in ``\\n``. With no
  sample the output is a single ``\\n``.

:func:`cgmlst_dists_text` takes the file's bytes (exact emulation, errors included) or a
:class:`~engine.models.Dataset` (the same cell rule applied to the alleles our reader kept: missing
cells are 0, ids and loci are the reader's, e.g. an EnteroBase ``ST`` column is not a locus).
:func:`write_cgmlst_dists` streams the table for large inputs.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

import numba
import numpy as np

from engine.algorithms.distances import mode_code, row_distance
from engine.errors import InputError, ParameterError
from engine.io.compressed import inflate
from engine.models import CancelCheck, Dataset, ProgressCallback
from engine.progress import check_cancel, report

__all__ = ["CgmlstCalls", "cgmlst_allele", "cgmlst_dists_text", "parse_cgmlst_calls",
           "write_cgmlst_dists"]

#: Bytes ``fgets`` reads at most per call (``MAX_LINE - 1``).
_FGETS = 100_000 - 1
#: Lines ``cgmlst-dists`` reads at most (``MAX_ASM``).
_MAX_ROWS = 100_000
#: ``-m`` values.
_MATRIX = {"lower": 1, "upper": 2, "full": 3}
_DELIMITERS = re.compile(rb"[\t\r\n]+")
_LETTERS = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", b" " * 52)
_ATOI = re.compile(rb"[ \t\n\v\f\r]*([+-]?)([0-9]*)")


@dataclass(frozen=True)
class CgmlstCalls:
    """Sample ids and their integer calls (0 = missing), as ``cgmlst-dists`` holds them."""

    ids: list[str]
    calls: np.ndarray


def _atoi(cell: bytes) -> int:
    """glibc ``atoi``: ``strtol`` clamped to 64 bits, then cut to a 32-bit int."""
    match = _ATOI.match(cell)
    assert match is not None
    digits = match.group(2)
    value = int(digits) if digits else 0
    if match.group(1) == b"-":
        value = -value
    value = max(-(1 << 63), min((1 << 63) - 1, value))
    return ((value + (1 << 31)) % (1 << 32)) - (1 << 31)


def _abs_int(value: int) -> int:
    return value if value == -(1 << 31) else abs(value)


def _clean(rest: bytes) -> bytes:
    return rest.replace(b"PLOT3", b"    0").replace(b"PLOT5", b"    0").translate(_LETTERS)


def cgmlst_allele(cell: str) -> int:
    """The integer ``cgmlst-dists`` makes of one call (0 = missing).

    Examples
    --------
    >>> [cgmlst_allele(c) for c in ["7", "INF-8", "LNF", "-1", "PLOT5", "12abc", "-", "0x1"]]
    [7, 8, 0, 1, 0, 12, 0, 0]
    """
    return _abs_int(_atoi(_clean(cell.encode("utf-8", "surrogateescape"))))


def _lines(data: bytes) -> Iterator[bytes]:
    """The pieces ``fgets`` returns with a 100,000-byte buffer."""
    position = 0
    size = len(data)
    while position < size:
        newline = data.find(b"\n", position, position + _FGETS)
        end = position + _FGETS if newline < 0 else newline + 1
        end = min(end, size)
        yield data[position:end]
        position = end


def parse_cgmlst_calls(data: bytes) -> CgmlstCalls:
    """Read an allele-call table exactly as ``cgmlst-dists`` does (module docstring).

    A gzip-compressed table (``cgmlst-dists`` reads text only) is decompressed first, with the
    default bound of :func:`~engine.io.compressed.inflate`, and read as its text.

    Raises
    ------
    InputError
        Where ``cgmlst-dists`` stops with an error, with its reason and the line; or when the gzip
        data is damaged, cut short or inflates past the bound.
    """
    ids: list[str] = []
    rows: list[list[int]] = []
    columns = 0
    row = -1
    for number, line in enumerate(_lines(inflate(bytes(data), "profile file")), start=1):
        if row >= 0:
            tab = line.find(b"\t")
            rest = line[tab:] if tab >= 0 else b""
            if len(rest) < 5:
                raise InputError(
                    "cgmlst-dists stops here: fewer than 5 characters follow the sample id "
                    f"(it cannot clean the line; str_replace({len(rest)},5,5))", number)
            line = line[:tab] + _clean(rest)
        cells = [cell for cell in _DELIMITERS.split(line) if cell]
        count = len(cells) - 1
        if row >= 0 and cells:
            ids.append(cells[0].decode("utf-8", "surrogateescape"))
            rows.append([_abs_int(_atoi(cell)) for cell in cells[1:]])
        row += 1
        if row == 0:
            columns = count
        if row >= _MAX_ROWS:
            raise InputError(f"cgmlst-dists reads at most {_MAX_ROWS} lines", number)
        if count != columns:
            raise InputError(
                f"row {row + 1} had {count + 1} cols, expected {columns} (cgmlst-dists stops here)",
                number)
    calls = np.array(rows, dtype=np.int64).reshape(len(rows), max(columns, 0))
    return CgmlstCalls(ids, calls)


def _dataset_calls(dataset: Dataset) -> CgmlstCalls:
    profiles = dataset.profiles
    matrix = np.asarray(profiles.matrix)
    calls = np.zeros(matrix.shape, np.int64)
    for locus in range(matrix.shape[1]):
        table = np.array([0, *(cgmlst_allele(text) for text in profiles.alleles[locus][1:])],
                         np.int64)
        calls[:, locus] = table[matrix[:, locus]]
    return CgmlstCalls(list(profiles.ids), calls)


@numba.njit(cache=True, parallel=True)
def _rows(calls, mode, first, out, max_distance):
    """``out[r, i]`` = distance of samples first + r and i under ``mode`` (cgmlst-dists's rule is the
    ``ignore`` mode over its calls: loci where both have a call and the calls differ), capped."""
    n = calls.shape[0]
    for r in numba.prange(out.shape[0]):
        j = first + r
        for i in range(n):
            diff = 0 if i == j else row_distance(calls, j, i, mode)
            if diff > 0 and diff >= max_distance:
                diff = max_distance
            out[r, i] = diff


def write_cgmlst_dists(
    source: Dataset | bytes,
    handle: BinaryIO | TextIO,
    *,
    missing: str | None = None,
    separator: str = "\t",
    matrix: str = "full",
    max_distance: int = 9999,
    block_rows: int = 256,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> None:
    """Stream the ``cgmlst-dists`` table to a file handle, a block of rows at a time.

    Parameters
    ----------
    source : Dataset or bytes
        The allele-call table's bytes (read exactly as cgmlst-dists does) or a dataset.
    missing : {None, "difference", "ignore", "allele"}
        None (the default) counts as cgmlst-dists does; a missing-data mode of the engine's Hamming
        distance (:mod:`engine.algorithms.distances`) counts over the dataset's alleles as the reader
        read them instead (``source`` must then be a dataset).
    handle : binary or text file handle
        Where the table goes (bytes are written as they came in, ids included).
    separator : {"\\t", ","}
        ``,`` is ``cgmlst-dists -c``.
    matrix : {"full", "lower", "upper"}
        ``-m 3``, ``-m 1``, ``-m 2``.
    max_distance : int
        ``-x``: counting stops there and the value printed is ``max_distance``.
    block_rows : int
        Rows computed at a time (memory ``8 * block_rows * n`` bytes).
    progress, cancel : callable, optional
        Hooks called between blocks.

    Raises
    ------
    InputError
        Where cgmlst-dists stops with an error (bytes input).
    ParameterError
        For an unknown ``matrix`` or ``separator``.

    Notes
    -----
    O(n^2 L) time on all cores, O(n L + block_rows n) memory.
    """
    if separator not in ("\t", ","):
        raise ParameterError("separator must be a tab or a comma, as in cgmlst-dists")
    try:
        mode = _MATRIX[matrix]
    except KeyError:
        raise ParameterError(f"{matrix!r} is not a matrix layout; choose one of "
                             f"{', '.join(_MATRIX)}") from None
    if missing is None:
        parsed = _dataset_calls(source) if isinstance(source, Dataset) else parse_cgmlst_calls(source)
        counted = mode_code("ignore")
    elif isinstance(source, Dataset):
        parsed, counted = CgmlstCalls(list(source.profiles.ids), source.profiles.matrix), mode_code(missing)
    else:
        raise ParameterError("a missing-data mode needs the profiles read as a dataset")
    binary = not isinstance(handle, io.TextIOBase)

    def emit(text: str) -> None:
        if binary:
            handle.write(text.encode("utf-8", "surrogateescape"))  # type: ignore[arg-type]
        else:
            handle.write(text)  # type: ignore[arg-type]

    ids = parsed.ids
    n = len(ids)
    emit("".join(("cgmlst-dists" if j == 0 else "") + separator + ids[j] for j in range(n)) + "\n")
    calls = np.ascontiguousarray(parsed.calls)
    step = max(1, int(block_rows))
    for first in range(0, n, step):
        check_cancel(cancel, "the distance table")
        stop = min(n, first + step)
        out = np.empty((stop - first, n), np.int64)
        _rows(calls, counted, first, out, int(max_distance))
        lines = []
        for r in range(stop - first):
            j = first + r
            start = 0 if mode & 1 else j
            end = n if mode & 2 else j + 1
            values = out[r, start:end]
            lines.append(ids[j] + "".join(separator + str(v) for v in values.tolist()) + "\n")
        emit("".join(lines))
        report(progress, stop / n)


def cgmlst_dists_text(
    source: Dataset | bytes,
    *,
    missing: str | None = None,
    separator: str = "\t",
    matrix: str = "full",
    max_distance: int = 9999,
) -> str:
    """The table ``cgmlst-dists`` prints, as a string (see :func:`write_cgmlst_dists`).

    Examples
    --------
    >>> cgmlst_dists_text(b"FILE\\tg1\\tg2\\tg3\\nA\\t1\\tLNF\\t3\\nB\\t1\\tINF-2\\t4\\n").splitlines()
    ['cgmlst-dists\\tA\\tB', 'A\\t0\\t1', 'B\\t1\\t0']
    """
    buffer = io.StringIO()
    write_cgmlst_dists(source, buffer, missing=missing, separator=separator, matrix=matrix,
                       max_distance=max_distance)
    return buffer.getvalue()
