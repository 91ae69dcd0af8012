"""The walk of a tree or forest shared by the writers and the layouts (engine/forest.py)."""

from __future__ import annotations

import numpy as np
import pytest
from tree_builders import make_inference

from engine.errors import InputError
from engine.forest import walk_forest
from engine.models import Inference


def test_walk_forest_rejects_inconsistent_arrays():
    inference = make_inference("12", [("1", "2", 1)])
    with pytest.raises(InputError, match="differ in length"):
        walk_forest(Inference(**{**inference.__dict__, "distances": np.array([1, 2])}))
    with pytest.raises(InputError, match=r"an edge of the inference refers to a row outside 0\.\.1"):
        walk_forest(Inference(**{**inference.__dict__, "children": np.array([2])}))
    with pytest.raises(InputError, match=r"a root of the inference refers to a row outside 0\.\.1"):
        walk_forest(Inference(**{**inference.__dict__, "roots": np.array([-1])}))


def test_walk_forest_order_is_preorder_in_edge_order():
    inference = make_inference("123456", [("1", "3", 1), ("1", "2", 1), ("3", "4", 1), ("5", "6", 1)])
    walk = walk_forest(inference)
    assert [inference.ids[row] for row in walk.order] == ["1", "3", "4", "2", "5", "6"]
    assert walk.starts == [0, 4, 6]
    assert walk.out_edges[0] == [0, 1]
