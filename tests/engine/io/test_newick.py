"""The Newick writer and reader (engine/io/newick.py).

Expected Newick and Nexus texts come from PhyloDB's formatter tests (research/phylodb.md §8.5, §8.6:
``nwk-2-e.txt``, ``nwk-4-t.txt``, ``nx-4-t.txt``) and spec/algorithms.md §6.
"""

from __future__ import annotations

import sys

import pytest
from tree_builders import make_inference, random_forest

from engine.errors import InputError
from engine.io.newick import read_newick, to_newick
from engine.io.nexus import to_nexus
from engine.models import Inference


def edge_set(inference: Inference) -> set[tuple[str, str, int]]:
    return {(edge.parent, edge.child, edge.distance) for edge in inference.edges()}


def chain(n: int) -> Inference:
    """1 -> 2 -> ... -> n, distance 1 each."""
    ids = [str(i) for i in range(1, n + 1)]
    return make_inference(ids, [(ids[i], ids[i + 1], 1) for i in range(n - 1)])


@pytest.mark.parametrize(("ids", "edges", "expected"), [
    ("12", [("2", "1", 1)], "(1:1)2;"),
    ("123", [("3", "1", 1), ("3", "2", 2)], "(1:1,2:2)3;"),
    ("1234", [("1", "2", 2), ("2", "3", 3), ("2", "4", 4)], "((3:3,4:4)2:2)1;"),
])
def test_newick_matches_phylodb_examples(ids, edges, expected):
    assert to_newick(make_inference(ids, edges)) == expected


def test_newick_children_follow_edge_order():
    # Edge order, not id order, decides the order of siblings (PhyloDB: edges sorted by distance).
    assert to_newick(make_inference("123", [("1", "3", 1), ("1", "2", 2)])) == "(3:1,2:2)1;"


def test_forest_follows_root_order_and_leaves_singletons_out():
    inference = make_inference("123456", [("1", "2", 1), ("4", "5", 2)], roots=["4", "1", "3", "6"])
    assert to_newick(inference) == "(5:2)4;(2:1)1;"
    assert to_nexus(inference) == "BEGIN TREES;\n\tTree result = (5:2)4;(2:1)1;\nEND;"


@pytest.mark.parametrize("inference", [make_inference([], []), make_inference("12", [])],
                         ids=["empty", "singletons"])
def test_inference_without_edges_writes_empty_newick_and_nexus(inference):
    assert to_newick(inference) == ""
    assert to_nexus(inference) == ""
    assert read_newick("") == []


def test_labels_with_punctuation_are_quoted():
    inference = make_inference(["ST 1", "it's", "a(b)", "x,y", "p:q", "t;u", "[c]", "tab\t", "plain_1", ""],
                               [("ST 1", label, 1) for label in
                                ["it's", "a(b)", "x,y", "p:q", "t;u", "[c]", "tab\t", "plain_1", ""]])
    text = to_newick(inference)
    assert text == ("('it''s':1,'a(b)':1,'x,y':1,'p:q':1,'t;u':1,'[c]':1,'tab\t':1,plain_1:1,'':1)'ST 1';")
    assert set(read_newick(text)) == edge_set(inference)


def test_deep_chain_writes_and_reads_without_recursion():
    assert sys.getrecursionlimit() <= 1000  # Python's default limit
    inference = chain(10_000)
    text = to_newick(inference)
    assert text.startswith("(" * 9_999 + "10000:1)9999:1)")
    assert text.endswith(")1;")
    assert read_newick(text) == [(str(i), str(i + 1), 1) for i in range(9_999, 0, -1)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_newick_round_trip_of_random_forest(seed):
    inference = random_forest(300, trees=4, seed=seed)
    edges = read_newick(to_newick(inference))
    assert len(edges) == len(inference.parents)
    assert set(edges) == edge_set(inference)


def test_read_newick_accepts_whitespace_lines_and_several_trees():
    text = "((3:3, 4:4)2:2)1;\n(1:1)2;\n  ( 'a b':10 , c : 0 ) 'd''e' ;\n"
    assert read_newick(text) == [("2", "3", 3), ("2", "4", 4), ("1", "2", 2), ("2", "1", 1),
                                 ("d'e", "a b", 10), ("d'e", "c", 0)]


@pytest.mark.parametrize(("text", "message"), [
    ("(1:1)2", "missing ';'"),
    ("((1:1)2:1;", r"unbalanced parentheses: 1 '\(' not closed"),
    ("((1:1)2:1", r"unbalanced parentheses: 1 '\(' not closed"),
    ("(1:1)2);", r"unbalanced parentheses: '\)' outside any '\('"),
    ("(1:1))2;", r"expected the label of the node after '\)', found '\)'"),
    ("(1:1,", "expected a node label or '\\(', found the end of the text"),
    ("(1:1.5)2;", "branch length '1.5' of node '1' is not a whole number"),
    ("(1:x)2;", "branch length 'x' of node '1' is not a whole number"),
    ("(1:-1)2;", "branch length '-1' of node '1' is not a whole number"),
    ("(1:)2;", r"branch length '\)' of node '1' is not a whole number"),
    ("2;", "the tree '2' has no edges"),
    ("(1:1)2:1;", "the root '2' has a branch length"),
    ("(:1)2;", "expected a node label or '\\(', found ':'"),
    ("(1)2;", "node '1' has no branch length"),
    ("(1:1);", r"expected the label of the node after '\)', found ';'"),
    ("('1:1)2;", "a quoted label is not closed"),
    ("(1:1)2;[comment]", r"expected a node label or '\(', found '\['"),
])
def test_read_newick_rejects_bad_text(text, message):
    with pytest.raises(InputError, match=message):
        read_newick(text)


def test_read_newick_error_names_the_line():
    with pytest.raises(InputError, match="not a whole number") as caught:
        read_newick("(1:1)2;\n(3:1)4;\n(5:0.5)6;")
    assert caught.value.line == 3
    assert str(caught.value).startswith("line 3: ")
