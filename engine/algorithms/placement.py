"""Placement report: where each new isolate landed in a new version of a dataset.

For every isolate that is new in this version: the old isolates nearest to it (by the distance
between their profiles) and that distance, and at each threshold the cluster it is in, with the
cluster's lasting name (:mod:`engine.algorithms.nomenclature`) and whether it founded that
cluster (no isolate of the previous version is in it). Plain data, for the API and the dashboard.

Without an isolate table the profiles are the isolates: their ids are the profile ids, and the
rows after the parent's are the new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from engine.algorithms.distances import mode_code, row_distance
from engine.algorithms.nomenclature import Naming
from engine.errors import InputError, ParameterError
from engine.models import Dataset, Isolates


@dataclass(frozen=True)
class ClusterPlacement:
    """The cluster a new isolate is in at one threshold.

    ``name`` is None for a single isolate left unnamed; ``founded`` is True when no isolate of the
    previous version is in the cluster.
    """

    threshold: float
    name: str | None
    founded: bool


@dataclass(frozen=True)
class Placement:
    """Where one new isolate landed.

    Attributes
    ----------
    isolate : str
        Its id.
    profile : str
        Its profile's id ("" when it has none).
    distance : int
        Distance from its profile to the nearest old isolate's (-1 when it has no profile or there
        is no old isolate).
    nearest : tuple of (str, int)
        Up to ``nearest`` old isolates with their distance, nearest first, ties by id (length
        first, then characters).
    clusters : tuple of ClusterPlacement
        One per threshold of the naming, in its order (empty without a naming or a profile).
    """

    isolate: str
    profile: str
    distance: int
    nearest: tuple[tuple[str, int], ...]
    clusters: tuple[ClusterPlacement, ...]


@numba.njit(cache=True, parallel=True)
def _distances(matrix, rows, columns, mode):
    out = np.empty((rows.shape[0], columns.shape[0]), np.int64)
    for cell in numba.prange(rows.shape[0] * columns.shape[0]):
        i = cell // columns.shape[0]
        j = cell - i * columns.shape[0]
        out[i, j] = row_distance(matrix, rows[i], columns[j], mode)
    return out


def placement_report(
    dataset: Dataset,
    old_rows: int,
    naming: Naming | None = None,
    *,
    isolate_ids: Sequence[str] | None = None,
    profile_rows: np.ndarray | None = None,
    new_isolates: np.ndarray | None = None,
    missing: str = "difference",
    nearest: int = 5,
) -> list[Placement]:
    """The placement of every new isolate of a new version of a dataset.

    Parameters
    ----------
    dataset : Dataset
        The new version (the parent's profile rows first).
    old_rows : int
        Profile rows of the parent version.
    naming : Naming, optional
        This run's names (:func:`engine.algorithms.nomenclature.name_clusters`) over the profile ids,
        as a partition names them; an isolate is in the clusters of its profile (one without a
        profile is in none). Without it, no clusters are reported.
    isolate_ids, profile_rows, new_isolates : optional
        The isolates: their ids, their profile rows (-1: none) and which are new. Default: the
        profiles are the isolates (ids, rows, and rows >= ``old_rows`` are new).
    missing : {"difference", "ignore", "allele"}, default "difference"
        Missing-data mode of the distance.
    nearest : int, default 5
        How many old isolates to list per new isolate.

    Returns
    -------
    list of Placement
        One per new isolate, in the order given.

    Raises
    ------
    ParameterError
        When ``nearest`` is negative or the mode is unknown.
    InputError
        When the isolate arrays differ in length, a profile row is out of range, an old isolate's
        profile is not an old row, or a new isolate's profile is not in the naming.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> data = read_dataset(b"ST\\ta\\tb\\n1\\t1\\t1\\n2\\t1\\t2\\n3\\t3\\t3\\n4\\t1\\t3\\n")
    >>> [(p.isolate, p.distance, p.nearest) for p in placement_report(data, 3, nearest=2)]
    [('4', 1, (('1', 1), ('2', 1)))]

    Notes
    -----
    O(new x old x loci) for the distances, O(isolates) a new isolate for the nearest ones.
    """
    mode = mode_code(missing)
    if nearest < 0:
        raise ParameterError(f"nearest must be >= 0, got {nearest}")
    profiles = dataset.profiles
    if isolate_ids is None:
        ids = list(profiles.ids)
        rows = np.arange(profiles.size, dtype=np.int64)
        new = rows >= old_rows
    else:
        ids = [str(i) for i in isolate_ids]
        rows = np.asarray(profile_rows, dtype=np.int64).reshape(-1)
        new = np.asarray(new_isolates, dtype=bool).reshape(-1)
        if not len(ids) == len(rows) == len(new):
            raise InputError("isolate ids, profile rows and the new-isolate flags differ in length")
    if len(rows) and rows.max() >= profiles.size:
        raise InputError(f"an isolate refers to profile row {int(rows.max())}, past the last one")
    old = ~new
    if (rows[old] >= old_rows).any():
        raise InputError("an old isolate refers to a profile row that is new in this version")
    old_with_profile = np.flatnonzero(old & (rows >= 0))
    targets = np.flatnonzero(new)
    placed = np.flatnonzero(new & (rows >= 0))
    columns = np.unique(rows[old_with_profile])
    table = _distances(profiles.matrix, rows[placed], columns, mode) if len(placed) and len(columns) else None
    where = {int(i): k for k, i in enumerate(placed.tolist())}
    column_of = np.searchsorted(columns, rows[old_with_profile])
    old_keys = [(len(ids[i]), ids[i]) for i in old_with_profile.tolist()]
    key_rank = np.empty(len(old_keys), np.int64)
    key_rank[sorted(range(len(old_keys)), key=old_keys.__getitem__)] = np.arange(len(old_keys))
    profile_of = [profiles.ids[r] if r >= 0 else None for r in rows.tolist()]
    cluster_of = _clusters(naming, profile_of, new, targets)
    report = []
    for i in targets.tolist():
        profile = profiles.ids[rows[i]] if rows[i] >= 0 else ""
        distance, close = -1, ()
        if i in where and table is not None:
            d = table[where[i]][column_of]
            order = np.lexsort((key_rank, d))[:nearest]
            distance = int(d.min())
            close = tuple((ids[old_with_profile[k]], int(d[k])) for k in order.tolist())
        report.append(Placement(ids[i], profile, distance, close, cluster_of.get(i, ())))
    return report


def isolate_ids(isolates: Isolates) -> list[str]:
    """The id of each isolate of a table: its cell in the first column that is not the profile
    column, or ``#`` and its 1-based row number when that cell is empty or there is no such column.

    Examples
    --------
    >>> table = Isolates(["ST", "name"], [["1", "a"], ["2", ""]], "ST", np.array([0, 1]))
    >>> isolate_ids(table)
    ['a', '#2']
    """
    others = [k for k, column in enumerate(isolates.columns) if column != isolates.profile_column]
    return [(row[others[0]] if others and others[0] < len(row) else "") or f"#{n}"
            for n, row in enumerate(isolates.rows, start=1)]


def version_placements(dataset: Dataset, parent_profiles: int, parent_isolates: int, naming: Naming | None,
                       *, missing: str = "difference", nearest: int = 5) -> list[Placement]:
    """The placement report of a version of a dataset (:func:`engine.io.versions.append_rows`).

    The parent's rows come first: its ``parent_profiles`` profiles and ``parent_isolates`` isolates.
    With an isolate table the new isolates are its rows past the parent's (named by
    :func:`isolate_ids`); without one the new profiles are the new isolates. The rest is
    :func:`placement_report`.
    """
    isolates = dataset.isolates
    if isolates is None:
        return placement_report(dataset, parent_profiles, naming, missing=missing, nearest=nearest)
    rows = np.asarray(isolates.profile_rows, dtype=np.int64)
    return placement_report(dataset, parent_profiles, naming, isolate_ids=isolate_ids(isolates),
                            profile_rows=rows, new_isolates=np.arange(len(rows)) >= parent_isolates,
                            missing=missing, nearest=nearest)


def _clusters(naming: Naming | None, profile_of: list[str | None], new: np.ndarray,
              targets: np.ndarray) -> dict:
    """Each new isolate's cluster placements from a naming over profile ids (``profile_of[i]``: the
    profile id of isolate ``i``, None without one; such an isolate gets none)."""
    if naming is None:
        return {}
    position = {profile: k for k, profile in enumerate(naming.isolates)}
    missing = [profile_of[i] for i in targets.tolist()
               if profile_of[i] is not None and profile_of[i] not in position]
    if missing:
        raise InputError(f"the profile {missing[0]!r} of a new isolate is not in the naming")
    old_profiles = {profile_of[i] for i in np.flatnonzero(~new).tolist()} & position.keys()
    old_rows = [naming.names[position[profile]] for profile in old_profiles]
    old_names = [set(column) - {None} for column in zip(*old_rows, strict=True)] if old_rows \
        else [set() for _ in naming.thresholds]
    out = {}
    for i in targets.tolist():
        if profile_of[i] is None:
            continue
        names = naming.names[position[profile_of[i]]]
        out[i] = tuple(ClusterPlacement(t, name, name is None or name not in old_names[j])
                       for j, (t, name) in enumerate(zip(naming.thresholds, names, strict=True)))
    return out
