"""Tests of engine/io/blocks.py and the readers that work a block at a time (MLST / cgMLST and SNP
profiles): whatever the block size, a table reads exactly as its whole text (the same profiles, report,
or error message and line), plain or gzip-compressed, from bytes or from a file handle."""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools

import numpy as np
import pytest
from bad_input_expectations import EXPECTED
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import BAD_INPUTS, DEMO, FIXTURES

from engine import models
from engine.errors import InputError
from engine.io import blocks
from engine.io.blocks import Block, text_blocks
from engine.io.isolates import read_isolates
from engine.io.profiles import read_profiles

#: Block sizes that put block ends everywhere: after every line, inside short and long lines.
SIZES = (1, 2, 3, 5, 8, 13, 64)
#: Larger than any table of these tests: the whole text is one block.
WHOLE = 1 << 30


def outcome(data: bytes, size: int, handle: bool = False, **options: object) -> object:
    """What :func:`read_profiles` makes of ``data`` when blocks (and reads) are ``size`` bytes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "BLOCK_SIZE", size)
        try:
            profiles, report = read_profiles(io.BytesIO(data) if handle else data, **options)  # type: ignore[arg-type]
        except InputError as error:
            return "error", error.message, error.line
    return (profiles.ids, profiles.loci, profiles.matrix.tolist(), profiles.matrix.dtype.name,
            profiles.alleles, profiles.missing_values, profiles.kind, report)


def assert_same_at_every_size(data: bytes, **options: object) -> None:
    expected = outcome(data, WHOLE, **options)
    for size in SIZES:
        assert outcome(data, size, **options) == expected, size
    assert outcome(data, 3, handle=True, **options) == expected


def members(data: bytes, cuts: list[int]) -> bytes:
    """``data`` as gzip members cut at the offsets ``cuts`` (what ``cat a.gz b.gz`` makes)."""
    bounds = [0, *sorted({min(cut, len(data)) for cut in cuts}), len(data)]
    return b"".join(gzip.compress(data[a:b], mtime=0) for a, b in itertools.pairwise(bounds))


# A table with a header after blank lines, CRLF and CR line ends, a blank line inside, rows left
# out for their columns, their id and a repeated id, missing values, identical profiles, a GrapeTree
# ST column and a last line without its line end.
TABLE = (b"\r\n\n#Name\tST\taroC\tdnaN\tpurA\r\n"
         b"a\t1\t1\t2\t-\r\n"
         b"b\t2\t1\t\t3\r"
         b"\r\n"
         b"c\t3\t1\t2\t-\n"
         b"\t4\t1\t1\t1\n"
         b"a\t5\t9\t9\t9\n"
         b"d\t6\t1\t2\n"
         b"e\t7\t 01 \t2\t3\t\t\n"
         b"f\t8\t1\t2\t-")


def test_a_table_reads_the_same_in_blocks_of_any_size() -> None:
    whole = outcome(TABLE, WHOLE)
    assert whole[0] == ["a", "b", "c", "e", "f"]
    report = whole[-1]
    assert [skipped.line for skipped in report.skipped_lines] == [8, 9, 10]
    assert report.duplicate_ids == ["a"]
    assert report.identical_groups == [["a", "c", "f"]]
    assert report.notes[-1] == "Blank lines skipped inside the table: 1 (first on line 6)."

    assert_same_at_every_size(TABLE)
    assert_same_at_every_size(TABLE, missing_values=["-", "1"])


def test_gzip_members_cut_anywhere_read_as_the_text() -> None:
    expected = outcome(TABLE, WHOLE)
    for cut in range(len(TABLE) + 1):
        packed = members(TABLE, [cut])
        assert outcome(packed, 7) == expected, cut
        assert outcome(packed, 1, handle=True) == expected, cut


# SNP profiles with a header after a blank line, CRLF line ends, a blank line inside, rows left out for
# their length, a repeated id, no id and a third column, identical and all-missing sequences.
SNP_TABLE = (b"\n#ID\tsequence\r\ns1\tACGT\ns2\tAC-T\r\n\ns3\tACG\ns1\tAAAA\n\tACGT\ns4\tACGT\tX\n"
             b"s5\tNNNN\ns6\tAC-T")


def test_an_snp_table_reads_the_same_in_blocks_of_any_size() -> None:
    ids, _, matrix, *_, kind, report = outcome(SNP_TABLE, WHOLE, kind="snp")
    assert (kind, ids) == ("snp", ["s1", "s2", "s5", "s6"])
    assert matrix == [[1, 1, 1, 1], [1, 1, 0, 1], [0, 0, 0, 0], [1, 1, 0, 1]]
    assert [skipped.line for skipped in report.skipped_lines] == [6, 7, 8, 9]
    assert report.identical_groups == [["s2", "s6"]]
    assert report.notes[-1] == "Blank lines skipped inside the table: 1 (first on line 5)."
    assert_same_at_every_size(SNP_TABLE, kind="snp")
    assert_same_at_every_size(SNP_TABLE, kind="snp", missing_values=["A"])
    auto = b"ID\tsequence\n\ns1\tACGT\r\ns2\tAC-T\ns3\tACGT\n"
    assert outcome(auto, WHOLE)[6] == "snp"
    assert_same_at_every_size(auto)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_bad_inputs_fail_the_same_in_blocks(name: str) -> None:
    data = (BAD_INPUTS / name).read_bytes()
    if name.startswith("isolates_"):
        profiles = read_profiles(b"ST\taroC\tdnaN\n1\t1\t1\n2\t1\t2\n3\t2\t2\n")[0]
        errors = set()
        for size in (1, 5, WHOLE):
            with pytest.MonkeyPatch.context() as patch, pytest.raises(InputError) as caught:
                patch.setattr(blocks, "BLOCK_SIZE", size)
                read_isolates(data, profiles)
            errors.add((caught.value.message, caught.value.line))
        assert len(errors) == 1
        return
    kind = "snp" if name.startswith("profiles_snp_") else "auto"
    expected = outcome(data, WHOLE, kind=kind)
    assert expected[0] == "error"
    for size in (1, 5, 64):
        assert outcome(data, size, kind=kind) == expected
        if not name.endswith(".gz"):  # compressed again, those are compressed twice
            assert outcome(members(data, [size]), size, kind=kind) == expected


@pytest.mark.parametrize("folder", [FIXTURES, DEMO])
def test_the_suite_tables_read_the_same_in_blocks(folder: object) -> None:
    data = (folder / "profiles.tsv").read_bytes()  # type: ignore[operator]
    expected = outcome(data, WHOLE)
    for size in (1, 100, 4096):
        assert outcome(data, size) == expected
    assert outcome(members(data, [len(data) // 3, len(data) // 2]), 100) == expected


def test_codes_widen_to_uint32_in_a_later_block() -> None:
    # 70,000 distinct alleles at one locus: the codes outgrow uint16 in the middle of the file.
    rows = 70_000
    data = b"ST\tadk\tpurA\n" + b"".join(b"%d\t%d\t7\n" % (row, row) for row in range(rows))
    expected = outcome(data, WHOLE)
    assert expected[3] == "uint32"
    assert outcome(data, 64 * 1024) == expected


def test_text_blocks_end_at_line_ends_and_count_lines() -> None:
    found = list(text_blocks(b"ab\r\ncd\ref\n\ngh", "profile file", "read_profiles"))
    assert found == [Block(0, b"ab\ncd\nef\n\ngh")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "BLOCK_SIZE", 3)
        found = list(text_blocks(b"ab\r\ncd\ref\n\ngh", "profile file", "read_profiles"))
    assert found == [Block(0, b"ab\n"), Block(1, b"cd\n"), Block(2, b"ef\n"), Block(3, b"\ngh")]


# --------------------------------------------------------------------------------------------
# Property tests: random tables and random bytes read the same in blocks of any size.

#: Pieces of tables, as in test_bad_inputs, plus formulas, markup and a web page's first line.
PIECES = st.sampled_from([
    b"\t", b"\t", b"\t", b"\t", b"\n", b"\n", b"\n", b"\r\n", b"\r", b" ", b",", b"#", b"ST", b"1",
    b"2", b"01", b"0", b"-", b"-1", b"?", b"N", b"A", b"C", b"GT", b"ACGT", b"\xef\xbb\xbf",
    b"\xff\xfe", b"\x00", b"\xe3", "é".encode(), b"<b>", b"=SUM(1)", b"<html>", b"\x1f\x8b",
])
ALLELES = st.sampled_from(["1", "2", "3", "01", "-", "", " 4 ", "N", "?", "0", "-1"])


@st.composite
def tables(draw: st.DrawFn) -> bytes:
    """A profile table with a few quirks: blank lines, short and long rows, repeated and empty ids,
    CRLF or CR line ends, a missing last line end."""
    loci = draw(st.integers(1, 4))
    lines = ["\t".join(["ST", *(f"l{locus}" for locus in range(loci))])]
    for _ in range(draw(st.integers(0, 12))):
        shape = draw(st.sampled_from(["row", "row", "row", "blank", "short", "long"]))
        width = {"row": loci, "blank": -1, "short": loci - 1, "long": loci + 1}[shape]
        row_id = draw(st.sampled_from(["1", "2", "3", "4", "5", "", "x"]))
        lines.append("" if width < 0 else "\t".join([row_id, *draw(st.lists(ALLELES, min_size=width,
                                                                            max_size=width))]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return (end.join(lines) + draw(st.sampled_from(["", end]))).encode()


@settings(max_examples=150, deadline=None)
@given(data=tables(), size=st.sampled_from(SIZES), cuts=st.lists(st.integers(0, 200), max_size=3))
def test_random_tables_read_the_same_in_blocks(data: bytes, size: int, cuts: list[int]) -> None:
    expected = outcome(data, WHOLE)
    assert outcome(data, size) == expected
    assert outcome(members(data, cuts), size, handle=True) == expected


@st.composite
def snp_tables(draw: st.DrawFn) -> bytes:
    """SNP profiles with a few quirks: a header or none, blank lines, rows of another length, of three
    columns, repeated and empty ids, formulas, CRLF or CR line ends."""
    length = draw(st.integers(2, 6))
    lines = draw(st.sampled_from([[], ["ID\tsequence"], ["\t".join(["#ID", *map(str, range(length))])]]))
    for _ in range(draw(st.integers(0, 12))):
        shape = draw(st.sampled_from(["row", "row", "row", "blank", "short", "long", "three", "formula"]))
        row_id = draw(st.sampled_from(["1", "2", "3", "4", "", "x"]))
        sequence = "".join(draw(st.lists(st.sampled_from("ACGTN-? 01"), min_size=length, max_size=length)))
        lines.append({"row": f"{row_id}\t{sequence}", "blank": "", "short": f"{row_id}\t{sequence[1:]}",
                      "long": f"{row_id}\t{sequence}A", "three": f"{row_id}\t{sequence}\tX",
                      "formula": f"{row_id}\t=SUM(1)"}[shape])
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return (end.join(lines) + draw(st.sampled_from(["", end]))).encode()


@settings(max_examples=150, deadline=None)
@given(data=snp_tables(), size=st.sampled_from(SIZES), kind=st.sampled_from(["auto", "snp"]))
def test_random_snp_tables_read_the_same_in_blocks(data: bytes, size: int, kind: str) -> None:
    expected = outcome(data, WHOLE, kind=kind)
    assert outcome(data, size, kind=kind) == expected
    assert outcome(gzip.compress(data), size, handle=True, kind=kind) == expected


@settings(max_examples=300, deadline=None)
@given(data=st.lists(PIECES, max_size=60).map(b"".join), size=st.sampled_from(SIZES),
       kind=st.sampled_from(["auto", "mlst", "snp"]))
def test_random_bytes_read_the_same_in_blocks(data: bytes, size: int, kind: str) -> None:
    assert outcome(data, size, kind=kind) == outcome(data, WHOLE, kind=kind)
    assert outcome(members(data, [size]), size, kind=kind) == outcome(gzip.compress(data), WHOLE, kind=kind)


@pytest.mark.parametrize("digest", ["blake2b", "colliding"])
def test_first_identical_row_compares_rows_exactly(digest: str) -> None:
    # With every digest equal (a collision for every pair of rows) the answer must not change.
    rng = np.random.default_rng(7)
    matrix = rng.integers(0, 3, size=(200, 4)).astype(np.uint16)
    expected = [next(earlier for earlier in range(row + 1) if (matrix[earlier] == matrix[row]).all())
                for row in range(len(matrix))]
    same = hashlib.blake2b(b"", digest_size=16)
    with pytest.MonkeyPatch.context() as patch:
        if digest == "colliding":
            patch.setattr(models.hashlib, "blake2b", lambda *_, **__: same)
        assert models.first_identical_row(matrix).tolist() == expected
