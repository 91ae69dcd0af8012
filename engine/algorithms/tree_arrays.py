"""A tree with internal nodes as parallel arrays, its Newick text and its splits.

:class:`RootedTree` holds neighbour-joining trees (an unrooted tree drawn from a root
multifurcation, as GrapeTree writes it) and dendrograms (a rooted binary tree whose branch lengths
are differences of merge heights). Node numbering:

- leaves are nodes ``0 .. leaves - 1``; leaf ``v`` is dataset row ``leaf_rows[v]`` and
  ``leaf_rows`` ascends, so leaves are in dataset row order;
- internal nodes follow, numbered so that every node's parent has a larger number: the root is the
  last node, and ascending node order is a post-order.

``length[v]`` is the length of the edge above ``v`` (float64; 0 at the root). Identical profiles
are separate leaves under one internal node, each at length 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.errors import ParameterError

#: Characters that make a Newick label need quotes.
_NEWICK_SPECIAL = set(" \t\n\r()[]':;,")


@dataclass(frozen=True)
class RootedTree:
    """A rooted tree over dataset rows (module docstring for the numbering).

    Attributes
    ----------
    leaf_rows : numpy.ndarray
        ``(leaves,)`` int64, ascending: the dataset row of each leaf node.
    parent : numpy.ndarray
        ``(nodes,)`` int64: parent of each node, -1 at the root (the last node).
    length : numpy.ndarray
        ``(nodes,)`` float64: length of the edge above each node, 0 at the root.
    algorithm : str
        Name of the method that made the tree.
    parameters : dict
        Its parameters.
    """

    leaf_rows: np.ndarray
    parent: np.ndarray
    length: np.ndarray
    algorithm: str = ""
    parameters: dict[str, object] = field(default_factory=dict)

    @property
    def leaves(self) -> int:
        """Number of leaves."""
        return int(self.leaf_rows.shape[0])

    @property
    def nodes(self) -> int:
        """Number of nodes, leaves included."""
        return int(self.parent.shape[0])

    @property
    def root(self) -> int:
        """The root node (the last one)."""
        return self.nodes - 1

    def children(self) -> tuple[np.ndarray, np.ndarray]:
        """Children of every node in CSR form: those of ``v`` are ``kids[offsets[v]:offsets[v + 1]]``.

        Children are listed in ascending node order.
        """
        nodes = self.nodes
        has_parent = self.parent >= 0
        kids = np.flatnonzero(has_parent)
        order = np.argsort(self.parent[kids], kind="stable")
        kids = kids[order]
        counts = np.bincount(self.parent[has_parent], minlength=nodes)
        offsets = np.zeros(nodes + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        return offsets, kids.astype(np.int64)

    def heights(self) -> np.ndarray:
        """Distance of every node from the root (float64)."""
        depth = np.zeros(self.nodes, np.float64)
        for v in range(self.nodes - 2, -1, -1):
            depth[v] = depth[self.parent[v]] + self.length[v]
        return depth

    def leaf_sets(self) -> list[np.ndarray]:
        """For every node, the dataset rows of the leaves below it (ascending)."""
        below: list[list[int]] = [[] for _ in range(self.nodes)]
        for v in range(self.leaves):
            below[v].append(int(self.leaf_rows[v]))
        for v in range(self.nodes - 1):
            below[int(self.parent[v])].extend(below[v])
        return [np.sort(np.array(rows, np.int64)) for rows in below]


def validate(tree: RootedTree) -> None:
    """Check the numbering rules of the module docstring; raises ParameterError naming the fault."""
    nodes = tree.nodes
    if nodes == 0:
        raise ParameterError("a tree needs at least one node")
    if tree.length.shape != (nodes,):
        raise ParameterError(f"length has shape {tree.length.shape}, expected ({nodes},)")
    if tree.leaves > nodes or tree.leaves == 0:
        raise ParameterError(f"{tree.leaves} leaves for {nodes} nodes")
    if np.any(np.diff(tree.leaf_rows) <= 0):
        raise ParameterError("leaf_rows must be strictly ascending")
    if tree.parent[-1] != -1 or np.any(tree.parent[:-1] < 0):
        raise ParameterError("the last node, and only it, must be the root (parent -1)")
    if np.any(tree.parent[:-1] <= np.arange(nodes - 1)):
        bad = int(np.flatnonzero(tree.parent[:-1] <= np.arange(nodes - 1))[0])
        raise ParameterError(f"node {bad} has parent {int(tree.parent[bad])}; parents must be larger")
    counts = np.bincount(tree.parent[:-1], minlength=nodes)
    if np.any(counts[: tree.leaves] > 0):
        raise ParameterError("a leaf has children")
    if nodes > 1 and np.any(counts[tree.leaves:] == 0):
        raise ParameterError("an internal node has no children")


def from_children(
    leaf_rows: Sequence[int] | np.ndarray,
    children: Sequence[Sequence[int]],
    lengths: Sequence[float] | np.ndarray,
    root: int,
    *,
    algorithm: str = "",
    parameters: dict[str, object] | None = None,
) -> RootedTree:
    """Build a :class:`RootedTree` from any numbering of nodes given as child lists.

    Parameters
    ----------
    leaf_rows : sequence of int
        Dataset row of each leaf; leaves are the nodes without children. ``leaf_rows[v]`` is read
        for every leaf node ``v`` (other entries are ignored, use -1).
    children : sequence of sequences of int
        Children of every node (any order).
    lengths : sequence of float
        Length of the edge above every node (the root's is ignored).
    root : int
        The root node.

    Returns
    -------
    RootedTree
        Renumbered: leaves by ascending row, internal nodes in post-order (children in the given
        order, the root last).
    """
    count = len(children)
    order: list[int] = []
    stack: list[tuple[int, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        stack.append((node, True))
        for child in reversed(children[node]):
            stack.append((child, False))
    if len(order) != count:
        raise ParameterError(f"{count} nodes given but {len(order)} are reachable from the root")
    rows = np.asarray(leaf_rows, np.int64)
    leaf_nodes = [v for v in order if not children[v]]
    leaf_nodes.sort(key=lambda v: int(rows[v]))
    inner = [v for v in order if children[v]]
    number = np.empty(count, np.int64)
    number[leaf_nodes] = np.arange(len(leaf_nodes))
    number[inner] = np.arange(len(leaf_nodes), count)
    parent = np.full(count, -1, np.int64)
    length = np.zeros(count, np.float64)
    source_lengths = np.asarray(lengths, np.float64)
    for v in range(count):
        for child in children[v]:
            parent[number[child]] = number[v]
            length[number[child]] = source_lengths[child]
    tree = RootedTree(rows[leaf_nodes], parent, length, algorithm, dict(parameters or {}))
    validate(tree)
    return tree


def _label(text: str) -> str:
    if text and not (_NEWICK_SPECIAL & set(text)):
        return text
    return "'" + text.replace("'", "''") + "'"


def to_newick(tree: RootedTree, labels: Sequence[str] | None = None) -> str:
    """The tree as a Newick string (``;`` at the end, no newline).

    Parameters
    ----------
    tree : RootedTree
        The tree.
    labels : sequence of str, optional
        Label of every dataset row (``Profiles.ids``); default: the row numbers.

    Returns
    -------
    str
        Leaves carry labels, internal nodes none; every node but the root has ``:length`` written
        with ``%0.6g`` (as GrapeTree does). Labels holding blanks or any of ``()[]':;,`` are put in
        single quotes, a quote doubled. Children are written by ascending smallest leaf row.

    Examples
    --------
    >>> tree = from_children([0, 1, 2, -1], [[], [], [], [1, 0, 2]], [0.5, 1.25, 2.0, 0.0], 3)
    >>> to_newick(tree, ["a", "b c", "d"])
    "(a:0.5,'b c':1.25,d:2);"
    """
    offsets, kids = tree.children()
    first = np.full(tree.nodes, np.iinfo(np.int64).max, np.int64)
    first[: tree.leaves] = tree.leaf_rows
    for v in range(tree.nodes - 1):
        p = int(tree.parent[v])
        first[p] = min(first[p], first[v])
    parts: list[str] = []
    stack: list[tuple[bool, int | str]] = [(True, tree.root)]
    while stack:
        is_node, item = stack.pop()
        if not is_node:
            parts.append(str(item))
            continue
        node = int(item)
        children = kids[offsets[node]:offsets[node + 1]]
        if children.size:
            suffix = ")"
        else:
            row = int(tree.leaf_rows[node])
            suffix = _label(labels[row] if labels is not None else str(row))
        if node != tree.root:
            suffix += f":{tree.length[node]:.6g}"
        if not children.size:
            parts.append(suffix)
            continue
        parts.append("(")
        stack.append((False, suffix))
        ordered = children[np.argsort(first[children], kind="stable")]
        for index in range(len(ordered) - 1, -1, -1):
            stack.append((True, int(ordered[index])))
            if index:
                stack.append((False, ","))
    return "".join(parts) + ";"


def splits(tree: RootedTree) -> dict[frozenset[int], float]:
    """Every edge as a split of the leaf rows, with its length.

    Parameters
    ----------
    tree : RootedTree
        The tree, read as unrooted: the edges of a root with two children are one edge.

    Returns
    -------
    dict
        ``frozenset`` of the dataset rows on the side of the edge that does not hold the smallest
        leaf row -> summed length of the edges that make that split (two at a bifurcating root,
        or a chain through a node with one child). Leaf edges are included.

    Examples
    --------
    >>> tree = from_children([0, 1, 2, 3, -1, -1], [[], [], [], [], [0, 1], [4, 2, 3]],
    ...                      [1.0, 2.0, 3.0, 4.0, 0.5, 0.0], 5)
    >>> sorted((sorted(s), v) for s, v in splits(tree).items())
    [([1], 2.0), ([1, 2, 3], 1.0), ([2], 3.0), ([2, 3], 0.5), ([3], 4.0)]
    """
    result: dict[frozenset[int], float] = {}
    all_rows = frozenset(int(r) for r in tree.leaf_rows)
    smallest = int(tree.leaf_rows.min())
    for v, rows in enumerate(tree.leaf_sets()[:-1]):
        side = frozenset(int(r) for r in rows)
        if smallest in side:
            side = all_rows - side
        if not side:
            continue
        result[side] = result.get(side, 0.0) + float(tree.length[v])
    return result


def nontrivial(split_map: dict[frozenset[int], float], leaves: int,
               *, min_length: float | None = None) -> set[frozenset[int]]:
    """The splits with 2 .. leaves - 2 rows on each side (only those longer than ``min_length``, if given)."""
    return {
        side for side, value in split_map.items()
        if 2 <= len(side) <= leaves - 2 and (min_length is None or abs(value) > min_length)
    }


def robinson_foulds(a: RootedTree, b: RootedTree, *, min_length: float | None = None) -> int:
    """Robinson-Foulds distance: non-trivial splits in one tree and not the other.

    With ``min_length`` only splits whose length exceeds it (in absolute value) are compared, so
    zero-length edges, which only resolve ties, can be left out (``min_length=0``).
    """
    if set(a.leaf_rows.tolist()) != set(b.leaf_rows.tolist()):
        raise ParameterError("the two trees have different leaves")
    sa = nontrivial(splits(a), a.leaves, min_length=min_length)
    sb = nontrivial(splits(b), b.leaves, min_length=min_length)
    return len(sa ^ sb)
