"""Dates in isolate metadata: parsing, date columns and time bins (engine/algorithms/dates.py)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from paths import DEMO

import engine.algorithms.dates
from engine.algorithms.dates import (
    DAY,
    MONTH,
    NONE,
    YEAR,
    bin_starts,
    binned,
    date_columns,
    default_unit,
    in_window,
    parse,
    parse_value,
)
from engine.errors import ParameterError
from engine.io.datasets import read_dataset


def iso(days) -> list[str]:
    return np.asarray(days, "datetime64[D]").astype(str).tolist()


@pytest.mark.parametrize(("value", "expected", "precision"), [
    ("2019-07-04", "2019-07-04", DAY),
    ("2019/7/4", "2019-07-04", DAY),
    (" 2019-07-04 ", "2019-07-04", DAY),
    ("2019-07-04T10:30:00Z", "2019-07-04", DAY),
    ("2019-07-04 10:30", "2019-07-04", DAY),
    ("2020-02-29", "2020-02-29", DAY),  # a leap day
    ("2019-07", "2019-07-01", MONTH),
    ("1999", "1999-01-01", YEAR),
    ("1969-12-31", "1969-12-31", DAY),  # before 1970: a negative day
])
def test_a_date_a_month_or_a_year_is_the_first_day_of_its_period(value, expected, precision):
    day, found = parse_value(value)
    assert (iso([day])[0], found) == (expected, precision)


@pytest.mark.parametrize("value", [
    "", "unknown", "NA", "04/07/2019", "2019-13", "2019-02-30", "2019-00-10", "0000", "19", "2019-07-04x",
    "20190704", "July 2019", "2019--07",
])
def test_a_value_that_is_no_date_or_names_no_real_day_has_no_date(value):
    assert parse_value(value) == (0, NONE)


def test_parse_keeps_the_order_and_reports_what_has_no_date():
    found = parse(["2019", "nope", "2019-03-02", "nope", ""])
    assert found.precision.tolist() == [YEAR, NONE, DAY, NONE, NONE]
    assert found.dated().tolist() == [True, False, True, False, False]
    assert found.dated("month").tolist() == [False, False, True, False, False]
    assert iso(found.days[[0, 2]]) == ["2019-01-01", "2019-03-02"]


def test_parse_of_nothing_is_empty():
    found = parse([])
    assert found.days.shape == (0,) and found.precision.shape == (0,)


def test_date_columns_need_a_date_like_name_and_a_date():
    columns = ["id", "when", "collection date", "year", "update time", "notes"]
    rows = [["1", "2019-01-01", "2019-01-01", "2019", "soon", "2019-01-01"],
            ["2", "2019-01-02", "", "2020", "later", "x"]]
    # "when" and "notes" hold dates but are not named as dates; "update time" names a date but holds none
    assert date_columns(columns, rows) == ["collection date", "year"]
    assert date_columns(["id"], []) == []


def test_date_columns_of_the_same_word_prefer_more_dates():
    rows = [["2019-01-01", "2019-01-01"], ["", "2019-01-02"]]
    assert date_columns(["date sent", "date sampled"], rows) == ["date sampled", "date sent"]


def test_the_demo_has_a_date_and_a_year_column():
    dataset = read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())
    assert date_columns(dataset.isolates.columns, dataset.isolates.rows) == ["date", "year"]


def test_weeks_start_on_monday():
    days = np.array([np.datetime64("2024-01-01"), np.datetime64("2024-01-07"), np.datetime64("2024-01-08"),
                     np.datetime64("2023-12-31")]).astype(np.int64)
    assert iso(bin_starts(days, "week")) == ["2024-01-01", "2024-01-01", "2024-01-08", "2023-12-25"]
    assert iso(bin_starts(days, "year")) == ["2024-01-01"] * 3 + ["2023-01-01"]


def test_bins_run_from_the_first_to_the_last_with_empty_ones_between():
    found = binned(parse(["2019-11-20", "2020-02-03", "2019-11-01", "2020", "x"]), "month")
    assert iso(found.starts) == ["2019-11-01", "2019-12-01", "2020-01-01", "2020-02-01"]
    assert iso(found.ends) == ["2019-12-01", "2020-01-01", "2020-02-01", "2020-03-01"]
    # a year is too coarse for a month, and "x" has no date
    assert found.index.tolist() == [0, 3, 0, -1, -1]


def test_years_take_every_dated_value():
    found = binned(parse(["2019-11-20", "2021", "2019-01"]), "year")
    assert iso(found.starts) == ["2019-01-01", "2020-01-01", "2021-01-01"]
    assert found.index.tolist() == [0, 2, 0]


def test_weeks_need_a_day():
    found = binned(parse(["2019-11-20", "2019-11", "2019-12-02"]), "week")
    assert iso(found.starts) == ["2019-11-18", "2019-11-25", "2019-12-02"]
    assert found.index.tolist() == [0, -1, 2]


def test_no_date_gives_no_bin():
    found = binned(parse(["", "unknown"]), "year")
    assert len(found.starts) == 0 and found.index.tolist() == [-1, -1]


def test_an_unknown_unit_is_refused_by_name():
    with pytest.raises(ParameterError, match="unknown time bin 'day'"):
        binned(parse(["2019"]), "day")
    with pytest.raises(ParameterError, match="unknown time bin 'day'"):
        bin_starts(np.array([0]), "day")


def test_default_unit_is_the_finest_with_at_most_150_bins_and_precise_enough():
    assert default_unit(parse(["2019-01-01", "2021-11-01"])) == "week"  # 140 weeks
    assert default_unit(parse(["2019-01-01", "2022-01-01"])) == "month"  # 157 weeks, 37 months
    assert default_unit(parse(["2019-01-01", "2019-02"])) == "month"
    assert default_unit(parse(["2019-01-01", "2019"])) == "year"
    assert default_unit(parse(["1900-01", "2019-01"])) == "year"  # over 150 months
    assert default_unit(parse(["none"])) == "year"


def test_a_window_takes_every_bin_it_overlaps():
    found = binned(parse(["2019", "2020", "2021", "2022"]), "year")
    day = np.datetime64("2020-06-01").astype(np.int64)
    assert in_window(found, day, day).tolist() == [1]
    assert in_window(found, day + 400, day).tolist() == [1, 2]
    start_2021 = float(np.datetime64("2021-01-01").astype(np.int64))
    assert in_window(found, start_2021 - 0.5, start_2021 - 0.1).tolist() == [1]  # ends before 2021
    assert in_window(found, -10_000, -9_000).tolist() == []


def test_doctests():
    assert doctest.testmod(engine.algorithms.dates).failed == 0
