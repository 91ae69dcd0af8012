"""Per-node values, hover text and search from isolate metadata (engine/algorithms/metadata.py)."""

from __future__ import annotations

import doctest
from collections import Counter

import numpy as np
import pytest
from paths import DEMO

import engine.algorithms.metadata
from engine.algorithms.metadata import (
    NO_VALUE,
    OTHER,
    composition,
    is_numeric,
    isolate_categories,
    numeric_means,
    search,
    summaries,
)
from engine.errors import ParameterError
from engine.io.datasets import read_dataset
from engine.models import Dataset

PROFILES = b"ST\tadk\tpurA\n1\t1\t1\n2\t1\t2\n3\t2\t2\n4\t3\t3\n"
# Profile 4 has no isolate; i5 has no country, i4 no source, i6 no year; "other" is a real source.
ISOLATES = (b"name\tST\tcountry\tyear\tsource\n"
            b"i1\t1\tPortugal\t2019\thuman\n"
            b"i2\t1\tPortugal\t2020\thuman\n"
            b"i3\t1\tSpain\t2019\tchicken\n"
            b"i4\t2\tSpain\t2020\t\n"
            b"i5\t2\t\t2021\thuman\n"
            b"i6\t3\tFrance\t\tother\n"
            b"i7\t3\tItaly\t2018\tcattle\n")


@pytest.fixture(scope="module")
def small() -> Dataset:
    return read_dataset(PROFILES, ISOLATES)


@pytest.fixture(scope="module")
def demo() -> Dataset:
    return read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())


def column_values(dataset: Dataset, column: str) -> list[tuple[int, str]]:
    """(profile row, value) of every isolate of a profile, read the slow and obvious way."""
    isolates = dataset.isolates
    index = isolates.columns.index(column)
    return [(int(row), cells[index])
            for row, cells in zip(isolates.profile_rows, isolates.rows, strict=True) if row >= 0]


@pytest.mark.parametrize("cap", [2, 20])
def test_isolate_categories_are_the_composition_per_isolate(demo, cap):
    categories, slots = isolate_categories(demo, "country", cap)
    result = composition(demo, "country", cap)
    assert categories == result.categories
    rows = np.asarray(demo.isolates.profile_rows)
    assert ((slots >= 0) == (rows >= 0)).all()
    counted = np.zeros_like(result.counts)
    np.add.at(counted, (rows[rows >= 0], slots[rows >= 0]), 1)
    assert counted.tolist() == result.counts.tolist()


def test_composition_orders_categories_by_size_then_name(small):
    result = composition(small, "country")
    # Portugal and Spain have 2 isolates each (name order); "(" sorts before letters.
    assert result.categories == ["Portugal", "Spain", NO_VALUE, "France", "Italy"]
    assert result.counts.tolist() == [[2, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 0, 1, 1], [0, 0, 0, 0, 0]]
    assert result.counts.dtype == np.int64


def test_composition_merges_the_smallest_into_other(small):
    result = composition(small, "country", max_categories=3)
    assert result.categories == ["Portugal", "Spain", OTHER]
    assert result.counts.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 2], [0, 0, 0]]


def test_a_real_other_value_is_ordinary_until_values_are_merged(small):
    assert composition(small, "source").categories == ["human", NO_VALUE, "cattle", "chicken", "other"]
    merged = composition(small, "source", max_categories=3)
    # human (3) and "(no value)" (1, first by name) stay; cattle, chicken and the real "other" merge.
    assert merged.categories == ["human", NO_VALUE, OTHER]
    assert merged.counts.tolist() == [[2, 0, 1], [1, 1, 0], [0, 0, 2], [0, 0, 0]]


def test_composition_of_the_demo_sums_to_the_isolate_counts(demo):
    for column, expected in (("country", 7), ("year", 20), ("clonal_complex", 9)):
        result = composition(demo, column)
        assert len(result.categories) == expected
        assert result.counts.shape == (demo.profiles.size, expected)
        np.testing.assert_array_equal(result.counts.sum(axis=1), demo.counts)
    year = composition(demo, "year")  # 27 distinct years: 19 kept, 8 merged
    assert year.categories[-1] == OTHER
    totals = year.counts.sum(axis=0)[:-1]
    assert (np.diff(totals) <= 0).all()
    kept = Counter(value for _, value in column_values(demo, "year")).most_common()
    assert totals[-1] >= kept[19][1]


def test_composition_refuses_bad_input(small):
    with pytest.raises(ParameterError, match=r"unknown isolate column 'contry' \(did you mean 'country'\?\)"):
        composition(small, "contry")
    with pytest.raises(ParameterError, match="no isolate metadata"):
        composition(read_dataset(PROFILES), "country")
    with pytest.raises(ParameterError, match="max_categories must be at least 1"):
        composition(small, "country", max_categories=0)


