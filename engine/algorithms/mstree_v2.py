"""GrapeTree's MSTreeV2: a minimum spanning arborescence of asymmetric distances, then recrafted.

The steps, each reproducing GrapeTree 3.0.0 (``research/grapetree-methods.md`` section 3):

1. GrapeTree's encoding, row order and merging of identical profiles
   (:mod:`engine.algorithms.grapetree_input`); ``n`` distinct profiles (nodes) remain.
2. Asymmetric distances ``D[s, t]`` (:mod:`engine.algorithms.grapetree_distances`), kept as 2-byte
   difference counts from which any ``D[s, t]`` is recomputed exactly.
3. Harmonic ranks (:mod:`engine.algorithms.grapetree_weights`): ``w_i = float32(rank_i / n)``,
   low = central = preferred parent.
4. Shortcuts: ``cutoff`` = 2, 5, 10 or 20 as ``n`` < 3,000, < 10,000, < 30,000 or more. A node
   ``t`` with parents ``s`` at ``D[s, t] < cutoff + 1`` and ``w_s < w_t`` is attached to the one
   with the smallest float32 ``D[s, t] + w_s`` (equal: smallest index), branch value
   ``floor(D[s, t] + w_s)``. In ascending ``t`` the row of ``s`` becomes the elementwise minimum
   of rows ``s`` and ``t`` (``D'``, chains follow that order), and the targets leave the graph.
5. A minimum spanning arborescence of the retained nodes ``R`` with weights
   ``n * round(D'[s, t]) + rank_s`` (:mod:`engine.algorithms.arborescence`): exactly the order of
   GrapeTree's float32 ``round(D') + w_s``, which its ``edmonds`` program minimises. Each such
   branch carries the value GrapeTree reads back from that program's printout (``int(v) - 1``
   of ``v`` printed with 6 significant digits), which steers the re-sorting in step 6.
6. Branch recrafting on the original ``D`` (:mod:`engine.algorithms.grapetree_recraft`), quirks
   included.
7. Branch lengths become the integer ``len`` of :func:`~engine.algorithms.grapetree_distances.branch_lengths`;
   the root is the source of the first longest branch in the recrafted order, and branches point
   away from it.

Memory: the counts (2 bytes a pair, 800 MB at 20,000 cgMLST profiles; 1 byte up to 255 loci)
and the rounded ``D'`` of the retained nodes (as much a pair of them); no float distance matrix
and no edge list is ever built.
"""

from __future__ import annotations

from collections import deque

import numba
import numpy as np

from engine.algorithms.arborescence import structured_arborescence
from engine.algorithms.grapetree_distances import (
    asymmetric_differences,
    asymmetric_table,
    asymmetric_value,
    branch_lengths,
    counts_dtype,
    table_value,
)
from engine.algorithms.grapetree_input import GrapeTreeProfiles, grapetree_profiles, missing_code
from engine.algorithms.grapetree_recraft import recraft
from engine.algorithms.grapetree_weights import harmonic_means, harmonic_ranks
from engine.models import RULE_DISTANCE, RULE_IDENTICAL, CancelCheck, Dataset, Inference, ProgressCallback
from engine.progress import check_cancel, report

__all__ = ["mstree_v2", "shortcut_cutoff"]

_COLUMN_BLOCK = 64  # columns a shortcut task scans together (row segments stay contiguous)


def shortcut_cutoff(n: int) -> int:
    """GrapeTree's shortcut cutoff for ``n`` distinct profiles: 2, 5, 10 or 20.

    Examples
    --------
    >>> [shortcut_cutoff(n) for n in (2999, 3000, 9999, 10000, 29999, 30000)]
    [2, 5, 5, 10, 10, 20]
    """
    if n < 3000:
        return 2
    if n < 10000:
        return 5
    if n < 30000:
        return 10
    return 20


# --------------------------------------------------------------------------------------------
# kernels


