"""Names that last (engine/algorithms/nomenclature.py).

Each rule of the module docstring has a literal case written as a before/after table: the clusters
of the previous run with their names, the clusters of this run, and the names and changes the
rules give (worked out by hand from the rules). Then the properties: the same data run twice keeps
every name, shuffling the rows or renumbering the clusters changes nothing, and a name once
absorbed never comes back.
"""

from __future__ import annotations

import doctest
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.algorithms.nomenclature
from engine.algorithms.nomenclature import CHANGE_KINDS, Nomenclature, name_clusters
from engine.errors import InputError, ParameterError

T = 5  # the threshold of the single-threshold cases


def run(previous: Nomenclature | None, clusters: list[str], *, singletons: bool = True):
    """Name clusters written as strings of one-letter isolates ("ab" is {a, b}), at threshold T."""
    isolates = [i for group in clusters for i in group]
    labels = np.array([[k + 1] for k, group in enumerate(clusters) for _ in group]).reshape(-1, 1)
    return name_clusters(previous, isolates, labels, [T], name_singletons=singletons)


def names_of(naming) -> dict[str, str | None]:
    """Cluster (its isolates, sorted, as a string) -> name."""
    groups: dict[str | None, list[str]] = {}
    for isolate, (name,) in zip(naming.isolates, naming.names, strict=True):
        groups.setdefault(name, []).append(isolate)
    out = {}
    for name, members in groups.items():
        if name is None:
            out.update({m: None for m in members})
        else:
            out["".join(sorted(members))] = name
    return out


def changes_of(naming) -> list[tuple]:
    return [(c.name, c.kind, c.previous, c.absorbed, c.size, c.added) for c in naming.changes]


def before(clusters: list[str]) -> Nomenclature:
    """A first run over ``clusters`` (isolates age in the order written)."""
    return run(None, clusters).state


# --------------------------------------------------------------------------------------------
# rule by rule: before -> after


def test_first_run_numbers_clusters_by_size_then_smallest_id() -> None:
    # | clusters      | names                        |
    # | ef, abc, d, g | abc C1, ef C2, d C3, g C4    |
    first = run(None, ["ef", "abc", "d", "g"])
    assert names_of(first) == {"abc": "C1", "ef": "C2", "d": "C3", "g": "C4"}
    assert {c.kind for c in first.changes} == {"new"}
    assert first.state.next_number == {T: 5}
    assert first.state.isolates == tuple("abcdefg")  # first-run isolates age by id


def test_rule_1_kept_and_grew() -> None:
    # | before        | after          | names          | changes                |
    # | C1 ab, C2 cd  | abe, cd        | abe C1, cd C2  | C1 grew +1, C2 kept    |
    old = before(["ab", "cd"])
    after = run(old, ["abe", "cd"])
    assert names_of(after) == {"abe": "C1", "cd": "C2"}
    assert changes_of(after) == [("C1", "grew", ("C1",), (), 3, 1), ("C2", "kept", ("C2",), (), 2, 0)]


def test_rule_2_split_the_larger_part_keeps_the_name() -> None:
    # | before  | after    | names             | changes                          |
    # | C1 abc  | ab, c    | ab C1, c C2       | C1 split, C2 split (from C1)     |
    after = run(before(["abc"]), ["ab", "c"])
    assert names_of(after) == {"ab": "C1", "c": "C2"}
    assert changes_of(after) == [("C1", "split", ("C1",), (), 2, 0), ("C2", "split", ("C1",), (), 1, 1)]


def test_rule_2_tie_goes_to_the_part_with_the_oldest_isolate() -> None:
    # Isolates age in the order the first run named them: here d, c, b, a (a later run adds them
    # in that order). C1 = abcd splits 2-2 into ab and cd: cd holds d, the oldest, and keeps C1.
    first = run(None, ["d"])
    second = run(first.state, ["dc"])
    third = run(second.state, ["dcba"])
    assert third.state.isolates == ("d", "c", "a", "b")  # a and b came in the same run: by id
    after = run(third.state, ["ab", "cd"])
    assert names_of(after) == {"cd": "C1", "ab": "C2"}


def test_rule_3_merge_takes_the_largest_name_and_retires_the_others() -> None:
    # | before              | after   | names    | changes                              |
    # | C1 bc, C2 a, C3 d   | abcde   | C1       | C1 merged, absorbed C2 and C3        |
    old = before(["bc", "a", "d"])
    assert names_of(run(None, ["bc", "a", "d"])) == {"bc": "C1", "a": "C2", "d": "C3"}
    after = run(old, ["abcde"])
    assert names_of(after) == {"abcde": "C1"}
    assert changes_of(after) == [("C1", "merged", ("C1", "C2", "C3"), ("C2", "C3"), 5, 3)]
    assert after.state.retired == {T: frozenset({"C2", "C3"})}
    # The absorbed names never come back: the next new cluster is C4.
    later = run(after.state, ["abcde", "xy"])
    assert names_of(later)["xy"] == "C4"


