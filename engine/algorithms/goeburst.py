"""goeBURST: PhyloDB's locus-variant forest (``goeburst``) and PHYLOViZ 2's full MST (``goeburst-full``).

Both are minimum spanning forests under a strict total order of edges
(``../shared/spec/algorithms.md`` sections 2 and 3, ``../shared/reference/README.md``):

1. smaller distance first;
2. for k = 1..K: larger max(LV_k) of the two endpoints first, then larger min(LV_k);
3. larger max(freq) first, then larger min(freq);
4. a final id rule: PhyloDB's (smaller lower row index, then smaller larger id in length-then-
   characters order) or PHYLOViZ's (smaller "smaller id", then smaller "larger id", compared as
   plain strings).

Because the order is strict, the forest is unique; we grow it with Prim's algorithm over a heap
keyed by that order, computing distances on the fly (or from a distance matrix when it fits in
memory), so memory stays O(n) at 100,000 profiles. The kept edges are then sorted in the same
order (the order Kruskal would keep them) and oriented from each tree's root. This module checks
the input and builds the result; the numba kernels are in :mod:`engine.algorithms.goeburst_kernels`.

Identical profiles (distance 0) are one node: its representative is the first row, its
frequency the sum of its rows', and the other rows hang from it by distance-0 edges. Under the
``ignore`` missing-data mode two *different* profiles can also be 0 apart (they differ only where
one of them is missing); they stay two nodes, and such a pair is a candidate edge of distance 0,
taken before any other, so a full MST still spans every profile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numba
import numpy as np

from engine.algorithms import blocks
from engine.algorithms.distances import MODE_CODES, mode_code
from engine.algorithms.goeburst_kernels import (
    TIEBREAK_PHYLODB,
    TIEBREAK_PHYLOVIZ,
    BestEdges,
    Candidates,
    EdgeHeap,
    EdgeOrder,
    KeptEdges,
    PairDistances,
    PrimOptions,
    PrimState,
    argsort_edges,
    candidate_degrees,
    candidate_lists,
    cover,
    distance_dtype,
    level_counts_block,
    mirror_and_count,
    node_ranks,
    orient,
    prim_steps,
    upper_distances,
    upper_rows,
)
from engine.algorithms.lv_subsets import SUBSET_MAX_LOCI, subset_level_counts
from engine.errors import ParameterError
from engine.models import (
    RULE_DISTANCE,
    RULE_FREQUENCY,
    RULE_ID,
    RULE_IDENTICAL,
    CancelCheck,
    Dataset,
    Inference,
    ProgressCallback,
    first_identical_row,
)
from engine.progress import check_cancel, report

#: Largest distance matrix kept in memory; above it distances are computed on the fly.
DISTANCE_MATRIX_LIMIT_BYTES = 1 << 30
_PRIM_STEPS = 2048  # tree nodes added between progress reports
#: Largest mean number of candidate edges per node for which Prim keeps per-node candidate lists.
_SPARSE_MAX_DEGREE = 256
#: Locus comparisons per Prim step above which the step runs on all cores.
_PARALLEL_RELAX_WORK = 200_000
#: Without a matrix, from this many loci on profiles are compared a pair at a time and Prim is
#: spared the pairs that a cover of ``_BALLS_PER_ROOT`` sqrt(n) balls proves too far apart; below
#: it, a locus at a time across all profiles (a bound would cost what the comparison does).
_COVER_MIN_LOCI = 64
_BALLS_PER_ROOT = 2.0
#: The LV pass stops comparing two profiles once they are more than ``levels`` apart when
#: ``levels`` is at most this fraction of the loci (a larger bound is rarely passed early enough).
_BOUNDED_LEVELS_FRACTION = 1 / 16
# The numba kernels and their named state live in goeburst_kernels.py; the final tie-break rules
# (TIEBREAK_PHYLODB, TIEBREAK_PHYLOVIZ) are imported from there and are part of this module's API.


def merge_identical(matrix: np.ndarray, missing: str) -> tuple[np.ndarray, np.ndarray]:
    """Group rows at distance 0 from each other into nodes.

    Parameters
    ----------
    matrix : numpy.ndarray
        ``(n, loci)`` allele codes, 0 = missing.
    missing : {"difference", "ignore", "allele"}
        Under ``difference`` a row with a missing value is never identical to another row (a
        missing locus always counts as a difference); otherwise rows with equal codes are
        identical.

    Returns
    -------
    representatives : numpy.ndarray
        Row index of each node's representative (its first row), ascending.
    node_of_row : numpy.ndarray
        For every row, the index of its node in ``representatives``.

    Examples
    --------
    >>> reps, node = merge_identical(np.array([[1, 2], [1, 1], [1, 2]], np.uint16), "difference")
    >>> reps.tolist(), node.tolist()
    ([0, 1], [0, 1, 0])
    """
    group_first = first_identical_row(matrix)
    if missing == "difference":
        has_missing = (matrix == 0).any(axis=1)
        group_first = np.where(has_missing, np.arange(matrix.shape[0]), group_first)
    representatives = np.unique(group_first)
    node_of_row = np.searchsorted(representatives, group_first)
    return representatives.astype(np.int64), node_of_row.astype(np.int64)


def id_ranks(ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each id in length-then-characters order and in plain string order (the id rules' keys)."""
    by_length = sorted(range(len(ids)), key=lambda i: (len(ids[i]), ids[i]))
    by_string = sorted(range(len(ids)), key=lambda i: ids[i])
    rank_lc = np.empty(len(ids), np.int64)
    rank_lex = np.empty(len(ids), np.int64)
    rank_lc[by_length] = np.arange(len(ids))
    rank_lex[by_string] = np.arange(len(ids))
    return rank_lc, rank_lex


