"""GrapeTree's MSTreeV2 and MSTree trees, edge for edge, against GrapeTree 3.0.0's own outputs.

The reference files are ``../shared/reference/grapetree/*.grapetree-<method>.tsv`` (made by
GrapeTree 3.0.0 with its bundled ``edmonds`` program; reference/README.md, section "GrapeTree
trees"): ``parent<TAB>child<TAB>length`` directed away from the root GrapeTree chose. We compare the
undirected edge sets with lengths, then the directed ones (parent, child) and the root: all five
datasets agree in both methods, orientation included. The trees are made by the command line
(``python -m engine infer --algorithm mstree-v2|mstree --format edges``), as a user would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from grapetree_cases import REFERENCE_DATA, assert_spanning_tree
from paths import ROOT

from engine.algorithms.mstree import mstree
from engine.algorithms.mstree_v2 import mstree_v2
from engine.io.datasets import open_dataset
from engine.models import RULE_IDENTICAL

METHODS = {"MSTreeV2": mstree_v2, "MSTree": mstree}
ALGORITHMS = {"MSTreeV2": "mstree-v2", "MSTree": "mstree"}
#: Root of each reference tree (reference/README.md, "checks" column).
ROOTS = {
    ("agona_profiles", "MSTreeV2"): "12", ("agona_profiles", "MSTree"): "65",
    ("simulated_profiles", "MSTreeV2"): "32", ("simulated_profiles", "MSTree"): "5",
    ("pyogenes_profiles", "MSTreeV2"): "31", ("pyogenes_profiles", "MSTree"): "17",
    ("phylodb_profiles_2000", "MSTreeV2"): "789", ("phylodb_profiles_2000", "MSTree"): "81",
    ("campylobacter_typing_6000", "MSTreeV2"): "21", ("campylobacter_typing_6000", "MSTree"): "1227",
}
CASES = [(name, method) for method in METHODS for name in REFERENCE_DATA]


def read_reference(path: Path) -> set[tuple[str, str, int]]:
    edges = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parent, child, length = line.split("\t")
        edges.add((parent, child, int(length)))
    return edges


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_dataset_has_a_reference_file(shared_reference: Path, method: str) -> None:
    files = sorted((shared_reference / "grapetree").glob(f"*.grapetree-{method}.tsv"))
    assert len(files) == 5
    assert {path.name.split(".")[0] for path in files} == set(REFERENCE_DATA)


@pytest.mark.parametrize(("name", "method"), CASES)
def test_the_command_line_matches_grapetree(shared_reference: Path, shared_data: Path, name: str,
                                            method: str) -> None:
    expected = read_reference(shared_reference / "grapetree" / f"{name}.grapetree-{method}.tsv")
    data = shared_data / REFERENCE_DATA[name]
    command = [sys.executable, "-m", "engine", "infer", str(data), "--algorithm", ALGORITHMS[method],
               "--format", "edges", "-q"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr
    got = {(parent, child, int(length)) for parent, child, length in
           (line.split("\t") for line in run.stdout.splitlines())}
    rows = open_dataset(data).profiles.size
    assert len(got) == rows - 1 == len(run.stdout.splitlines())
    assert {(frozenset((a, b)), d) for a, b, d in got} == {(frozenset((a, b)), d) for a, b, d in expected}
    assert got == expected
    roots = {parent for parent, _, _ in got} - {child for _, child, _ in got}
    assert roots == {ROOTS[name, method]}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_the_functions_give_spanning_trees_rooted_as_grapetree(shared_data: Path, method: str) -> None:
    name = "pyogenes_profiles"
    result = METHODS[method](open_dataset(shared_data / REFERENCE_DATA[name]))
    assert_spanning_tree(result)
    assert [result.ids[row] for row in result.roots] == [ROOTS[name, method]]


@pytest.mark.parametrize("method", sorted(METHODS))
def test_identical_profiles_hang_from_the_first_row(shared_data: Path, method: str) -> None:
    # pyogenes STs 1 and 81 are identical (reference/README.md): one edge 1 -> 81 of length 0,
    # listed first and marked as a copy.
    result = METHODS[method](open_dataset(shared_data / REFERENCE_DATA["pyogenes_profiles"]))
    first = next(result.edges())
    assert (first.parent, first.child, first.distance, first.rule) == ("1", "81", 0, "identical")
    assert int((result.rules == RULE_IDENTICAL).sum()) == 1
