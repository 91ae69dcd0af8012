"""The edge list (engine/io/edges.py): one ``parent<TAB>child<TAB>distance`` line per edge, in edge order."""

from __future__ import annotations

from tree_builders import make_inference

from engine.io.edges import edges_text


def test_one_line_per_edge_in_edge_order_ids_as_written():
    inference = make_inference(["ST 1", "b", "c", "solo"], [("ST 1", "c", 2), ("ST 1", "b", 0)])
    assert edges_text(inference) == "ST 1\tc\t2\nST 1\tb\t0\n"
    assert edges_text(make_inference("12", [])) == ""
