"""Radial and force layouts (engine/layouts.py).

Radial check values are PhyloDB's ``RadialTests`` (research/phylodb.md §7.3, spec/algorithms.md §4).
"""

from __future__ import annotations

import dataclasses
import doctest
import itertools
import math
import random

import igraph
import numpy as np
import pytest
from tree_builders import make_inference, random_tree

import engine.algorithms.layouts
from engine.algorithms import registry
from engine.algorithms.layouts import ZERO_DISTANCE, force, radial, side_by_side
from engine.errors import CancelledError, InputError, ParameterError
from engine.models import Inference


def forest() -> Inference:
    """Trees of 40, 12, 3 and 2 rows, and two singletons, in a scrambled root order."""
    parts = [random_tree(size, seed=size) for size in (12, 40, 2, 3)]
    ids: list[str] = []
    edges: list[tuple[str, str, int]] = []
    for k, part in enumerate(parts):
        ids += [f"{k}-{label}" for label in part.ids]
        edges += [(f"{k}-{e.parent}", f"{k}-{e.child}", e.distance) for e in part.edges()]
    return make_inference([*ids, "s1", "s2"], edges)


def edge_lengths(layout, inference: Inference) -> np.ndarray:
    return np.hypot(layout.x[inference.parents] - layout.x[inference.children],
                    layout.y[inference.parents] - layout.y[inference.children])


def test_radial_single_edge_matches_phylodb():
    layout = radial(make_inference("12", [("1", "2", 2)]))
    assert layout.x.tolist() == pytest.approx([0.0, -210.0], abs=1e-9)
    assert layout.y.tolist() == pytest.approx([0.0, 2.5717582782094416e-14], abs=1e-9)


def test_radial_chain_matches_phylodb():
    layout = radial(make_inference("123", [("1", "2", 2), ("2", "3", 3)]))
    assert (layout.x[2], layout.y[2]) == pytest.approx((-520.0, 6.368e-14), abs=1e-9)


def test_radial_six_node_tree_matches_phylodb():
    inference = make_inference("123456", [("1", "2", 2), ("2", "3", 3), ("1", "4", 5),
                                          ("4", "5", 1), ("4", "6", 1)])
    layout = radial(inference)
    expected = {"1": (0.0, 0.0),
                "2": (105.00000000000003, 181.8653347947321),
                "3": (260.00000000000006, 450.33320996790803),
                "4": (-255.00000000000023, -441.67295593006355),
                "5": (-365.0000000000002, -441.67295593006355),
                "6": (-200.00000000000028, -536.9357503463518)}
    for i, label in enumerate(layout.ids):
        assert abs(layout.x[i] - expected[label][0]) < 1e-9
        assert abs(layout.y[i] - expected[label][1]) < 1e-9
    assert layout.algorithm == "radial"
    assert layout.rows.tolist() == list(range(6))
    assert layout.component.tolist() == [1] * 6


def test_radial_edges_have_phylodb_lengths():
    inference = random_tree(500, seed=3)
    layout = radial(inference)
    np.testing.assert_allclose(edge_lengths(layout, inference), 100.0 * inference.distances + 10, rtol=1e-9)


def test_radial_forest_puts_every_root_and_singleton_at_the_origin():
    inference = make_inference("1234567", [("1", "2", 1), ("4", "5", 1), ("4", "6", 2)],
                               roots=["4", "1", "3", "7"])
    layout = radial(inference)
    assert layout.component.tolist() == [2, 2, 3, 1, 1, 1, 4]
    for root in (0, 2, 3, 6):
        assert (layout.x[root], layout.y[root]) == (0.0, 0.0)
    assert layout.ids == list("1234567")


def test_radial_deep_chain_needs_no_recursion():
    n = 10_000
    ids = [str(i) for i in range(n)]
    layout = radial(make_inference(ids, [(ids[i], ids[i + 1], 1) for i in range(n - 1)]))
    # Every wedge is 2*pi, so the whole chain runs along the negative x axis.
    assert layout.x[-1] == pytest.approx(-110.0 * (n - 1))
    assert abs(layout.y[-1]) < 1e-6


def test_empty_inference_gives_empty_layouts():
    for layout in (radial(make_inference([], [])), force(make_inference([], []))):
        assert len(layout.x) == len(layout.y) == len(layout.rows) == len(layout.component) == 0


def test_layouts_reject_a_broken_forest():
    inference = make_inference("123", [("1", "2", 1), ("2", "3", 1)])
    broken = Inference(**{**inference.__dict__, "roots": np.array([], dtype=np.int64)})
    for name in registry.names(registry.VISUALIZATION):
        with pytest.raises(InputError, match="not listed among the roots"):
            registry.lay_out(name, broken)


def test_force_is_deterministic_for_a_seed():
    inference = forest()
    first, again, other = force(inference, seed=7), force(inference, seed=7), force(inference, seed=8)
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.x, other.x)
    assert first.parameters == {"seed": 7, "iterations": 50}


def test_force_places_every_node_with_radial_components():
    inference = forest()
    layout = force(inference)
    assert layout.algorithm == "force"
    assert layout.ids == inference.ids
    assert layout.rows.tolist() == list(range(len(inference.ids)))
    assert np.isfinite(layout.x).all() and np.isfinite(layout.y).all()
    np.testing.assert_array_equal(layout.component, radial(inference).component)
    # Distinct nodes get distinct places.
    assert len(set(zip(layout.x.tolist(), layout.y.tolist(), strict=True))) == len(inference.ids)


