"""Tests of engine/io/profiles.py: MLST / cgMLST tables, their id column, missing values and kinds."""

from __future__ import annotations

import numpy as np
import pytest
from typing_tables import PYOGENES

from engine.errors import InputError, ParameterError
from engine.io.profiles import DEFAULT_MISSING, read_profiles


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


# --------------------------------------------------------------------------------------------
# Missing values


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


# --------------------------------------------------------------------------------------------
# Kinds


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
