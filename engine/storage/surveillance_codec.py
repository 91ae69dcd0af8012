"""Surveillance results as named arrays: a goeBURST result's extension state, and a partition's names.

A ``goeburst`` or ``goeburst-full`` result keeps, beside its tree, the
:class:`~engine.algorithms.incremental.GoeburstState` a new version's inference extends (arrays named
``state_*`` in the same file). A partition keeps its names (one row per profile, one column per
threshold, "" for an unnamed single profile), the changes of its run and the nomenclature the next run
inherits; a partition of a version also keeps the placement report of its new isolates (arrays named
``placement_*``; a partition stored before those were kept has none).
"""

from __future__ import annotations

import json

import numpy as np

from engine.algorithms.goeburst_kernels import KeptEdges
from engine.algorithms.incremental import GoeburstState
from engine.algorithms.nomenclature import Change, Naming, Nomenclature
from engine.algorithms.placement import ClusterPlacement, Placement

Arrays = dict[str, np.ndarray]
_STATE = "state_"
_PLACEMENT = "placement_"


def _strings(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=str) if values else np.zeros(0, dtype="<U1")


def state_to_arrays(state: GoeburstState) -> Arrays:
    """The arrays of ``state``, each name starting with ``state_`` (stored beside the tree's)."""
    arrays = {f"{_STATE}{name}": np.asarray(getattr(state.edges, name)) for name in KeptEdges._fields}
    arrays.update({
        f"{_STATE}about": np.array(json.dumps({"algorithm": state.algorithm, "parameters": state.parameters,
                                               "rows": state.rows})),
        f"{_STATE}representatives": state.representatives, f"{_STATE}freq": state.freq,
        f"{_STATE}lv": state.lv})
    return arrays


def state_from_arrays(arrays: Arrays) -> GoeburstState | None:
    """The state stored with a result, or None when it has none (not goeBURST, or stored before)."""
    if f"{_STATE}about" not in arrays:
        return None
    about = json.loads(str(arrays[f"{_STATE}about"]))
    edges = KeptEdges(*(arrays[f"{_STATE}{name}"] for name in KeptEdges._fields))
    return GoeburstState(about["algorithm"], about["parameters"], int(about["rows"]),
                         arrays[f"{_STATE}representatives"], arrays[f"{_STATE}freq"], arrays[f"{_STATE}lv"],
                         edges)


def naming_to_arrays(naming: Naming) -> Arrays:
    """A partition's names, changes and the nomenclature it leaves, as named arrays."""
    state = naming.state
    retired = [(t, name) for t, names in state.retired.items() for name in sorted(names)]
    changes = naming.changes
    return {
        "ids": _strings(naming.isolates),
        "thresholds": np.asarray(naming.thresholds, dtype=np.float64),
        "names": np.array([[name or "" for name in row] for row in naming.names], dtype=str).reshape(
            len(naming.isolates), len(naming.thresholds)),
        "age": _strings(list(state.isolates)),
        "about": np.array(json.dumps({"prefix": state.prefix, "name_singletons": state.name_singletons})),
        "retired_threshold": np.array([t for t, _ in retired], dtype=np.float64),
        "retired_name": _strings([name for _, name in retired]),
        "next_threshold": np.array(list(state.next_number), dtype=np.float64),
        "next_number": np.array(list(state.next_number.values()), dtype=np.int64),
        "change_threshold": np.array([c.threshold for c in changes], dtype=np.float64),
        "change_name": _strings([c.name or "" for c in changes]),
        "change_kind": _strings([c.kind for c in changes]),
        "change_previous": _strings([" ".join(c.previous) for c in changes]),
        "change_absorbed": _strings([" ".join(c.absorbed) for c in changes]),
        "change_size": np.array([c.size for c in changes], dtype=np.int64),
        "change_added": np.array([c.added for c in changes], dtype=np.int64),
    }