@numba.njit(cache=True, parallel=True)
def _shortcuts(counts, called, loci, scaled, column, table, ranks, weights, cutoff):
    """Best shortcut parent of every node (-1: none) and the branch value floor(D + w_s)."""
    n = counts.shape[0]
    limit = np.float32(cutoff + 1)
    largest = np.empty(n, np.int64)  # largest count whose distance is below the limit, per child
    for t in numba.prange(n):
        k = 0
        while k <= loci and asymmetric_value(k, called[t], loci, scaled) < limit:
            k += 1
        largest[t] = k - 1
    source = np.full(n, -1, np.int64)
    value = np.zeros(n, np.int64)
    blocks = (n + _COLUMN_BLOCK - 1) // _COLUMN_BLOCK
    for b in numba.prange(blocks):
        t0 = b * _COLUMN_BLOCK
        t1 = min(n, t0 + _COLUMN_BLOCK)
        best = np.full(_COLUMN_BLOCK, np.inf, np.float32)
        arg = np.full(_COLUMN_BLOCK, -1, np.int64)
        for s in range(n):
            rank = ranks[s]
            for t in range(t0, t1):
                k = np.int64(counts[s, t])
                if k <= largest[t] and rank < ranks[t]:
                    score = table_value(table, column, called, loci, scaled, k, t) + weights[s]
                    if score < best[t - t0]:
                        best[t - t0] = score
                        arg[t - t0] = s
        for t in range(t0, t1):
            if arg[t - t0] >= 0:
                source[t] = arg[t - t0]
                value[t] = np.int64(best[t - t0])
    return source, value


@numba.njit(cache=True)
def _merged_rows(counts, retained, sources, targets):
    """Rows of D' (as counts, restricted to the retained columns) of every shortcut source.

    Row s becomes min(row s, row t) for each shortcut (s, t) in the given (ascending t) order,
    rows already changed being used as they are. Returns the slot of each node (-1: row
    unchanged) and the rows.
    """
    n = counts.shape[0]
    m = retained.shape[0]
    slot = np.full(n, -1, np.int64)
    used = 0
    for e in range(sources.shape[0]):
        if slot[sources[e]] < 0:
            slot[sources[e]] = used
            used += 1
    rows = np.empty((used, m), counts.dtype)
    filled = np.zeros(used, np.bool_)
    for e in range(sources.shape[0]):
        s = sources[e]
        t = targets[e]
        row = rows[slot[s]]
        if not filled[slot[s]]:
            for b in range(m):
                row[b] = counts[s, retained[b]]
            filled[slot[s]] = True
        if slot[t] >= 0 and filled[slot[t]]:
            other = rows[slot[t]]
            for b in range(m):
                if other[b] < row[b]:
                    row[b] = other[b]
        else:
            for b in range(m):
                x = counts[t, retained[b]]
                if x < row[b]:
                    row[b] = x
    return slot, rows


@numba.njit(cache=True, parallel=True)
def _rounded_transposed(counts, called, loci, scaled, column, table, retained, slot, rows, out):
    """out[b, a] = round(D'[R_a, R_b]) (numpy's round half to even of the float32 distance)."""
    m = retained.shape[0]
    blocks = (m + _COLUMN_BLOCK - 1) // _COLUMN_BLOCK
    for block in numba.prange(blocks):
        b0 = block * _COLUMN_BLOCK
        b1 = min(m, b0 + _COLUMN_BLOCK)
        for a in range(m):
            r = retained[a]
            k_slot = slot[r]
            for b in range(b0, b1):
                if a == b:
                    out[b, a] = 0
                    continue
                k = np.int64(rows[k_slot, b]) if k_slot >= 0 else np.int64(counts[r, retained[b]])
                d = table_value(table, column, called, loci, scaled, k, retained[b])
                out[b, a] = np.int64(np.rint(np.float64(d)))


# --------------------------------------------------------------------------------------------
# helpers


