"""Tests of engine/io/snp.py: SNP profiles, with and without a header, and how they are told from MLST."""

from __future__ import annotations

import tracemalloc

import numpy as np

from engine.io.profiles import read_profiles
from engine.io.snp import SNP_MISSING
from engine.models import SkippedLine


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


def test_an_snp_file_is_recoded_a_block_at_a_time() -> None:
    # 1,200 sequences of 20,000 sites: 24 MB of text, 48 MB of codes. Read whole, the text was joined
    # and split into lines and recoded at once through a uint32 copy of the codes: a peak of 9.3 times
    # the text. Now the text is held once, as its blocks, and recoded a 4 MB block at a time.
    rng = np.random.default_rng(3)
    sequences = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, size=(1200, 20_000), dtype=np.uint8)]
    text = b"ID\tsequence\n" + b"".join(b"s%d\t" % row + sequence.tobytes() + b"\n"
                                        for row, sequence in enumerate(sequences))
    read_profiles(text[:100_000].rsplit(b"\n", 1)[0])  # the kernel compiled or loaded outside the count
    tracemalloc.start()
    try:
        profiles, _ = read_profiles(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert profiles.matrix.shape == (1200, 20_000)
    assert peak < 5 * len(text), peak / len(text)