def test_rule_3_tie_between_equal_old_clusters_goes_to_the_oldest() -> None:
    # C1 = ab and C2 = cd (a the oldest) merge: C1 wins; the same with the order written reversed.
    old = before(["ab", "cd"])
    assert names_of(run(old, ["abcd"])) == {"abcd": "C1"}
    assert names_of(run(old, ["dcba"])) == {"abcd": "C1"}


def test_rule_4_new_clusters_get_the_next_numbers_largest_first() -> None:
    # | before   | after            | names                    |
    # | C1 ab    | ab, xy, vwz      | ab C1, vwz C2, xy C3     |
    after = run(before(["ab"]), ["ab", "xy", "vwz"])
    assert names_of(after) == {"ab": "C1", "vwz": "C2", "xy": "C3"}
    assert [c.kind for c in after.changes] == ["kept", "new", "new"]


def test_rule_4_singletons_are_named_or_not_by_the_setting() -> None:
    unnamed = run(None, ["ab", "c"], singletons=False)
    assert names_of(unnamed) == {"ab": "C1", "c": None}
    assert [c.name for c in unnamed.changes] == ["C1"]  # a new unnamed isolate is no change
    # The unnamed isolate later joins a new isolate: a new cluster, new name.
    later = run(unnamed.state, ["ab", "cd"])
    assert names_of(later) == {"ab": "C1", "cd": "C2"}
    assert [(c.name, c.kind) for c in later.changes] == [("C1", "kept"), ("C2", "new")]
    named = run(None, ["ab", "c"], singletons=True)
    assert names_of(named) == {"ab": "C1", "c": "C2"}


def test_a_named_isolate_left_alone_keeps_its_name_even_when_singletons_are_not_named() -> None:
    # C1 = ab splits 1-1: a (the oldest) keeps C1 although alone; b, alone too, gets no new name.
    old = run(None, ["ab"], singletons=False).state
    after = run(old, ["a", "b"])
    assert names_of(after) == {"a": "C1", "b": None}
    assert changes_of(after) == [("C1", "split", ("C1",), (), 1, 0), (None, "split", ("C1",), (), 1, 1)]


def test_split_and_merge_together() -> None:
    # | before        | after      | names          |
    # | C1 abc, C2 de | ab, cde    | ab C1, cde C2  |
    # ab claims C1 (2 of 3); cde holds c (C1's minority) and claims C2: C2 split? No: C2 kept
    # all its isolates, so cde "grew" by c.
    after = run(before(["abc", "de"]), ["ab", "cde"])
    assert names_of(after) == {"ab": "C1", "cde": "C2"}
    assert changes_of(after) == [("C1", "split", ("C1",), (), 2, 0), ("C2", "grew", ("C1", "C2"), (), 3, 1)]


def test_several_thresholds_are_independent() -> None:
    isolates = ["a", "b", "c"]
    labels = np.array([[1, 1], [2, 1], [3, 1]])
    first = name_clusters(None, isolates, labels, [0, 10], name_singletons=True)
    assert first.names == [["C1", "C1"], ["C2", "C1"], ["C3", "C1"]]
    second = name_clusters(first.state, [*isolates, "d"], np.array([[1, 1], [1, 1], [2, 1], [3, 1]]), [0, 10])
    assert second.names == [["C1", "C1"], ["C1", "C1"], ["C3", "C1"], ["C4", "C1"]]
    assert [(c.threshold, c.name, c.kind) for c in second.changes] == [
        (0, "C1", "merged"), (0, "C3", "kept"), (0, "C4", "new"), (10, "C1", "grew")]


def test_a_new_threshold_starts_afresh_and_an_absent_one_is_kept() -> None:
    first = name_clusters(None, ["a", "b"], np.array([[1], [1]]), [5], name_singletons=True)
    second = name_clusters(first.state, ["a", "b"], np.array([[1], [2]]), [0])
    assert second.names == [["C1"], ["C2"]]
    assert second.state.names[5] == {"a": "C1", "b": "C1"}  # threshold 5 untouched


def test_prefix_and_isolates_without_a_cluster() -> None:
    naming = name_clusters(None, ["a", "b", "c"], np.array([[1], [1], [0]]), [5], prefix="HC5_")
    assert naming.names == [["HC5_1"], ["HC5_1"], [None]]
    with pytest.raises(ParameterError, match="prefix"):
        name_clusters(None, ["a"], np.array([[1]]), [5], prefix="C5")


