"""GrapeTree's NJ: split for split against GrapeTree's own trees, and scikit-bio's NJ as an oracle.

References (``../shared/reference/grapetree/*.grapetree-NJ.tsv``): GrapeTree 3.0.0 with FastME 2.1.5
(``-m NJ``) on five datasets, one split a line; ``*.grapetree-RapidNJ.tsv`` are RapidNJ's trees of
the same matrices, which differ a little from FastME's where distances tie. Our trees are made by the
command line (``python -m engine infer --algorithm nj --format json``), as a user would.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import ROOT

from engine.algorithms.grapetree_input import grapetree_profiles
from engine.algorithms.nj import fastme_tree, nj
from engine.algorithms.tree_arrays import RootedTree, from_children, nontrivial, splits
from engine.errors import CancelledError, InputError, ParameterError
from engine.io.datasets import open_dataset, read_dataset

DATASETS = {
    "agona_profiles": "agona/profiles.tsv",
    "simulated_profiles": "simulated/profiles.tsv",
    "pyogenes_profiles": "pyogenes/profiles.txt",
    "phylodb_profiles_2000": "phylodb/profiles_2000.txt",
    "campylobacter_typing_6000": "campylobacter/typing_6000.txt",
}


def reference_splits(path: Path, ids: list[str], leaves: list[int]) -> dict[frozenset[int], float]:
    """A reference file's splits as row sets on the side without our smallest leaf row."""
    index = {name: row for row, name in enumerate(ids)}
    everything = frozenset(leaves)
    smallest = min(leaves)
    result = {}
    for line in path.read_text().splitlines():
        names, length = line.split("\t")
        side = frozenset(index[name] for name in names.split(","))
        result[everything - side if smallest in side else side] = float(length)
    return result