def _edmonds_values(rounded: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The third value GrapeTree keeps for an arborescence branch: ``int(v) - 1``.

    ``v`` is the float32 weight ``round(D') + w_s + 0.999995`` written with ``%.5f``, read back as
    a float32 by the ``edmonds`` program and printed with 6 significant digits (C++ default).
    """
    total = (rounded.astype(np.float32) + weights.astype(np.float32)).astype(np.float32)
    shifted = (total + np.float32(1.0 - 0.000005)).astype(np.float32)
    values = []
    for x in shifted.tolist():
        read = float(np.float32(float(f"{x:.5f}")))
        values.append(int(float(f"{read:g}")) - 1)
    return np.array(values, np.int64)


def _orient(sources: np.ndarray, targets: np.ndarray, root: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Parent of every node of the tree with undirected edges (sources, targets), rooted at ``root``.

    Returns (parent node per edge, child node per edge), in the edges' order.
    """
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(sources.tolist(), targets.tolist(), strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    parent = np.full(n, -1, np.int64)
    parent[root] = root
    queue = deque([root])
    while queue:
        x = queue.popleft()
        for y in neighbours[x]:
            if parent[y] < 0:
                parent[y] = x
                queue.append(y)
    child = np.where(parent[targets] == sources, targets, sources)
    return parent[child], child


def tree_inference(
    dataset: Dataset,
    profiles: GrapeTreeProfiles,
    sources: np.ndarray,
    targets: np.ndarray,
    lengths: np.ndarray,
    root: int,
    algorithm: str,
    missing: str,
) -> Inference:
    """The :class:`Inference` of a GrapeTree spanning tree over the nodes, back on dataset rows.

    Edges: the zero-length edges from each representative to its identical copies (in row
    order), then the tree's edges stably sorted by length, each oriented away from ``root``.
    Roots: the root's row, then the rows left out for having no called locus.
    """
    n = profiles.size
    rows = np.arange(profiles.node_of_row.shape[0])
    node = profiles.node_of_row
    copies = rows[(node >= 0) & (profiles.rows[np.maximum(node, 0)] != rows)] if n else rows[:0]
    if n:
        parent, child = _orient(np.asarray(sources, np.int64), np.asarray(targets, np.int64), root, n)
    else:
        parent = child = np.zeros(0, np.int64)
    order = np.argsort(np.asarray(lengths, np.int64), kind="stable")
    parents = np.concatenate([profiles.rows[node[copies]], profiles.rows[parent[order]]])
    children = np.concatenate([copies, profiles.rows[child[order]]])
    distances = np.concatenate([np.zeros(copies.shape[0], np.int64), np.asarray(lengths, np.int64)[order]])
    rules = np.concatenate([np.full(copies.shape[0], RULE_IDENTICAL, np.int64),
                            np.full(order.shape[0], RULE_DISTANCE, np.int64)])
    roots = np.concatenate([profiles.rows[[root]] if n else np.zeros(0, np.int64), profiles.dropped])
    return Inference(
        algorithm=algorithm,
        parameters={"missing": missing},
        ids=list(dataset.profiles.ids),
        parents=parents.astype(np.int64),
        children=children.astype(np.int64),
        distances=distances.astype(np.int64),
        rules=rules,
        roots=roots.astype(np.int64),
        counts=np.asarray(dataset.counts, np.int64),
    )


def first_longest_source(sources: np.ndarray, lengths: np.ndarray) -> int:
    """GrapeTree's root: the source of the first branch with the largest length (0 if none)."""
    if lengths.shape[0] == 0:
        return 0
    return int(sources[int(np.argmax(lengths))])


# --------------------------------------------------------------------------------------------
# the method


def mstree_v2(
    dataset: Dataset,
    *,
    missing: str = "pair-delete",
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Inference:
    """GrapeTree's MSTreeV2 tree of a dataset, edge for edge.

    Parameters
    ----------
    dataset : Dataset
        Profiles (missing cells coded 0 by the reader) and their isolate counts (recorded on the
        result, not used: GrapeTree weighs a profile by its number of identical rows).
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}, default "pair-delete"
        GrapeTree's ``-y 0`` (default: distances rescaled by the child's called loci), ``-y 1``
        (loci with any missing cell left out), ``-y 2`` (missing counts as an allele in the final
        lengths only) and ``-y 3`` (unscaled counts).
    progress, cancel : callable, optional
        ``progress(fraction)`` is called as the run advances; when ``cancel()`` returns True the
        run stops with :class:`~engine.errors.CancelledError`.

    Returns
    -------
    Inference
        ``algorithm="mstree-v2"``. One tree over the distinct profiles, edges oriented away from
        GrapeTree's root, lengths GrapeTree's integer branch lengths (``RULE_DISTANCE``); before
        them a zero-length ``RULE_IDENTICAL`` edge from each group's first row to each identical
        copy. ``roots`` = [root row] plus every row without any called locus (singletons).

    Raises
    ------
    ParameterError
        For an unknown missing-data mode.
    CancelledError
        When ``cancel()`` returned True.

    Notes
    -----
    O(n^2 L) time for the distances (each unordered pair once, on all cores), O(n^2) for the
    harmonic sums, shortcuts and arborescence; O(n^2) memory at 2 bytes a pair (1 up to 255 loci)
    plus as much a pair of retained nodes, and O(n) per contracted super-vertex alive at once in
    the arborescence.

    Where GrapeTree's float32 arithmetic loses information, this follows the exact value: its
    ``edmonds`` program receives ``round(D') + w_s`` as float32 written with 5 decimals, so once
    ``1 / n`` falls below that resolution (cgMLST distances of a few thousand and ``n`` of a few
    thousand and more, or ``n`` above 100,000) two candidate parents of a node can tie there and
    the program's own order decides, whereas ``n * round(D') + rank`` never ties. Exact ties
    between whole arborescences, too, may be resolved differently. Neither occurs in GrapeTree's
    reference outputs (research/grapetree-methods.md section 8).

    Examples
    --------
    The example of ``research/grapetree-methods.md``'s notation, worked by hand: "b" and "c" are
    one locus from "a"; "a" has the lowest harmonic mean, so it is the parent of both:

    >>> from engine.io.datasets import read_dataset
    >>> data = read_dataset(b"ST\\tx\\ty\\na\\t1\\t1\\nb\\t2\\t1\\nc\\t1\\t2\\n")
    >>> [(e.parent, e.child, e.distance) for e in mstree_v2(data).edges()]
    [('a', 'b', 1), ('a', 'c', 1)]
    """
    mode = missing_code(missing)
    report(progress, 0.0)
    profiles = grapetree_profiles(dataset, missing)
    codes = profiles.codes
    n, loci = codes.shape
    if n < 2:
        report(progress, 1.0)
        return tree_inference(dataset, profiles, np.zeros(0, np.int64), np.zeros(0, np.int64),
                              np.zeros(0, np.int64), 0, "mstree-v2", missing)
    scaled = mode != 3
    counts, called = asymmetric_differences(
        codes, progress=lambda f: report(progress, 0.02 + 0.6 * f), cancel=cancel)
    means = harmonic_means(counts, called, loci, scaled,
                           progress=lambda f: report(progress, 0.62 + 0.08 * f), cancel=cancel)
    ranks = harmonic_ranks(means, profiles.sizes)
    weights = (ranks / n).astype(np.float32)
    check_cancel(cancel)
    column, table = asymmetric_table(called, loci, scaled)
    source, value = _shortcuts(counts, called, loci, scaled, column, table, ranks, weights,
                               shortcut_cutoff(n))
    report(progress, 0.75)
    short_targets = np.flatnonzero(source >= 0)
    short_sources = source[short_targets]
    retained = np.flatnonzero(source < 0)
    arb_sources = arb_targets = arb_values = np.zeros(0, np.int64)
    if retained.shape[0] > 1:
        check_cancel(cancel)
        slot, rows = _merged_rows(counts, retained, short_sources, short_targets)
        m = retained.shape[0]
        rounded_t = np.empty((m, m), counts_dtype(loci))  # round(D') <= L
        _rounded_transposed(counts, called, loci, scaled, column, table, retained, slot, rows, rounded_t)
        del rows
        report(progress, 0.8)
        parent = structured_arborescence(rounded_t, n, ranks[retained],
                                         progress=lambda f: report(progress, 0.8 + 0.12 * f), cancel=cancel)
        children = np.flatnonzero(parent >= 0)
        arb_sources, arb_targets = retained[parent[children]], retained[children]
        arb_values = _edmonds_values(rounded_t[children, parent[children]], weights[arb_sources])
        del rounded_t
    check_cancel(cancel)
    sources, targets = recraft(
        counts, called, loci, scaled, ranks,
        np.concatenate([arb_sources, short_sources]),
        np.concatenate([arb_targets, short_targets]),
        np.concatenate([arb_values, value[short_targets]]),
        loci,
    )
    report(progress, 0.96)
    lengths = branch_lengths(codes, sources, targets, missing)
    root = first_longest_source(sources, lengths)
    result = tree_inference(dataset, profiles, sources, targets, lengths, root, "mstree-v2", missing)
    report(progress, 1.0)
    return result
