"""Datasets: a profile table and, optionally, an isolate table read together, from bytes or paths."""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from typing import BinaryIO

import numpy as np

from engine.errors import InputError
from engine.io.compressed import INFLATE_LIMIT
from engine.io.isolates import read_isolates
from engine.io.profiles import read_profiles
from engine.io.text import Source
from engine.models import Dataset

__all__ = ["open_dataset", "read_dataset"]


def read_dataset(
    profiles_source: Source,
    isolates_source: Source | None = None,
    *,
    missing_values: Sequence[str] | None = None,
    profile_column: str | None = None,
    kind: str = "auto",
    inflate_limit: int = INFLATE_LIMIT,
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
    inflate_limit : int, default :data:`~engine.io.compressed.INFLATE_LIMIT`
        The most bytes each gzip-compressed table may decompress to (either table may be
        compressed; it is read exactly as its text).

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
    profiles, report = read_profiles(profiles_source, missing_values=missing_values, kind=kind,
                                     inflate_limit=inflate_limit)
    if isolates_source is None:
        return Dataset(profiles, None, np.ones(profiles.size, dtype=np.int64), report)
    isolates, isolate_report = read_isolates(isolates_source, profiles,
                                             profile_column=profile_column, inflate_limit=inflate_limit)
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
    inflate_limit: int = INFLATE_LIMIT,
) -> Dataset:
    """Read a dataset from file paths (for the command line).

    Parameters
    ----------
    path : path-like
        The profile table, as text or gzip-compressed (any name: ``profiles.tsv.gz``).
    isolates_path : path-like, optional
        The isolate table, likewise.
    missing_values, profile_column, kind, inflate_limit
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
                            profile_column=profile_column, kind=kind, inflate_limit=inflate_limit)


def _open_binary(path: str | os.PathLike[str]) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as error:
        raise InputError(f"Cannot open {os.fspath(path)}: {error.strerror}.") from error
