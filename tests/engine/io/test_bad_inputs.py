"""Malformed files give an InputError with a readable message, never another exception.

Every file in ``tests/bad_inputs/`` goes through a reader: ``isolates_*`` through
:func:`read_isolates` (joined to three small profiles), ``profiles_snp_*`` through
:func:`read_profiles` with ``kind="snp"``, any other through :func:`read_profiles`. ``EXPECTED``
(``tests/bad_input_expectations.py``) holds, for each file, words its message must contain and the
line it must name.
"""

from __future__ import annotations

import pytest
from bad_input_expectations import EXPECTED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import BAD_INPUTS

from engine.errors import InputError
from engine.io.isolates import read_isolates
from engine.io.profiles import read_profiles
from engine.models import Profiles


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
