"""Tests of engine/readers.py: quirks on small literal files, then the real shared datasets."""

from __future__ import annotations

import doctest
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import InputError, ParameterError
from engine.io import readers
from engine.io.readers import (
    DEFAULT_MISSING,
    SNP_MISSING,
    open_dataset,
    read_dataset,
    read_isolates,
    read_profiles,
)
from engine.models import SkippedLine

# Three 7-locus profiles of the PHYLOViZ S. pyogenes sample (STs 1, 2, 3) as a baseline table.
PYOGENES = (b"ST\tgki\tgtr\tmurI\tmutS\trecP\txpt\tyqiZ\n"
            b"1\t10\t6\t6\t6\t12\t13\t8\n"
            b"2\t5\t4\t4\t1\t2\t15\t2\n"
            b"3\t5\t3\t4\t1\t6\t2\t1\n")


def test_docstring_examples() -> None:
    result = doctest.testmod(readers)
    assert result.attempted > 0
    assert result.failed == 0


# --------------------------------------------------------------------------------------------
# Table shape and text quirks


def test_reads_a_plain_table() -> None:
    profiles, report = read_profiles(PYOGENES)
    assert profiles.kind == "mlst"
    assert profiles.ids == ["1", "2", "3"]
    assert profiles.loci == ["gki", "gtr", "murI", "mutS", "recP", "xpt", "yqiZ"]
    assert profiles.matrix.shape == (3, 7)
    assert profiles.matrix.dtype == np.uint16
    assert [profiles.allele(0, locus) for locus in range(7)] == ["10", "6", "6", "6", "12", "13", "8"]
    assert (report.profiles, report.loci, report.missing_cells) == (3, 7, 0)
    assert report.missing_values == DEFAULT_MISSING
    assert report.skipped_lines == [] and report.notes == [] and report.identical_groups == []


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_endings_give_the_same_table(ending: bytes) -> None:
    data = PYOGENES.replace(b"\n", ending)
    profiles, _ = read_profiles(data)
    expected, _ = read_profiles(PYOGENES)
    assert profiles.ids == expected.ids
    assert np.array_equal(profiles.matrix, expected.matrix)


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_line_numbers_are_physical_lines(ending: bytes) -> None:
    data = ending.join([b"ST\ta\tb", b"1\t1\t1", b"", b"1\t2\t2", b"2\t1"]) + ending
    _, report = read_profiles(data)
    assert [skip.line for skip in report.skipped_lines] == [4, 5]


def test_missing_final_line_end() -> None:
    profiles, _ = read_profiles(PYOGENES.rstrip(b"\n"))
    assert profiles.size == 3


def test_utf8_byte_order_mark_is_dropped() -> None:
    profiles, _ = read_profiles(b"\xef\xbb\xbf" + PYOGENES)
    assert profiles.loci[0] == "gki"
    assert profiles.ids == ["1", "2", "3"]


def test_utf16_with_byte_order_mark_is_read() -> None:
    # Excel's "Unicode text" export: UTF-16 little endian with a BOM and CRLF line ends.
    data = PYOGENES.decode().replace("\n", "\r\n").encode("utf-16")
    profiles, _ = read_profiles(data)
    assert profiles.ids == ["1", "2", "3"]
    assert profiles.loci[-1] == "yqiZ"


def test_non_ascii_ids_and_alleles() -> None:
    profiles, _ = read_profiles("ST\tlocus\nSão Paulo 1\tñ1\nZürich\tÄ2\n".encode())
    assert profiles.ids == ["São Paulo 1", "Zürich"]
    assert profiles.alleles[0] == ["", "ñ1", "Ä2"]


def test_blank_lines_anywhere_are_skipped() -> None:
    data = (b"\n  \nST\ta\tb\n1\t1\t2\n\n\t\t\n \t \n2\t1\t3\n\n\n")
    profiles, report = read_profiles(data)
    assert profiles.ids == ["1", "2"]
    assert report.skipped_lines == []
    # Blank lines inside the table are noted once; leading and trailing ones silently skipped.
    assert report.notes == ["Blank lines skipped inside the table: 3 (first on line 5)."]


