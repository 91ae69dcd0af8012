"""Tests of engine/io/isolates.py: isolate tables joined to their profiles."""

from __future__ import annotations

import pytest
from typing_tables import ISOLATES, PYOGENES

from engine.errors import InputError
from engine.io.isolates import read_isolates
from engine.io.profiles import read_profiles
from engine.models import SkippedLine


def test_isolates_join_by_the_st_column() -> None:
    profiles, _ = read_profiles(PYOGENES)
    isolates, report = read_isolates(ISOLATES, profiles)
    assert isolates.profile_column == "ST (MLST)"
    assert isolates.columns == ["name", "country", "ST (MLST)", "year"]
    assert isolates.rows[0] == ["A", "PT", "2", "2001"]
    assert isolates.profile_rows.tolist() == [1, 1, 0, -1, -1, -1]
    assert (report.isolates, report.isolates_without_profile) == (6, 3)
    assert report.notes == [
        "Isolates without a profile id in column 'ST (MLST)': 2.",
        "Isolates naming a profile that is not in the profile file: 1 (99).",
    ]
    assert report.profiles == 3 and report.loci == 7


def test_isolates_st_column_is_not_strain_or_a_locus() -> None:
    profiles, _ = read_profiles(PYOGENES)
    data = b"Strain\tSTMMW_1\tSTATUS\tST\nx\t1\t1\t3\n"
    isolates, _ = read_isolates(data, profiles)
    assert isolates.profile_column == "ST"
    assert isolates.profile_rows.tolist() == [2]


def test_isolates_join_by_a_named_column() -> None:
    profiles, _ = read_profiles(b"#Strain\ta\n0\t1\n1\t2\n")
    # CR-only line ends, as the simulated metadata; "0" is an id, not a missing value.
    isolates, report = read_isolates(b"ID\tCountry\r0\tChina\r1\tIndia\r0\tChina", profiles,
                                     profile_column="ID")
    assert isolates.profile_rows.tolist() == [0, 1, 0]
    assert report.isolates_without_profile == 0


def test_isolates_short_rows_are_padded_and_long_rows_left_out() -> None:
    profiles, _ = read_profiles(PYOGENES)
    data = b"ST\tcountry\tyear\n1\tPT\n2\tES\t2001\textra\n3\tUK\t2002\t\t\n"
    isolates, report = read_isolates(data, profiles)
    assert isolates.rows == [["1", "PT", ""], ["3", "UK", "2002"]]
    assert report.isolate_skipped_lines == [
        SkippedLine(3, "Row has 4 columns where the header has 3; this row was left out.")]
    assert report.skipped_lines == []
    assert any("fewer columns" in note for note in report.notes)


@pytest.mark.parametrize(
    ("data", "column", "words"),
    [
        (b"Strain\tcountry\nx\tPT\n", None, "no ST column"),
        (b"ST\tcountry\n1\tPT\n", "ID", "no column named 'ID'"),
        (b"ST\tcountry\n7\tPT\n8\tES\n", None, "No isolate names one of the 3 profiles"),
        (b"ST\tcountry\n\n", None, "has a header but no isolates"),
    ],
    ids=["no-st-column", "no-named-column", "no-match", "no-isolates"],
)
def test_unusable_isolates_raise(data: bytes, column: str | None, words: str) -> None:
    profiles, _ = read_profiles(PYOGENES)
    with pytest.raises(InputError, match=words) as caught:
        read_isolates(data, profiles, profile_column=column)
    assert caught.value.line == 1
