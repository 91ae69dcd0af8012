"""Tests of engine/io/recoding.py through read_profiles: allele codes in order of first appearance,
alleles compared as strings, the matrix type, and the identical profiles of the report."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.io.profiles import DEFAULT_MISSING, read_profiles


def test_alleles_compare_as_strings() -> None:
    profiles, _ = read_profiles(b"ST\ta\n1\t01\n2\t1\n3\t001\n4\t1\n")
    assert profiles.matrix[:, 0].tolist() == [1, 2, 3, 2]
    assert profiles.alleles[0] == ["", "01", "1", "001"]


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


def test_identical_groups_in_row_order() -> None:
    data = b"ST\ta\tb\n5\t1\t2\n6\t1\t3\n7\t1\t2\n8\t-\t3\n9\t1\t3\n10\t1\t2\n11\t\t3\n"
    _, report = read_profiles(data)
    # Missing equals missing here: rows 8 and 11 have the same codes.
    assert report.identical_groups == [["5", "7", "10"], ["6", "9"], ["8", "11"]]
