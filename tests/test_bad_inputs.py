"""Malformed files give an InputError with a readable message, never another exception.

Every file in ``tests/bad_inputs/`` goes through a reader: ``isolates_*`` through
:func:`read_isolates` (joined to three small profiles), ``profiles_snp_*`` through
:func:`read_profiles` with ``kind="snp"``, any other through :func:`read_profiles`. ``EXPECTED``
holds, for each file, words its message must contain and the line it must name (``None`` only
for problems of the whole file, such as an empty or compressed file).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.models import Profiles
from engine.readers import read_isolates, read_profiles

BAD_INPUTS = Path(__file__).resolve().parent / "bad_inputs"

EXPECTED: dict[str, tuple[str, int | None]] = {
    "profiles_empty.tsv": ("The profile file is empty.", None),
    "profiles_bom_only.tsv": ("The profile file is empty.", None),
    "profiles_blank_lines.tsv": ("has only blank lines", None),
    "profiles_header_only.tsv": ("has a header but no profiles", 1),
    "profiles_script_header.tsv": ("Column 2 of the profile file holds \"<script>alert('x')</script>\", "
                                   "which is HTML markup", 1),
    "profiles_html_page.html": ("looks like a web page (HTML)", 1),
    "profiles_nul_bytes.tsv": ("contains binary data", 3),
    "profiles_utf16_no_bom.tsv": ("UTF-16 text without a byte-order mark", 1),
    "profiles_utf16_broken.tsv": ("starts like UTF-16 text but cannot be read", None),
    "profiles_gzip.tsv.gz": ("compressed (gzip)", None),
    "profiles_xlsx.xlsx": ("Excel .xlsx workbook", None),
    "profiles_xls.xls": ("Excel (.xls) workbook", None),
    "profiles_png.png": ("The profile file is a PNG image, not a text table.", None),
    "profiles_pdf.pdf": ("The profile file is a PDF document, not a text table.", None),
    "profiles_latin1.tsv": ("is not UTF-8 text: byte 0xE3", 4),
    "profiles_invalid_utf8.tsv": ("is not UTF-8 text: byte 0xC3", 4),
    "profiles_comma.csv": ("seems to be comma-separated; PhyloDash reads tab-separated", 1),
    "profiles_semicolon.csv": ("seems to be semicolon-separated", 1),
    "profiles_spaces.txt": ("seems to be separated by spaces", 1),
    "profiles_one_column.tsv": ("has a single column", 1),
    "profiles_huge_line.txt": ("has a single column", 1),
    "profiles_ragged.tsv": ("3 of 4 rows cannot be used (line 3 has 3 columns where the header "
                            "has 5)", 3),
    "profiles_ids_missing.tsv": ("3 of 3 rows cannot be used (line 2 has no ST in column 1)", 2),
    "profiles_same_id.tsv": ("line 3 repeats species C. jejuni of line 2", 3),
    "profiles_nothing_usable.tsv": ("No row of the profile file can be used", 2),
    "profiles_snp_ragged.txt": ("has a sequence of 5 characters where the profiles have 6", 3),
    "profiles_formula_id.tsv": ("Column 1 ('ST') of the profile file holds '=HYPERLINK(", 4),
    "profiles_markup_id.tsv": ("Column 1 ('ST') of the profile file holds '<img src=x onerror=alert(1)>', "
                               "which is HTML markup", 3),
    "isolates_empty.tsv": ("The isolates file is empty.", None),
    "isolates_header_only.tsv": ("has a header but no isolates", 1),
    "isolates_no_st_column.tsv": ("has no ST column", 1),
    "isolates_unknown_sts.tsv": ("No isolate names one of the 3 profiles in column 'ST (MLST)'", 1),
    "isolates_comma.csv": ("seems to be comma-separated", 1),
    "isolates_ragged.tsv": ("2 of 3 rows have more columns than the header", 2),
    "isolates_binary.bin": ("contains binary data", 1),
    "isolates_formula_cmd.tsv": ("Column 2 ('country') of the isolates file holds \"=cmd|' /C calc'!A0\", "
                                 "which is a spreadsheet formula", 3),
    "isolates_formula_at.tsv": ("Column 3 ('comment') of the isolates file holds \"@SUM(1+1)*cmd|", 4),
    "isolates_formula_minus.tsv": ("Column 2 ('result') of the isolates file holds \"-2+3+cmd|", 3),
    "isolates_markup.tsv": ("Column 2 ('country') of the isolates file holds "
                            "'<script>alert(document.cookie)</script>', which is HTML markup", 4),
}


@pytest.fixture(scope="module")
def profiles() -> Profiles:
    return read_profiles(b"ST\taroC\tdnaN\n1\t1\t1\n2\t1\t2\n3\t2\t2\n")[0]


def _read(name: str, data: bytes, profiles: Profiles) -> object:
    if name.startswith("isolates_"):
        return read_isolates(data, profiles)
    return read_profiles(data, kind="snp" if name.startswith("profiles_snp_") else "auto")


def test_every_bad_input_has_an_expectation() -> None:
    names = sorted(path.name for path in BAD_INPUTS.iterdir())
    assert len(names) >= 20
    assert names == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_gives_a_readable_input_error(name: str, profiles: Profiles) -> None:
    words, line = EXPECTED[name]
    with pytest.raises(InputError) as caught:
        _read(name, (BAD_INPUTS / name).read_bytes(), profiles)
    error = caught.value
    assert words in error.message
    assert error.line == line
    # A sentence for a person: a capital or a count first, a full stop, no Python jargon.
    assert error.message[0].isupper() or error.message[0].isdigit()
    assert error.message.endswith((".", ")"))
    for jargon in ("Traceback", "Error", "None", "b'", "\\x"):
        assert jargon not in error.message
    assert str(error).startswith(f"line {line}: " if line is not None else error.message[:10])


# --------------------------------------------------------------------------------------------
# Property tests: any input gives a result or an InputError, never another exception.

#: Bytes that make tables: separators of every kind, missing codes, SNP letters, BOMs, bad UTF-8.
TABLE_PIECES = st.sampled_from([
    b"\t", b"\t", b"\t", b"\n", b"\n", b"\r\n", b"\r", b" ", b",", b";", b"#", b"ST", b"ST (MLST)",
    b"1", b"2", b"01", b"0", b"-", b"-1", b"?", b"N", b"A", b"C", b"GT", b"\xef\xbb\xbf",
    b"\xff\xfe", b"\x00", b"\xe3", "é".encode(), b"<html>", b"\x1f\x8b",
])
TABLES = st.lists(TABLE_PIECES, max_size=60).map(b"".join)
PROPERTY = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _result_or_input_error(read: object, *args: object, **kwargs: object) -> None:
    try:
        read(*args, **kwargs)  # type: ignore[operator]
    except InputError as error:
        assert error.message
        assert error.line is None or error.line >= 1


@PROPERTY
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_read_profiles(data: bytes) -> None:
    _result_or_input_error(read_profiles, data)


@PROPERTY
@given(data=TABLES, kind=st.sampled_from(["auto", "mlst", "snp"]))
def test_table_like_bytes_never_crash_read_profiles(data: bytes, kind: str) -> None:
    try:
        profiles, report = read_profiles(data, kind=kind)
    except InputError as error:
        assert error.line is None or error.line >= 1
        return
    assert profiles.matrix.shape == (len(profiles.ids), len(profiles.loci)) == (report.profiles,
                                                                                report.loci)
    assert len(set(profiles.ids)) == len(profiles.ids)
    for locus, alleles in enumerate(profiles.alleles):
        assert alleles[0] == ""
        assert int(profiles.matrix[:, locus].max(initial=0)) == len(alleles) - 1


@PROPERTY
@given(data=TABLES, column=st.sampled_from([None, "ST", "ID"]))
def test_table_like_bytes_never_crash_read_isolates(data: bytes, column: str | None,
                                                   profiles: Profiles) -> None:
    _result_or_input_error(read_isolates, data, profiles, profile_column=column)