def test_cells_and_ids_are_trimmed() -> None:
    profiles, _ = read_profiles(b"ST\t a \tb\n 1 \t 7 \t8  \n2\t7\t 8\n")
    assert profiles.ids == ["1", "2"]
    assert profiles.loci == ["a", "b"]
    assert profiles.matrix.tolist() == [[1, 1], [1, 1]]
    assert profiles.alleles == [["", "7"], ["", "8"]]


def test_alleles_compare_as_strings() -> None:
    profiles, _ = read_profiles(b"ST\ta\n1\t01\n2\t1\n3\t001\n4\t1\n")
    assert profiles.matrix[:, 0].tolist() == [1, 2, 3, 2]
    assert profiles.alleles[0] == ["", "01", "1", "001"]


def test_any_id_column_name() -> None:
    for name in ("ST", "#Name", "#Strain", "isolate id", ""):
        profiles, _ = read_profiles(name.encode() + b"\ta\tb\nx1\t1\t2\n")
        assert profiles.ids == ["x1"]
        assert profiles.loci == ["a", "b"]


def test_grapetree_st_column_is_an_id_column() -> None:
    # GrapeTree / EnteroBase: #Name, then ST (a sequence type), then the loci.
    data = b"#Name\tST\tSTMMW_1\tSTMMW_2\n73\t29428\t34\t-\n72\t29426\t34\t-1\n"
    profiles, report = read_profiles(data)
    assert profiles.ids == ["73", "72"]
    assert profiles.loci == ["STMMW_1", "STMMW_2"]
    assert profiles.matrix.tolist() == [[1, 0], [1, 1]]
    assert any("Column 2 ('ST')" in note for note in report.notes)


def test_st_as_first_column_stays_the_id() -> None:
    profiles, report = read_profiles(b"ST\tST_x\tb\n1\t5\t6\n")
    assert profiles.loci == ["ST_x", "b"]
    assert report.notes == []


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


# --------------------------------------------------------------------------------------------
# Missing values and recoding


def test_default_missing_values() -> None:
    data = b"ST\ta\tb\tc\td\te\tf\n1\t\t-\t?\tN\t0\t-1\n2\t1\t1\t1\t1\t1\t1\n"
    profiles, report = read_profiles(data)
    assert profiles.matrix[0].tolist() == [0, 0, 0, 0, 0, 1]
    assert report.missing_cells == 5
    assert profiles.missing_values == DEFAULT_MISSING == report.missing_values


def test_minus_one_is_an_allele_by_default_and_missing_on_request() -> None:
    data = b"#Name\tST\ta\tb\n1\t10\t-1\t-\n2\t11\t5\t-1\n"
    default, _ = read_profiles(data)
    assert default.matrix.tolist() == [[1, 0], [2, 1]]
    assert default.alleles[0] == ["", "-1", "5"]
    custom, report = read_profiles(data, missing_values=(*DEFAULT_MISSING, "-1"))
    assert custom.matrix.tolist() == [[0, 0], [1, 0]]
    assert report.missing_values == ("", "-", "?", "N", "0", "-1")


def test_custom_missing_list_replaces_the_default() -> None:
    data = b"ST\ta\tb\tc\n1\tLNF\t0\t\n2\tASM_ 1\t-\t1\n"
    profiles, report = read_profiles(data, missing_values=["LNF", " PLOT3 "])
    # "0" and "-" are ordinary alleles now; an empty cell is always missing; entries are trimmed.
    assert profiles.matrix.tolist() == [[0, 1, 0], [1, 2, 1]]
    assert report.missing_values == ("", "LNF", "PLOT3")
    assert report.missing_cells == 2


def test_missing_values_must_be_a_sequence_of_str() -> None:
    with pytest.raises(TypeError, match="sequence of str"):
        read_profiles(PYOGENES, missing_values="-")


def test_codes_follow_first_appearance_per_locus() -> None:
    data = b"ST\ta\tb\n1\t9\tx\n2\t3\t-\n3\t9\ty\n4\t1\tx\n5\t3\ty\n"
    profiles, _ = read_profiles(data)
    assert profiles.matrix.T.tolist() == [[1, 2, 1, 3, 2], [1, 0, 2, 1, 2]]
    assert profiles.alleles == [["", "9", "3", "1"], ["", "x", "y"]]
    assert all(profiles.allele(row, 0) == value for row, value in enumerate("93913"))