def cli_tree(path: Path) -> RootedTree:
    """The NJ tree of a profile file as ``python -m engine infer --algorithm nj --format json`` writes it,
    read back as a rooted tree over the dataset rows (rows outside the tree, if any, left out)."""
    command = [sys.executable, "-m", "engine", "infer", str(path), "--algorithm", "nj", "--format", "json",
               "-q"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    index = {node["id"]: k for k, node in enumerate(data["nodes"])}
    profiles = len(data["nodes"]) - data["internal"]
    children: list[list[int]] = [[] for _ in data["nodes"]]
    lengths = [0.0] * len(data["nodes"])
    for edge in data["edges"]:
        children[index[edge["from"]]].append(index[edge["to"]])
        lengths[index[edge["to"]]] = float(edge["distance"])
    root = index[data["roots"][0]]
    reached, stack = [], [root]
    while stack:
        reached.append(stack.pop())
        stack.extend(children[reached[-1]])
    keep = sorted(reached)
    local = {node: k for k, node in enumerate(keep)}
    return from_children([node if node < profiles else -1 for node in keep],
                         [[local[child] for child in children[node]] for node in keep],
                         [lengths[node] for node in keep], local[root])


def rf(a: dict, b: dict, leaves: int, min_length: float | None) -> int:
    return len(nontrivial(a, leaves, min_length=min_length) ^ nontrivial(b, leaves, min_length=min_length))


def test_there_are_five_references(shared_reference):
    found = sorted(p.name for p in (shared_reference / "grapetree").glob("*.grapetree-NJ.tsv"))
    assert found == sorted(f"{name}.grapetree-NJ.tsv" for name in DATASETS)


@pytest.fixture(scope="module")
def reference_runs(shared_data, shared_reference):
    cache = {}

    def run(name):
        if name not in cache:
            dataset = open_dataset(shared_data / DATASETS[name])
            tree = cli_tree(shared_data / DATASETS[name])
            leaves = tree.leaf_rows.tolist()
            ids = dataset.profiles.ids
            folder = shared_reference / "grapetree"
            cache[name] = (
                tree,
                splits(tree),
                reference_splits(folder / f"{name}.grapetree-NJ.tsv", ids, leaves),
                reference_splits(folder / f"{name}.grapetree-RapidNJ.tsv", ids, leaves),
            )
        return cache[name]

    return run


@pytest.mark.parametrize("name", list(DATASETS))
def test_splits_at_least_as_close_to_fastme_as_rapidnj(reference_runs, name):
    tree, ours, fastme, rapid = reference_runs(name)
    assert len(ours) == len(fastme)
    for min_length in (None, 0.0):  # all splits, then without zero-length ones
        assert rf(ours, fastme, tree.leaves, min_length) <= rf(rapid, fastme, tree.leaves, min_length)
    if set(rapid) == set(fastme):
        assert set(ours) == set(fastme)
    # Achieved on all five: identical split sets (RF 0, zero-length splits included).
    assert set(ours) == set(fastme)


@pytest.mark.parametrize("name", list(DATASETS))
def test_branch_lengths_match_fastme(reference_runs, name):
    _, ours, fastme, _ = reference_runs(name)
    shared = [side for side in fastme if side in ours]
    # The reference prints 6 significant digits; we achieve < 3e-5 relative, < 5.1e-6 absolute.
    for side in shared:
        assert abs(ours[side] - fastme[side]) <= 1e-4 * abs(fastme[side]) + 1e-5


def test_negative_lengths_are_kept(reference_runs):
    _, ours, fastme, _ = reference_runs("campylobacter_typing_6000")
    negative = {side for side, value in fastme.items() if value < 0}
    assert len(negative) == 2
    assert all(ours[side] < 0 for side in negative)


def dataset_from_rows(header: str, rows: list[str]):
    return read_dataset(("\n".join([header, *rows]) + "\n").replace(" ", "\t").encode())


PYOGENES_LIKE = ["1 1 1 1 1", "2 1 1 1 2", "3 1 1 2 2", "4 1 2 2 2", "5 2 2 2 2", "6 1 1 1 1",
                 "7 3 1 1 1", "8 3 3 1 1", "9 - 3 1 1", "10 - - - -"]


def test_identical_profiles_hang_at_zero_under_one_node_and_empty_rows_are_dropped():
    tree = nj(dataset_from_rows("ST a b c d", PYOGENES_LIKE), missing="absolute")
    assert tree.leaf_rows.tolist() == list(range(9))  # row 9 has no allele
    p0, p5 = tree.parent[0], tree.parent[5]  # rows 0 and 5 are identical
    assert p0 == p5 and tree.length[0] == tree.length[5] == 0.0
    assert sorted(np.flatnonzero(tree.parent == p0).tolist()) == [0, 5]


def test_row_order_does_not_change_the_tree():
    rng = np.random.default_rng(7)
    base = dataset_from_rows("ST a b c d", PYOGENES_LIKE)
    order = rng.permutation(len(PYOGENES_LIKE))
    shuffled = dataset_from_rows("ST a b c d", [PYOGENES_LIKE[i] for i in order])
    by_id = {}
    for data in (base, shuffled):
        tree = nj(data)
        ids = data.profiles.ids
        by_id[data is base] = {frozenset(ids[r] for r in side) | frozenset(["?"]): round(v, 9)
                               for side, v in splits(tree).items()}
    # Compare as unrooted splits over ids (each side named by its ids; the complement is implied).
    def canon(m):
        everything = frozenset(base.profiles.ids[:9]) | {"?"}
        return {min(s, everything - s | {"?"}, key=sorted): v for s, v in m.items()}
    assert canon(by_id[True]) == canon(by_id[False])


def test_deterministic(shared_data):
    data = open_dataset(shared_data / "pyogenes" / "profiles.txt")
    a, b = nj(data), nj(data)
    assert np.array_equal(a.parent, b.parent) and np.array_equal(a.length, b.length)


@pytest.mark.parametrize("rows", [["1 1 1"], ["1 1 1", "2 1 2"], ["1 1 1", "2 1 2", "3 2 2"],
                                  ["1 1 1", "2 1 1"]])
def test_fewer_than_four_distinct_profiles(rows):
    tree = nj(dataset_from_rows("ST a b", rows), missing="absolute")
    assert tree.leaves == len(rows)


def test_errors_progress_and_cancel():
    data = dataset_from_rows("ST a b c d", PYOGENES_LIKE)
    with pytest.raises(ParameterError, match="missing-data mode"):
        nj(data, missing="ignore")
    with pytest.raises(InputError, match="No profile"):
        nj(dataset_from_rows("ST a b", ["1 - -", "2 0 0"]))
    with pytest.raises(CancelledError):
        nj(data, cancel=lambda: True)
    seen = []
    nj(data, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_complete_delete_drops_loci_with_a_missing_call():
    data = dataset_from_rows("ST a b c d", PYOGENES_LIKE[:9])
    nodes = grapetree_profiles(data, "complete-delete")
    assert nodes.codes.shape[1] == 3  # locus a has a missing call (row 9)


# --- scikit-bio's NJ as an oracle on random matrices -------------------------------------------


def skbio_splits(matrix: np.ndarray) -> dict[frozenset[int], float]:
    from skbio import DistanceMatrix
    from skbio.tree import nj as skbio_nj

    n = matrix.shape[0]
    names = [str(i) for i in range(n)]
    tree = skbio_nj(DistanceMatrix(matrix, names), neg_as_zero=False)
    everything = frozenset(range(n))
    result: dict[frozenset[int], float] = {}
    for node in tree.non_tips(include_self=False):
        side = frozenset(int(t.name) for t in node.tips())
        side = everything - side if 0 in side else side
        result[side] = result.get(side, 0.0) + node.length
    for tip in tree.tips():
        side = frozenset([int(tip.name)])
        side = everything - side if 0 in side else side
        result[side] = result.get(side, 0.0) + tip.length
    return result


def additive_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    """Path lengths of a random tree with positive branch lengths (an additive matrix)."""
    parent = [-1] + [int(rng.integers(0, k)) for k in range(1, 4 * n)]
    length = rng.uniform(0.1, 5.0, size=4 * n)
    children = {v: [c for c in range(4 * n) if parent[c] == v] for v in range(4 * n)}
    leaves = [v for v in range(4 * n) if not children[v]][:n]
    depth = np.zeros(4 * n)
    for v in range(1, 4 * n):
        depth[v] = depth[parent[v]] + length[v]

    def ancestors(v):
        out = []
        while v != -1:
            out.append(v)
            v = parent[v]
        return out

    matrix = np.zeros((n, n))
    for i in range(n):
        up = set(ancestors(leaves[i]))
        for j in range(i + 1, n):
            common = next(a for a in ancestors(leaves[j]) if a in up)
            matrix[i, j] = matrix[j, i] = depth[leaves[i]] + depth[leaves[j]] - 2 * depth[common]
    return matrix


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 24), seed=st.integers(0, 2**32 - 1), additive=st.booleans())
def test_same_tree_and_lengths_as_scikit_bio(n, seed, additive):
    rng = np.random.default_rng(seed)
    if additive:
        matrix = additive_matrix(rng, n)
    else:
        upper = np.triu(rng.uniform(1.0, 20.0, size=(n, n)), 1)
        matrix = upper + upper.T
    # Where the true tree has a multifurcation, its zero-length resolution is a tie: compare the
    # splits of non-zero length.
    ours = {side: v for side, v in splits(fastme_tree(matrix)).items() if abs(v) > 1e-9}
    theirs = {side: v for side, v in skbio_splits(matrix).items() if abs(v) > 1e-9}
    assert set(ours) == set(theirs)
    for side, value in theirs.items():
        assert ours[side] == pytest.approx(value, rel=1e-9, abs=1e-9)
