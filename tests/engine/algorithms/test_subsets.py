"""A picked part of a dataset and of a tree (engine/algorithms/subsets.py)."""

from __future__ import annotations

import doctest

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import DEMO
from tree_builders import make_inference, random_forest

import engine.algorithms.subsets
from engine.algorithms import registry
from engine.algorithms.subsets import induced_subtree, subset_dataset
from engine.errors import ParameterError
from engine.forest import walk_forest
from engine.io.datasets import read_dataset
from engine.io.newick import to_newick
from engine.models import RULE_DISTANCE, Inference


def test_doctests() -> None:
    assert doctest.testmod(engine.algorithms.subsets).failed == 0


@pytest.fixture(scope="module")
def demo():
    return read_dataset((DEMO / "profiles.tsv").read_bytes(), (DEMO / "isolates.tsv").read_bytes())


def test_a_subset_keeps_the_picked_rows_alleles_and_isolates(demo) -> None:
    picked = [200, 3, 17, 17, 42]
    part = subset_dataset(demo, picked, note="from the demo")
    rows = [3, 17, 42, 200]
    profiles = demo.profiles
    assert part.profiles.ids == [profiles.ids[r] for r in rows]
    for new, old in enumerate(rows):  # the same allele at every locus, however renumbered
        assert [part.profiles.allele(new, locus) for locus in range(len(profiles.loci))] == \
               [profiles.allele(old, locus) for locus in range(len(profiles.loci))]
    for locus, names in enumerate(part.profiles.alleles):  # codes 1..k, all used, first seen first
        codes = part.profiles.matrix[:, locus]
        used = [c for c in dict.fromkeys(codes.tolist()) if c]
        assert used == list(range(1, len(names))) and names[0] == ""
    links = demo.isolates.profile_rows
    expected = [demo.isolates.rows[k] for k in range(len(links)) if links[k] in rows]
    assert part.isolates.rows == expected and part.isolates.columns == demo.isolates.columns
    assert [rows[r] for r in part.isolates.profile_rows.tolist()] == [int(links[k]) for k in range(len(links))
                                                                      if links[k] in rows]
    assert part.counts.tolist() == demo.counts[rows].tolist()
    assert part.report.profiles == 4 and part.report.isolates == len(expected)
    assert part.report.notes == ["from the demo"]


def test_a_subset_can_be_inferred_on(demo) -> None:
    part = subset_dataset(demo, range(0, 260, 3))
    tree = registry.infer("goeburst", part)
    assert tree.profile_count == part.profiles.size == 87


def test_a_subset_refuses_nothing_and_rows_outside(demo) -> None:
    with pytest.raises(ParameterError, match="at least one"):
        subset_dataset(demo, [])
    with pytest.raises(ParameterError, match="260 is not a profile row"):
        subset_dataset(demo, [1, 260])


def path_lengths(inference: Inference, nodes: list[int]) -> dict[tuple[str, str], float]:
    """The tree distance between every two of ``nodes`` (by id) that share a tree."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(inference.ids)))
    graph.add_weighted_edges_from(zip(inference.parents.tolist(), inference.children.tolist(),
                                      inference.distances.tolist(), strict=True))
    found = {}
    for a in nodes:
        reach = nx.single_source_dijkstra_path_length(graph, a)
        for b in nodes:
            if a < b and b in reach:
                found[inference.ids[a], inference.ids[b]] = reach[b]
    return found


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(1, 4), st.integers(0, 10_000), st.data())
def test_the_subtree_keeps_every_distance_between_picked_rows(n, trees, seed, data) -> None:
    forest = random_forest(n, min(trees, n), seed)
    picked = sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1)))
    part = induced_subtree(forest, picked)
    walk_forest(part)  # a valid forest with its roots
    assert part.ids[:part.profile_count] == [forest.ids[r] for r in picked]
    assert path_lengths(part, list(range(part.profile_count))) == path_lengths(forest, picked)
    # an internal node is where three edges meet, or two at the top of its tree
    degree = np.bincount(np.concatenate([part.parents, part.children]), minlength=len(part.ids))
    is_root = np.isin(np.arange(len(part.ids)), part.roots)
    internal = np.arange(part.profile_count, len(part.ids))
    assert ((degree[internal] >= 3) | ((degree[internal] == 2) & is_root[internal])).all()
    assert (np.diff(part.distances) >= 0).all()


def test_the_subtree_of_an_nj_tree_keeps_internal_nodes_where_picked_leaves_meet(demo) -> None:
    tree = registry.infer("nj", subset_dataset(demo, range(30)))
    part = induced_subtree(tree, [0, 5, 9, 20])
    assert part.profile_count == 4 and part.internal >= 1
    assert path_lengths(part, [0, 1, 2, 3]) == pytest.approx(path_lengths(tree, [0, 5, 9, 20]))
    assert to_newick(part).count(",") == 3  # one tree, four leaves


def test_rules_survive_unless_edges_are_joined() -> None:
    chain = make_inference("abcd", [("a", "b", 1, "lv1"), ("b", "c", 2, "lv2"), ("c", "d", 1, "frequency")])
    part = induced_subtree(chain, [0, 1, 3])
    assert part.rules.tolist() == [-1 + 2, RULE_DISTANCE]  # lv1 kept; b-c-d joined into one edge
    assert part.distances.tolist() == [1, 3]
    assert to_newick(part) == "((d:3)b:1)a;"


def test_picked_rows_alone_in_their_tree_are_singleton_roots() -> None:
    forest = make_inference("abcde", [("a", "b", 1), ("c", "d", 2)])
    part = induced_subtree(forest, [0, 1, 2, 4])
    assert part.ids == ["a", "b", "c", "e"] and part.roots.tolist() == [0, 2, 3]
    assert to_newick(part) == "(b:1)a;"