def test_matrix_is_uint32_when_a_locus_has_65535_alleles() -> None:
    rows = b"".join(b"%d\t%d\t1\n" % (i, i) for i in range(1, 65536))
    profiles, _ = read_profiles(b"ST\tbig\tsmall\n" + rows)
    assert profiles.matrix.dtype == np.uint32
    assert int(profiles.matrix[:, 0].max()) == 65535
    smaller, _ = read_profiles(b"ST\tbig\n" + b"".join(b"%d\t%d\n" % (i, i) for i in range(1, 65535)))
    assert smaller.matrix.dtype == np.uint16


CELLS = st.sampled_from(["1", "2", "01", " 1", "1 ", "-", "", "0", "N", "?", "-1", "LNF",
                         "x" * 9, "x" * 10, "ü2", "12345678"])


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=40))
def test_recoding_matches_a_plain_python_reading(rows: list[list[str]]) -> None:
    text = "ST\ta\tb\tc\n" + "".join(f"{i}\t" + "\t".join(row) + "\n" for i, row in enumerate(rows))
    profiles, report = read_profiles(text.encode(), kind="mlst")
    for locus in range(3):
        codes: dict[str, int] = {}
        expected = [0 if (value := row[locus].strip()) in DEFAULT_MISSING
                    else codes.setdefault(value, len(codes) + 1) for row in rows]
        assert profiles.matrix[:, locus].tolist() == expected
        assert profiles.alleles[locus] == ["", *codes]
    assert report.missing_cells == sum(cell.strip() in DEFAULT_MISSING for row in rows for cell in row)


# --------------------------------------------------------------------------------------------
# SNP profiles


def test_snp_without_header() -> None:
    # PhyloDB's SNP format: no header, id then one character per locus.
    profiles, report = read_profiles(b"1\tACGT\n2\tACGA\n3\tAC-T\n")
    assert profiles.kind == "snp"
    assert profiles.ids == ["1", "2", "3"]
    assert profiles.loci == ["1", "2", "3", "4"]
    assert profiles.matrix.tolist() == [[1, 1, 1, 1], [1, 1, 1, 2], [1, 1, 0, 1]]
    assert profiles.alleles[3] == ["", "T", "A"]
    assert report.missing_values == SNP_MISSING
    assert report.notes == ["The SNP file has no header; its loci are named 1 to 4 after their "
                            "position."]


def test_snp_binary_states_and_space_as_missing() -> None:
    # PhyloDB's snp-d-2-m.txt: spaces are missing; 0 is a state, not a missing value.
    profiles, _ = read_profiles(b"1\t1001 \n2\t 1 01\n")
    assert profiles.kind == "snp"
    assert profiles.matrix.tolist() == [[1, 1, 1, 1, 0], [0, 2, 0, 2, 1]]
    assert profiles.alleles[1] == ["", "0", "1"]


def test_snp_with_a_two_column_header() -> None:
    profiles, report = read_profiles(b"ID\tsequence\ns1\tACGTN\ns2\tACCT?\n")
    assert profiles.kind == "snp"
    assert profiles.ids == ["s1", "s2"]
    assert profiles.loci == ["1", "2", "3", "4", "5"]
    assert profiles.matrix[:, 4].tolist() == [0, 0]
    assert report.notes[0].startswith("Line 1 was read as the header")


def test_snp_header_can_name_the_loci() -> None:
    profiles, _ = read_profiles(b"ID\tpos101\tpos245\tpos300\ns1\tACG\ns2\tACC\n")
    assert profiles.kind == "snp"
    assert profiles.loci == ["pos101", "pos245", "pos300"]


def test_snp_explicit_missing_list_adds_characters() -> None:
    profiles, report = read_profiles(b"1\tA0T\n2\tAXT\n", missing_values=["X", "LNF"], kind="snp")
    assert profiles.matrix.tolist() == [[1, 1, 1], [1, 0, 1]]
    assert report.missing_values == ("-", "N", "?", " ", "X")


