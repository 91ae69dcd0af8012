"""Profile and isolate tables written back as tab-separated text, for some rows: what the readers read.

A picked part of a dataset leaves PhyloDash in the form it came in: :func:`profiles_tsv` writes the
profile table that :func:`engine.io.profiles.read_profiles` reads back to the same ids and alleles, and
:func:`isolates_tsv` the isolate table (its header and cells as read).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from engine.errors import ParameterError
from engine.models import Isolates, Profiles

__all__ = ["isolates_tsv", "profiles_tsv"]

#: How a missing SNP character is written (the SNP reader always reads it as missing).
SNP_GAP = "-"


def _picked(picked: Iterable[int], size: int, what: str) -> list[int]:
    rows = sorted({int(row) for row in picked})
    if rows and (rows[0] < 0 or rows[-1] >= size):
        raise ParameterError(f"row {rows[0] if rows[0] < 0 else rows[-1]} is not a {what} row")
    return rows


def profiles_tsv(profiles: Profiles, picked: Iterable[int], id_column: str = "ST") -> str:
    r"""The profile table of the rows ``picked``, in row order.

    Parameters
    ----------
    profiles : Profiles
        The profiles.
    picked : iterable of int
        Profile rows, any order, repeats allowed.
    id_column : str, default "ST"
        The header of the id column.

    Returns
    -------
    str
        MLST / cgMLST: a header ``id_column<TAB>locus...``, then one line per row, its id and its
        alleles as read (a missing allele as an empty cell). SNP: a header ``id_column<TAB>sequence``,
        then the id and the sequence, a missing character written as ``-``. Every line ends with a
        newline.

    Examples
    --------
    >>> from engine.io.profiles import read_profiles
    >>> profiles, _ = read_profiles(b"ST\taroC\tdnaN\n1\t3\t-\n2\t4\t7\n")
    >>> profiles_tsv(profiles, [1, 0]).splitlines()
    ['ST\taroC\tdnaN', '1\t3\t', '2\t4\t7']
    """
    rows = _picked(picked, profiles.size, "profile")
    matrix = np.asarray(profiles.matrix)[rows]
    snp = profiles.kind == "snp"
    alleles = [[SNP_GAP if snp and not k else name for k, name in enumerate(names)]
               for names in profiles.alleles]
    columns = [np.asarray(names, dtype=object)[matrix[:, locus].astype(np.int64)]
               for locus, names in enumerate(alleles)]
    cells = np.column_stack(columns) if columns else np.zeros((len(rows), 0), dtype=object)
    join = "".join if snp else "\t".join
    header = [id_column, "sequence"] if snp else [id_column, *profiles.loci]
    lines = ["\t".join(header)]
    lines += [f"{profiles.ids[row]}\t{join(values)}"
              for row, values in zip(rows, cells.tolist(), strict=True)]
    return "\n".join(lines) + "\n"


def isolates_tsv(isolates: Isolates, picked: Iterable[int]) -> str:
    r"""The isolate table of the isolates ``picked`` (indices into ``isolates.rows``), in table order.

    Parameters
    ----------
    isolates : Isolates
        The isolates.
    picked : iterable of int
        Isolate indices, any order, repeats allowed.

    Returns
    -------
    str
        The header (``isolates.columns``), then one line per isolate with its cells as read. Every line
        ends with a newline.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> dataset = read_dataset(b"ST\ta\n1\t1\n", b"isolate\tST\tcountry\nE1\t1\tPT\nE2\t1\t\n")
    >>> isolates_tsv(dataset.isolates, [1]).splitlines()
    ['isolate\tST\tcountry', 'E2\t1\t']
    """
    rows = _picked(picked, len(isolates.rows), "isolate")
    lines = ["\t".join(isolates.columns)] + ["\t".join(isolates.rows[k]) for k in rows]
    return "\n".join(lines) + "\n"
