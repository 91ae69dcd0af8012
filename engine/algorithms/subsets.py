"""Parts of a dataset and of a tree: the rows a user picked, as a dataset of their own and as a subtree.

:func:`subset_dataset` keeps some profile rows (and their isolates) as a new :class:`Dataset`, ready to
be stored and inferred on; :func:`induced_subtree` keeps the part of a tree that joins some profile rows,
as a new :class:`Inference` the tree writers accept.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from engine.errors import ParameterError
from engine.forest import walk_forest
from engine.models import (
    RULE_DISTANCE,
    Dataset,
    Inference,
    Isolates,
    Profiles,
    ReadReport,
    first_identical_row,
    internal_ids,
)


def _rows(picked: Iterable[int], size: int, what: str) -> np.ndarray:
    """``picked`` as sorted distinct ``int64`` rows, all in ``0..size-1``; ParameterError otherwise."""
    rows = np.unique(np.fromiter((int(row) for row in picked), dtype=np.int64))
    if len(rows) and (rows[0] < 0 or rows[-1] >= size):
        bad = int(rows[0] if rows[0] < 0 else rows[-1])
        raise ParameterError(f"row {bad} is not a {what} row (there are {size:,})")
    return rows


def subset_dataset(dataset: Dataset, picked: Iterable[int], *, note: str = "") -> Dataset:
    """The profile rows ``picked`` of ``dataset`` and their isolates, as a dataset of their own.

    Parameters
    ----------
    dataset : Dataset
        Any dataset.
    picked : iterable of int
        Profile rows, in any order, repeats allowed.
    note : str, optional
        A sentence the new dataset's read report carries (where it came from).

    Returns
    -------
    Dataset
        The picked rows in their original order, with their ids and alleles; the allele codes are
        numbered again per locus in order of first appearance among the kept rows (0 stays missing),
        so every code names an allele that occurs. The isolates of the kept rows come along in their
        order (isolates without a profile and those of other rows are left out), each linked to its
        row in the new dataset; ``counts`` are the original counts of the kept rows. The report
        counts profiles, loci, missing cells, isolates and identical profiles of the subset.

    Raises
    ------
    ParameterError
        When nothing is picked or a row is outside the dataset.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> dataset = read_dataset(b"ST\\ta\\tb\\n1\\t1\\t5\\n2\\t2\\t5\\n3\\t3\\t6\\n",
    ...                        b"ST\\tcountry\\n1\\tPT\\n3\\tES\\n3\\tFR\\n")
    >>> part = subset_dataset(dataset, [2, 1])
    >>> part.profiles.ids, part.profiles.matrix.tolist(), part.profiles.alleles
    (['2', '3'], [[1, 1], [2, 2]], [['', '2', '3'], ['', '5', '6']])
    >>> part.isolates.rows, part.isolates.profile_rows.tolist(), part.counts.tolist()
    ([['3', 'ES'], ['3', 'FR']], [1, 1], [0, 2])
    """
    profiles = dataset.profiles
    rows = _rows(picked, profiles.size, "profile")
    if not len(rows):
        raise ParameterError("pick at least one profile")
    kept = profiles.matrix[rows]
    matrix = np.zeros_like(kept)
    alleles: list[list[str]] = []
    for locus, names in enumerate(profiles.alleles):
        column = kept[:, locus].astype(np.int64)
        present = column[column > 0]
        _, first = np.unique(present, return_index=True)
        used = present[np.sort(first)]  # the codes that occur, in order of first appearance
        code = np.zeros(len(names), dtype=np.int64)
        code[used] = np.arange(1, len(used) + 1)
        matrix[:, locus] = code[column]
        alleles.append([names[0], *(names[c] for c in used.tolist())])
    subset = Profiles([profiles.ids[row] for row in rows.tolist()], list(profiles.loci), matrix, alleles,
                      profiles.missing_values, profiles.kind)
    isolates = None
    if dataset.isolates is not None:
        links = np.asarray(dataset.isolates.profile_rows, dtype=np.int64)
        new_row = np.full(profiles.size, -1, dtype=np.int64)
        new_row[rows] = np.arange(len(rows))
        picked_isolates = np.flatnonzero((links >= 0) & (new_row[np.maximum(links, 0)] >= 0))
        isolates = Isolates(list(dataset.isolates.columns),
                            [list(dataset.isolates.rows[k]) for k in picked_isolates.tolist()],
                            dataset.isolates.profile_column, new_row[links[picked_isolates]])
    first = first_identical_row(matrix).tolist()
    groups: dict[int, list[str]] = {}
    for row, same in enumerate(first):
        groups.setdefault(same, []).append(subset.ids[row])
    report = ReadReport(
        profiles=subset.size, loci=len(subset.loci), missing_cells=int(np.count_nonzero(matrix == 0)),
        missing_values=subset.missing_values,
        identical_groups=[group for group in groups.values() if len(group) > 1],
        isolates=0 if isolates is None else len(isolates.rows), notes=[note] if note else [])
    return Dataset(subset, isolates, np.asarray(dataset.counts, dtype=np.int64)[rows].copy(), report)


def induced_subtree(inference: Inference, picked: Iterable[int]) -> Inference:
    """The part of a tree that joins the profile rows ``picked``, with only those rows as profiles.

    Parameters
    ----------
    inference : Inference
        A tree or forest (NJ trees and dendrograms included).
    picked : iterable of int
        Profile rows (``0 .. inference.profile_count - 1``), in any order, repeats allowed.

    Returns
    -------
    Inference
        In every tree of the forest that holds picked rows, the smallest subtree joining them (the
        union of the paths between them). A node of that subtree that was not picked is kept only
        where branches meet (three or more edges in the subtree, or two at its top) and becomes an
        internal node (``#1``, ``#2``, ...; no isolates); where a path only passes through it, it is
        left out and its two edges become one whose distance is their sum. The picked rows are the
        profile nodes, in row order, with their ids and counts. An edge keeps its rule unless edges
        were joined into it (then ``distance``). Edges are sorted by distance (ties: the original
        order of their lower edge); roots are the tops of the subtrees in the original root order,
        then the picked rows alone in their tree (singletons), in row order.

    Raises
    ------
    ParameterError
        When nothing is picked or a row is not a profile row.
    InputError
        When the edges are not a forest (see :func:`engine.forest.walk_forest`).

    Examples
    --------
    A chain 1 - 2 - 3 with 4 hanging from 2: picking 1, 3 and 4 keeps 2 as a branch point.

    >>> from engine.io.json import from_json
    >>> tree = from_json({"algorithm": "goeburst", "parameters": {},
    ...     "nodes": [{"id": i, "count": 1} for i in "1234"], "roots": ["1"],
    ...     "edges": [{"from": "1", "to": "2", "distance": 1, "rule": "lv1"},
    ...               {"from": "2", "to": "3", "distance": 2, "rule": "distance"},
    ...               {"from": "2", "to": "4", "distance": 3, "rule": "distance"}]})
    >>> part = induced_subtree(tree, [0, 2, 3])
    >>> part.ids, [(part.ids[p], part.ids[c], d) for p, c, d in zip(part.parents, part.children,
    ...                                                               part.distances.tolist())]
    (['1', '3', '4', '#1'], [('1', '#1', 1), ('#1', '3', 2), ('#1', '4', 3)])
    >>> part = induced_subtree(tree, [0, 2])
    >>> part.ids, part.parents.tolist(), part.children.tolist(), part.distances.tolist()
    (['1', '3'], [0], [1], [3])

    Notes
    -----
    O(nodes + edges): one walk of the forest, then array work.
    """
    n = len(inference.ids)
    rows = _rows(picked, inference.profile_count, "profile")
    if not len(rows):
        raise ParameterError("pick at least one profile")
    walk = walk_forest(inference)
    parents = np.asarray(inference.parents, dtype=np.int64)
    children = np.asarray(inference.children, dtype=np.int64)
    distances = np.asarray(inference.distances)
    parent_edge = np.full(n, -1, dtype=np.int64)
    parent_edge[children] = np.arange(len(children))
    order = np.asarray(walk.order, dtype=np.int64)
    tree_of = np.empty(n, dtype=np.int64)
    tree_of[order] = np.repeat(np.arange(len(walk.starts) - 1), np.diff(walk.starts))
    chosen = np.zeros(n, dtype=bool)
    chosen[rows] = True
    below = chosen.astype(np.int64)  # picked nodes in the subtree of each node
    for node in order[::-1].tolist():
        edge = parent_edge[node]
        if edge >= 0:
            below[parents[edge]] += below[node]
    in_tree = np.bincount(tree_of, weights=chosen, minlength=len(walk.starts) - 1).astype(np.int64)
    # edge (parent -> child) lies on a path between picked nodes: picked nodes on both sides of it
    kept_edge = (below[children] > 0) & (below[children] < in_tree[tree_of[children]])
    degree = np.bincount(np.concatenate([parents[kept_edge], children[kept_edge]]), minlength=n)
    has_parent = np.zeros(n, dtype=bool)
    has_parent[children[kept_edge]] = True
    # kept: picked nodes, and unpicked ones where branches meet
    kept = chosen | (degree >= 3) | ((degree == 2) & ~has_parent)
    branch = np.flatnonzero(kept & ~chosen)
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[rows] = np.arange(len(rows))
    new_id[branch] = len(rows) + np.arange(len(branch))
    # For every kept node with a kept edge above it: its nearest kept ancestor and the summed distance.
    top = np.full(n, -1, dtype=np.int64)  # nearest kept ancestor (or self for kept nodes), in walk order
    length = np.zeros(n, dtype=distances.dtype if len(distances) else np.int64)
    lower_edge = np.full(n, -1, dtype=np.int64)
    new_parents: list[int] = []
    new_children: list[int] = []
    new_lengths: list[float] = []
    new_rules: list[int] = []
    edge_keys: list[int] = []
    rules = np.asarray(inference.rules, dtype=np.int64)
    for node in order.tolist():
        edge = parent_edge[node]
        if edge < 0 or not kept_edge[edge]:
            continue
        parent = parents[edge]
        if kept[parent]:
            start, total, merged, first_edge = parent, distances[edge], False, edge
        else:
            start, total = top[parent], length[parent] + distances[edge]
            merged, first_edge = True, lower_edge[parent]
        if kept[node]:
            new_parents.append(int(new_id[start]))
            new_children.append(int(new_id[node]))
            new_lengths.append(total.item() if hasattr(total, "item") else total)
            new_rules.append(RULE_DISTANCE if merged else int(rules[edge]))
            edge_keys.append(int(first_edge))
        else:
            top[node], length[node], lower_edge[node] = start, total, first_edge
    edge_order = (np.lexsort((np.asarray(edge_keys, dtype=np.int64), np.asarray(new_lengths)))
                  if new_lengths else np.zeros(0, dtype=np.int64))
    count = len(rows) + len(branch)
    out_parents = np.asarray(new_parents, dtype=np.int64)[edge_order]
    out_children = np.asarray(new_children, dtype=np.int64)[edge_order]
    out_distances = np.asarray(new_lengths, dtype=distances.dtype)[edge_order]
    has_parent_new = np.zeros(count, dtype=bool)
    has_parent_new[out_children] = True
    old_of = np.concatenate([rows, branch])
    with_edges = set(out_parents.tolist())
    tops = sorted((k for k in range(count) if not has_parent_new[k] and k in with_edges),
                  key=lambda k: (int(tree_of[old_of[k]]), k))
    singles = [k for k in range(count) if not has_parent_new[k] and k not in with_edges]
    ids = [inference.ids[row] for row in rows.tolist()]
    counts = np.concatenate([np.asarray(inference.counts, dtype=np.int64)[rows],
                             np.zeros(len(branch), dtype=np.int64)])
    return Inference(inference.algorithm, dict(inference.parameters), ids + internal_ids(ids, len(branch)),
                     out_parents, out_children, out_distances,
                     np.asarray(new_rules, dtype=np.int64)[edge_order],
                     np.asarray(tops + singles, dtype=np.int64), counts, internal=len(branch))