def test_snp_rows_of_another_length_are_left_out() -> None:
    profiles, report = read_profiles(b"1\tACGT\n2\tACG\n3\tACGA\n4\tACGG\n", kind="snp")
    assert profiles.ids == ["1", "3", "4"]
    assert report.skipped_lines == [SkippedLine(
        2, "Row has a sequence of 3 characters where the profiles have 4; this row was left out.")]


def test_snp_is_not_detected_on_mlst_look_alikes() -> None:
    one_locus, _ = read_profiles(b"ST\taroE\n1\t12\n2\t3\n")
    assert one_locus.kind == "mlst" and one_locus.loci == ["aroE"]
    same_length, _ = read_profiles(b"ST\taroE\n1\t12\n2\t34\n")
    assert same_length.kind == "mlst"
    single_characters, _ = read_profiles(b"ST\taroE\n1\tA\n2\tC\n")
    assert single_characters.kind == "mlst"


def test_kind_can_be_forced() -> None:
    data = b"1\tACGT\n2\tACGA\n"
    as_mlst, _ = read_profiles(data, kind="mlst")
    assert as_mlst.kind == "mlst"
    assert as_mlst.loci == ["ACGT"] and as_mlst.ids == ["2"]
    as_snp, _ = read_profiles(b"1\tAB\n2\tAZ\n", kind="snp")
    assert as_snp.kind == "snp" and as_snp.matrix.tolist() == [[1, 1], [1, 2]]
    with pytest.raises(InputError, match="two columns of an SNP profile"):
        read_profiles(PYOGENES, kind="snp")


def test_unknown_kind_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="kind must be"):
        read_profiles(PYOGENES, kind="cgmlst")


# --------------------------------------------------------------------------------------------
# Identical profiles, isolates and datasets


def test_identical_groups_in_row_order() -> None:
    data = b"ST\ta\tb\n5\t1\t2\n6\t1\t3\n7\t1\t2\n8\t-\t3\n9\t1\t3\n10\t1\t2\n11\t\t3\n"
    _, report = read_profiles(data)
    # Missing equals missing here: rows 8 and 11 have the same codes.
    assert report.identical_groups == [["5", "7", "10"], ["6", "9"], ["8", "11"]]


ISOLATES = (b"name\tcountry\tST (MLST)\tyear\n"
            b"A\tPT\t2\t2001\n"
            b"B\tES\t2\t2002\n"
            b"C\tPT\t1\t2003\n"
            b"D\tUK\t-\t2004\n"
            b"E\tUK\t\t2005\n"
            b"F\tFR\t99\t2006\n")


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


def test_dataset_counts_without_isolates() -> None:
    dataset = read_dataset(PYOGENES)
    assert dataset.isolates is None
    assert dataset.counts.tolist() == [1, 1, 1]
    assert dataset.counts.dtype == np.int64


def test_dataset_counts_isolates_and_merges_reports() -> None:
    profiles_data = PYOGENES + b"3\t5\t3\t4\t1\t6\t2\t1\n4\t10\t6\t6\t6\t12\t13\t8\n\n"
    isolates_data = ISOLATES + b"G\tPT\t3\t2007\nH\tPT\t3\t2008\textra\n"
    dataset = read_dataset(profiles_data, isolates_data)
    assert dataset.profiles.ids == ["1", "2", "3", "4"]
    assert dataset.counts.tolist() == [1, 2, 1, 0]
    report = dataset.report
    assert (report.profiles, report.isolates, report.isolates_without_profile) == (4, 7, 3)
    assert report.duplicate_ids == ["3"]
    assert report.identical_groups == [["1", "4"]]
    assert [skip.line for skip in report.skipped_lines] == [5]
    assert [skip.line for skip in report.isolate_skipped_lines] == [9]
    assert "Isolates without a profile id in column 'ST (MLST)': 2." in report.notes


def test_dataset_passes_options_on() -> None:
    profiles = b"ST\taroE\n1\tA0\n2\tA1\n"
    assert read_dataset(profiles).profiles.kind == "snp"  # two-character "sequences"
    dataset = read_dataset(profiles, b"ID\tx\n2\ta\n2\tb\n", kind="mlst", profile_column="ID",
                           missing_values=["A0"])
    assert dataset.profiles.kind == "mlst"
    assert dataset.profiles.matrix.tolist() == [[0], [1]]
    assert dataset.counts.tolist() == [0, 2]


