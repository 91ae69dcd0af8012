"""The tree result type: numbering rules, Newick text and splits."""

from __future__ import annotations

import numpy as np
import pytest

from engine.algorithms.tree_arrays import (
    RootedTree,
    from_children,
    robinson_foulds,
    splits,
    to_newick,
    validate,
)
from engine.errors import ParameterError


def star_with_cherry() -> RootedTree:
    # ((r0:1, r1:2):0.5, r2:3, r3:4) written with arbitrary node numbers
    return from_children([-1, 3, 2, -1, 0, 1], [[4, 5], [], [], [0, 2, 1], [], []],
                         [0.5, 4.0, 3.0, 0.0, 1.0, 2.0], 3)


def test_numbering_leaves_by_row_then_post_order():
    tree = star_with_cherry()
    assert tree.leaf_rows.tolist() == [0, 1, 2, 3]
    assert tree.parent.tolist() == [4, 4, 5, 5, 5, -1]
    assert tree.length.tolist() == [1.0, 2.0, 3.0, 4.0, 0.5, 0.0]
    validate(tree)


def test_newick_quotes_labels_with_punctuation():
    tree = star_with_cherry()
    assert to_newick(tree) == "((0:1,1:2):0.5,2:3,3:4);"
    assert to_newick(tree, ["a b", "it's", "c,d", "plain"]) == \
        "(('a b':1,'it''s':2):0.5,'c,d':3,plain:4);"


def test_newick_lengths_use_six_significant_digits():
    tree = from_children([0, 1, -1], [[], [], [0, 1]], [1 / 3, 1234567.0, 0.0], 2)
    assert to_newick(tree) == "(0:0.333333,1:1.23457e+06);"


def test_splits_merge_the_two_root_edges_of_a_rooted_tree():
    tree = from_children([0, 1, 2, -1, -1], [[], [], [], [0, 1], [3, 2]], [1, 1, 1, 2, 0], 4)
    result = splits(tree)
    assert result[frozenset({2})] == 3.0  # edge 2-root plus edge root-(0,1): one split
    assert result[frozenset({1})] == 1.0


def test_robinson_foulds_counts_differing_nontrivial_splits():
    a = from_children([0, 1, 2, 3, -1, -1], [[], [], [], [], [0, 1], [4, 2, 3]], [1] * 5 + [0], 5)
    b = from_children([0, 1, 2, 3, -1, -1], [[], [], [], [], [0, 2], [4, 1, 3]], [1] * 5 + [0], 5)
    assert robinson_foulds(a, a) == 0
    assert robinson_foulds(a, b) == 2


@pytest.mark.parametrize("parent", [[1, 2, -1, 2], [2, 2, 2], [-1, 2, -1]])
def test_validate_refuses_bad_numbering(parent):
    n = len(parent)
    tree = RootedTree(np.arange(min(2, n)), np.array(parent), np.zeros(n))
    with pytest.raises(ParameterError):
        validate(tree)
