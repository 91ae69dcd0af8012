"""New profiles into an existing goeBURST forest (engine/algorithms/incremental.py).

The one promise: the extension's result is identical, array for array (edges, their order and
orientation, distances, rules, roots, counts), to a full run of the new version. It is checked on
generated additions with many ties (identical profiles, profiles that bridge two components,
frequencies that grow, every missing-data mode, both algorithms, chains of extensions) and on the
shared datasets split in two (the first 90% of the rows as the old version). With ``work_limit``
None the extension never gives up for cost, so these checks also hold it to its incremental path.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from test_goeburst import arrays_of, dataset, from_matrix

import engine.algorithms.incremental
from engine.algorithms.goeburst import goeburst, goeburst_full
from engine.algorithms.incremental import Extension, extend_goeburst, goeburst_with_state
from engine.errors import CancelledError, ParameterError
from engine.io.datasets import open_dataset
from engine.models import MISSING_MODES, Dataset, Profiles

PROPERTY = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def full_run(data: Dataset, algorithm: str, parameters: dict) -> object:
    missing = parameters.get("missing", "difference")
    if algorithm == "goeburst":
        return goeburst(data, lvs=int(parameters.get("lvs", 3)), missing=missing)
    return goeburst_full(data, missing=missing)


def extend(old: Dataset, new: Dataset, algorithm: str, parameters: dict, **options) -> Extension:
    inference, state = goeburst_with_state(old, algorithm=algorithm, parameters=parameters)
    return extend_goeburst(old, inference, state, new, algorithm=algorithm, parameters=parameters, **options)


def prefix(data: Dataset, rows: int) -> Dataset:
    """The first ``rows`` profiles of a dataset (no isolates), as an old version."""
    p = data.profiles
    profiles = Profiles(p.ids[:rows], p.loci, p.matrix[:rows], p.alleles, p.missing_values, p.kind)
    return Dataset(profiles, None, np.asarray(data.counts)[:rows], data.report)


# --------------------------------------------------------------------------------------------
# generated additions


@st.composite
def versions(draw: st.DrawFn) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, int]:
    """An old profile table and new rows after it: copies of old rows, of new rows, and fresh ones.

    Returns the whole matrix, ids, the old counts, the new counts (old rows' counts may grow) and
    the number of old rows.
    """
    old = draw(st.integers(1, 30))
    added = draw(st.integers(0, 6))
    loci = draw(st.integers(1, 6))
    alleles = draw(st.integers(1, 3))
    low = 0 if draw(st.booleans()) else 1
    matrix = draw(arrays(np.uint16, (old + added, loci), elements=st.integers(low, alleles)))
    for row in range(old, old + added):
        kind = draw(st.sampled_from(["fresh", "fresh", "copy"]))
        if kind == "copy":
            matrix[row] = matrix[draw(st.integers(0, row - 1))]
    ids = [str(i) for i in draw(st.lists(st.integers(1, 300), min_size=old + added, max_size=old + added,
                                         unique=True))]
    ones = draw(st.booleans())
    counts = np.ones(old + added, np.int64) if ones else draw(arrays(np.int64, old + added,
                                                                     elements=st.integers(0, 3)))
    grown = counts.copy()
    if draw(st.booleans()):
        grown[:old] += draw(arrays(np.int64, old, elements=st.integers(0, 2)))
    return matrix, ids, counts[:old], grown, old


@PROPERTY
@given(version=versions(), mode=st.sampled_from(MISSING_MODES), lvs=st.integers(1, 4),
       algorithm=st.sampled_from(["goeburst", "goeburst-full"]))
def test_an_extension_equals_a_full_run(version, mode: str, lvs: int, algorithm: str) -> None:
    matrix, ids, old_counts, counts, old_rows = version
    parameters = {"lvs": lvs, "missing": mode}
    old = from_matrix(matrix[:old_rows], ids[:old_rows], old_counts)
    new = from_matrix(matrix, ids, counts)
    result = extend(old, new, algorithm, parameters, work_limit=None)
    assert result.computed == "incremental", result.reason
    assert arrays_of(result.inference) == arrays_of(full_run(new, algorithm, parameters))
    _, state = goeburst_with_state(new, algorithm=algorithm, parameters=parameters)
    assert np.array_equal(result.state.lv, state.lv) and np.array_equal(result.state.freq, state.freq)


@PROPERTY
@given(version=versions(), mode=st.sampled_from(MISSING_MODES),
       algorithm=st.sampled_from(["goeburst", "goeburst-full"]))
def test_a_chain_of_extensions_equals_a_full_run(version, mode: str, algorithm: str) -> None:
    matrix, ids, old_counts, counts, old_rows = version
    parameters = {"lvs": 2, "missing": mode}
    middle = (old_rows + matrix.shape[0]) // 2
    first = from_matrix(matrix[:old_rows], ids[:old_rows], old_counts)
    second = from_matrix(matrix[:middle], ids[:middle], counts[:middle])
    third = from_matrix(matrix, ids, counts)
    step = extend(first, second, algorithm, parameters, work_limit=None)
    last = extend_goeburst(second, step.inference, step.state, third, algorithm=algorithm,
                           parameters=parameters, work_limit=None)
    assert (step.computed, last.computed) == ("incremental", "incremental")
    assert arrays_of(last.inference) == arrays_of(full_run(third, algorithm, parameters))


@PROPERTY
@given(old=st.integers(3, 40).flatmap(lambda n: arrays(np.uint16, (n, 7), elements=st.integers(1, 2))),
       new=st.integers(1, 4).flatmap(lambda n: arrays(np.uint16, (n, 7), elements=st.integers(1, 2))))
def test_additions_that_change_ties(old: np.ndarray, new: np.ndarray) -> None:
    # Seven loci with two alleles: every profile has many neighbours at every distance, so new
    # profiles move LV counts at every level and old edges trade places on LV ties.
    matrix = np.concatenate([old, new])
    for algorithm in ("goeburst", "goeburst-full"):
        result = extend(from_matrix(old), from_matrix(matrix), algorithm, {"lvs": 3}, work_limit=None)
        assert result.computed == "incremental", result.reason
        assert arrays_of(result.inference) == arrays_of(full_run(from_matrix(matrix), algorithm, {"lvs": 3}))


# --------------------------------------------------------------------------------------------
# literal cases


def test_a_new_profile_joins_two_components() -> None:
    # lvs 1: "1" [1,1] and "2" [2,2] are 2 apart, two singletons. "3" [1,2] is 1 from each: one tree
    # 1 - 3 - 2, rooted at 1 (the first lower endpoint in edge order).
    old, new = dataset([[1, 1], [2, 2]]), dataset([[1, 1], [2, 2], [1, 2]])
    result = extend(old, new, "goeburst", {"lvs": 1}, work_limit=None)
    assert result.computed == "incremental"
    assert [(e.parent, e.child, e.distance) for e in result.inference.edges()] == [
        ("1", "3", 1), ("3", "2", 1)]
    assert arrays_of(result.inference) == arrays_of(goeburst(new, lvs=1))


def test_an_identical_profile_adds_to_a_frequency() -> None:
    # The triangle of test_goeburst: a copy of "3" makes node 3's frequency 2, which moves the
    # tree from {1-2, 1-3} to {1-3, 2-3}; the copy hangs from 3 by an "identical" edge.
    triangle = [[1, 1], [2, 1], [3, 1]]
    old, new = dataset(triangle), dataset([*triangle, [3, 1]])
    result = extend(old, new, "goeburst", {"lvs": 1}, work_limit=None)
    assert result.computed == "incremental"
    assert [(e.parent, e.child, e.rule) for e in result.inference.edges()] == [
        ("3", "4", "identical"), ("1", "3", "frequency"), ("3", "2", "frequency")]
    assert arrays_of(result.inference) == arrays_of(goeburst(new, lvs=1))


def test_nothing_new() -> None:
    data = dataset([[1, 1], [2, 1], [3, 1]])
    result = extend(data, data, "goeburst-full", {}, work_limit=None)
    assert result.computed == "incremental" and result.stats["new_nodes"] == 0
    assert arrays_of(result.inference) == arrays_of(goeburst_full(data))


def test_stats_describe_the_work() -> None:
    result = extend(dataset([[1, 1], [2, 1]]), dataset([[1, 1], [2, 1], [2, 2]]), "goeburst-full", {},
                    work_limit=None)
    for key in ("new_nodes", "changed_old_nodes", "exposed_old_nodes", "candidate_edges", "seconds"):
        assert key in result.stats
    assert result.stats["new_nodes"] == 1


# --------------------------------------------------------------------------------------------
# when the full computation runs instead, and says why


def test_falls_back_and_says_why() -> None:
    old = dataset([[1, 1], [2, 1], [3, 1]])
    new = dataset([[1, 1], [2, 1], [3, 1], [3, 2]])
    inference, state = goeburst_with_state(old, algorithm="goeburst", parameters={"lvs": 2})
    expected = arrays_of(goeburst(new, lvs=2))

    def reason(**changes) -> str:
        arguments = {"parent": old, "inference": inference, "state": state, "dataset": new,
                     "algorithm": "goeburst", "parameters": {"lvs": 2}, **changes}
        result = extend_goeburst(**arguments)
        if result.computed == "full":
            assert arrays_of(result.inference) == arrays_of(full_run(arguments["dataset"], "goeburst",
                                                                     arguments["parameters"]))
        return result.reason if result.computed == "full" else ""

    assert "no goeBURST state" in reason(state=None)
    assert "computed with goeburst {'lvs': 2" in reason(parameters={"lvs": 3})
    assert "does not start with" in reason(dataset=dataset([[1, 1], [3, 1], [2, 1], [3, 2]], ids="1324"))
    assert "changes the alleles" in reason(dataset=dataset([[1, 1], [2, 1], [3, 3], [3, 2]]))
    # Same allele codes (numbered in order of appearance), other alleles: refused too.
    assert "changes the alleles" in reason(dataset=dataset([[1, 1], [3, 1], [2, 1], [3, 2]]))
    assert "fewer isolates" in reason(parent=dataset([[1, 1], [2, 1], [3, 1]], counts={"1": 2}),
                                      dataset=dataset([[1, 1], [2, 1], [3, 1], [3, 2]], counts={"1": 1}))
    assert "more than a full run" in reason()  # default work limit: on 4 profiles a full run is cheaper
    assert extend_goeburst(old, inference, state, new, algorithm="goeburst", parameters={"lvs": 2},
                           work_limit=None).computed == "incremental"
    assert arrays_of(extend_goeburst(old, inference, state, new, algorithm="goeburst",
                                     parameters={"lvs": 2}).inference) == expected


def test_progress_rises_to_one_and_cancel_stops() -> None:
    old, new = dataset([[1, 1], [2, 1], [3, 1]]), dataset([[1, 1], [2, 1], [3, 1], [3, 2]])
    inference, state = goeburst_with_state(old, algorithm="goeburst", parameters={"lvs": 2})
    for limit, how in ((None, "incremental"), (0.5, "full")):  # on 4 profiles a full run is cheaper
        seen: list[float] = []
        result = extend_goeburst(old, inference, state, new, algorithm="goeburst", parameters={"lvs": 2},
                                 work_limit=limit, progress=seen.append)
        assert result.computed == how
        assert seen == sorted(seen) and seen[-1] == 1.0
    with pytest.raises(CancelledError):
        extend_goeburst(old, inference, state, new, algorithm="goeburst", parameters={"lvs": 2},
                        cancel=lambda: True)


def test_unknown_algorithm_and_bad_parameters() -> None:
    data = dataset([[1, 1]])
    with pytest.raises(ParameterError, match="cannot be extended"):
        goeburst_with_state(data, algorithm="nj")
    with pytest.raises(ParameterError, match="lvs"):
        goeburst_with_state(data, algorithm="goeburst", parameters={"lvs": 0})
    with pytest.raises(ParameterError, match="missing-data mode"):
        goeburst_with_state(data, algorithm="goeburst-full", parameters={"missing": "x"})


def test_the_state_matches_a_plain_run() -> None:
    data = dataset([[1, 1, 1], [2, 2, 2], [4, 6, 3], [4, 3, 4], [3, 7, 5], [5, 4, 6], [2, 8, 7], [6, 5, 8]])
    inference, state = goeburst_with_state(data, algorithm="goeburst", parameters={"lvs": 3})
    assert arrays_of(inference) == arrays_of(goeburst(data, lvs=3))
    assert state.rows == 8 and state.lv.shape == (8, 4) and state.edges.u.shape == (7,)
    assert (state.edges.runner_u >= -1).all()


# --------------------------------------------------------------------------------------------
# the shared datasets split 90/10


@pytest.mark.parametrize(("path", "algorithm", "parameters"), [
    ("campylobacter/typing_6000.txt", "goeburst", {"lvs": 3}),
    ("campylobacter/typing_6000.txt", "goeburst-full", {}),
    ("phylodb/profiles_2000.txt", "goeburst", {"lvs": 7}),
    ("phylodb/profiles_2000.txt", "goeburst-full", {}),
    ("agona/profiles.tsv", "goeburst-full", {}),
    ("agona/profiles.tsv", "goeburst", {"lvs": 3}),
])
def test_shared_datasets_split_in_two(shared_data, path: str, algorithm: str, parameters: dict) -> None:
    new = open_dataset(shared_data / path)
    old = prefix(new, int(new.profiles.size * 0.9))
    result = extend(old, new, algorithm, parameters, work_limit=None)
    assert result.computed == "incremental", result.reason
    assert arrays_of(result.inference) == arrays_of(full_run(new, algorithm, parameters))


def test_the_docstring_examples() -> None:
    assert doctest.testmod(engine.algorithms.incremental).failed == 0