def test_readers_take_binary_handles() -> None:
    dataset = read_dataset(io.BytesIO(PYOGENES), io.BytesIO(ISOLATES))
    assert dataset.counts.tolist() == [1, 2, 0]
    assert read_profiles(bytearray(PYOGENES))[0].size == 3
    assert read_profiles(memoryview(PYOGENES))[0].size == 3


@pytest.mark.parametrize("source", ["ST\ta\n1\t1\n", io.StringIO("ST\ta\n1\t1\n"), Path("x.tsv"), 3],
                         ids=["str", "text-handle", "path", "int"])
def test_readers_never_guess_paths_or_text(source: object) -> None:
    with pytest.raises(TypeError, match="binary mode"):
        read_profiles(source)  # type: ignore[arg-type]


def test_open_dataset_reads_paths(tmp_path: Path) -> None:
    (tmp_path / "profiles.tsv").write_bytes(PYOGENES)
    (tmp_path / "isolates.tsv").write_bytes(ISOLATES)
    dataset = open_dataset(tmp_path / "profiles.tsv", str(tmp_path / "isolates.tsv"))
    assert dataset.counts.tolist() == [1, 2, 0]
    assert open_dataset(tmp_path / "profiles.tsv").isolates is None


def test_open_dataset_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot open") as caught:
        open_dataset(tmp_path / "nowhere.tsv")
    assert caught.value.line is None
    (tmp_path / "profiles.tsv").write_bytes(PYOGENES)
    with pytest.raises(InputError, match="Cannot open"):
        open_dataset(tmp_path / "profiles.tsv", tmp_path)


# --------------------------------------------------------------------------------------------
# Spreadsheet formulas and HTML markup: refused with line, column and reason; look-alikes kept

FORMULAS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://example.org","x")', "=1+1", " =SUM(A1)", "@SUM(1+1)",
            "@A1", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", '-HYPERLINK("x")', "+SUM(1)"]
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "Campylobacter <i>jejuni</i>",
          "x</b>", "<!-- x -->", "<?php x ?>", "a<b"]
#: Cells of real typing data that look a little like formulas or markup, and are plain values.
LOOK_ALIKES = ["-1", "-", "-0.5", "+3", "+ve", "-ve", "-ve (weak)", "+/-", "++", "--", "=", "@",
               "ST-45 complex", "a+b", "1=2", "x@y.org", "age <5", "<=0.25", "< 2 mg/L", "a -> b",
               "Salmonella (group B)", "x|y", "2019-01-01", "+351 21 000 0000", "1 (2) = 3"]


def _isolates_with(cell: str) -> bytes:
    """ISOLATES with ``cell`` as the country of its second isolate (line 3, column 2)."""
    return ISOLATES.replace(b"B\tES", b"B\t" + cell.encode(), 1)


@pytest.mark.parametrize("cell", FORMULAS)
def test_formulas_in_metadata_are_refused_with_line_and_column(cell: str) -> None:
    profiles, _ = read_profiles(PYOGENES)
    with pytest.raises(InputError) as caught:
        read_isolates(_isolates_with(cell), profiles)
    assert caught.value.line == 3
    assert caught.value.message.startswith(
        f"Column 2 ('country') of the isolates file holds {cell.strip()!r}, which is a spreadsheet formula. "
        "Spreadsheet formulas have no place in typing data")


@pytest.mark.parametrize("cell", MARKUP)
def test_markup_in_metadata_is_refused_with_line_and_column(cell: str) -> None:
    profiles, _ = read_profiles(PYOGENES)
    with pytest.raises(InputError, match="which is HTML markup") as caught:
        read_isolates(_isolates_with(cell), profiles)
    assert caught.value.line == 3
    assert caught.value.message.startswith(f"Column 2 ('country') of the isolates file holds {cell!r}")


@pytest.mark.parametrize("cell", FORMULAS[:2] + MARKUP[:2])
def test_formulas_and_markup_in_ids_loci_and_alleles_are_refused(cell: str) -> None:
    # an id (line 3, column 1), a locus name (line 1, column 3), an allele (line 2, column 7)
    for old, line, column in [(b"\n2\t", 3, 1), (b"\tgtr\t", 1, 3), (b"\t13\t", 2, 7)]:
        changed = PYOGENES.replace(old, old[:1] + cell.encode() + old[-1:], 1)
        with pytest.raises(InputError, match=f"Column {column} .*of the profile file holds") as caught:
            read_profiles(changed)
        assert caught.value.line == line


