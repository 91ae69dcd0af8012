"""Tests of engine/io/rows.py through read_profiles: locus names of the header, blank lines, and the
rows left out (ragged, without id, repeated id) or refused when most rows are unusable."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.io.profiles import read_profiles
from engine.models import SkippedLine

# --------------------------------------------------------------------------------------------
# Locus names and blank lines


def test_duplicate_locus_names_are_kept() -> None:
    profiles, report = read_profiles(b"ST\tlocus6\tlocus7\tlocus7\n1\t1\t2\t3\n")
    assert profiles.loci == ["locus6", "locus7", "locus7"]
    assert profiles.matrix.tolist() == [[1, 1, 1]]
    assert profiles.alleles[2] == ["", "3"]
    assert report.notes == ["Locus name 'locus7' appears 2 times (columns 3, 4); they are kept as "
                            "separate loci."]


def test_unnamed_locus_columns_get_their_number() -> None:
    profiles, report = read_profiles(b"ST\ta\t\tc\t\t\n1\t1\t2\t3\n")
    # Trailing empty header cells are dropped; an empty name inside is replaced.
    assert profiles.loci == ["a", "column 3", "c"]
    assert any("without a name" in note for note in report.notes)


def test_numbers_as_header_are_noted() -> None:
    _, report = read_profiles(b"1\t1\t1\n2\t1\t2\n")
    assert any("only numbers as locus names" in note for note in report.notes)


def test_blank_lines_anywhere_are_skipped() -> None:
    data = (b"\n  \nST\ta\tb\n1\t1\t2\n\n\t\t\n \t \n2\t1\t3\n\n\n")
    profiles, report = read_profiles(data)
    assert profiles.ids == ["1", "2"]
    assert report.skipped_lines == []
    # Blank lines inside the table are noted once; leading and trailing ones silently skipped.
    assert report.notes == ["Blank lines skipped inside the table: 3 (first on line 5)."]


# --------------------------------------------------------------------------------------------
# Rows left out


def test_duplicate_ids_keep_the_first_row() -> None:
    data = b"ST\ta\tb\n12\t1\t1\n13\t2\t2\n12\t3\t3\n12\t4\t4\n14\t1\t1\n13\t1\t1\n"
    profiles, report = read_profiles(data)
    assert profiles.ids == ["12", "13", "14"]
    assert profiles.allele(0, 0) == "1"
    assert report.duplicate_ids == ["12", "13"]
    assert report.skipped_lines == [
        SkippedLine(4, "ST 12 appears again (first on line 2); this row was left out."),
        SkippedLine(5, "ST 12 appears again (first on line 2); this row was left out."),
        SkippedLine(7, "ST 13 appears again (first on line 3); this row was left out."),
    ]


def test_duplicate_reason_names_the_id_column() -> None:
    _, report = read_profiles(b"#Strain\ta\nx\t1\ny\t1\nx\t2\n")
    assert report.skipped_lines[0].reason.startswith("Strain x appears again (first on line 2)")


def test_trailing_empty_cells_are_not_ragged() -> None:
    profiles, report = read_profiles(b"ST\ta\tb\n1\t1\t2\t\t\n2\t1\t\t \t\n3\t\t\n")
    assert profiles.ids == ["1", "2", "3"]
    assert profiles.matrix.tolist() == [[1, 1], [1, 0], [0, 0]]
    assert report.skipped_lines == []


def test_ragged_rows_are_left_out_with_counts() -> None:
    data = b"ST\ta\tb\n1\t1\t2\n2\t1\n3\t1\t2\t5\n4\t1\t2\n5\t3\t3\n"
    profiles, report = read_profiles(data)
    assert profiles.ids == ["1", "4", "5"]
    assert report.skipped_lines == [
        SkippedLine(3, "Row has 2 columns where the header has 3; this row was left out."),
        SkippedLine(4, "Row has 4 columns where the header has 3; this row was left out."),
    ]


def test_rows_without_id_are_left_out() -> None:
    profiles, report = read_profiles(b"ST\ta\n1\t1\n \t2\n3\t3\n")
    assert profiles.ids == ["1", "3"]
    assert report.skipped_lines == [SkippedLine(3, "Row has no ST in column 1; this row was left out.")]


def test_id_zero_is_an_id() -> None:
    # Ids are not alleles: "0" (simulated data starts at 0) and "-" are ordinary ids.
    profiles, _ = read_profiles(b"#Strain\ta\n0\t1\n-\t2\n")
    assert profiles.ids == ["0", "-"]


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"ST\ta\tb\n1\t1\n2\t1\n3\t1\t1\n", 2, "2 of 3 rows cannot be used (line 2 has 2 columns"),
        (b"ST\ta\n\t1\n\t2\n1\t1\n", 2, "2 of 3 rows cannot be used (line 2 has no ST in column 1)"),
        (b"ST\ta\nx\t1\nx\t2\nx\t3\n", 3, "2 of 3 rows cannot be used (line 3 repeats ST x of line 2)"),
        (b"ST\ta\tb\n\t1\t2\n1\t1\n", 2, "No row of the profile file can be used (line 2 has no ST"),
    ],
    ids=["most-ragged", "most-without-id", "most-duplicate", "none-usable"],
)
def test_mostly_unusable_rows_raise(data: bytes, line: int, words: str) -> None:
    with pytest.raises(InputError) as caught:
        read_profiles(data)
    assert caught.value.line == line
    assert words in caught.value.message
