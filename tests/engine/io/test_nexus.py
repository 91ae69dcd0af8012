"""The Nexus writer (engine/io/nexus.py).

Expected Newick and Nexus texts come from PhyloDB's formatter tests (research/phylodb.md §8.5, §8.6:
``nwk-2-e.txt``, ``nwk-4-t.txt``, ``nx-4-t.txt``) and spec/algorithms.md §6.
"""

from __future__ import annotations

from tree_builders import make_inference

from engine.io.nexus import to_nexus


def test_nexus_matches_phylodb_example():
    inference = make_inference("1234", [("1", "2", 2), ("2", "3", 3), ("2", "4", 4)])
    assert to_nexus(inference) == "BEGIN TREES;\n\tTree result = ((3:3,4:4)2:2)1;\nEND;"
