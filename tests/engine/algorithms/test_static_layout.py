"""GrapeTree's static layout (engine/algorithms/static_layout.py): true lengths, wedges by size, no overlap.

"No overlap" is checked on whole layouts, every pair of node discs (radius from ``node_radii``) at
least ``NODE_GAP`` apart, with a k-d tree over the centres; trees up to 20,000 nodes, as the issue asks.
"""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import FIXTURES
from scipy.spatial import cKDTree
from tree_builders import make_inference, random_forest, random_tree

import engine.algorithms.static_layout
from engine.algorithms import registry
from engine.algorithms.static_layout import NODE_GAP, fan_out, grapetree, node_radii
from engine.errors import CancelledError
from engine.forest import walk_forest
from engine.io.datasets import open_dataset
from engine.models import Inference, Layout


def closest_gap(layout: Layout, inference: Inference) -> float:
    """The least distance between the edges of two node discs (inf for fewer than two nodes)."""
    radii = node_radii(inference)
    centres = np.column_stack([layout.x, layout.y])
    pairs = cKDTree(centres).query_pairs(2 * radii.max() + 2 * NODE_GAP, output_type="ndarray")
    if not len(pairs):
        return math.inf
    apart = np.hypot(*(centres[pairs[:, 0]] - centres[pairs[:, 1]]).T)
    return float((apart - radii[pairs[:, 0]] - radii[pairs[:, 1]]).min())


def drawn_lengths(layout: Layout, inference: Inference) -> np.ndarray:
    return np.hypot(layout.x[inference.parents] - layout.x[inference.children],
                    layout.y[inference.parents] - layout.y[inference.children])


def true_lengths(inference: Inference) -> np.ndarray:
    """``100 * d + r + s + NODE_GAP``: the length of an edge that needed no stretching."""
    radii = node_radii(inference)
    distances = np.maximum(np.asarray(inference.distances, dtype=np.float64), 0.0)
    return 100 * distances + radii[inference.parents] + radii[inference.children] + NODE_GAP


def with_counts(inference: Inference, counts: np.ndarray) -> Inference:
    return Inference(**{**inference.__dict__, "counts": np.asarray(counts, dtype=np.int64)})


def star(leaves: int) -> Inference:
    ids = [f"L{i}" for i in range(leaves + 1)]
    return make_inference(ids, [(ids[0], ids[i], 1) for i in range(1, leaves + 1)])


def test_docstring_examples():
    assert doctest.testmod(engine.algorithms.static_layout).failed == 0


def test_same_tree_same_drawing():
    inference = random_forest(3000, trees=20, seed=4)
    first, again = grapetree(inference), grapetree(inference)
    assert np.array_equal(first.x, again.x) and np.array_equal(first.y, again.y)
    assert np.array_equal(first.component, again.component)
    assert first.algorithm == "grapetree" and first.parameters == {}
    assert first.rows.tolist() == list(range(3000)) and first.ids == inference.ids


def test_edges_are_as_long_as_their_distance_unless_stretched():
    # A random recursive tree has few crowded nodes: almost every edge keeps its true length, and none
    # is shorter. A chain is never crowded.
    inference = random_tree(2000, seed=11)
    drawn, wanted = drawn_lengths(grapetree(inference), inference), true_lengths(inference)
    assert (drawn >= wanted - 1e-6).all()
    assert np.isclose(drawn, wanted, rtol=1e-9).mean() > 0.9
    chain = make_inference("abcde", [("a", "b", 0), ("b", "c", 1), ("c", "d", 2), ("d", "e", 5)])
    np.testing.assert_allclose(drawn_lengths(grapetree(chain), chain), [12, 112, 212, 512], rtol=1e-12)
    # Isolate counts make nodes larger, and their edges longer by as much as the radii grow.
    big = with_counts(chain, [1, 4, 9, 1, 1])  # radii 5, 10, 15, 5, 5
    np.testing.assert_allclose(drawn_lengths(grapetree(big), big), [17, 127, 222, 512], rtol=1e-12)


def test_a_crowded_hub_stretches_its_leaves_alike_just_enough():
    inference = star(300)  # 300 leaves 112 apart from the hub cannot all sit on a circle of radius 112
    layout = grapetree(inference)
    drawn = drawn_lengths(layout, inference)
    assert drawn.min() > 112 and np.ptp(drawn) < 1e-6 * drawn.max()
    # Just enough: neighbours on the ring (12 apart centre to centre at the least) are close to touching.
    assert NODE_GAP - 1e-6 <= closest_gap(layout, inference) < 1.05 * NODE_GAP
    few = star(5)
    np.testing.assert_allclose(drawn_lengths(grapetree(few), few), 112.0, rtol=1e-12)


