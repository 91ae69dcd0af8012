"""Tests of engine/io/text.py through the readers: the text every reader accepts (line ends, byte-order
marks, blank lines, spaces), sources that are not bytes, and the cells refused as formulas or markup."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from typing_tables import ISOLATES, PYOGENES

from engine.errors import InputError
from engine.io.datasets import read_dataset
from engine.io.isolates import read_isolates
from engine.io.profiles import DEFAULT_MISSING, read_profiles

# --------------------------------------------------------------------------------------------
# Text quirks


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


def test_cells_and_ids_are_trimmed() -> None:
    profiles, _ = read_profiles(b"ST\t a \tb\n 1 \t 7 \t8  \n2\t7\t 8\n")
    assert profiles.ids == ["1", "2"]
    assert profiles.loci == ["a", "b"]
    assert profiles.matrix.tolist() == [[1, 1], [1, 1]]
    assert profiles.alleles == [["", "7"], ["", "8"]]


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
