"""Tests of engine/io/compressed.py: a gzip-compressed table reads exactly as its text (the suite's
fixtures, the demo dataset, every file of the bad-input corpus), and damaged, cut-short or
too large gzip streams are refused with a sentence."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from bad_input_expectations import EXPECTED
from paths import BAD_INPUTS, DEMO, FIXTURES

from engine.errors import InputError
from engine.io.compressed import inflate
from engine.io.datasets import open_dataset, read_dataset
from engine.io.isolates import read_isolates
from engine.io.profiles import read_profiles
from engine.models import Dataset

#: The plain-text tables the suite ships, as (profiles, isolates).
TABLES = [(folder / "profiles.tsv", folder / "isolates.tsv") for folder in (FIXTURES, DEMO)]
TEXT = b"ST\taroC\tdnaN\n1\t2\t3\n2\t1\t3\n"


def squeeze(data: bytes) -> bytes:
    """``data`` gzip-compressed (a fixed time stamp, so the bytes are the same on every run)."""
    return gzip.compress(data, mtime=0)


def assert_same(first: Dataset, second: Dataset) -> None:
    """The two datasets hold the same profiles, isolates, counts and read report."""
    assert first.profiles.ids == second.profiles.ids
    assert first.profiles.loci == second.profiles.loci
    assert first.profiles.alleles == second.profiles.alleles
    assert (first.profiles.matrix == second.profiles.matrix).all()
    assert first.counts.tolist() == second.counts.tolist()
    assert (first.isolates is None) == (second.isolates is None)
    if first.isolates is not None and second.isolates is not None:
        assert first.isolates.rows == second.isolates.rows
        assert first.isolates.profile_rows.tolist() == second.isolates.profile_rows.tolist()
    assert first.report == second.report


@pytest.mark.parametrize(("profiles", "isolates"), TABLES, ids=["fixtures", "demo"])
def test_gzip_tables_read_as_their_text(profiles: Path, isolates: Path) -> None:
    plain = read_dataset(profiles.read_bytes(), isolates.read_bytes())
    assert plain.profiles.size > 0 and plain.report.isolates > 0
    assert_same(read_dataset(squeeze(profiles.read_bytes()), squeeze(isolates.read_bytes())), plain)
    assert_same(read_dataset(squeeze(profiles.read_bytes()), isolates.read_bytes()), plain)


def test_open_dataset_knows_gzip_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    profiles, isolates = TABLES[0]
    named = tmp_path / "profiles.tsv.gz"
    unnamed = tmp_path / "isolates.tsv"  # gzip under a plain-text name
    named.write_bytes(squeeze(profiles.read_bytes()))
    unnamed.write_bytes(squeeze(isolates.read_bytes()))
    assert_same(open_dataset(named, unnamed), open_dataset(profiles, isolates))


def test_several_gzip_members_are_one_file() -> None:
    # What `cat head.gz tail.gz > all.gz` makes; gunzip reads it as the two texts one after the other.
    head, tail = TEXT[:20], TEXT[20:]
    assert inflate(squeeze(head) + squeeze(tail), "profile file") == TEXT
    assert inflate(squeeze(TEXT) + b"\x00" * 8, "profile file") == TEXT  # padding, as tape archives leave


#: Corpus files whose problem is the compression itself: compressed again they are compressed twice.
GZIP_CORPUS = {name for name in EXPECTED if name.endswith(".gz")}


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - GZIP_CORPUS))
def test_a_bad_file_compressed_fails_as_the_file_does(name: str) -> None:
    profiles, _ = read_profiles(b"ST\taroC\tdnaN\n1\t1\t1\n2\t1\t2\n3\t2\t2\n")
    data = (BAD_INPUTS / name).read_bytes()
    errors = []
    for content in (data, squeeze(data)):
        with pytest.raises(InputError) as caught:
            if name.startswith("isolates_"):
                read_isolates(content, profiles)
            else:
                read_profiles(content, kind="snp" if name.startswith("profiles_snp_") else "auto")
        errors.append((caught.value.message, caught.value.line))
    assert errors[1] == errors[0] == (errors[0][0], EXPECTED[name][1])


def test_an_error_on_line_n_of_a_gzip_file_names_line_n() -> None:
    data = b"ST\taroC\tdnaN\n1\t2\t3\n\n2\t=SUM(1+1)\t3\n"
    with pytest.raises(InputError, match="spreadsheet formula") as caught:
        read_profiles(squeeze(data))
    assert caught.value.line == 4


def test_compressed_twice_is_refused() -> None:
    with pytest.raises(InputError, match=r"^The profile file is compressed twice \(gzip inside gzip\)"):
        read_profiles(squeeze(squeeze(TEXT)))


@pytest.mark.parametrize(("data", "words"), [
    (squeeze(TEXT)[:-12], "The isolates file is gzip-compressed but cut short"),
    (squeeze(TEXT)[:2], "The isolates file is gzip-compressed but cut short"),
    (squeeze(TEXT)[:-8] + b"\x00\x00\x00\x00" + squeeze(TEXT)[-4:],
     "The isolates file is gzip-compressed but damaged (incorrect data check)"),
    (b"\x1f\x8b\x09" + squeeze(TEXT)[3:],
     "The isolates file is gzip-compressed but damaged (unknown compression method)"),
    (squeeze(TEXT) + b"ST\t1\n", "The isolates file is gzip-compressed but has data after the end"),
])
def test_damaged_gzip_is_an_input_error(data: bytes, words: str) -> None:
    with pytest.raises(InputError) as caught:
        read_dataset(TEXT, data)
    assert words in caught.value.message
    assert caught.value.line is None


def test_inflation_stops_at_the_limit() -> None:
    assert read_profiles(squeeze(TEXT), inflate_limit=len(TEXT))[0].ids == ["1", "2"]
    with pytest.raises(InputError, match=r"decompresses to more than 0 MB of text"):
        read_profiles(squeeze(TEXT), inflate_limit=len(TEXT) - 1)


def test_a_zip_bomb_is_refused_before_it_inflates() -> None:
    # 256 MB of one byte compress to about 250 KB; the reader stops after the first 16 MB step past 1 MB.
    bomb = gzip.compress(b"1" * 2**28, compresslevel=9, mtime=0)
    assert len(bomb) < 2**20
    with pytest.raises(InputError, match=r"^The profile file decompresses to more than 1 MB of text"):
        read_dataset(bomb, inflate_limit=2**20)
