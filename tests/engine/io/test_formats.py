"""Tree file writers and the Newick reader (engine/formats.py).

Expected Newick and Nexus texts come from PhyloDB's formatter tests (research/phylodb.md §8.5, §8.6:
``nwk-2-e.txt``, ``nwk-4-t.txt``, ``nx-4-t.txt``) and spec/algorithms.md §6.
"""

from __future__ import annotations

import doctest
import json
import sys
import xml.etree.ElementTree as ET

import igraph
import numpy as np
import pytest
from tree_builders import make_inference

import engine.io.formats
from engine.errors import InputError, ParameterError
from engine.io.formats import (
    FORMATS,
    from_json,
    read_newick,
    to_graphml,
    to_json,
    to_newick,
    to_nexus,
    walk_forest,
)
from engine.models import Inference


def random_forest(n: int, trees: int, seed: int) -> Inference:
    """A random recursive forest: row i > trees - 1 hangs from a random earlier row, d in 0..4."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i}" for i in range(n)]
    parents = [int(rng.integers(0, i)) if i >= trees else -1 for i in range(n)]
    edges = [(ids[p], ids[c], int(rng.integers(0, 5))) for c, p in enumerate(parents) if p >= 0]
    return make_inference(ids, edges)


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


def test_nexus_matches_phylodb_example():
    inference = make_inference("1234", [("1", "2", 2), ("2", "3", 3), ("2", "4", 4)])
    assert to_nexus(inference) == "BEGIN TREES;\n\tTree result = ((3:3,4:4)2:2)1;\nEND;"


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


def test_json_round_trip():
    inference = make_inference("12345", [("1", "2", 1, "distance"), ("1", "3", 1, "lv1"),
                                         ("2", "4", 2, "frequency"), ("4", "5", 0, "identical")],
                               roots=["1"])
    data = json.loads(json.dumps(to_json(inference)))
    assert data == {
        "algorithm": "goeburst",
        "parameters": {"lvs": 3},
        "nodes": [{"id": label, "count": 1} for label in "12345"],
        "roots": ["1"],
        "edges": [{"from": "1", "to": "2", "distance": 1, "rule": "distance"},
                  {"from": "1", "to": "3", "distance": 1, "rule": "lv1"},
                  {"from": "2", "to": "4", "distance": 2, "rule": "frequency"},
                  {"from": "4", "to": "5", "distance": 0, "rule": "identical"}],
    }
    back = from_json(data)
    assert back.ids == inference.ids
    assert back.algorithm == inference.algorithm
    assert back.parameters == inference.parameters
    for name in ("parents", "children", "distances", "rules", "roots", "counts"):
        np.testing.assert_array_equal(getattr(back, name), getattr(inference, name))
        assert getattr(back, name).dtype == np.int64
    assert to_json(back) == data


def test_json_round_trip_of_forest_with_singletons_and_numpy_parameters():
    inference = random_forest(50, trees=3, seed=4)
    inference = Inference(**{**inference.__dict__,
                             "parameters": {"lvs": np.int64(2), "missing": ("-", "0")},
                             "counts": np.arange(50, dtype=np.int64)})
    data = to_json(inference)
    assert data["parameters"] == {"lvs": 2, "missing": ["-", "0"]}
    assert to_json(from_json(json.loads(json.dumps(data)))) == data


def _inference_data(**changes: object) -> dict:
    data = {"algorithm": "goeburst", "parameters": {},
            "nodes": [{"id": "1", "count": 1}, {"id": "2", "count": 1}, {"id": "3", "count": 1}],
            "roots": ["1"],
            "edges": [{"from": "1", "to": "2", "distance": 1, "rule": "distance"},
                      {"from": "2", "to": "3", "distance": 1, "rule": "distance"}]}
    data.update(changes)
    return data


@pytest.mark.parametrize(("data", "message"), [
    ([], "must be a JSON object, not list"),
    ({"algorithm": "goeburst"}, "the inference has no 'parameters'"),
    (_inference_data(nodes={}), "'nodes' must be list, not dict"),
    (_inference_data(algorithm=3), "'algorithm' must be str, not int"),
    (_inference_data(nodes=["1"]), "node 1 must be an object"),
    (_inference_data(nodes=[{"id": 1, "count": 1}]), "node 1: 'id' must be str, not int"),
    (_inference_data(nodes=[{"id": "1", "count": True}]), "node 1: 'count' must be int, not bool"),
    (_inference_data(nodes=[{"id": "1", "count": -1}]), "node 1: count must not be negative"),
    (_inference_data(nodes=[{"id": "1", "count": 1}, {"id": "1", "count": 1}]),
     "node 2: id '1' is used twice"),
    (_inference_data(roots=["9"]), "root 1 refers to '9', which is not a node id"),
    (_inference_data(edges=[{"from": "1", "to": "9", "distance": 1, "rule": "distance"}]),
     "edge 1 refers to '9', which is not a node id"),
    (_inference_data(edges=[{"from": "1", "to": "2", "rule": "distance"}]), "edge 1 has no 'distance'"),
    (_inference_data(edges=[{"from": "1", "to": "2", "distance": 1.0, "rule": "distance"}]),
     "edge 1: 'distance' must be int, not float"),
    (_inference_data(edges=[{"from": "1", "to": "2", "distance": -2, "rule": "distance"}]),
     "edge 1: distance must not be negative"),
    (_inference_data(edges=[{"from": "1", "to": "2", "distance": 1, "rule": "lv0"}]),
     "edge 1: unknown rule 'lv0'"),
    (_inference_data(edges=[("1", "2")]), "edge 1 must be an object"),
    (_inference_data(edges=[{"from": "1", "to": "3", "distance": 1, "rule": "distance"},
                            {"from": "2", "to": "3", "distance": 1, "rule": "distance"}], roots=["1", "2"]),
     "profile '3' has 2 parents"),
    (_inference_data(roots=["1", "2"]), "root '2' is the child of an edge"),
    (_inference_data(roots=["1", "1"]), "root '1' is listed twice"),
    (_inference_data(roots=[]), "profile '1' has no parent but is not listed among the roots"),
    (_inference_data(edges=[{"from": "2", "to": "3", "distance": 1, "rule": "distance"},
                            {"from": "3", "to": "2", "distance": 1, "rule": "distance"}]),
     "the edges form a cycle through profile '2'"),
])
def test_from_json_rejects_bad_data(data, message):
    with pytest.raises(InputError, match=message):
        from_json(data)


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


def test_graphml_loads_in_igraph_with_attributes(tmp_path):
    ids = ["1", "A&B", "<x>", 'q"t', "solo"]
    inference = make_inference(ids, [("1", "A&B", 2, "lv1"), ("1", "<x>", 0, "identical"),
                                     ("<x>", 'q"t', 5, "distance")])
    path = tmp_path / "tree.graphml"
    path.write_text(to_graphml(inference), encoding="utf-8")
    graph = igraph.Graph.Read_GraphML(str(path))
    assert graph.is_directed()
    assert graph["algorithm"] == "goeburst"
    assert graph.vs["name"] == ids
    assert graph.vs["count"] == [1, 1, 1, 1, 1]
    edges = [(graph.vs[e.source]["name"], graph.vs[e.target]["name"], e["distance"], e["rule"])
             for e in graph.es]
    assert edges == [("1", "A&B", 2, "lv1"), ("1", "<x>", 0, "identical"), ("<x>", 'q"t', 5, "distance")]


def test_graphml_node_ids_are_the_profile_ids():
    ids = ["1", "A&B", "ST 7"]
    root = ET.fromstring(to_graphml(make_inference(ids, [("1", "A&B", 1), ("1", "ST 7", 2)])))
    namespace = {"g": "http://graphml.graphdrawing.org/xmlns"}
    assert [node.get("id") for node in root.iterfind("g:graph/g:node", namespace)] == ids
    assert [(edge.get("source"), edge.get("target")) for edge in root.iterfind("g:graph/g:edge", namespace)] \
        == [("1", "A&B"), ("1", "ST 7")]


def test_formats_table_writes_text():
    inference = make_inference("1234", [("1", "2", 2), ("2", "3", 3), ("2", "4", 4)])
    assert list(FORMATS) == ["newick", "nexus", "json", "graphml"]
    assert FORMATS["newick"](inference) == "((3:3,4:4)2:2)1;"
    assert FORMATS["nexus"](inference) == to_nexus(inference)
    assert json.loads(FORMATS["json"](inference)) == to_json(inference)
    assert FORMATS["graphml"](inference).startswith("<?xml")


def test_unknown_format_suggests_the_closest_name():
    with pytest.raises(ParameterError, match=r"unknown tree format 'nexsu' \(did you mean 'nexus'\?\); "
                                             r"choose one of: newick, nexus, json, graphml"):
        FORMATS["nexsu"]
    with pytest.raises(ParameterError, match=r"unknown tree format 'pdf'; choose one of"):
        FORMATS["pdf"]
    assert "pdf" not in FORMATS


def test_docstring_examples():
    assert doctest.testmod(engine.io.formats).failed == 0
