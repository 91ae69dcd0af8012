"""Surveillance results as arrays and back: a goeBURST result's extension state, a partition's names,
changes and nomenclature (retired names and next numbers included)."""

from __future__ import annotations

import numpy as np

from engine.algorithms.incremental import extend_goeburst, goeburst_with_state
from engine.algorithms.nomenclature import name_clusters
from engine.io.datasets import read_dataset
from engine.io.versions import append_rows
from engine.storage.surveillance_codec import (
    naming_from_arrays,
    naming_to_arrays,
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
