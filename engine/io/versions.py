"""New versions of a dataset: the parent's rows, unchanged and in order, then the rows of a new file.

"Add profiles" reads a file of new profiles (and optionally of new isolates) exactly as an upload is
read, with the same report and the same errors, then appends it to the parent. The parent's rows
keep their allele codes, so a result of the parent can be extended (:mod:`engine.algorithms.incremental`);
new alleles get the next codes of their locus. New isolates may name new profiles or old ones (an
old profile's count then grows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from engine.errors import InputError
from engine.io.compressed import INFLATE_LIMIT
from engine.io.isolates import read_isolates
from engine.io.profiles import read_profiles
from engine.io.text import Source
from engine.models import Dataset, Isolates, Profiles, ReadReport

__all__ = ["append_rows"]


def append_rows(parent: Dataset, profiles_source: Source, isolates_source: Source | None = None, *,
                profile_column: str | None = None,
                inflate_limit: int = INFLATE_LIMIT) -> tuple[Dataset, ReadReport]:
    r"""The parent dataset with the rows of a new profile file (and isolate file) appended.

    Parameters
    ----------
    parent : Dataset
        The dataset the new version grows from.
    profiles_source : binary file handle or bytes
        Only the new profiles, with the parent's loci in the parent's order (read with the
        parent's missing values and kind).
    isolates_source : binary file handle or bytes, optional
        Only the new isolates, with the parent's isolate columns; each names a new or an old
        profile. Only for a parent that has isolates.
    profile_column : str, optional
        As in :func:`~engine.io.isolates.read_isolates` (default: the parent's).
    inflate_limit : int, default :data:`~engine.io.compressed.INFLATE_LIMIT`
        As in :func:`~engine.io.datasets.read_dataset`.

    Returns
    -------
    dataset : Dataset
        Rows 0..n-1 are the parent's (same ids, alleles and codes), then the new profiles in file
        order. Counts: the parent's plus the new isolates of each profile (1 per new profile
        without an isolate table).
    report : ReadReport
        The read report of the new rows alone (what an upload of them would report), with a note
        on what was appended.

    Raises
    ------
    InputError
        As an upload; also when the loci differ from the parent's, a new profile id is already in
        the parent, or the isolate table does not fit the parent's.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> parent = read_dataset(b"ST\tadk\tpurA\n1\t1\t2\n2\t3\t2\n")
    >>> version, report = append_rows(parent, b"ST\tadk\tpurA\n3\t3\t7\n")
    >>> version.profiles.ids, version.profiles.matrix.tolist(), report.profiles
    (['1', '2', '3'], [[1, 1], [2, 1], [2, 2]], 1)
    """
    old = parent.profiles
    added, report = read_profiles(profiles_source, missing_values=list(old.missing_values), kind=old.kind,
                                  inflate_limit=inflate_limit)
    if added.loci != old.loci:
        raise InputError(f"the new profiles have the loci {_listed(added.loci)}; the dataset has "
                         f"{_listed(old.loci)} (same names, same order)")
    clashes = sorted(set(added.ids) & set(old.ids))
    if clashes:
        raise InputError(f"{len(clashes):,} of the new profile ids are in the dataset already, for example "
                         f"{clashes[0]!r}; add only new profiles")
    profiles = _joined(old, added)
    counts = np.concatenate([np.asarray(parent.counts, dtype=np.int64), np.ones(added.size, np.int64)])
    isolates = parent.isolates
    if isolates_source is not None:
        if isolates is None:
            raise InputError("the dataset has no isolate table, so new isolates cannot be added to it")
        new_isolates, isolate_report = read_isolates(isolates_source, profiles,
                                                     profile_column=profile_column or isolates.profile_column,
                                                     inflate_limit=inflate_limit)
        if new_isolates.columns != isolates.columns:
            raise InputError(f"the new isolates have the columns {_listed(new_isolates.columns)}; "
                             f"the dataset has {_listed(isolates.columns)}")
        isolates = Isolates(isolates.columns, isolates.rows + new_isolates.rows, isolates.profile_column,
                            np.concatenate([isolates.profile_rows, new_isolates.profile_rows]))
        report = replace(report, isolates=isolate_report.isolates,
                         isolates_without_profile=isolate_report.isolates_without_profile,
                         isolate_skipped_lines=isolate_report.isolate_skipped_lines,
                         notes=report.notes + isolate_report.notes)
    if isolates is not None:
        linked = isolates.profile_rows[isolates.profile_rows >= 0]
        counts = np.bincount(linked, minlength=profiles.size).astype(np.int64)
    note = f"{added.size:,} profiles were added to the {old.size:,} of the dataset it is a version of."
    report = replace(report, notes=[*report.notes, note])
    whole = replace(parent.report, profiles=profiles.size,
                    missing_cells=parent.report.missing_cells + report.missing_cells,
                    isolates=0 if isolates is None else len(isolates.rows))
    return Dataset(profiles, isolates, counts, whole), report


def _joined(old: Profiles, added: Profiles) -> Profiles:
    """The old profiles, then the added ones recoded into the old allele codes (new alleles appended)."""
    alleles = [list(names) for names in old.alleles]
    columns = []
    for locus, names in enumerate(added.alleles):
        code_of = {name: code for code, name in enumerate(alleles[locus])}
        recode = np.empty(len(names), dtype=np.int64)
        for code, name in enumerate(names):
            if name not in code_of:
                code_of[name] = len(alleles[locus])
                alleles[locus].append(name)
            recode[code] = code_of[name]
        columns.append(recode[added.matrix[:, locus]])
    biggest = max((len(names) for names in alleles), default=0)
    dtype = np.uint16 if biggest < 65_535 else np.uint32
    new_rows = np.stack(columns, axis=1) if columns else np.zeros((added.size, 0), dtype)
    matrix = np.concatenate([old.matrix.astype(dtype), new_rows.astype(dtype)])
    return Profiles(old.ids + added.ids, old.loci, matrix, alleles, old.missing_values, old.kind)


def _listed(names: Sequence[str], shown: int = 5) -> str:
    head = ", ".join(repr(name) for name in names[:shown])
    return head + (f", ... ({len(names):,} in all)" if len(names) > shown else "")