def naming_from_arrays(arrays: Arrays) -> Naming:
    """The inverse of :func:`naming_to_arrays`."""
    ids = arrays["ids"].tolist()
    thresholds = tuple(float(t) for t in arrays["thresholds"].tolist())
    table = [[name or None for name in row] for row in arrays["names"].tolist()]
    names = {t: {i: row[j] for i, row in zip(ids, table, strict=True) if row[j] is not None}
             for j, t in enumerate(thresholds)}
    retired = {float(t): frozenset[str]() for t in arrays["next_threshold"].tolist()}
    for t, name in zip(arrays["retired_threshold"].tolist(), arrays["retired_name"].tolist(), strict=True):
        retired[float(t)] = retired.get(float(t), frozenset()) | {name}
    about = json.loads(str(arrays["about"]))
    state = Nomenclature(prefix=about["prefix"], name_singletons=about["name_singletons"],
                         isolates=tuple(arrays["age"].tolist()), names=names, retired=retired,
                         next_number={float(t): int(n) for t, n in zip(arrays["next_threshold"].tolist(),
                                                                      arrays["next_number"].tolist(),
                                                                      strict=True)})
    changes = [Change(float(t), name or None, kind, tuple(previous.split()), tuple(absorbed.split()),
                      int(size), int(added))
               for t, name, kind, previous, absorbed, size, added in zip(
                   *(arrays[f"change_{field}"].tolist() for field in
                     ("threshold", "name", "kind", "previous", "absorbed", "size", "added")), strict=True)]
    return Naming(isolates=ids, thresholds=thresholds, names=table, changes=changes, state=state)


def placements_to_arrays(report: list[Placement], thresholds: tuple[float, ...]) -> Arrays:
    """A placement report as arrays named ``placement_*`` (stored beside the partition's names): one row
    per new isolate; the nearest old isolates padded with "" and -1, the names with "" (unnamed)."""
    width = max((len(p.nearest) for p in report), default=0)
    nearest = [[*(i for i, _ in p.nearest), *[""] * (width - len(p.nearest))] for p in report]
    distances = [[*(d for _, d in p.nearest), *[-1] * (width - len(p.nearest))] for p in report]
    placed = [bool(p.clusters) for p in report]
    names = [[c.name or "" for c in p.clusters] or [""] * len(thresholds) for p in report]
    founded = [[c.founded for c in p.clusters] or [False] * len(thresholds) for p in report]
    rows = len(report)
    return {
        f"{_PLACEMENT}isolate": _strings([p.isolate for p in report]),
        f"{_PLACEMENT}profile": _strings([p.profile for p in report]),
        f"{_PLACEMENT}distance": np.array([p.distance for p in report], dtype=np.int64),
        f"{_PLACEMENT}nearest": np.array(nearest, dtype=str).reshape(rows, width),
        f"{_PLACEMENT}nearest_distance": np.array(distances, dtype=np.int64).reshape(rows, width),
        f"{_PLACEMENT}placed": np.array(placed, dtype=bool),
        f"{_PLACEMENT}name": np.array(names, dtype=str).reshape(rows, len(thresholds)),
        f"{_PLACEMENT}founded": np.array(founded, dtype=bool).reshape(rows, len(thresholds)),
    }


def placements_from_arrays(arrays: Arrays) -> list[Placement] | None:
    """The inverse of :func:`placements_to_arrays` over a partition's arrays (its ``thresholds`` give
    the clusters' thresholds); None when the partition has no report (not a version's, or stored
    before reports were kept)."""
    if f"{_PLACEMENT}isolate" not in arrays:
        return None
    thresholds = [float(t) for t in arrays["thresholds"].tolist()]
    columns = ("isolate", "profile", "distance", "nearest", "nearest_distance", "placed", "name", "founded")
    report = []
    for isolate, profile, distance, nearest, near, placed, names, founded in zip(
            *(arrays[f"{_PLACEMENT}{name}"].tolist() for name in columns), strict=True):
        close = tuple((i, int(d)) for i, d in zip(nearest, near, strict=True) if i)
        clusters = tuple(ClusterPlacement(t, name or None, bool(f))
                         for t, name, f in zip(thresholds, names, founded, strict=True)) if placed else ()
        report.append(Placement(isolate, profile, int(distance), close, clusters))
    return report
