"""Trees with internal nodes (NJ trees, dendrograms) as the engine's :class:`~engine.models.Inference`.

Neighbour joining and hierarchical clustering build a :class:`~engine.algorithms.tree_arrays.RootedTree`
whose leaves are dataset rows and whose other nodes are ancestors that are not profiles. The registry,
the store, the writers and the tree view all take an ``Inference``: this module turns one into the
other and wraps each method so that the registry can run it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engine.algorithms import hierarchical, nj
from engine.algorithms.tree_arrays import RootedTree
from engine.models import RULE_DISTANCE, Dataset, Inference, internal_ids


def tree_inference(tree: RootedTree, dataset: Dataset, algorithm: str,
                   parameters: dict[str, object]) -> Inference:
    """The rooted tree ``tree`` over the rows of ``dataset`` as an inference.

    Parameters
    ----------
    tree : RootedTree
        Leaves are dataset rows (``leaf_rows``, ascending; rows left out, such as GrapeTree's
        all-missing rows, become singletons), the root is the last node.
    dataset : Dataset
        The dataset the tree was built from.
    algorithm : str
        Name recorded on the result.
    parameters : dict
        Parameters recorded on the result.

    Returns
    -------
    Inference
        Nodes ``0 .. rows - 1`` are the dataset rows; the tree's internal nodes follow, named
        ``#1``, ``#2``, ... in the tree's node order (``internal`` of them). Every edge runs parent ->
        child with the tree's branch length (``float64``) and the rule ``distance``; a node's edges
        are in the tree's node order. The roots are the tree's root, then the rows not in the tree.
        Internal nodes count 0 isolates.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> data = read_dataset(b"ST\\ta\\n1\\t1\\n2\\t2\\n")
    >>> star = RootedTree(np.array([0, 1]), np.array([2, 2, -1]), np.array([0.5, 1.5, 0.0]))
    >>> inference = tree_inference(star, data, "nj", {})
    >>> inference.ids, inference.internal, [(e.parent, e.child, e.distance) for e in inference.edges()]
    (['1', '2', '#1'], 1, [('#1', '1', 0.5), ('#1', '2', 1.5)])
    """
    rows = dataset.profiles.size
    internal = tree.nodes - tree.leaves
    node_of = np.concatenate([np.asarray(tree.leaf_rows, np.int64),
                              rows + np.arange(internal, dtype=np.int64)])
    children = np.flatnonzero(np.asarray(tree.parent) >= 0)
    children = children[np.argsort(tree.parent[children], kind="stable")]
    outside = np.setdiff1d(np.arange(rows, dtype=np.int64), node_of[:tree.leaves])
    ids = list(dataset.profiles.ids)
    return Inference(
        algorithm=algorithm,
        parameters=dict(parameters),
        ids=ids + internal_ids(ids, internal),
        parents=node_of[tree.parent[children]],
        children=node_of[children],
        distances=np.asarray(tree.length, np.float64)[children],
        rules=np.full(children.size, RULE_DISTANCE, np.int64),
        roots=np.concatenate([node_of[[tree.root]], outside]),
        counts=np.concatenate([np.asarray(dataset.counts, np.int64), np.zeros(internal, np.int64)]),
        internal=internal,
    )


def _as_inference(name: str, build: Callable[..., RootedTree]) -> Callable[..., Inference]:
    """A registry function: ``build(dataset, **options)`` as an inference named ``name``."""

    def run(dataset: Dataset, **options: Any) -> Inference:
        tree = build(dataset, **options)
        kept = {key: value for key, value in options.items() if key not in ("progress", "cancel")}
        return tree_inference(tree, dataset, name, kept)

    run.__name__ = run.__qualname__ = name.replace("-", "_")
    run.__doc__ = f"The {name} tree of a dataset as an inference (see :func:`tree_inference`)."
    return run


def _linkage(method: str) -> Callable[..., RootedTree]:
    def build(dataset: Dataset, **options: Any) -> RootedTree:
        return hierarchical.linkage_tree(dataset, method, **options)

    return build


#: The registry's functions for the methods that build trees with internal nodes.
neighbour_joining = _as_inference("nj", nj.nj)
upgma = _as_inference("upgma", _linkage("upgma"))
wpgma = _as_inference("wpgma", _linkage("wpgma"))
single_linkage = _as_inference("single-linkage", _linkage("single"))
complete_linkage = _as_inference("complete-linkage", _linkage("complete"))
