"""cgmlst-dists' table, byte for byte, on inputs whose output the real program printed.

The fixtures and the commands that made their expected outputs are in
``tests/fixtures/cgmlst_dists/README.md`` (cgmlst-dists 0.4.0, tseemann/cgmlst-dists ``f136c7a``).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from engine.algorithms.cgmlst_dists import cgmlst_allele, cgmlst_dists_text, write_cgmlst_dists
from engine.errors import InputError, ParameterError
from engine.io.datasets import read_dataset

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cgmlst_dists"

CASES = [
    ("calls.tab", {}, "calls.expected.tsv"),
    ("calls.tab", {"separator": ",", "matrix": "lower"}, "calls.lower.csv"),
    ("calls.tab", {"matrix": "upper", "max_distance": 2}, "calls.upper-max2.tsv"),
    ("quirks.tab", {}, "quirks.expected.tsv"),
    ("random.tab", {}, "random.expected.tsv"),
]


@pytest.mark.parametrize(("source", "options", "expected"), CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_bytes_input_matches_cgmlst_dists_byte_for_byte(source, options, expected):
    data = (FIXTURES / source).read_bytes()
    assert cgmlst_dists_text(data, **options).encode() == (FIXTURES / expected).read_bytes()


@pytest.mark.parametrize("source", ["calls.tab", "random.tab"])
def test_dataset_input_gives_the_same_table(source):
    data = (FIXTURES / source).read_bytes()
    dataset = read_dataset(data)
    expected = (FIXTURES / source.replace(".tab", ".expected.tsv")).read_text()
    assert cgmlst_dists_text(dataset) == expected


def test_streaming_writer_writes_the_same_bytes_in_small_blocks():
    data = (FIXTURES / "random.tab").read_bytes()
    out = io.BytesIO()
    seen = []
    write_cgmlst_dists(data, out, block_rows=7, progress=seen.append)
    assert out.getvalue() == (FIXTURES / "random.expected.tsv").read_bytes()
    assert seen[-1] == 1.0


@pytest.mark.parametrize(("cell", "value"), [
    ("12", 12), ("INF-12", 12), ("-1", 1), ("LNF", 0), ("NIPH", 0), ("NIPHEM", 0), ("ASM", 0),
    ("ALM", 0), ("PLOT3", 0), ("PLOT5", 0), ("LOTSC", 0), ("-", 0), ("?", 0), ("N", 0), ("0", 0),
    ("12abc", 12), ("x12", 12), ("0x1", 0), (" 5", 5), ("INF-0", 0), ("-7", 7),
])
def test_cell_rule(cell, value):
    assert cgmlst_allele(cell) == value


@pytest.mark.parametrize(("text", "message"), [
    (b"FILE\tL1\tL2\tL3\nA\t1\t2\t3\nB\t1\t2\t4\n\n", "fewer than 5"),  # a blank line at the end
    (b"FILE\tL1\nA\t1\nB\t2\n", "fewer than 5"),  # a row too short to clean
    (b"FILE\tL1\tL2\tL3\nA\t1\t\t3\nB\t1\t2\t4\n", "had 3 cols, expected 3"),  # an empty cell
])
def test_refuses_what_cgmlst_dists_refuses(text, message):
    with pytest.raises(InputError, match=message):
        cgmlst_dists_text(text)


def test_no_sample_is_one_newline():
    assert cgmlst_dists_text(b"FILE\tL1\tL2\n") == "\n"
    assert cgmlst_dists_text(b"") == "\n"


def test_bad_options():
    with pytest.raises(ParameterError, match="matrix layout"):
        cgmlst_dists_text(b"", matrix="diagonal")
    with pytest.raises(ParameterError, match="separator"):
        cgmlst_dists_text(b"", separator=";")