def assert_components_apart(layout) -> None:
    """The bounding boxes of the components do not overlap (nor touch)."""
    boxes = []
    for k in np.unique(layout.component):
        inside = layout.component == k
        boxes.append((layout.x[inside].min(), layout.y[inside].min(), layout.x[inside].max(),
                      layout.y[inside].max()))
    for a, b in itertools.combinations(boxes, 2):
        apart_x = a[2] < b[0] or b[2] < a[0]
        apart_y = a[3] < b[1] or b[3] < a[1]
        assert apart_x or apart_y, (a, b)


def test_force_components_do_not_overlap():
    assert_components_apart(force(forest(), seed=2))


def test_side_by_side_moves_radial_trees_apart():
    radial_layout = radial(forest())
    layout = side_by_side(radial_layout)
    assert_components_apart(layout)
    assert (layout.algorithm, layout.parameters, layout.ids) == ("radial", {}, radial_layout.ids)
    np.testing.assert_array_equal(layout.rows, radial_layout.rows)
    np.testing.assert_array_equal(layout.component, radial_layout.component)
    # Each component moves as a whole: positions relative to its first node are unchanged.
    for k in np.unique(layout.component):
        inside = np.flatnonzero(layout.component == k)
        for moved, original in ((layout.x, radial_layout.x), (layout.y, radial_layout.y)):
            np.testing.assert_allclose(moved[inside] - moved[inside[0]],
                                       original[inside] - original[inside[0]], atol=1e-9)


def test_side_by_side_gives_singletons_a_small_box():
    layout = side_by_side(radial(make_inference("123", [])))
    points = sorted(zip(layout.x.tolist(), layout.y.tolist(), strict=True))
    assert len(set(points)) == 3
    gaps = np.diff([x for x, _ in points])
    np.testing.assert_allclose(gaps[gaps > 0], engine.algorithms.layouts.COMPONENT_GAP + ZERO_DISTANCE)


def test_side_by_side_keeps_a_single_tree():
    layout = radial(random_tree(20, seed=4))
    assert side_by_side(layout) is layout
    empty = radial(make_inference([], []))
    assert side_by_side(empty) is empty


def test_force_edge_length_follows_distance_on_a_star():
    edges = [("hub", f"n{i}", 1 if i % 2 else 3) for i in range(12)]
    inference = make_inference(["hub"] + [f"n{i}" for i in range(12)], edges)
    lengths = edge_lengths(force(inference), inference)
    assert lengths[inference.distances == 3].mean() > 2 * lengths[inference.distances == 1].mean()


@pytest.mark.parametrize("kamada_kawai_max", [2000, 50], ids=["kamada-kawai", "fruchterman-reingold"])
def test_force_edge_length_follows_distance_on_a_tree(monkeypatch, kamada_kawai_max):
    monkeypatch.setattr(engine.algorithms.layouts, "KAMADA_KAWAI_MAX_NODES", kamada_kawai_max)
    inference = random_tree(400, seed=5, distances=(1, 1, 3))
    lengths = edge_lengths(force(inference, seed=1), inference)
    assert lengths[inference.distances == 3].mean() > 1.5 * lengths[inference.distances == 1].mean()
    # Scaled like the radial layout: edges are 100 * d + 10 long on average.
    target = 100.0 * inference.distances + 10
    assert 0.5 < lengths.mean() / target.mean() < 1.5


def test_force_small_components_have_exact_lengths():
    inference = make_inference("1234", [("1", "2", 0), ("3", "4", 2)])
    layout = force(inference)
    np.testing.assert_allclose(edge_lengths(layout, inference), [10.0, 210.0])


@pytest.mark.parametrize("name", ["radial", "force"])
def test_negative_lengths_of_neighbour_joining_are_drawn_as_zero(name):
    star = make_inference("abcde", [("a", "b", 0), ("a", "c", 0), ("a", "d", 0), ("a", "e", 0)])
    inference = dataclasses.replace(star, distances=np.array([0.25, -0.5, 0.0, 1.5]))
    lengths = edge_lengths(registry.lay_out(name, inference, {}), inference)
    np.testing.assert_allclose(lengths, [35.0, 10.0, 10.0, 160.0], rtol=0.1 if name == "force" else 1e-9)


def test_force_restores_igraphs_random_generator():
    force(random_tree(30, seed=1), seed=3)
    graph = igraph.Graph(5)
    random.seed(11)
    first = graph.layout_random().coords
    random.seed(11)
    assert graph.layout_random().coords == first


def test_force_rejects_zero_iterations():
    with pytest.raises(ParameterError, match="iterations must be at least 1"):
        force(random_tree(5, seed=1), iterations=0)


@pytest.mark.parametrize("name", registry.names(registry.VISUALIZATION))
def test_layouts_report_progress_and_stop_on_cancel(name):
    inference = forest()
    seen: list[float] = []
    registry.lay_out(name, inference, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen)
    if name == "force":
        assert len(seen) >= 2 + len(inference.roots)
    with pytest.raises(CancelledError):
        registry.lay_out(name, inference, cancel=lambda: True)


def test_unknown_layout_suggests_the_closest_name():
    with pytest.raises(ParameterError, match=r"unknown algorithm 'radal' \(did you mean 'radial'\?\)"):
        registry.lay_out("radal", forest())


def test_radial_wedges_follow_leaf_counts():
    # 1 -> {2, 3 -> {4, 5}}: three leaves, so 2 gets a third of the circle and 3 two thirds.
    layout = radial(make_inference("12345", [("1", "2", 1), ("1", "3", 1), ("3", "4", 1), ("3", "5", 1)]))
    assert math.atan2(layout.y[1], layout.x[1]) == pytest.approx(math.pi / 3)
    assert math.atan2(layout.y[2], layout.x[2]) == pytest.approx(4 * math.pi / 3 - 2 * math.pi)


def test_docstring_examples():
    assert doctest.testmod(engine.algorithms.layouts).failed == 0