def test_is_numeric(small, demo):
    assert is_numeric(small, "year")
    assert not is_numeric(small, "country")
    assert is_numeric(demo, "year")
    assert not is_numeric(demo, "isolate")
    for cell, numeric in ((b"1e3", True), (b"", True), (b"nan", False), (b"inf", False), (b"1,5", False)):
        dataset = read_dataset(PROFILES, b"ST\tvalue\n1\t-2.5\n2\t" + cell + b"\n")
        assert is_numeric(dataset, "value") == numeric, cell
    assert not is_numeric(read_dataset(PROFILES, b"ST\tvalue\n1\t\n"), "value")  # no value at all


def test_numeric_means(small, demo):
    means = numeric_means(small, "year")
    np.testing.assert_allclose(means, [(2019 + 2020 + 2019) / 3, 2020.5, 2018, np.nan])
    assert means.dtype == np.float64
    expected: dict[int, list[float]] = {}
    for row, value in column_values(demo, "year"):
        if value:
            expected.setdefault(row, []).append(float(value))
    wanted = [np.mean(expected[row]) if row in expected else np.nan for row in range(demo.profiles.size)]
    np.testing.assert_allclose(numeric_means(demo, "year"), wanted)
    with pytest.raises(ParameterError, match="'country' is not numeric: 'Portugal'"):
        numeric_means(small, "country")


def test_summaries_text(small):
    assert summaries(small) == [
        "name: i1 (1), i2 (1), i3 (1); country: Portugal (2), Spain (1); year: 2019 (2), 2020 (1); "
        "source: human (2), chicken (1)",
        "name: i4 (1), i5 (1); country: Spain (1); year: 2020 (1), 2021 (1); source: human (1)",
        "name: i6 (1), i7 (1); country: France (1), Italy (1); year: 2018 (1); source: cattle (1), other (1)",
        "",
    ]
    assert summaries(small, ["source", "country"], top=1) == [
        "source: human (2); country: Portugal (2)", "source: human (1); country: Spain (1)",
        "source: cattle (1); country: France (1)", ""]
    assert summaries(small, []) == [""] * 4
    with pytest.raises(ParameterError, match="top must be at least 1"):
        summaries(small, top=0)
    with pytest.raises(ParameterError, match="unknown isolate column"):
        summaries(small, ["county"])


def test_summaries_of_the_demo_match_counting_by_hand(demo):
    columns = [name for name in demo.isolates.columns if name != "ST"]
    counters: dict[int, dict[str, Counter]] = {}
    for column in columns:
        for row, value in column_values(demo, column):
            if value:
                counters.setdefault(row, {}).setdefault(column, Counter())[value] += 1

    def top3(counter: Counter) -> str:
        ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:3]
        return ", ".join(f"{value} ({count})" for value, count in ranked)

    expected = ["; ".join(f"{column}: {top3(counter)}" for column, counter in counters.get(row, {}).items())
                for row in range(demo.profiles.size)]
    assert summaries(demo) == expected


class CountingRows(list):
    """A list of isolate rows that counts how often it is walked from the start."""

    walks = 0

    def __iter__(self):
        CountingRows.walks += 1
        return super().__iter__()


def test_summaries_walk_the_isolates_once_per_column_not_per_profile(demo):
    isolates = demo.isolates
    rows = CountingRows(isolates.rows)
    counted = Dataset(demo.profiles, type(isolates)(isolates.columns, rows, isolates.profile_column,
                                                    isolates.profile_rows), demo.counts, demo.report)
    CountingRows.walks = 0
    assert summaries(counted) == summaries(demo)
    assert CountingRows.walks <= len(isolates.columns) < demo.profiles.size


def test_search_by_id(small, demo):
    assert search(small, "1").tolist() == [0]
    assert search(small, " 2 ").tolist() == [1]
    st61 = demo.profiles.ids.index("61")
    assert search(demo, "61").tolist() == [st61]  # an exact id wins over ids and values containing it
    assert search(small, "").dtype == np.int64


def test_search_by_metadata(small, demo):
    assert search(small, " PORTUGAL ").tolist() == [0]
    assert search(small, "spa").tolist() == [0, 1]
    assert search(small, "i7").tolist() == [2]
    assert search(small, "20").tolist() == [0, 1, 2]  # years 2019..2021 and 2018
    assert search(small, "zzz").tolist() == []
    assert search(small, "   ").tolist() == []
    japan = sorted({row for row, value in column_values(demo, "country") if value == "Japan"})
    assert search(demo, "japan").tolist() == japan


def test_search_without_isolates():
    dataset = read_dataset(PROFILES)
    assert search(dataset, "3").tolist() == [2]
    assert search(dataset, "Portugal").tolist() == []


def test_docstring_examples():
    assert doctest.testmod(engine.algorithms.metadata).failed == 0
