"""The placement report of new isolates (engine/algorithms/placement.py).

Expected values are worked out by hand in the comments from the literal tables.
"""

from __future__ import annotations

import doctest
from dataclasses import replace

import numpy as np
import pytest
from test_goeburst import dataset

import engine.algorithms.placement
import engine.algorithms.placement_table
from engine.algorithms.goeburst import goeburst_full
from engine.algorithms.nomenclature import Naming, name_clusters
from engine.algorithms.partitions import isolate_labels, partition
from engine.algorithms.placement import ClusterPlacement, Placement, placement_report, version_placements
from engine.algorithms.placement_table import placements_tsv
from engine.errors import InputError, ParameterError
from engine.models import Isolates

# Old profiles "1" [1,1,1], "2" [1,1,2], "3" [5,5,5]; new "4" [1,2,2] (1 from "2", 2 from "1",
# 3 from "3") and "5" [7,7,7] (3 from everything).
ROWS = [[1, 1, 1], [1, 1, 2], [5, 5, 5], [1, 2, 2], [7, 7, 7]]


def test_profiles_as_isolates_nearest_and_distance() -> None:
    report = placement_report(dataset(ROWS), 3, nearest=2)
    assert [(p.isolate, p.profile, p.distance, p.nearest) for p in report] == [
        ("4", "4", 1, (("2", 1), ("1", 2))),
        ("5", "5", 3, (("1", 3), ("2", 3))),  # three old profiles 3 apart: ties by id, two listed
    ]
    assert all(p.clusters == () for p in report)


def test_clusters_with_lasting_names_and_founders() -> None:
    # Threshold 1: old clusters {1, 2} (C1) and {3} (C2). New: 4 joins {1, 2} (1 from 2); 5 alone
    # founds a cluster (C3). Threshold 3: everything is one cluster, the old one (C1).
    old, new = dataset(ROWS[:3]), dataset(ROWS)
    ids = ["1", "2", "3", "4", "5"]
    first = name_clusters(None, ids[:3], isolate_labels(partition(goeburst_full(old), [1, 3]), np.arange(3)),
                          [1, 3], name_singletons=True)
    labels = isolate_labels(partition(goeburst_full(new), [1, 3]), np.arange(5))
    naming = name_clusters(first.state, ids, labels, [1, 3])
    report = placement_report(new, 3, naming)
    assert [p.clusters for p in report] == [
        (ClusterPlacement(1, "C1", False), ClusterPlacement(3, "C1", False)),
        (ClusterPlacement(1, "C3", True), ClusterPlacement(3, "C1", False)),
    ]


def test_isolate_tables() -> None:
    # Isolates a, b (old, profiles 1 and 3), c (new, profile 1: 0 from a), d (new, no profile),
    # e (new, profile 4: 1 from profile 2, which has no isolate, so 2 from a and 3 from b).
    report = placement_report(dataset(ROWS), 3, isolate_ids=["a", "b", "c", "d", "e"],
                              profile_rows=np.array([0, 2, 0, -1, 3]),
                              new_isolates=np.array([False, False, True, True, True]))
    assert [(p.isolate, p.profile, p.distance, p.nearest) for p in report] == [
        ("c", "1", 0, (("a", 0), ("b", 3))),
        ("d", "", -1, ()),
        ("e", "4", 2, (("a", 2), ("b", 3))),
    ]


def naming_of_rows() -> Naming:
    """The naming of test_clusters_with_lasting_names_and_founders: over the profile ids 1..5."""
    old, new = dataset(ROWS[:3]), dataset(ROWS)
    ids = ["1", "2", "3", "4", "5"]
    first = name_clusters(None, ids[:3], isolate_labels(partition(goeburst_full(old), [1, 3]), np.arange(3)),
                          [1, 3], name_singletons=True)
    labels = isolate_labels(partition(goeburst_full(new), [1, 3]), np.arange(5))
    return name_clusters(first.state, ids, labels, [1, 3])


def test_isolates_are_in_the_clusters_of_their_profiles() -> None:
    # Old isolates a (profile 1, C1 at threshold 1) and b (profile 3, C2). New: c (profile 4, in C1
    # with a), d (no profile: no cluster), e (profile 5: C3 has no old isolate, it founded it; at
    # threshold 3 everything is C1, which holds a and b).
    table = Isolates(["name", "ST"], [["a", "1"], ["b", "3"], ["c", "4"], ["", "x"], ["e", "5"]], "ST",
                     np.array([0, 2, 3, -1, 4]))
    data = replace(dataset(ROWS), isolates=table)
    report = version_placements(data, 3, 2, naming_of_rows())
    assert [(p.isolate, p.profile, p.clusters) for p in report] == [
        ("c", "4", (ClusterPlacement(1, "C1", False), ClusterPlacement(3, "C1", False))),
        ("#4", "", ()),  # no name: its row number
        ("e", "5", (ClusterPlacement(1, "C3", True), ClusterPlacement(3, "C1", False))),
    ]
    assert report == placement_report(data, 3, naming_of_rows(), isolate_ids=["a", "b", "c", "#4", "e"],
                                      profile_rows=table.profile_rows,
                                      new_isolates=np.array([False, False, True, True, True]))
    without_table = version_placements(dataset(ROWS), 3, 0, naming_of_rows(), nearest=1)
    assert without_table == placement_report(dataset(ROWS), 3, naming_of_rows(), nearest=1)


def test_bad_input() -> None:
    data = dataset(ROWS)
    with pytest.raises(ParameterError):
        placement_report(data, 3, nearest=-1)
    with pytest.raises(InputError, match="differ in length"):
        placement_report(data, 3, isolate_ids=["a"], profile_rows=np.array([0, 1]),
                         new_isolates=np.array([True]))
    with pytest.raises(InputError, match="new in this version"):
        placement_report(data, 3, isolate_ids=["a"], profile_rows=np.array([4]),
                         new_isolates=np.array([False]))
    naming = name_clusters(None, ["1"], np.array([[1]]), [0])
    with pytest.raises(InputError, match="not in the naming"):
        placement_report(data, 3, naming)


def test_the_docstring_examples() -> None:
    assert doctest.testmod(engine.algorithms.placement).failed == 0
    assert doctest.testmod(engine.algorithms.placement_table).failed == 0


def test_the_table_of_a_report() -> None:
    # c has a profile, two old isolates near it, and founded its cluster at 2.5; d has no profile.
    rows = [Placement("c", "4", 2, (("a", 2), ("b", 3)), (ClusterPlacement(1, "C1", False),
                                                          ClusterPlacement(2.5, None, True))),
            Placement("d", "", -1, (), ())]
    assert placements_tsv(rows, [1, 2.5]).splitlines() == [
        "isolate\tprofile\tdistance\tnearest\tcluster_1\tnew_1\tcluster_2.5\tnew_2.5",
        "c\t4\t2\ta:2, b:3\tC1\tno\t\tyes",
        "d\t\t\t\t\t\t\t"]
