"""The command line reproduces every reference tree of ../shared/reference edge for edge.

Each reference file holds the edges of PhyloDB's goeBURST or PHYLOViZ 2's full MST on one of the
datasets of ../shared/data (reference/README.md says which tool, dataset and lvs made each file).
We run ``python -m engine infer DATA --algorithm ... --format edges`` on the same dataset and
compare the edges as sets of ({a, b}, distance): orientation and line order are not part of the
reference.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT, SHARED

REFERENCE_COUNT = 27

#: Reference file stem -> dataset path under ../shared/data (reference/README.md).
DATASETS = {
    "campylobacter_typing_6000": "campylobacter/typing_6000.txt",
    "agona_profiles": "agona/profiles.tsv",
    "simulated_profiles": "simulated/profiles.tsv",
    "pyogenes_profiles": "pyogenes/profiles.txt",
    "frequency_profiles": "frequency/profiles.tsv",
}

Edges = set[tuple[frozenset[str], int]]


def reference_names() -> list[str]:
    """File names in ../shared/reference, found at collection time.

    When the folder is absent, one placeholder stands for them: its test asks for the
    ``shared_reference`` fixture, which skips it with the fixture's explanation.
    """
    folder = SHARED / "reference"
    if not folder.is_dir():
        return ["(../shared/reference is absent)"]
    return sorted(path.name for path in folder.glob("*.tsv"))


def job_of(name: str) -> tuple[str, list[str]]:
    """Dataset (relative to ../shared/data) and CLI options for a reference file name."""
    match = re.fullmatch(r"(?P<stem>[a-z0-9_]+)\.goeburst-(?:full|lvs(?P<lvs>\d+))\.tsv", name)
    if match is None:
        pytest.fail(f"cannot read the reference file name {name!r}: expected STEM.goeburst-lvsK.tsv "
                    "or STEM.goeburst-full.tsv (reference/README.md)")
    stem = match["stem"]
    numbered = re.fullmatch(r"phylodb_profiles_(\d+)", stem)
    if numbered:
        data = f"phylodb/profiles_{numbered[1]}.txt"
    elif stem in DATASETS:
        data = DATASETS[stem]
    else:
        pytest.fail(f"no dataset known for reference file {name!r}: add its stem to DATASETS "
                    "following reference/README.md")
    if match["lvs"] is not None:
        return data, ["--algorithm", "goeburst", "--lvs", match["lvs"]]
    return data, ["--algorithm", "goeburst-full"]


def parse_edges(text: str, where: str) -> Edges:
    """``a<TAB>b<TAB>d`` lines as a set of ({a, b}, d); fails on a malformed or repeated line."""
    edges: Edges = set()
    lines = [line for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines, 1):
        cells = line.split("\t")
        assert len(cells) == 3 and cells[2].isdigit(), f"{where} line {number}: {line!r}"
        edges.add((frozenset(cells[:2]), int(cells[2])))
    assert len(edges) == len(lines), f"{where} repeats an edge"
    return edges


def test_every_reference_file_is_found(shared_reference: Path) -> None:
    # A glob that silently finds nothing (a moved folder, a renamed suffix) must not pass.
    assert len(list(shared_reference.glob("*.tsv"))) == REFERENCE_COUNT
    assert len(reference_names()) == REFERENCE_COUNT


def test_every_reference_file_name_maps_to_a_job() -> None:
    assert job_of("phylodb_profiles_500.goeburst-lvs3.tsv") == (
        "phylodb/profiles_500.txt", ["--algorithm", "goeburst", "--lvs", "3"])
    assert job_of("agona_profiles.goeburst-lvs3002.tsv") == (
        "agona/profiles.tsv", ["--algorithm", "goeburst", "--lvs", "3002"])
    assert job_of("pyogenes_profiles.goeburst-full.tsv") == (
        "pyogenes/profiles.txt", ["--algorithm", "goeburst-full"])
    with pytest.raises(pytest.fail.Exception, match="no dataset known"):
        job_of("unknown_profiles.goeburst-full.tsv")
    with pytest.raises(pytest.fail.Exception, match="cannot read the reference file name"):
        job_of("phylodb_profiles_500.goeburst-lvs.tsv")


@pytest.mark.parametrize("name", reference_names())
def test_cli_matches_reference(name: str, shared_reference: Path, shared_data: Path) -> None:
    data, options = job_of(name)
    assert (shared_data / data).is_file(), f"{name}: dataset {data} is missing from ../shared/data"
    run = subprocess.run(
        [sys.executable, "-m", "engine", "infer", str(shared_data / data), *options,
         "--format", "edges", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stderr
    got = parse_edges(run.stdout, "engine output")
    expected = parse_edges((shared_reference / name).read_text(encoding="utf-8"), name)
    missing, extra = expected - got, got - expected
    assert not missing and not extra, (
        f"{name}: {len(missing)} reference edges missing (e.g. {sorted(map(sorted_edge, missing))[:5]}), "
        f"{len(extra)} extra (e.g. {sorted(map(sorted_edge, extra))[:5]})"
    )


def sorted_edge(edge: tuple[frozenset[str], int]) -> tuple[str, ...]:
    """An edge as a readable, sortable tuple for failure messages."""
    return (*sorted(edge[0]), str(edge[1]))