def test_bad_input() -> None:
    old = before(["ab"])
    with pytest.raises(InputError, match="missing"):
        run(old, ["a"])
    with pytest.raises(InputError, match="twice"):
        name_clusters(None, ["a", "a"], np.array([[1], [1]]), [5])
    with pytest.raises(ParameterError, match="twice"):
        name_clusters(None, ["a"], np.array([[1, 1]]), [5, 5])
    with pytest.raises(InputError, match="shape"):
        name_clusters(None, ["a", "b"], np.array([[1, 1]]), [5])


# --------------------------------------------------------------------------------------------
# properties: rerun, row order, cluster numbering


@st.composite
def runs(draw: st.DrawFn) -> tuple[list[str], np.ndarray, np.ndarray, int]:
    """Two runs' cluster labels over the same isolates (the second run adds some), two thresholds."""
    n = draw(st.integers(1, 25))
    added = draw(st.integers(0, 8))
    isolates = [f"i{k}" for k in range(n + added)]
    first = np.array([[draw(st.integers(1, 4)), draw(st.integers(1, 2))] for _ in range(n)]).reshape(n, 2)
    second = np.array([[draw(st.integers(0, 5)), draw(st.integers(1, 3))] for _ in range(n + added)])
    return isolates, first, second.reshape(n + added, 2), n


PROPERTY = settings(max_examples=60, deadline=None, derandomize=True)


@PROPERTY
@given(case=runs(), seed=st.integers(0, 10**6), singletons=st.booleans())
def test_names_do_not_depend_on_row_order_or_cluster_numbers(case, seed: int, singletons: bool) -> None:
    isolates, first, second, n = case
    one = name_clusters(None, isolates[:n], first, [0, 5], name_singletons=singletons)
    two = name_clusters(one.state, isolates, second, [0, 5])
    rng = random.Random(seed)
    order = list(range(len(isolates)))
    rng.shuffle(order)
    old_order = [k for k in order if k < n]
    relabel = rng.sample(range(10, 40), 30)  # renumber the clusters: only the groups matter
    shuffled_first = np.where(first[old_order] > 0, np.take(relabel, first[old_order]), 0)
    shuffled_second = np.where(second[order] > 0, np.take(relabel, second[order]), 0)
    one_s = name_clusters(None, [isolates[k] for k in old_order], shuffled_first, [0, 5],
                          name_singletons=singletons)
    two_s = name_clusters(one_s.state, [isolates[k] for k in order], shuffled_second, [0, 5])
    assert dict(zip(two.isolates, map(tuple, two.names), strict=True)) == dict(
        zip(two_s.isolates, map(tuple, two_s.names), strict=True))
    assert sorted(map(repr, two.changes)) == sorted(map(repr, two_s.changes))


@PROPERTY
@given(case=runs())
def test_running_the_same_data_again_keeps_every_name(case) -> None:
    isolates, _, second, _ = case
    once = name_clusters(None, isolates, second, [0, 5], name_singletons=True)
    again = name_clusters(once.state, isolates, second, [0, 5])
    assert again.names == once.names
    assert {c.kind for c in again.changes} <= {"kept"}
    assert again.state.next_number == once.state.next_number


@PROPERTY
@given(case=runs(), data=st.data())
def test_absorbed_names_are_never_given_again(case, data: st.DataObject) -> None:
    isolates, first, second, n = case
    cells = 2 * len(isolates)
    third = np.array(data.draw(st.lists(st.integers(1, 3), min_size=cells, max_size=cells))).reshape(-1, 2)
    one = name_clusters(None, isolates[:n], first, [0, 5], name_singletons=True)
    two = name_clusters(one.state, isolates, second, [0, 5])
    three = name_clusters(two.state, isolates, third, [0, 5])
    for j, t in enumerate((0, 5)):
        retired = two.state.retired.get(t, frozenset())
        assert retired >= one.state.retired.get(t, frozenset())
        assert not retired & {row[j] for row in two.names}
        assert not retired & {row[j] for row in three.names}
        known = {row[j] for row in two.names} | set(one.state.names.get(t, {}).values())
        for name in {row[j] for row in three.names} - known - {None}:  # a new name: a new number
            assert int(name[1:]) >= two.state.next_number[t]
    for change in two.changes + three.changes:
        assert change.kind in CHANGE_KINDS
        assert (change.kind == "merged") == bool(change.absorbed)


def test_the_docstring_examples() -> None:
    assert doctest.testmod(engine.algorithms.nomenclature).failed == 0