def test_wedges_follow_subtree_sizes_when_there_is_room():
    # A root with three chains of 1, 2 and 4 nodes: the circle is shared 1 : 2 : 4.
    inference = make_inference("rabcdefg", [("r", "a", 1), ("r", "b", 1), ("b", "c", 1),
                                            ("r", "d", 1), ("d", "e", 1), ("e", "f", 1), ("f", "g", 1)])
    walk = walk_forest(inference)
    radii = node_radii(inference)
    _, _, _, wedges = fan_out(np.asarray(walk.order), inference.parents, inference.children,
                              inference.distances.astype(float), radii)
    np.testing.assert_allclose(wedges[[1, 2, 4]] / (2 * math.pi), [1 / 7, 2 / 7, 4 / 7], rtol=1e-9)
    assert wedges[0] == 2 * math.pi
    # Below the root, a node's fan is shared the same way: 4 -> {leaf, chain of 3} gives 1 : 3.
    below = make_inference("rhxabc", [("r", "h", 1), ("h", "x", 1), ("h", "a", 1), ("a", "b", 1),
                                      ("b", "c", 1)])
    walk = walk_forest(below)
    _, _, _, wedges = fan_out(np.asarray(walk.order), below.parents, below.children,
                              below.distances.astype(float), node_radii(below))
    assert wedges[3] / wedges[2] == pytest.approx(3.0)


def test_a_single_child_goes_straight_on():
    chain = make_inference("abcd", [("a", "b", 1), ("b", "c", 1), ("c", "d", 1)])
    layout = grapetree(chain)
    directions = np.arctan2(np.diff(layout.y), np.diff(layout.x))
    np.testing.assert_allclose(directions, directions[0], atol=1e-12)


@pytest.mark.parametrize("shape", ["random", "preferential", "star", "chain of hubs"])
def test_no_two_nodes_overlap_in_trees_up_to_20000_nodes(shape):
    rng = np.random.default_rng(20_000)
    n = 20_000 if shape in ("random", "preferential") else 3_000
    ids = [f"P{i}" for i in range(n)]
    if shape == "random":
        parents = [int(rng.integers(0, i)) for i in range(1, n)]
    elif shape == "preferential":  # a few big hubs, as goeBURST trees have
        parents = [0]
        for i in range(2, n):
            parents.append(int(parents[rng.integers(0, len(parents))]) if rng.random() < 0.7
                           else int(rng.integers(0, i)))
    elif shape == "star":
        parents = [0] * (n - 1)
    else:  # hubs 0, 51, 102, ... of 50 leaves each, every hub hanging from the previous one
        parents = [i - 51 if i % 51 == 0 else i - i % 51 for i in range(1, n)]
    distances = rng.choice([0, 1, 1, 1, 2, 3, 7], size=n - 1)
    inference = make_inference(ids, [(ids[p], ids[c], int(d))
                                     for c, (p, d) in enumerate(zip(parents, distances, strict=True), 1)])
    counts = np.where(rng.random(n) < 0.9, 1, rng.integers(1, 400, size=n))  # radii 5 to 100
    inference = with_counts(inference, counts)
    layout = grapetree(inference)
    assert closest_gap(layout, inference) >= NODE_GAP - 1e-6
    assert (drawn_lengths(layout, inference) >= true_lengths(inference) - 1e-6).all()


def test_no_overlap_in_a_forest_laid_out_as_a_grid():
    inference = random_forest(5000, trees=300, seed=8)
    assert closest_gap(grapetree(inference), inference) >= NODE_GAP - 1e-6


def test_forest_trees_in_a_grid_largest_first_and_singletons_in_a_square_block():
    sizes = (12, 40, 2, 3, 25)  # in root order
    parts = [random_tree(size, seed=size) for size in sizes]
    ids: list[str] = []
    edges: list[tuple[str, str, int]] = []
    for k, part in enumerate(parts):
        ids += [f"{k}-{label}" for label in part.ids]
        edges += [(f"{k}-{e.parent}", f"{k}-{e.child}", e.distance) for e in part.edges()]
    singletons = [f"s{i}" for i in range(30)]
    inference = make_inference([*ids, *singletons], edges)
    layout = grapetree(inference)
    assert layout.component.tolist() == np.repeat(np.arange(1, 36), [*sizes, *[1] * 30]).tolist()
    boxes = {k: (layout.x[layout.component == k].min(), layout.x[layout.component == k].max(),
                 layout.y[layout.component == k].min(), layout.y[layout.component == k].max())
             for k in range(1, 6)}
    # The largest tree (component 2, 40 nodes) starts the grid at the top left, then 25, 12, 3, 2.
    by_size = [2, 5, 1, 4, 3]
    tops = [boxes[k][3] for k in by_size]
    lefts = [boxes[k][0] for k in by_size]
    assert tops[0] == max(tops) and lefts[0] == min(lefts)
    reading = sorted(by_size, key=lambda k: (-round(boxes[k][3], 6), boxes[k][0]))
    assert reading == by_size
    # The 30 singletons: a block of 6 per row (ceil(sqrt(30))), 5 rows, below or beside the trees.
    single = layout.component > 5
    xs, ys = np.unique(layout.x[single].round(6)), np.unique(layout.y[single].round(6))
    assert len(xs) == 6 and len(ys) == 5
    block = (layout.x[single].min(), layout.x[single].max(), layout.y[single].min(), layout.y[single].max())
    for left, right, bottom, top in boxes.values():  # the block shares no tree's bounding box
        assert block[1] < left or block[0] > right or block[3] < bottom or block[2] > top


