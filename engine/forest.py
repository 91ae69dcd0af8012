"""Walks of a tree or forest (an :class:`~engine.models.Inference`), shared by writers and layouts.

The walk checks that the edges form a forest hanging from the listed roots and visits it depth first
without recursion, so a chain 10,000 profiles deep is walked at Python's default recursion limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import InputError
from engine.models import Inference


@dataclass(frozen=True)
class ForestWalk:
    """A depth-first walk of an inference's forest, shared by the writers and the layouts.

    ``out_edges[row]`` lists the indices of the edges leaving ``row``, in edge order. ``order`` is
    every row in depth-first preorder (children in edge order), tree after tree in root order;
    tree ``k`` (0-based, ``inference.roots[k]``) is ``order[starts[k]:starts[k + 1]]``, and
    ``starts`` ends with the number of rows.
    """

    out_edges: list[list[int]]
    order: list[int]
    starts: list[int]


def walk_forest(inference: Inference) -> ForestWalk:
    """Check that the edges of ``inference`` form a forest hanging from its roots, and walk it.

    Parameters
    ----------
    inference : Inference
        The tree or forest; ``roots`` must list every row that is not the child of an edge
        (singletons included) exactly once.

    Returns
    -------
    ForestWalk
        Outgoing edges per row, the depth-first preorder, and where each tree starts in it.

    Raises
    ------
    InputError
        When the edge arrays differ in length or hold a row number out of range, a profile has two
        parents, a root is the child of an edge or is listed twice, a parentless profile is not
        among the roots, or edges form a cycle.

    Examples
    --------
    >>> one = np.ones(1, np.int64)
    >>> inference = Inference("goeburst", {}, ["1", "2", "3"], 0 * one, one, one, 0 * one,
    ...                       np.array([0, 2]), np.ones(3, np.int64))
    >>> walk = walk_forest(inference)
    >>> walk.order, walk.starts
    ([0, 1, 2], [0, 2, 3])

    Notes
    -----
    O(rows + edges) time and memory, iterative.
    """
    ids = inference.ids
    n = len(ids)
    parents = np.asarray(inference.parents).reshape(-1)
    children = np.asarray(inference.children).reshape(-1)
    if len({len(parents), len(children), np.size(inference.distances), np.size(inference.rules)}) > 1:
        raise InputError("the inference's edge arrays (parents, children, distances, rules) differ in length")
    for name, rows in (("an edge", np.concatenate([parents, children])),
                       ("a root", np.asarray(inference.roots).reshape(-1))):
        if len(rows) and (rows.min() < 0 or rows.max() >= n):
            raise InputError(f"{name} of the inference refers to a row outside 0..{n - 1}")
    in_degree = np.bincount(children, minlength=n) if len(children) else np.zeros(n, np.int64)
    if (in_degree > 1).any():
        row = int(np.flatnonzero(in_degree > 1)[0])
        raise InputError(f"profile {ids[row]!r} has {int(in_degree[row])} parents; "
                         "in a tree every profile has at most one")
    roots = np.asarray(inference.roots).reshape(-1).tolist()
    seen_roots: set[int] = set()
    for root in roots:
        if root in seen_roots:
            raise InputError(f"root {ids[root]!r} is listed twice")
        if in_degree[root]:
            raise InputError(f"root {ids[root]!r} is the child of an edge")
        seen_roots.add(root)
    parentless = np.flatnonzero(in_degree == 0)
    if len(parentless) != len(roots):
        row = next(r for r in parentless.tolist() if r not in seen_roots)
        raise InputError(f"profile {ids[row]!r} has no parent but is not listed among the roots")
    child_list = children.tolist()
    out_edges: list[list[int]] = [[] for _ in range(n)]
    for edge, parent in enumerate(parents.tolist()):
        out_edges[parent].append(edge)
    order: list[int] = []
    starts: list[int] = []
    for root in roots:
        starts.append(len(order))
        stack = [root]
        while stack:
            row = stack.pop()
            order.append(row)
            stack.extend(child_list[edge] for edge in reversed(out_edges[row]))
    starts.append(len(order))
    if len(order) != n:
        reached = np.zeros(n, bool)
        reached[order] = True
        row = int(np.flatnonzero(~reached)[0])
        raise InputError(f"the edges form a cycle through profile {ids[row]!r}")
    return ForestWalk(out_edges, order, starts)
