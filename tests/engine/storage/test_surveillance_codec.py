"""Surveillance results as arrays and back: a goeBURST result's extension state, a partition's names,
changes and nomenclature (retired names and next numbers included)."""

from __future__ import annotations

import numpy as np

from engine.algorithms.incremental import extend_goeburst, goeburst_with_state
from engine.algorithms.nomenclature import name_clusters
from engine.algorithms.placement import ClusterPlacement, Placement
from engine.io.datasets import read_dataset
from engine.io.versions import append_rows
from engine.storage.surveillance_codec import (
    naming_from_arrays,
    naming_to_arrays,
    placements_from_arrays,
    placements_to_arrays,
    state_from_arrays,
    state_to_arrays,
)

PROFILES = b"ST\ta\tb\tc\n1\t1\t1\t1\n2\t1\t1\t2\n3\t2\t2\t2\n4\t2\t2\t3\n"


def test_a_stored_state_extends_as_the_original_does() -> None:
    parent = read_dataset(PROFILES)
    inference, state = goeburst_with_state(parent, algorithm="goeburst", parameters={"lvs": 2})
    stored = state_from_arrays({"ids": np.array(["x"]), **state_to_arrays(state)})
    assert stored is not None and (stored.algorithm, stored.parameters, stored.rows) == (
        state.algorithm, state.parameters, state.rows)
    version, _ = append_rows(parent, b"ST\ta\tb\tc\n5\t1\t2\t2\n")
    one, two = (extend_goeburst(parent, inference, s, version, algorithm="goeburst", parameters={"lvs": 2},
                                work_limit=None) for s in (state, stored))
    assert list(one.inference.edges()) == list(two.inference.edges()) and one.computed == two.computed
    assert state_from_arrays({"ids": np.array(["x"])}) is None  # a result stored without a state


def test_names_changes_and_the_nomenclature_come_back_equal() -> None:
    first = name_clusters(None, ["a", "b", "c", "d"], np.array([[1, 1], [1, 1], [2, 1], [3, 2]]), [1, 2.5],
                          name_singletons=True)
    merged = name_clusters(first.state, ["a", "b", "c", "d", "e"],
                           np.array([[1, 1], [1, 1], [1, 1], [2, 1], [0, 0]]), [1, 2.5])
    back = naming_from_arrays(naming_to_arrays(merged))
    assert back == merged
    assert back.state.retired == {1: frozenset({"C2"}), 2.5: frozenset({"C2"})}  # c's C2 merged into C1


def test_placement_reports_come_back_equal_and_a_partition_without_one_has_none() -> None:
    report = [Placement("a", "1", 2, (("x", 2), ("y", 3)), (ClusterPlacement(5.0, "C1", False),
                                                            ClusterPlacement(10.5, None, True))),
              Placement("b", "", -1, (), ()),  # no profile: no distance, nobody near, no cluster
              Placement("c", "2", 0, (("x", 0),), (ClusterPlacement(5.0, "C4", True),
                                                   ClusterPlacement(10.5, "C1", False)))]
    thresholds = (5.0, 10.5)
    base = {"thresholds": np.array(thresholds)}
    assert placements_from_arrays({**base, **placements_to_arrays(report, thresholds)}) == report
    assert placements_from_arrays({**base, **placements_to_arrays([], thresholds)}) == []
    assert placements_from_arrays(base) is None