def test_singletons_with_more_isolates_come_first_in_their_block():
    inference = with_counts(make_inference("abcd", []), [1, 9, 1, 4])
    layout = grapetree(inference)
    # Two per row (ceil(sqrt(4))): b (9 isolates) and d (4) in the top row, left to right, then a and c.
    x, y = layout.x, layout.y
    assert y[1] == y[3] > y[0] == y[2]
    assert x[1] < x[3] and x[0] < x[2]
    assert closest_gap(layout, inference) >= NODE_GAP - 1e-6


@pytest.mark.parametrize("method", ["nj", "upgma"])
def test_trees_with_internal_nodes(method):
    dataset = open_dataset(FIXTURES / "profiles.tsv", FIXTURES / "isolates.tsv")
    inference = registry.infer(method, dataset)
    assert inference.internal > 0
    layout = registry.lay_out("grapetree", inference)
    assert len(layout.x) == len(inference.ids) and np.isfinite(layout.x).all()
    assert closest_gap(layout, inference) >= NODE_GAP - 1e-6
    assert (node_radii(inference)[inference.profile_count:] == 1.0).all()


def test_small_cases():
    empty = grapetree(make_inference([], []))
    assert len(empty.x) == len(empty.component) == 0
    one = grapetree(make_inference("a", []))
    assert one.component.tolist() == [1] and np.isfinite([one.x[0], one.y[0]]).all()
    pair = make_inference("ab", [("a", "b", 0)])
    assert drawn_lengths(grapetree(pair), pair).tolist() == pytest.approx([12.0])


def test_progress_and_cancel():
    inference = random_forest(200, trees=5, seed=1)
    seen: list[float] = []
    grapetree(inference, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(CancelledError):
        grapetree(inference, cancel=lambda: True)


def test_registry_offers_it():
    assert "grapetree" in registry.names(registry.VISUALIZATION)
    assert registry.ALGORITHMS["grapetree"].check() == {}
    layout = registry.lay_out("grapetree", random_tree(50, seed=2))
    assert layout.algorithm == "grapetree"


@st.composite
def forests(draw, max_nodes: int = 80) -> Inference:
    """A random forest: node i > 0 hangs from an earlier node or starts a tree, distances 0..8,
    0..60 isolates a node (0: a profile without isolates, drawn smaller)."""
    n = draw(st.integers(1, max_nodes))
    parents = [draw(st.integers(-1, i - 1)) for i in range(1, n)]
    distances = draw(st.lists(st.integers(0, 8), min_size=n - 1, max_size=n - 1))
    counts = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    ids = [f"P{i}" for i in range(n)]
    edges = [(ids[p], ids[c], d)
             for c, (p, d) in enumerate(zip(parents, distances, strict=True), 1) if p >= 0]
    return with_counts(make_inference(ids, edges), np.asarray(counts))


@settings(max_examples=60, deadline=None)
@given(forests())
def test_property_same_forest_same_drawing_without_overlap(inference):
    layout = grapetree(inference)
    again = grapetree(inference)
    assert np.array_equal(layout.x, again.x) and np.array_equal(layout.y, again.y)
    assert np.isfinite(layout.x).all() and np.isfinite(layout.y).all()
    assert closest_gap(layout, inference) >= NODE_GAP - 1e-6
    assert (drawn_lengths(layout, inference) >= true_lengths(inference) - 1e-6).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 60)), min_size=1, max_size=30))
def test_property_an_uncrowded_tree_draws_every_edge_at_its_true_length(steps):
    # A chain (each node one child) is never crowded: edge = 100 * d + both radii + NODE_GAP, so the
    # space between two discs is proportional to the distance, whatever the isolate counts.
    ids = [f"P{i}" for i in range(len(steps) + 1)]
    chain = make_inference(ids, [(ids[i], ids[i + 1], d) for i, (d, _) in enumerate(steps)])
    chain = with_counts(chain, np.asarray([1, *(c for _, c in steps)]))
    drawn = drawn_lengths(grapetree(chain), chain)
    radii = node_radii(chain)
    between = drawn - radii[chain.parents] - radii[chain.children] - NODE_GAP
    np.testing.assert_allclose(between, 100.0 * chain.distances, atol=1e-7)
