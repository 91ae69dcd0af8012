"""Tests of engine/io/datasets.py: profiles and isolates read together, from bytes and paths, then the
real shared datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typing_tables import ISOLATES, PYOGENES

from engine.errors import InputError
from engine.io.datasets import open_dataset, read_dataset
from engine.io.profiles import DEFAULT_MISSING, read_profiles


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
