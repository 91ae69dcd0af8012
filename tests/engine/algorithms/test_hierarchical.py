"""Hierarchical clustering equals scipy's linkage: merge heights and flat clusters at every height."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from engine.algorithms.distances import pairwise_distances
from engine.algorithms.hierarchical import METHODS, linkage_tree, upgma
from engine.algorithms.tree_arrays import RootedTree, validate
from engine.errors import CancelledError, ParameterError
from engine.io.datasets import open_dataset
from engine.models import Dataset, Profiles, ReadReport


def make_dataset(matrix: np.ndarray) -> Dataset:
    n, loci = matrix.shape
    alleles = [[""] + [str(v) for v in range(1, int(matrix[:, k].max(initial=0)) + 1)] for k in range(loci)]
    profiles = Profiles([f"r{i}" for i in range(n)], [f"l{k}" for k in range(loci)],
                        matrix.astype(np.uint16), alleles, ("",))
    return Dataset(profiles, None, np.ones(n, np.int64), ReadReport(n, loci, 0, ("",)))


def node_heights(tree: RootedTree) -> np.ndarray:
    """Height of every node above its leaves (the dendrogram's merge height)."""
    height = np.zeros(tree.nodes)
    for v in range(tree.nodes - 1):
        p = tree.parent[v]
        height[p] = max(height[p], height[v] + tree.length[v])
    return height


def flat_clusters(tree: RootedTree, height: np.ndarray, cut: float) -> set[frozenset[int]]:
    top = np.arange(tree.nodes)
    for v in range(tree.nodes - 2, -1, -1):  # parents first
        p = tree.parent[v]
        if height[p] <= cut:
            top[v] = top[p]
    groups: dict[int, set[int]] = {}
    for leaf in range(tree.leaves):
        groups.setdefault(int(top[leaf]), set()).add(int(tree.leaf_rows[leaf]))
    return {frozenset(g) for g in groups.values()}


def check_equal_to_scipy(dataset: Dataset, method: str, missing: str) -> None:
    tree = linkage_tree(dataset, method, missing=missing)
    validate(tree)
    square = pairwise_distances(dataset.profiles.matrix, missing).astype(float)
    z = linkage(squareform(square, checks=False), method=METHODS[method])
    height = node_heights(tree)
    inner = height[tree.leaves:]
    # Heights come back as sums of branch lengths: equal up to rounding.
    assert np.allclose(np.sort(inner[inner > 0]), np.sort(z[z[:, 2] > 0, 2]), rtol=1e-12, atol=1e-12)
    levels = np.unique(z[:, 2])
    # Our heights are sums of lengths (rounding): cut halfway to the next merge height.
    halfway = np.append((levels[:-1] + levels[1:]) / 2, levels[-1] + 1)
    for cut, ours in zip(levels, halfway, strict=True):
        labels = fcluster(z, t=cut, criterion="distance")
        expected = {frozenset(np.flatnonzero(labels == k).tolist()) for k in np.unique(labels)}
        assert flat_clusters(tree, height, ours) == expected, (method, missing, cut)


@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("missing", ["difference", "ignore", "allele"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_profiles(method, missing, seed):
    rng = np.random.default_rng(seed)
    base = rng.integers(1, 4, size=(6, 12))
    matrix = base[rng.integers(0, 6, size=40)].copy()  # clusters with identical rows
    flips = rng.random(matrix.shape) < 0.15
    matrix[flips] = rng.integers(0, 5, size=int(flips.sum()))
    check_equal_to_scipy(make_dataset(matrix), method, missing)


@pytest.mark.parametrize("method", list(METHODS))
def test_real_profiles(shared_data, method):
    dataset = open_dataset(shared_data / "pyogenes" / "profiles.txt")
    check_equal_to_scipy(dataset, method, "difference")


def test_identical_profiles_merge_at_height_zero(shared_data):
    dataset = open_dataset(shared_data / "pyogenes" / "profiles.txt")
    tree = upgma(dataset)
    rows = {dataset.profiles.ids[r]: r for r in range(dataset.profiles.size)}
    a, b = rows["1"], rows["81"]  # identical profiles
    assert tree.parent[a] == tree.parent[b]
    assert tree.length[a] == tree.length[b] == 0.0


def test_errors_and_cancel():
    dataset = make_dataset(np.array([[1, 2], [1, 3], [2, 3]]))
    with pytest.raises(ParameterError, match="not a hierarchical"):
        linkage_tree(dataset, "ward")
    with pytest.raises(ParameterError, match="missing-data mode"):
        linkage_tree(dataset, "upgma", missing="pair-delete")
    with pytest.raises(CancelledError):
        linkage_tree(dataset, "upgma", cancel=lambda: True)
    one = linkage_tree(make_dataset(np.array([[1, 2]])), "single")
    assert one.leaves == 1


def test_deterministic():
    rng = np.random.default_rng(5)
    dataset = make_dataset(rng.integers(1, 3, size=(30, 8)))
    a, b = upgma(dataset), upgma(dataset)
    assert np.array_equal(a.parent, b.parent) and np.array_equal(a.length, b.length)
