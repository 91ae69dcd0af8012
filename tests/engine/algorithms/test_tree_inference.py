"""Every inference method through the registry gives a tree every writer and every layout takes.

NJ trees and dendrograms have internal nodes after the profile rows and fractional branch lengths;
the spanning trees have neither. Whatever the method, the result must be a forest over all the
dataset's rows (the writers' walk checks it), survive the JSON round trip, and be laid out by every
registered layout with one point per node.
"""

from __future__ import annotations

import numpy as np
import pytest
from paths import FIXTURES

from engine.algorithms import registry
from engine.algorithms.tree_arrays import from_children
from engine.algorithms.tree_inference import tree_inference
from engine.forest import walk_forest
from engine.io.datasets import open_dataset
from engine.io.json import from_json, to_json
from engine.io.newick import to_newick
from engine.models import Inference

DATASET = open_dataset(FIXTURES / "profiles.tsv", FIXTURES / "isolates.tsv")
WITH_INTERNAL_NODES = ["nj", "upgma", "wpgma", "single-linkage", "complete-linkage"]


@pytest.fixture(scope="module", params=registry.names(registry.INFERENCE))
def inference(request: pytest.FixtureRequest) -> Inference:
    return registry.infer(request.param, DATASET)


def test_every_method_gives_a_forest_over_every_row(inference: Inference) -> None:
    walk = walk_forest(inference)
    rows = DATASET.profiles.size
    assert inference.ids[:rows] == DATASET.profiles.ids and inference.profile_count == rows
    assert sorted(walk.order) == list(range(len(inference.ids)))
    assert (inference.counts[:rows] == DATASET.counts).all() and not inference.counts[rows:].any()
    has_internal = inference.algorithm in WITH_INTERNAL_NODES
    assert (inference.internal > 0) == has_internal
    assert np.issubdtype(inference.distances.dtype, np.floating) == has_internal


def test_the_json_round_trip_keeps_every_node_and_length(inference: Inference) -> None:
    back = from_json(to_json(inference))
    assert back.ids == inference.ids and back.internal == inference.internal
    for name in ("parents", "children", "distances", "rules", "roots", "counts"):
        assert np.array_equal(getattr(back, name), getattr(inference, name)), name
    assert to_newick(back) == to_newick(inference)


@pytest.mark.parametrize("layout", registry.names(registry.VISUALIZATION))
def test_every_layout_draws_every_method(inference: Inference, layout: str) -> None:
    drawn = registry.lay_out(layout, inference)
    assert drawn.rows.tolist() == list(range(len(inference.ids)))
    assert np.isfinite(drawn.x).all() and np.isfinite(drawn.y).all()


def test_internal_nodes_are_unnamed_in_newick_and_profiles_keep_their_ids() -> None:
    tree = registry.infer("upgma", DATASET)
    newick = to_newick(tree)
    assert "#1" not in newick and all(f"{label}:" in newick for label in DATASET.profiles.ids)


def test_rows_left_out_of_a_tree_become_singletons() -> None:
    # A tree over rows 0 and 2 of a three-row dataset (GrapeTree leaves out rows with no allele).
    data = open_dataset(FIXTURES / "profiles.tsv")
    tree = from_children([0, 2, -1], [[], [], [0, 1]], [1.0, 2.0, 0.0], 2)
    inference = tree_inference(tree, data, "nj", {})
    assert inference.internal == 1 and inference.ids[-1] == "#1"
    roots = [inference.ids[row] for row in inference.roots]
    assert roots[0] == "#1" and set(roots[1:]) == set(data.profiles.ids) - {data.profiles.ids[0],
                                                                             data.profiles.ids[2]}
    walk_forest(inference)
