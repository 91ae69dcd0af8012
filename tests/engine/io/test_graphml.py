"""The GraphML writer (engine/io/graphml.py): documents igraph reads back with every attribute."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import igraph
from tree_builders import make_inference

from engine.io.graphml import to_graphml


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