def test_the_first_bad_cell_in_the_file_is_named() -> None:
    profiles, _ = read_profiles(PYOGENES)
    data = _isolates_with("=1+1").replace(b"D\tUK", b"D\t<b>UK</b>").replace(b"A\tPT", b"A\t@x")
    with pytest.raises(InputError, match="'@x'") as caught:
        read_isolates(data, profiles)
    assert caught.value.line == 2
    with pytest.raises(InputError, match="'<b>UK</b>'") as caught:
        read_isolates(data.replace(b"@x", b"PT").replace(b"=1+1", b"ES"), profiles)
    assert caught.value.line == 5


@pytest.mark.parametrize("cell", LOOK_ALIKES)
def test_look_alikes_are_plain_values(cell: str) -> None:
    profiles, _ = read_profiles(PYOGENES)
    isolates, _ = read_isolates(_isolates_with(cell), profiles)
    assert isolates.rows[1][1] == cell.strip()
    table, _ = read_profiles(PYOGENES.replace(b"\n2\t5\t", b"\n2\t" + cell.encode() + b"\t"))
    assert table.allele(1, 0) == ("" if cell in DEFAULT_MISSING else cell)


def test_enterobase_minus_one_and_missing_dashes_load() -> None:
    profiles, report = read_profiles(b"#Name\tST\tSTMMW_1\tSTMMW_2\nSAL_1\t-\t-1\t-\nSAL_2\t12\t+1\t-0\n")
    assert profiles.ids == ["SAL_1", "SAL_2"] and profiles.alleles == [["", "-1", "+1"], ["", "-0"]]
    assert report.missing_cells == 1


def test_shared_campylobacter_isolates_keep_look_alikes_and_refuse_a_formula(shared_data: Path) -> None:
    folder = shared_data / "campylobacter"
    profiles, _ = read_profiles((folder / "typing_6000.txt").read_bytes())
    lines = (folder / "isolates_1000.txt").read_bytes().split(b"\n")
    comments = lines[0].split(b"\t").index(b"comments")

    def with_comments(cells: dict[int, str]) -> bytes:
        changed = list(lines)
        for index, cell in cells.items():
            row = changed[index].split(b"\t")
            row[comments] = cell.encode()
            changed[index] = b"\t".join(row)
        return b"\n".join(changed)

    look_alikes = with_comments(dict(enumerate(LOOK_ALIKES, start=1)))
    isolates, report = read_isolates(look_alikes, profiles)
    assert report.isolates == 1030 and report.isolate_skipped_lines == []
    assert [row[comments] for row in isolates.rows[:len(LOOK_ALIKES)]] == [c.strip() for c in LOOK_ALIKES]
    with pytest.raises(InputError, match=r"Column 25 \('comments'\) .* spreadsheet formula") as caught:
        read_isolates(with_comments({1: "ST-45 complex", 700: "=HYPERLINK(\"http://x\")"}), profiles)
    assert caught.value.line == 701


# --------------------------------------------------------------------------------------------
# The real datasets in ../shared/data (counts from its README)

PHYLODB = [(500, 500), (1000, 1000), (2000, 2000), (5000, 4999), (10000, 9997), (15000, 14979)]


@pytest.mark.parametrize(("name", "size"), PHYLODB, ids=[str(name) for name, _ in PHYLODB])
def test_phylodb_profiles(shared_data: Path, name: int, size: int) -> None:
    dataset = open_dataset(shared_data / "phylodb" / f"profiles_{name}.txt")
    report = dataset.report
    assert (report.profiles, report.loci, report.missing_cells) == (size, 7, 0)
    assert report.identical_groups == [] and report.skipped_lines == []
    assert dataset.profiles.ids[:3] == ["1", "2", "3"]
    duplicated = dataset.profiles.loci.count("locus7") == 2
    assert duplicated == any("'locus7' appears 2 times" in note for note in report.notes)


