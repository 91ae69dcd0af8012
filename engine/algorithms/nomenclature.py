"""Names that last: cluster names at each threshold that later runs of a project inherit.

A project keeps one :class:`Nomenclature` per scheme. Each run cuts the new tree into clusters at
each threshold (:mod:`engine.algorithms.partitions`) and :func:`name_clusters` names them from
the previous run's names, by these rules, threshold by threshold:

1. **Kept or grew.** A cluster whose previously named isolates all had one name keeps that name
   (new isolates, and old isolates that had no name, may join it).
2. **Split.** When the isolates of an old cluster end up in several clusters, the cluster holding
   most of them claims its name; on a tie, the one holding the oldest of them (isolates age in the
   order the project first named them). The other parts get new names.
3. **Merged.** A cluster that claims several names takes the name of the largest of those old
   clusters (most isolates in the previous run; on a tie, the one with the oldest isolate) and
   records the merge ("C3 absorbed C7"). Absorbed names are retired: never given out again.
4. **New.** Every other cluster gets the next unused number, ``{prefix}{number}``, numbers
   counting up from 1 per threshold and never reused. Clusters getting a new number are served
   largest first, ties by the smallest isolate id (ids compared by length, then character by
   character). A single isolate gets a name only when the nomenclature names singletons (its
   ``name_singletons`` setting); an unnamed single isolate that later joins others is treated as a
   new isolate. A single isolate that already has a name keeps it.

Every run records one :class:`Change` per cluster that has a name or holds named isolates:
``kept`` (same isolates), ``grew`` (its name and every isolate of its old cluster, plus more),
``split`` (it keeps the name but part of the old cluster went elsewhere, or it is such a part and
got a new name), ``merged`` (it absorbed other names) or ``new``. The result depends only on the
clusters as sets of isolate ids, the previous names and the isolates' age, never on row order or
on how clusters are numbered, so the same data run twice gets the same names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.errors import InputError, ParameterError

#: Kinds of :class:`Change`.
CHANGE_KINDS = ("kept", "grew", "split", "merged", "new")


@dataclass(frozen=True)
class Nomenclature:
    """The names of one scheme's clusters as the last run left them.

    Attributes
    ----------
    prefix : str
        Names are ``prefix`` then a number (``C1``, ``C2``, ...).
    name_singletons : bool
        Whether a cluster of one isolate gets a new name.
    isolates : tuple of str
        Every isolate named so far, oldest first.
    names : dict
        ``names[threshold][isolate] = name`` for every isolate that has a name at that threshold.
    retired : dict
        ``retired[threshold]``: the names absorbed by merges, never given out again.
    next_number : dict
        ``next_number[threshold]``: the number the next new name at that threshold gets.
    """

    prefix: str = "C"
    name_singletons: bool = False
    isolates: tuple[str, ...] = ()
    names: dict[float, dict[str, str]] = field(default_factory=dict)
    retired: dict[float, frozenset[str]] = field(default_factory=dict)
    next_number: dict[float, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """What happened to one cluster at one threshold since the previous run.

    Attributes
    ----------
    threshold : float
        The threshold.
    name : str or None
        The cluster's name in this run (None: a single isolate left unnamed).
    kind : {"kept", "grew", "split", "merged", "new"}
        See the module docstring.
    previous : tuple of str
        The old names its isolates had (sorted by name number).
    absorbed : tuple of str
        For ``merged``: the names it absorbed (now retired).
    size : int
        Isolates in the cluster now.
    added : int
        Isolates in it that were not in the old cluster whose name it has (all of them for a
        new name).
    """

    threshold: float
    name: str | None
    kind: str
    previous: tuple[str, ...]
    absorbed: tuple[str, ...]
    size: int
    added: int


@dataclass(frozen=True)
class Naming:
    """The names of one run, its changes and the nomenclature to keep for the next run.

    Attributes
    ----------
    isolates : list of str
        The isolates named, in the order given.
    thresholds : tuple of float
        The thresholds, in the order given.
    names : list of list
        ``names[i][j]``: the name of isolate i's cluster at threshold j (None: unnamed).
    changes : list of Change
        Threshold by threshold, clusters in the order of their names' numbers (unnamed last).
    state : Nomenclature
        To pass to the next run.
    """

    isolates: list[str]
    thresholds: tuple[float, ...]
    names: list[list[str | None]]
    changes: list[Change]
    state: Nomenclature


def _id_key(isolate: str) -> tuple[int, str]:
    return (len(isolate), isolate)


def _number(name: str, prefix: str) -> int:
    tail = name[len(prefix):]
    return int(tail) if name.startswith(prefix) and tail.isdigit() else -1


def name_clusters(
    previous: Nomenclature | None,
    isolates: Sequence[str],
    labels: np.ndarray,
    thresholds: Sequence[float],
    *,
    prefix: str = "C",
    name_singletons: bool = False,
) -> Naming:
    """Name this run's clusters from the previous run's names (rules in the module docstring).

    Parameters
    ----------
    previous : Nomenclature or None
        The nomenclature the previous run left; None for a project's first run. Its ``prefix``
        and ``name_singletons`` win over the arguments.
    isolates : sequence of str
        Every isolate of this run, each once (all isolates named before must be there).
    labels : numpy.ndarray
        ``(isolates, thresholds)`` cluster numbers (any numbering; 0 or less: the isolate is in
        no cluster, e.g. it has no profile), as
        :func:`engine.algorithms.partitions.isolate_labels` returns them.
    thresholds : sequence of float
        The thresholds of the columns of ``labels``, each once. A threshold the previous run did
        not have starts afresh; one it had but this run has not is kept unchanged in the state.
    prefix : str, default "C"
        Names are ``prefix`` and a number (first run only).
    name_singletons : bool, default False
        Whether a single isolate gets a new name (first run only).

    Returns
    -------
    Naming
        Names per isolate and threshold, the changes, and the nomenclature for the next run.

    Raises
    ------
    InputError
        When an isolate is listed twice, an isolate named by an earlier run is missing, or
        ``labels`` does not have one row per isolate and one column per threshold.
    ParameterError
        When a threshold is listed twice or the prefix is empty or ends with a digit.

    Examples
    --------
    >>> first = name_clusters(None, ["a", "b", "c"], np.array([[1], [1], [2]]), [5], name_singletons=True)
    >>> first.names
    [['C1'], ['C1'], ['C2']]
    >>> second = name_clusters(first.state, ["a", "b", "c", "d"], np.array([[1], [1], [1], [2]]), [5])
    >>> second.names, [(c.name, c.kind, c.absorbed) for c in second.changes]
    ([['C1'], ['C1'], ['C1'], ['C3']], [('C1', 'merged', ('C2',)), ('C3', 'new', ())])
    """
    state = previous if previous is not None else Nomenclature(prefix=prefix, name_singletons=name_singletons)
    if not state.prefix or state.prefix[-1].isdigit():
        raise ParameterError(f"a name prefix must be non-empty and not end in a digit, not {state.prefix!r}")
    isolates = [str(i) for i in isolates]
    thresholds = tuple(thresholds)
    labels = np.asarray(labels)
    if labels.size == 0 and not isolates:
        labels = np.zeros((0, len(thresholds)), np.int64)
    if labels.shape != (len(isolates), len(thresholds)):
        raise InputError(f"labels have shape {labels.shape}, not one row per isolate ({len(isolates)}) "
                         f"and one column per threshold ({len(thresholds)})")
    if len(set(thresholds)) != len(thresholds):
        raise ParameterError("a threshold is listed twice")
    if len(set(isolates)) != len(isolates):
        seen: set[str] = set()
        twice = next(i for i in isolates if i in seen or seen.add(i))
        raise InputError(f"isolate {twice!r} is listed twice")
    present = set(isolates)
    missing = [i for i in state.isolates if i not in present]
    if missing:
        raise InputError(f"{len(missing)} isolates named by an earlier run are missing from this one, "
                         f"for example {missing[0]!r}")
    age = {isolate: k for k, isolate in enumerate(state.isolates)}
    newcomers = sorted((i for i in isolates if i not in age), key=_id_key)
    for k, isolate in enumerate(newcomers):
        age[isolate] = len(state.isolates) + k
    names: dict[float, dict[str, str]] = dict(state.names)
    retired = dict(state.retired)
    next_number = dict(state.next_number)
    table: list[list[str | None]] = [[None] * len(thresholds) for _ in isolates]
    changes: list[Change] = []
    for j, threshold in enumerate(thresholds):
        clusters: dict[object, list[str]] = {}
        row_of = {}
        for r, (isolate, label) in enumerate(zip(isolates, labels[:, j].tolist(), strict=True)):
            row_of[isolate] = r
            if label > 0:
                clusters.setdefault(label, []).append(isolate)
        groups = [tuple(sorted(members, key=_id_key)) for members in clusters.values()]
        named, made, number = _name_threshold(
            groups, state.names.get(threshold, {}), age, retired.get(threshold, frozenset()),
            next_number.get(threshold, 1), state.prefix, state.name_singletons, threshold)
        for members, name in zip(groups, named, strict=True):
            for isolate in members:
                table[row_of[isolate]][j] = name
        names[threshold] = {i: table[row_of[i]][j] for i in isolates if table[row_of[i]][j] is not None}
        retired[threshold] = retired.get(threshold, frozenset()) | {a for c in made for a in c.absorbed}
        next_number[threshold] = number
        changes += made
    new_state = Nomenclature(prefix=state.prefix, name_singletons=state.name_singletons,
                             isolates=tuple(state.isolates) + tuple(newcomers), names=names, retired=retired,
                             next_number=next_number)
    return Naming(isolates=isolates, thresholds=thresholds, names=table, changes=changes, state=new_state)


def _name_threshold(groups, old, age, retired, number, prefix, singletons, threshold):
    """Names of the clusters ``groups`` at one threshold, their changes and the next free number."""
    members_of_name: dict[str, list[str]] = {}
    for isolate, name in old.items():
        members_of_name.setdefault(name, []).append(isolate)
    oldest = {name: min(age[i] for i in members) for name, members in members_of_name.items()}
    # Rule 2: each old name is claimed by the cluster holding most of its isolates (ties: its oldest).
    parts: dict[str, list[tuple[int, int, int]]] = {}
    for g, members in enumerate(groups):
        count: dict[str, list[int]] = {}
        for isolate in members:
            if isolate in old:
                count.setdefault(old[isolate], []).append(age[isolate])
        for name, ages in count.items():
            parts.setdefault(name, []).append((len(ages), min(ages), g))
    claims: dict[int, list[str]] = {}
    for name, candidates in parts.items():
        _, _, g = min(candidates, key=lambda part: (-part[0], part[1]))
        claims.setdefault(g, []).append(name)
    # Rule 3: of several claimed names, the largest old cluster's (ties: its oldest isolate) wins.
    result: list[str | None] = [None] * len(groups)
    absorbed: dict[int, tuple[str, ...]] = {}
    for g, claimed in claims.items():
        claimed.sort(key=lambda name: (-len(members_of_name[name]), oldest[name]))
        result[g] = claimed[0]
        absorbed[g] = tuple(sorted(claimed[1:], key=lambda name: (_number(name, prefix), name)))
    # Rules 2 and 4: new numbers, largest cluster first, ties by the smallest id.
    waiting = [g for g in range(len(groups)) if result[g] is None and (singletons or len(groups[g]) > 1)]
    waiting.sort(key=lambda g: (-len(groups[g]), _id_key(groups[g][0])))
    taken = set(members_of_name) | set(retired)
    for g in waiting:
        while f"{prefix}{number}" in taken:
            number += 1
        result[g] = f"{prefix}{number}"
        number += 1
    changes = []
    for g, members in enumerate(groups):
        had = sorted({old[i] for i in members if i in old}, key=lambda name: (_number(name, prefix), name))
        name = result[g]
        if name is None and not had:
            continue
        if g in claims:
            before = set(members_of_name[name])
            inside = before & set(members)
            added = len(members) - len(inside)
            if absorbed[g]:
                kind = "merged"
            elif len(inside) < len(before):
                kind = "split"
            else:
                kind = "grew" if added else "kept"
        else:
            kind, added = ("split" if had else "new"), len(members)
        changes.append(Change(threshold, name, kind, tuple(had), absorbed.get(g, ()), len(members), added))
    changes.sort(key=lambda c: (c.name is None, _number(c.name or "", prefix), c.name or "", c.previous))
    return result, changes, number