def _columns(matrix: np.ndarray, keep_matrix: bool) -> np.ndarray | None:
    """The transposed node matrix when profiles are compared a locus at a time (few loci, no matrix)."""
    if keep_matrix or matrix.shape[1] >= _COVER_MIN_LOCI:
        return None
    return np.ascontiguousarray(matrix.T)


def _distance_pass(matrix, mode, levels, keep_matrix, progress, cancel, share):
    """LV counts ``lv[node, k]`` for k in 1..levels, and the square distance matrix when kept.

    Without a matrix, schemes of at most ``SUBSET_MAX_LOCI`` loci are counted by grouping the
    profiles on every set of loci (:func:`subset_level_counts`; not under ``ignore``). Otherwise
    the pass walks the balanced row pairs, in this process or, when the current block executor
    (:mod:`engine.algorithms.blocks`) splits it, in blocks (:func:`distance_slabs`, :func:`level_counts`)
    whose partial results are added up: the same arrays either way.
    """
    n, loci = matrix.shape
    if not keep_matrix and loci <= SUBSET_MAX_LOCI and mode != MODE_CODES["ignore"]:
        check_cancel(cancel)
        lv = subset_level_counts(matrix, mode == MODE_CODES["allele"], levels)
        report(progress, share)
        return lv, np.zeros((1, 1), np.uint8)
    pairs = (n + 1) // 2
    executor = blocks.current()
    split = executor.split(pairs, n * (n - 1) // 2 * loci)
    hooks = {"progress": lambda fraction: report(progress, share * fraction), "cancel": cancel}
    if keep_matrix:
        dist = np.zeros((n, n), _matrix_dtype(loci))
        if split is None:
            _in_chunks(pairs, n * loci, lambda first, last: upper_distances(
                matrix, mode, first, last, *upper_rows(dist, first, last)), **hooks)
        else:
            executor.run(distance_slabs, (matrix, mode), split, partial(_add_slabs, dist), **hooks)
        lv = np.zeros((n, levels + 1), np.int64)
        mirror_and_count(dist, levels, lv)
        return lv, dist
    if split is None:
        local, scratch, bound, columns = _level_buffers(matrix, levels)
        _in_chunks(pairs, n * loci, lambda first, last: level_counts_block(
            matrix, mode, levels, bound, first, last, local, scratch, columns), **hooks)
        return local.sum(axis=0, dtype=np.int64), np.zeros((1, 1), np.uint8)
    lv = np.zeros((n, levels + 1), np.int64)
    executor.run(level_counts, (matrix, mode, levels), split, partial(_add_counts, lv), **hooks)
    return lv, np.zeros((1, 1), np.uint8)


def _in_chunks(pairs: int, row_work: int, compute: Callable[[int, int], object], *,
               progress: ProgressCallback, cancel: CancelCheck | None) -> None:
    """``compute(first, last)`` over the balanced pairs in chunks of about 2**26 locus comparisons,
    with ``progress(fraction)`` and the cancel check between them."""
    chunk = max(1, (1 << 26) // max(1, row_work))
    for first in range(0, pairs, chunk):
        check_cancel(cancel)
        last = min(pairs, first + chunk)
        compute(first, last)
        progress(last / max(pairs, 1))


def _matrix_dtype(loci: int) -> type:
    """The distance matrix's type: uint8 below 256 loci, else uint16."""
    return np.uint8 if loci < 256 else np.uint16


def _level_buffers(matrix: np.ndarray, levels: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """What :func:`level_counts_block` adds into and works in: each thread's counts and row of
    distances, the bound past which a comparison stops, and the transposed matrix (or none)."""
    n, loci = matrix.shape
    threads = numba.get_num_threads()
    local = np.zeros((threads, n, levels + 1), np.int32)
    scratch = np.zeros((threads, n), distance_dtype(loci))
    bound = levels if levels <= loci * _BOUNDED_LEVELS_FRACTION else loci
    columns = _columns(matrix, False)
    return local, scratch, bound, np.zeros((0, 0), matrix.dtype) if columns is None else columns


def distance_slabs(matrix: np.ndarray, mode: int, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """One block of the distance matrix: the upper-triangle distances of the balanced row pairs
    [first, last), as the ``top`` and ``bottom`` slabs of :func:`upper_distances` (zero elsewhere).

    Examples
    --------
    >>> top, bottom = distance_slabs(np.array([[1, 1], [1, 2], [2, 2]], np.uint16), 0, 0, 1)
    >>> top.tolist(), bottom.tolist()
    ([[0, 1, 2]], [[0]])
    """
    n, loci = matrix.shape
    top = np.zeros((last - first, n - first), _matrix_dtype(loci))
    bottom = np.zeros((last - first, last), _matrix_dtype(loci))
    upper_distances(matrix, mode, first, last, top, bottom)
    return top, bottom


def _add_slabs(dist: np.ndarray, block: tuple[int, int], slabs: tuple[np.ndarray, np.ndarray]) -> None:
    """Add the slabs of :func:`distance_slabs` into the square matrix (each entry is set by one block)."""
    top, bottom = upper_rows(dist, *block)
    top += slabs[0]
    bottom += slabs[1]


def level_counts(matrix: np.ndarray, mode: int, levels: int, first: int, last: int) -> np.ndarray:
    """One block of the LV counts: ``(n, levels + 1)`` int32, the pairs of rows at distance k (1..levels)
    found from the balanced row pairs [first, last), counted at both rows.

    Examples
    --------
    >>> level_counts(np.array([[1, 1], [1, 2], [2, 2]], np.uint16), 0, 2, 0, 2).tolist()
    [[0, 1, 1], [0, 2, 0], [0, 1, 1]]
    """
    local, scratch, bound, columns = _level_buffers(matrix, levels)
    level_counts_block(matrix, mode, levels, bound, first, last, local, scratch, columns)
    return local.sum(axis=0, dtype=np.int32)


def _add_counts(lv: np.ndarray, block: tuple[int, int], counts: np.ndarray) -> None:
    """Add the LV counts of one block (:func:`level_counts`)."""
    lv += counts


def _candidate_csr(dist: np.ndarray, max_distance: int, loci: int) -> Candidates:
    """Each node's candidate neighbours (distance <= max_distance) in CSR form, when that is sparse.

    Prim then visits only the candidates of each new tree node instead of every outside node.
    When candidates average more than ``_SPARSE_MAX_DEGREE`` a node (a full MST, or lvs close to
    the number of loci), no lists: scanning the matrix rows is then as cheap.
    """
    if max_distance >= loci:  # every pair is a candidate
        return Candidates.every_node()
    degrees = candidate_degrees(dist, max_distance)
    if degrees.sum() > _SPARSE_MAX_DEGREE * dist.shape[0]:
        return Candidates.every_node()
    offsets = np.zeros(dist.shape[0] + 1, np.int64)
    np.cumsum(degrees, out=offsets[1:])
    return Candidates(offsets, candidate_lists(dist, max_distance, offsets))


def _cover(matrix: np.ndarray, mode: int, keep_matrix: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cover of balls whose bounds Prim skips pairs by (:func:`cover`), or none.

    None with a distance matrix (nothing left to save), under ``ignore`` (no triangle inequality)
    and for schemes of fewer than ``_COVER_MIN_LOCI`` loci. About ``_BALLS_PER_ROOT`` sqrt(n)
    balls: building them costs that many rows of distances, a few per cent of all pairs.
    """
    n, loci = matrix.shape
    dtype = distance_dtype(loci)
    if keep_matrix or mode == MODE_CODES["ignore"] or loci < _COVER_MIN_LOCI or n == 0:
        return np.zeros(1, np.int64), np.zeros(1, dtype), np.zeros((0, 0), dtype)
    return cover(matrix, mode, min(n, max(1, round(_BALLS_PER_ROOT * n**0.5))))


def _spanning_forest(
    matrix, mode, max_distance, levels, freq, tiebreak, ids, progress, cancel
) -> tuple[KeptEdges, EdgeOrder]:
    """Prim over the nodes: the kept edges in the order they were added, and the edge order."""
    n = matrix.shape[0]
    itemsize = np.dtype(_matrix_dtype(matrix.shape[1])).itemsize
    keep_matrix = n > 1 and n * n * itemsize <= DISTANCE_MATRIX_LIMIT_BYTES
    lv, dist = _distance_pass(matrix, mode, levels, keep_matrix, progress, cancel, 0.4)
    order = edge_order(lv, freq, ids, levels, tiebreak)
    pairs = PairDistances(matrix, mode, dist, keep_matrix, max_distance, *_cover(matrix, mode, keep_matrix))
    if keep_matrix:
        candidates = _candidate_csr(dist, max_distance, matrix.shape[1])
    else:
        candidates = Candidates.every_node()
    options = PrimOptions(_PRIM_STEPS, 4 * numba.get_num_threads(), _PARALLEL_RELAX_WORK)
    state = PrimState.start_empty(n, matrix.shape[1], _columns(matrix, keep_matrix))
    best = BestEdges.unset(n)
    heap = EdgeHeap.empty(max(16, 2 * n))
    edges = KeptEdges.empty(max(n - 1, 0))
    while state.added < n:
        check_cancel(cancel)
        state, heap = prim_steps(pairs, candidates, order, options, state, best, heap, edges)
        report(progress, 0.4 + 0.55 * state.added / n)
    return KeptEdges(*(column[: state.kept] for column in edges)), order


def _rule_codes(magnitudes: np.ndarray, levels: int) -> np.ndarray:
    """Comparator magnitudes (1 distance, 1 + k LV k, levels + 2 frequency, levels + 3 id) to rule codes."""
    codes = magnitudes - 1
    codes[magnitudes == levels + 2] = RULE_FREQUENCY
    codes[magnitudes == levels + 3] = RULE_ID
    codes[magnitudes == 1] = RULE_DISTANCE
    return codes


@dataclass(frozen=True)
class NodeForest:
    """A goeBURST forest over nodes (distinct profiles), before it becomes an :class:`Inference`.

    Attributes
    ----------
    representatives, node_of_row : numpy.ndarray
        As :func:`merge_identical` returns them.
    freq : numpy.ndarray
        ``(nodes,)`` int64 frequency of each node (the sum of its rows' counts).
    order : EdgeOrder
        The edge order the forest was grown under (its LV counts, frequencies and id ranks).
    edges : KeptEdges
        The forest's edges over node indices in the order Prim took them, each with the rule that
        decided it and the runner-up it beat.
    """

    representatives: np.ndarray
    node_of_row: np.ndarray
    freq: np.ndarray
    order: EdgeOrder
    edges: KeptEdges


def node_ids_and_freq(dataset: Dataset, representatives: np.ndarray,
                      node_of_row: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The id (its representative's) and frequency (its rows' summed counts) of every node."""
    counts = np.asarray(dataset.counts, dtype=np.int64)
    ids = [dataset.profiles.ids[r] for r in representatives.tolist()]
    freq = np.bincount(node_of_row, weights=counts, minlength=representatives.shape[0]).astype(np.int64)
    return ids, freq


def edge_order(lv: np.ndarray, freq: np.ndarray, ids: list[str], levels: int, tiebreak: int) -> EdgeOrder:
    """The goeBURST :class:`EdgeOrder` of nodes with LV counts ``lv``, frequencies and ids."""
    rank_lc, rank_lex = id_ranks(ids)
    return EdgeOrder(lv, freq, rank_lc, rank_lex, node_ranks(lv, freq, levels), levels, tiebreak)


def node_forest(
    dataset: Dataset,
    *,
    max_distance: int,
    levels: int,
    tiebreak: int,
    missing: str = "difference",
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> NodeForest:
    """The goeBURST forest over the distinct profiles of a dataset (the first half of :func:`infer`).

    Parameters are those of :func:`infer`; ``levels`` is clamped to 1..loci. Progress runs from 0
    to 0.95.
    """
    mode = mode_code(missing)
    profiles = dataset.profiles
    representatives, node_of_row = merge_identical(profiles.matrix, missing)
    node_matrix = np.ascontiguousarray(profiles.matrix[representatives])
    node_ids, freq = node_ids_and_freq(dataset, representatives, node_of_row)
    levels = max(1, min(levels, profiles.matrix.shape[1]))
    report(progress, 0.0)
    edges, order = _spanning_forest(
        node_matrix, mode, max_distance, levels, freq, tiebreak, node_ids, progress, cancel
    )
    return NodeForest(representatives, node_of_row, freq, order, edges)


def assemble(
    dataset: Dataset,
    representatives: np.ndarray,
    node_of_row: np.ndarray,
    edges: KeptEdges,
    order: EdgeOrder,
    *,
    algorithm: str,
    parameters: dict[str, object] | None = None,
) -> Inference:
    """The :class:`Inference` of a forest over nodes (the second half of :func:`infer`).

    Sorts the edges into goeBURST (Kruskal) order, orients them from each tree's root, and adds
    the distance-0 edges from each representative to its identical rows. The result depends on
    the edge *set* only, not on the order ``edges`` come in.
    """
    profiles = dataset.profiles
    counts = np.asarray(dataset.counts, dtype=np.int64)
    n = representatives.shape[0]
    kruskal = argsort_edges(edges.u, edges.v, edges.d, order)
    eu, ev, ed, magnitudes = edges.u[kruskal], edges.v[kruskal], edges.d[kruskal], edges.rule[kruskal]
    low, high = np.minimum(eu, ev), np.maximum(eu, ev)
    parent_node, root_nodes = orient(low, high, n)
    child = np.where(parent_node[high] == low, high, low)
    parent = np.where(child == high, low, high)
    singles = np.setdiff1d(np.arange(n), np.concatenate([root_nodes, child]), assume_unique=False)
    rows = np.arange(profiles.size)
    duplicates = rows[representatives[node_of_row] != rows]
    parents = np.concatenate([representatives[node_of_row[duplicates]], representatives[parent]])
    children = np.concatenate([duplicates, representatives[child]])
    distances = np.concatenate([np.zeros(duplicates.shape[0], np.int64), ed])
    rules = np.concatenate(
        [np.full(duplicates.shape[0], RULE_IDENTICAL, np.int64), _rule_codes(magnitudes, order.levels)]
    )
    roots = np.concatenate([representatives[root_nodes], representatives[singles]])
    return Inference(
        algorithm=algorithm,
        parameters=dict(parameters or {}),
        ids=list(profiles.ids),
        parents=parents.astype(np.int64),
        children=children.astype(np.int64),
        distances=distances.astype(np.int64),
        rules=rules.astype(np.int64),
        roots=roots.astype(np.int64),
        counts=counts,
    )


def infer(
    dataset: Dataset,
    *,
    algorithm: str,
    max_distance: int,
    levels: int,
    tiebreak: int,
    missing: str = "difference",
    parameters: dict[str, object] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Inference:
    """The goeBURST spanning forest of a dataset under an explicit rule set.

    Parameters
    ----------
    dataset : Dataset
        Profiles and their frequencies (``Dataset.counts``).
    algorithm : str
        Name recorded on the result.
    max_distance : int
        Longest edge that may be kept (lvs for ``goeburst``; the number of loci for a full MST).
    levels : int
        Number of LV levels the tie-break compares (k = 1..levels).
    tiebreak : {TIEBREAK_PHYLODB, TIEBREAK_PHYLOVIZ}
        The final id rule.
    missing : {"difference", "ignore", "allele"}
        Missing-data mode of the distance.
    parameters : dict, optional
        Recorded on the result as given.
    progress, cancel : callable, optional
        ``progress(fraction)`` is called as the run advances; when ``cancel()`` returns True the
        run stops and raises :class:`~engine.errors.CancelledError`.

    Returns
    -------
    Inference
        Edges over row indices: distance-0 edges from each representative to its identical rows
        first, then the forest's edges in goeBURST order, each oriented parent -> child.

    Notes
    -----
    O(n^2 loci) time in two parallel passes over all pairs (LV counts, then Prim), O(n levels)
    memory plus an ``n x n`` ``uint8`` (``uint16`` past 255 loci) distance matrix while it stays
    under ``DISTANCE_MATRIX_LIMIT_BYTES``; above that, distances are computed on the fly, with the
    same result: the LV pass abandons a comparison past a small ``levels`` (or, on schemes of at
    most 8 loci, groups the profiles on every set of loci instead), and Prim skips the pairs a
    cover of balls proves too far apart to change an edge (``difference`` and ``allele``).
    """
    forest = node_forest(dataset, max_distance=max_distance, levels=levels, tiebreak=tiebreak,
                         missing=missing, progress=progress, cancel=cancel)
    result = assemble(dataset, forest.representatives, forest.node_of_row, forest.edges, forest.order,
                      algorithm=algorithm, parameters=parameters)
    report(progress, 1.0)
    return result


def goeburst(
    dataset: Dataset,
    *,
    lvs: int = 3,
    missing: str = "difference",
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Inference:
    """PhyloDB's goeBURST: the minimum spanning forest of the edges with distance <= lvs.

    Parameters
    ----------
    dataset : Dataset
        Profiles and frequencies.
    lvs : int, default 3
        Locus-variant level, >= 1: pairs farther apart than lvs are never linked; LV levels
        1..lvs break ties. ``lvs`` = number of loci gives a spanning tree.
    missing : {"difference", "ignore", "allele"}, default "difference"
        Missing-data mode.
    progress, cancel : callable, optional
        Progress and cancellation hooks (see :func:`infer`).

    Returns
    -------
    Inference
        A spanning forest; rows farther than lvs from every other row are singleton roots.

    Raises
    ------
    ParameterError
        When lvs < 1 or the mode is unknown.
    CancelledError
        When ``cancel()`` returned True.

    Examples
    --------
    The 3-row check of ``spec/algorithms.md``:

    >>> from engine.io.datasets import read_dataset
    >>> data = read_dataset(b"ST\\ta\\tb\\n1\\t1\\t2\\n2\\t1\\t1\\n3\\t2\\t1\\n")
    >>> [(e.parent, e.child, e.distance) for e in goeburst(data, lvs=3).edges()]
    [('1', '2', 1), ('2', '3', 1)]
    """
    if int(lvs) < 1:
        raise ParameterError(f"lvs must be at least 1, not {lvs}")
    return infer(
        dataset,
        algorithm="goeburst",
        max_distance=int(lvs),
        levels=int(lvs),
        tiebreak=TIEBREAK_PHYLODB,
        missing=missing,
        parameters={"lvs": int(lvs), "missing": missing},
        progress=progress,
        cancel=cancel,
    )


def goeburst_full(
    dataset: Dataset,
    *,
    missing: str = "difference",
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Inference:
    """PHYLOViZ 2's goeBURST full MST: one spanning tree of all distinct profiles.

    Parameters
    ----------
    dataset : Dataset
        Profiles and frequencies.
    missing : {"difference", "ignore", "allele"}, default "difference"
        Missing-data mode. Every LV level 1..loci breaks ties, so there is no ``lvs``.
    progress, cancel : callable, optional
        Progress and cancellation hooks (see :func:`infer`).

    Returns
    -------
    Inference
        A spanning tree (plus the distance-0 edges of identical rows).

    Notes
    -----
    The final tie-break reproduces PHYLOViZ's quirk: an edge's endpoints are told apart by
    length-then-characters order, but two edges are compared by those ids as plain strings
    ("10" < "9").
    """
    loci = dataset.profiles.matrix.shape[1]
    return infer(
        dataset,
        algorithm="goeburst-full",
        max_distance=loci,
        levels=loci,
        tiebreak=TIEBREAK_PHYLOVIZ,
        missing=missing,
        parameters={"missing": missing},
        progress=progress,
        cancel=cancel,
    )