def test_phylodb_duplicate_locus_names_in_four_files(shared_data: Path) -> None:
    files = sorted((shared_data / "phylodb").glob("profiles_*.txt"))
    with_duplicates = [path.name for path in files
                       if open_dataset(path).profiles.loci.count("locus7") == 2]
    assert len(with_duplicates) == 4


def test_campylobacter_typing_and_isolates(shared_data: Path) -> None:
    folder = shared_data / "campylobacter"
    dataset = open_dataset(folder / "typing_6000.txt", folder / "isolates_1000.txt")
    assert dataset.profiles.loci == ["aspA", "glnA", "gltA", "glyA", "pgm", "tkt", "uncA"]
    assert dataset.profiles.size == 6000
    assert dataset.isolates is not None
    assert dataset.isolates.profile_column == "ST (MLST)"
    assert len(dataset.isolates.columns) == 31
    # 1,030 isolate rows (ids 1..1030) and two trailing blank lines, skipped without a word.
    assert dataset.report.isolates == 1030
    assert dataset.report.isolate_skipped_lines == []
    assert int(dataset.counts.sum()) == 1030 - dataset.report.isolates_without_profile
    assert 0 < int(np.count_nonzero(dataset.counts)) < 6000


def test_pyogenes_crlf_and_identical_sts(shared_data: Path) -> None:
    folder = shared_data / "pyogenes"
    dataset = open_dataset(folder / "profiles.txt", folder / "isolates.txt")
    assert dataset.profiles.size == 81
    assert dataset.report.identical_groups == [["1", "81"]]
    assert dataset.report.isolates == 117
    assert dataset.isolates is not None and dataset.isolates.profile_column == "ST"
    assert int(dataset.counts.sum()) == 117 - dataset.report.isolates_without_profile


def test_agona_grapetree_profiles_and_metadata(shared_data: Path) -> None:
    folder = shared_data / "agona"
    dataset = open_dataset(folder / "profiles.tsv", folder / "metadata.tsv", profile_column="ID")
    profiles = dataset.profiles
    assert profiles.size == 67 and len(profiles.loci) == 3002
    assert "ST" not in profiles.loci
    assert dataset.report.missing_cells == 8  # the "-" cells; "-1" is an allele by default
    minus_one = sum(alleles.count("-1") for alleles in profiles.alleles)
    assert minus_one > 0
    assert int(np.count_nonzero(dataset.counts)) == 67 == dataset.report.isolates
    strict = open_dataset(folder / "profiles.tsv", missing_values=(*DEFAULT_MISSING, "-1"))
    assert strict.report.missing_cells == 8 + 512


def test_agona_metadata_st_column_is_not_the_join(shared_data: Path) -> None:
    # The metadata's ST column holds cgSTs, which are not the profile ids (#Name).
    folder = shared_data / "agona"
    with pytest.raises(InputError, match="No isolate names one of the 67 profiles in column 'ST'"):
        open_dataset(folder / "profiles.tsv", folder / "metadata.tsv")


def test_frequency_profiles(shared_data: Path) -> None:
    dataset = open_dataset(shared_data / "frequency" / "profiles.tsv")
    assert dataset.profiles.size == 450
    groups = dataset.report.identical_groups
    assert len(groups) == 128
    assert all(len(group) >= 2 for group in groups)
    assert sum(len(group) for group in groups) <= 450


def test_simulated_profiles_and_cr_only_metadata(shared_data: Path) -> None:
    folder = shared_data / "simulated"
    dataset = open_dataset(folder / "profiles.tsv", folder / "metadata.txt", profile_column="ID")
    assert dataset.profiles.size == 40 and len(dataset.profiles.loci) == 2000
    assert dataset.profiles.ids[0] == "0"
    assert dataset.report.isolates == 40
    assert dataset.counts.tolist() == [1] * 40


def test_reference_trees_name_the_profile_ids(shared_data: Path, shared_reference: Path) -> None:
    profiles, _ = read_profiles((shared_data / "pyogenes" / "profiles.txt").read_bytes())
    edges = (shared_reference / "pyogenes_profiles.goeburst-full.tsv").read_text().split("\n")
    named = {cell for edge in edges if edge for cell in edge.split("\t")[:2]}
    assert named == set(profiles.ids)
