"""Profile and isolate tables written back for some rows (engine/io/tables.py): the readers read them
back to the same ids, alleles and cells."""

from __future__ import annotations

import doctest

from paths import DEMO

import engine.io.tables
from engine.algorithms.subsets import subset_dataset
from engine.io.datasets import read_dataset
from engine.io.tables import isolates_tsv, profiles_tsv


def test_doctests() -> None:
    assert doctest.testmod(engine.io.tables).failed == 0


def test_profiles_and_isolates_read_back_as_the_subset() -> None:
    demo = read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())
    rows = [5, 1, 77, 120, 259]
    isolates = demo.isolates
    picked = [k for k, row in enumerate(isolates.profile_rows.tolist()) if row in rows]
    again = read_dataset(profiles_tsv(demo.profiles, rows, isolates.profile_column).encode(),
                         isolates_tsv(isolates, picked).encode())
    expected = subset_dataset(demo, rows)
    assert again.profiles.ids == expected.profiles.ids and again.profiles.loci == expected.profiles.loci
    assert (again.profiles.matrix == expected.profiles.matrix).all()
    assert again.profiles.alleles == expected.profiles.alleles
    assert again.isolates.rows == expected.isolates.rows
    assert again.counts.tolist() == expected.counts.tolist()


def test_missing_alleles_and_snp_characters_read_back_as_missing() -> None:
    mlst = read_dataset(b"ST\ta\tb\n1\t-\t2\n2\t0\t\n").profiles
    again = read_dataset(profiles_tsv(mlst, [0, 1]).encode()).profiles
    assert again.matrix.tolist() == mlst.matrix.tolist() == [[0, 1], [0, 0]]
    snp = read_dataset(b"ID\tsequence\ns1\tAC-T\ns2\tACGN\n", kind="snp").profiles
    text = profiles_tsv(snp, [0, 1], "ID")
    assert text == "ID\tsequence\ns1\tAC-T\ns2\tACG-\n"
    again = read_dataset(text.encode(), kind="snp").profiles
    assert again.matrix.tolist() == snp.matrix.tolist() and again.ids == ["s1", "s2"]
