"""New versions of a dataset: the parent's rows kept (ids, alleles, codes), the new rows appended and
recoded, read with the same report and errors as an upload."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from engine.errors import InputError
from engine.io import versions
from engine.io.datasets import read_dataset
from engine.io.versions import append_rows

PROFILES = b"ST\tadk\tpurA\n1\t1\t2\n2\t3\t2\n3\t1\t\n"
ISOLATES = b"name\tST\tcountry\nA\t1\tPT\nB\t2\tES\nC\t2\tPT\n"


def test_new_rows_are_appended_with_the_parents_codes() -> None:
    parent = read_dataset(PROFILES)
    version, report = append_rows(parent, b"ST\tadk\tpurA\n9\t3\t5\n10\t\t2\n")
    assert version.profiles.ids == ["1", "2", "3", "9", "10"]
    assert np.array_equal(version.profiles.matrix[:3], parent.profiles.matrix)
    written = [[version.profiles.allele(row, locus) for locus in range(2)] for row in range(5)]
    assert written == [["1", "2"], ["3", "2"], ["1", ""], ["3", "5"], ["", "2"]]
    assert version.counts.tolist() == [1, 1, 1, 1, 1]
    assert (report.profiles, report.missing_cells) == (2, 1)
    assert report.notes[-1] == "2 profiles were added to the 3 of the dataset it is a version of."


def test_new_isolates_may_name_old_profiles() -> None:
    parent = read_dataset(PROFILES, ISOLATES)
    version, report = append_rows(parent, b"ST\tadk\tpurA\n4\t7\t7\n",
                                  b"name\tST\tcountry\nD\t4\tFR\nE\t1\tFR\nF\t99\tFR\n")
    assert version.counts.tolist() == [2, 2, 0, 1]
    assert [row[0] for row in version.isolates.rows] == ["A", "B", "C", "D", "E", "F"]
    assert (report.isolates, report.isolates_without_profile) == (3, 1)


@pytest.mark.parametrize(("profiles", "isolates", "message"), [
    (b"ST\tpurA\tadk\n9\t1\t1\n", None, "loci 'purA', 'adk'; the dataset has 'adk', 'purA'"),
    (b"ST\tadk\tpurA\n2\t1\t1\n", None, "new profile ids are in the dataset already, for example '2'"),
    (b"ST\tadk\tpurA\n9\t1\t1\n", b"name\tST\n", "no isolate table"),
    (b"", None, "empty"),
])
def test_bad_additions_are_refused(profiles: bytes, isolates: bytes | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        append_rows(read_dataset(PROFILES), profiles, isolates)


def test_isolates_must_have_the_parents_columns() -> None:
    with pytest.raises(InputError, match="the new isolates have the columns 'name', 'ST'"):
        append_rows(read_dataset(PROFILES, ISOLATES), b"ST\tadk\tpurA\n9\t1\t1\n", b"name\tST\nD\t9\n")


def test_the_docstring_examples() -> None:
    assert doctest.testmod(versions).failed == 0
