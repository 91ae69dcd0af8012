"""Collapsed and shortened branches (dashboard/tree/collapse.py): plain arrays, checked against the
engine's clusters, without a browser."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import DEMO
from tree_builders import make_inference, random_forest

import dashboard.tree.collapse
from dashboard.tree.collapse import (
    Groups,
    branch_factors,
    collapse,
    drawn_tree,
    rescaled_positions,
)
from dashboard.tree.geometry import INTERNAL_NODE_PX, node_sizes, tree_geometry
from engine.algorithms import registry
from engine.algorithms.clusters import cut
from engine.algorithms.layouts import side_by_side
from engine.algorithms.subsets import subset_dataset
from engine.io.datasets import read_dataset


def test_doctests() -> None:
    assert doctest.testmod(dashboard.tree.collapse).failed == 0


@pytest.fixture(scope="module")
def demo():
    dataset = read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())
    inference = registry.infer("goeburst", dataset)
    return dataset, inference, registry.lay_out("radial", inference)


def partition(labels: np.ndarray) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(labels == k).tolist()) for k in np.unique(labels).tolist()}


@pytest.mark.parametrize("d", [1, 2, 5])
def test_collapsed_nodes_are_the_engines_clusters(demo, d) -> None:
    dataset, inference, layout = demo
    full = tree_geometry(inference, side_by_side(layout), dataset.counts)
    drawn, groups = collapse(full, d)
    clusters = cut(inference, d)
    assert drawn.nodes == groups.size == clusters.max()
    assert partition(groups.of) == partition(clusters)
    assert drawn.counts.sum() == dataset.counts.sum()
    np.testing.assert_array_equal(drawn.counts, np.bincount(groups.of, weights=dataset.counts).astype(int))
    # the edges kept are the tree's edges longer than d, between the nodes of their ends
    longer = inference.distances > d
    assert len(drawn.parents) == longer.sum() and (drawn.distances > d).all()
    np.testing.assert_array_equal(drawn.parents, groups.of[inference.parents[longer]])
    np.testing.assert_array_equal(drawn.children, groups.of[inference.children[longer]])
    # each node sits where its topmost member is, and is named after it
    for k in range(0, drawn.nodes, 7):
        members = groups.rows([k])
        assert drawn.ids[k] in [inference.ids[m] for m in members]
        at = [m for m in members if (full.x[m], full.y[m]) == (drawn.x[k], drawn.y[k])]
        assert at and not set(inference.parents[np.isin(inference.children, at)
                                                 & (inference.distances <= d)]) & set(members)


def test_zero_draws_the_tree_as_it_is(demo) -> None:
    dataset, inference, layout = demo
    full = tree_geometry(inference, side_by_side(layout), dataset.counts)
    drawn, groups = collapse(full, 0)
    assert drawn is full and groups.size == full.nodes and not groups.collapsed
    assert groups.rows([3, 1]).tolist() == [1, 3] and groups.drawn([5, 2]).tolist() == [2, 5]


def test_a_drawn_node_selects_all_its_profiles_and_back(demo) -> None:
    dataset, inference, layout = demo
    _, groups = collapse(tree_geometry(inference, side_by_side(layout), dataset.counts), 3)
    big = int(np.argmax(groups.profile_counts()))
    rows = groups.rows([big])
    assert len(rows) == groups.profile_counts()[big] > 1
    assert groups.drawn(rows).tolist() == [big] and groups.drawn(rows[:1]).tolist() == [big]
    assert groups.pool(np.ones(inference.profile_count, dtype=np.int64)).tolist() == \
        groups.profile_counts().tolist()


def test_an_nj_tree_collapses_into_the_clusters_of_its_profile_rows(demo) -> None:
    dataset = subset_dataset(demo[0], range(60))
    tree = registry.infer("nj", dataset)
    full = tree_geometry(tree, registry.lay_out("equal-angle", tree), dataset.counts)
    d = float(np.quantile(tree.distances, 0.5))
    drawn, groups = collapse(full, d)
    clusters = cut(tree, d)
    assert partition(groups.of[:tree.profile_count]) == partition(clusters)
    assert drawn.profiles == clusters.max()  # profile groups first, internal-only ones after
    assert all(label == "" for label in drawn.labels[drawn.profiles:])


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 60), st.integers(1, 3), st.integers(0, 10_000), st.floats(0.1, 4.0))
def test_rescaling_moves_subtrees_with_their_edge(n, trees, seed, factor) -> None:
    forest = random_forest(n, min(trees, n), seed)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(size=n)
    factors = np.where(rng.random(len(forest.parents)) < 0.5, factor, 1.0)
    nx, ny = rescaled_positions(x, y, forest.parents, forest.children, factors)
    p, c = forest.parents, forest.children
    np.testing.assert_allclose(nx[c] - nx[p], (x[c] - x[p]) * factors, atol=1e-9)
    np.testing.assert_allclose(ny[c] - ny[p], (y[c] - y[p]) * factors, atol=1e-9)
    np.testing.assert_allclose(nx[forest.roots], x[forest.roots])
    ex, ey = rescaled_positions(x, y, p, c, factors, elbows=True)  # dendrograms: horizontal part only
    np.testing.assert_allclose(ey, y, atol=1e-9)
    np.testing.assert_allclose(ex[c] - ex[p], (x[c] - x[p]) * factors, atol=1e-9)


def test_branch_scales_compress_long_branches_and_keep_the_typical_one() -> None:
    d = np.array([0, 1, 2, 2, 2, 40])
    for scale in ("sqrt", "log"):
        factors, shortened = branch_factors(d, scale)
        assert not shortened.any() and factors[0] == 1.0
        drawn = d * factors
        assert (np.diff(drawn) >= 0).all()  # order kept
        assert drawn[-1] < 40 and drawn[1] >= 1 and drawn[2] == pytest.approx(2, rel=0.25)
    factors, shortened = branch_factors(d, "linear", longest=10)
    assert shortened.tolist() == [False] * 5 + [True] and factors[-1] == pytest.approx(10 / 40)
    with pytest.raises(ValueError, match="unknown branch length scale"):
        branch_factors(d, "cubic")


def test_long_branches_are_drawn_short_dashed_with_their_length() -> None:
    tree = make_inference("abcd", [("a", "b", 1), ("b", "c", 30), ("c", "d", 1)])
    layout = registry.lay_out("radial", tree)
    drawn = drawn_tree(tree, layout, np.ones(4), longest=5).geometry
    assert drawn.shortened.tolist() == [False, True, False]
    length = np.hypot(drawn.x[2] - drawn.x[1], drawn.y[2] - drawn.y[1])
    assert length == pytest.approx((100 * 30 + 10) * 5 / 30)  # the radial layout draws d as 100 d + 10
    assert drawn.shortened_labels()["text"].tolist() == ["30"]
    assert np.isnan(drawn.shortened_edges()["x"][2]) and len(drawn.edges()["x"]) == 6
    # the edge below the shortened one keeps its length
    assert np.hypot(drawn.x[3] - drawn.x[2], drawn.y[3] - drawn.y[2]) == pytest.approx(110)
    collapsed = drawn_tree(tree, layout, np.ones(4), longest=5, collapse_at=1).geometry
    assert collapsed.nodes == 2 and collapsed.shortened.tolist() == [True]


def test_node_size_scales(demo) -> None:
    counts = np.array([0, 1, 2, 10, 100])
    for scale in ("sqrt", "linear", "log"):
        sizes = node_sizes(counts, scale)
        assert sizes[0] == 4 and (np.diff(sizes) >= 0).all() and sizes[-1] == 48 > sizes[-2]
    assert node_sizes(np.array([1, 2, 4]), "linear").tolist() == [10, 20, 40]
    dataset, inference, layout = demo
    drawn = drawn_tree(inference, layout, dataset.counts, collapse_at=2, size_scale="log")
    np.testing.assert_allclose(drawn.geometry.sizes, node_sizes(drawn.geometry.counts, "log"))


def test_internal_nodes_stay_small_dots_after_collapse(demo) -> None:
    dataset = subset_dataset(demo[0], range(40))
    tree = registry.infer("upgma", dataset)
    drawn = drawn_tree(tree, registry.lay_out("rectangular", tree), dataset.counts,
                       collapse_at=float(np.median(tree.distances)))
    g = drawn.geometry
    assert (g.sizes[g.profiles:] == INTERNAL_NODE_PX).all() and g.elbows
    assert isinstance(drawn.groups, Groups) and drawn.groups.rows(range(g.nodes)).tolist() == list(range(40))
