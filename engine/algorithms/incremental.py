"""New isolates into an existing goeBURST tree: the new version's forest from the old one's.

A new version of a dataset is the old profiles, unchanged and in the same order, with new rows
appended. :func:`extend_goeburst` computes its ``goeburst`` or ``goeburst-full`` forest from the
old result and the distances from the new profiles, and returns exactly what a full run of the new
version returns (edges, edge order, orientation, roots and the rule recorded on every edge), or,
when it cannot prove that, runs the full computation and says why.

What is kept with a result (:class:`GoeburstState`)
---------------------------------------------------
Next to the :class:`~engine.models.Inference`, a result keeps its LV counts and node frequencies
and, for every forest edge, the *witness* of its rule: the runner-up edge it beat when Prim took it
(the first edge in goeBURST order, other than itself, crossing Prim's cut at that step; none when
no other edge crossed). :func:`goeburst_with_state` is the full run that produces both.

Why the update is exact
-----------------------
Notation: T is the old forest, < the old edge order and <' the new one. An edge's *key* is
(distance, max LV_1, min LV_1, ..., max LV_K, min LV_K, max frequency, min frequency, ids);
diff(e, f) is the first key position where edges e and f differ. Keys compare lexicographically,
so for e < f < g: diff(e, g) = min(diff(e, f), diff(f, g)). The rule recorded on a forest edge e
is the level of diff(e, r) for its runner-up r, the first edge other than e crossing Prim's cut
when e was taken; every edge c crossing that cut has diff(e, c) <= diff(e, r). The state keeps r
as e's *witness*.

1. *Keys only grow.* New profiles only add to the LV counts of old ones, and an old profile's
   frequency may only grow (else: full run). Every key position after the distance is a max or a
   min of endpoint counts, larger first, so an old edge's key can only move it earlier. The
   distance and the id rules of an edge between old profiles do not change (old rows keep their
   indices, new ids change no old pair's relative order).
2. *No flip without a change.* If g < f was decided at position p and f's key is unchanged at
   positions <= p, then g <' f.
3. *Lemma W: an edge's witness bounds every edge that could replace it.* For a forest edge g and
   any edge c outside the forest whose forest path holds g, diff(g, c) <= diff(g, witness(g)).
   Proof: if c crossed Prim's cut when g was taken, this is the witness property. Otherwise the
   end of c on g's side was not yet in the cut, so c's path leaves the cut through another forest
   edge k; g < k (g was the first edge crossing) and k < c (c closes a cycle with k on it), so
   diff(g, c) <= diff(g, k) <= diff(g, witness(g)).
4. *The exposed old profiles.* For c outside the forest, let g* be the longest edge (in <) of its
   forest path: every path edge g has diff(g, c) <= diff(g*, c) <= diff(g*, witness(g*)), and g*
   is an ancestor of c's ends in the Kruskal reconstruction tree. By 1 and 2, c can overtake a
   path edge only if an end v of c changed (first changed level ``changed(v)``) at or before
   level(diff(g*, c)); then c's key equals g*'s at every level below ``changed(v)``, so v's count
   at each such level is one of g*'s endpoints' ("compatible"). The kernel
   :func:`~engine.algorithms.incremental_kernels.exposed_nodes` finds every old v with such an
   ancestor (``changed(v)`` <= level of that ancestor's witness position, compatible), and
   :func:`~engine.algorithms.incremental_kernels.exposed_pairs` walks v's ancestors g* that
   qualify and checks the profiles b of g*'s other subtree (so that g* is the longest edge
   between v and b): b is kept when it changed no earlier than v (else the pair is found from
   b's side), the pair's counts are g*'s larger and smaller ones at every level below
   ``changed(v)`` (c's key equals g*'s there) and d(v, b) equals g*'s distance (the *tied* pairs;
   other pairs are the strict maximum of a cycle by distance alone). Any other old edge c keeps
   its key up to diff(g*, c) and stays the maximum of its forest cycle.
5. *Edges of the new profiles* are all computed; an edge (new r, old z) is dropped only when a
   path of shorter edges joins r and z through another edge of r and the old forest.
6. So the new forest is the minimum spanning forest, under <', of the candidates H = old forest +
   witnesses + tied pairs of 4 + edges of 5, and Prim over H visits the nodes in the same order
   as Prim over every edge (that order depends on the forest alone).
7. *Rules.* Let c be an edge outside H crossing Prim's cut when e is taken. If c's old forest
   path crosses the cut through an edge k other than e, then e <' k <' c (k is in H) and c
   cannot beat Prim's runner-up over H. Otherwise e = g is an old forest edge on c's path, c's key
   is unchanged up to diff(g, c) (point 4), so diff'(g, c) = min(diff(g, c), first change of g's
   key) <= min(diff(g, witness(g)), first change of g's key) by Lemma W. When the runner-up over
   H reaches that, the rule is proved. Otherwise the extension computes the tied pairs of every
   old profile that could end such a c (in the component of the highest same-distance ancestor
   h of g with diff(g, h) and diff(h, witness(h)) beyond the runner-up's position, on the smaller
   side of g, compatible with g's endpoints at the levels c must share;
   :func:`~engine.algorithms.incremental_kernels.close_gaps`) and runs Prim over H again: every
   c that could beat the runner-up is then in H.

The runner-ups of Prim over H are the witnesses of the new result (every edge crossing the cut
shares no more positions with its edge), so a chain of extensions keeps the same guarantee. The
full computation runs, and :attr:`Extension.reason` says why, when: the parent has no state or
other parameters; the new version does not start with the old rows and alleles; an old profile's
frequency went down; or checking the exposed profiles would compare more loci than ``work_limit``
of a full run's pass over all pairs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from engine.algorithms import incremental_kernels as kernels
from engine.algorithms.distances import mode_code
from engine.algorithms.goeburst import (
    TIEBREAK_PHYLODB,
    TIEBREAK_PHYLOVIZ,
    assemble,
    id_ranks,
    merge_identical,
    node_forest,
    node_ids_and_freq,
)
from engine.algorithms.goeburst_kernels import EdgeOrder, KeptEdges, argsort_edges
from engine.errors import ParameterError
from engine.models import CancelCheck, Dataset, Inference, Profiles, ProgressCallback
from engine.progress import check_cancel, report

#: The algorithms an extension can update.
ALGORITHMS = ("goeburst", "goeburst-full")
#: Work of an extension (locus comparisons) above which the full run is cheaper, as a fraction of
#: the full run's first pass over all pairs.
WORK_LIMIT = 0.5


@dataclass(frozen=True)
class GoeburstState:
    """What a goeBURST result keeps besides its :class:`~engine.models.Inference` to be extended.

    Attributes
    ----------
    algorithm : str
        ``goeburst`` or ``goeburst-full``.
    parameters : dict
        The parameters recorded on the inference (``lvs`` and ``missing``, or ``missing``).
    rows : int
        Rows of the dataset it describes.
    representatives : numpy.ndarray
        ``(nodes,)`` row of each node (distinct profile), ascending.
    freq : numpy.ndarray
        ``(nodes,)`` frequency of each node.
    lv : numpy.ndarray
        ``(nodes, levels + 1)`` LV counts (column k: nodes at distance k; column 0 unused).
    edges : KeptEdges
        The forest over node indices in the order Prim took its edges, each with its rule
        magnitude and its witness (runner-up; ``runner_u == -1`` when there was none).
    """

    algorithm: str
    parameters: dict[str, object]
    rows: int
    representatives: np.ndarray
    freq: np.ndarray
    lv: np.ndarray
    edges: KeptEdges


@dataclass(frozen=True)
class Extension:
    """The result of :func:`extend_goeburst`.

    Attributes
    ----------
    inference : Inference
        The new version's forest, identical to a full run's.
    state : GoeburstState
        Its state, for the next extension.
    computed : {"incremental", "full"}
        How it was computed.
    reason : str
        Why the full computation ran ("" when incremental).
    stats : dict
        Counts that describe the work: new nodes, old profiles whose counts changed, exposed
        profiles, pairs computed, candidate edges, seconds.
    """

    inference: Inference
    state: GoeburstState
    computed: str
    reason: str = ""
    stats: dict[str, object] = field(default_factory=dict)


class _Recompute(Exception):
    """The extension cannot prove its result: run the full computation (the message says why)."""


def _rules(algorithm: str, parameters: dict[str, object] | None, loci: int) -> tuple[int, int, int, dict]:
    """Longest edge, LV levels, id rule and recorded parameters of an algorithm's run."""
    parameters = dict(parameters or {})
    missing = str(parameters.get("missing", "difference"))
    mode_code(missing)  # ParameterError for an unknown mode
    if algorithm == "goeburst":
        lvs = int(parameters.get("lvs", 3))
        if lvs < 1:
            raise ParameterError(f"lvs must be at least 1, not {lvs}")
        return lvs, max(1, min(lvs, loci)), TIEBREAK_PHYLODB, {"lvs": lvs, "missing": missing}
    if algorithm == "goeburst-full":
        return loci, max(1, loci), TIEBREAK_PHYLOVIZ, {"missing": missing}
    raise ParameterError(f"{algorithm!r} cannot be extended; choose one of {', '.join(ALGORITHMS)}")


def goeburst_with_state(
    dataset: Dataset,
    *,
    algorithm: str = "goeburst-full",
    parameters: dict[str, object] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> tuple[Inference, GoeburstState]:
    """A full ``goeburst`` or ``goeburst-full`` run, with the state an extension needs.

    Parameters
    ----------
    dataset : Dataset
        Profiles and frequencies.
    algorithm : {"goeburst", "goeburst-full"}
        The algorithm.
    parameters : dict, optional
        ``lvs`` (goeburst, default 3) and ``missing`` (default ``difference``).
    progress, cancel : callable, optional
        As in :func:`engine.algorithms.goeburst.infer`.

    Returns
    -------
    inference : Inference
        The same result as :func:`~engine.algorithms.goeburst.goeburst` or
        :func:`~engine.algorithms.goeburst.goeburst_full`.
    state : GoeburstState
        LV counts, frequencies and the forest with the witness of every rule.

    Raises
    ------
    ParameterError
        For an unknown algorithm or missing-data mode, or lvs < 1.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> data = read_dataset(b"ST\\ta\\tb\\n1\\t1\\t2\\n2\\t1\\t1\\n")
    >>> inference, state = goeburst_with_state(data, algorithm="goeburst", parameters={"lvs": 3})
    >>> [(e.parent, e.child, e.distance) for e in inference.edges()], state.lv.tolist()
    ([('1', '2', 1)], [[0, 1, 0], [0, 1, 0]])
    """
    loci = dataset.profiles.matrix.shape[1]
    max_distance, levels, tiebreak, recorded = _rules(algorithm, parameters, loci)
    forest = node_forest(dataset, max_distance=max_distance, levels=levels, tiebreak=tiebreak,
                         missing=str(recorded["missing"]), progress=progress, cancel=cancel)
    inference = assemble(dataset, forest.representatives, forest.node_of_row, forest.edges, forest.order,
                         algorithm=algorithm, parameters=recorded)
    report(progress, 1.0)
    state = GoeburstState(algorithm, recorded, dataset.profiles.size, forest.representatives,
                          forest.freq, forest.order.lv, forest.edges)
    return inference, state


def extend_goeburst(
    parent: Dataset,
    inference: Inference,
    state: GoeburstState | None,
    dataset: Dataset,
    *,
    algorithm: str,
    parameters: dict[str, object] | None = None,
    work_limit: float | None = WORK_LIMIT,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> Extension:
    """The goeBURST forest of a new version of a dataset, updated from the old version's result.

    Parameters
    ----------
    parent : Dataset
        The old version.
    inference : Inference
        Its result (``algorithm`` with the same parameters).
    state : GoeburstState or None
        The state kept with that result (:func:`goeburst_with_state` or an earlier extension);
        None runs the full computation.
    dataset : Dataset
        The new version: the old rows, unchanged and in order, then the new rows. Counts of old
        rows may grow (new isolates of old profiles).
    algorithm : {"goeburst", "goeburst-full"}
        The algorithm.
    parameters : dict, optional
        ``lvs`` (goeburst) and ``missing``, as for :func:`goeburst_with_state`.
    work_limit : float or None, default WORK_LIMIT
        Run the full computation when the extension would compare more loci than this fraction
        of a full run's first pass over all pairs; None: never for that reason (tests).
    progress, cancel : callable, optional
        Progress and cancellation hooks.

    Returns
    -------
    Extension
        The new inference (identical to a full run's), its state, and ``computed``:
        ``"incremental"``, or ``"full"`` with the ``reason``.

    Raises
    ------
    ParameterError
        For an unknown algorithm or missing-data mode, or lvs < 1.
    CancelledError
        When ``cancel()`` returned True.

    Examples
    --------
    The spec's 3-row check, its third row added to the first two:

    >>> from engine.io.datasets import read_dataset
    >>> old = read_dataset(b"ST\\ta\\tb\\n1\\t1\\t2\\n2\\t1\\t1\\n")
    >>> new = read_dataset(b"ST\\ta\\tb\\n1\\t1\\t2\\n2\\t1\\t1\\n3\\t2\\t1\\n")
    >>> inference, state = goeburst_with_state(old, algorithm="goeburst", parameters={"lvs": 3})
    >>> result = extend_goeburst(old, inference, state, new, algorithm="goeburst", parameters={"lvs": 3},
    ...                          work_limit=None)
    >>> result.computed, [(e.parent, e.child, e.distance) for e in result.inference.edges()]
    ('incremental', [('1', '2', 1), ('2', '3', 1)])

    Notes
    -----
    Time O(new x nodes x loci) for the new distances, plus O(exposed x component x loci) for the
    old profiles whose tie-breaks may change (the module docstring), plus O((nodes + candidate
    edges) log) for Prim over the candidate edges. Memory O(new x nodes + nodes x levels).
    """
    started = time.perf_counter()
    loci = dataset.profiles.matrix.shape[1]
    max_distance, levels, tiebreak, recorded = _rules(algorithm, parameters, loci)
    reason = _why_not(parent, inference, state, dataset, algorithm, recorded)
    stats: dict[str, object] = {}
    reached = [0.0]  # progress so far: a full run after a failed attempt goes on from there

    def advance(fraction: float) -> None:
        reached[0] = max(reached[0], fraction)
        report(progress, reached[0])

    if not reason:
        try:
            result = _extend(parent, state, dataset, algorithm, recorded, max_distance, levels, tiebreak,
                             work_limit, stats, advance, cancel)
            stats["seconds"] = time.perf_counter() - started
            return Extension(*result, computed="incremental", reason="", stats=stats)
        except _Recompute as why:
            reason = str(why)
    start = reached[0]
    new_inference, new_state = goeburst_with_state(
        dataset, algorithm=algorithm, parameters=recorded, cancel=cancel,
        progress=None if progress is None else (lambda fraction: advance(start + (1 - start) * fraction)))
    stats["seconds"] = time.perf_counter() - started
    return Extension(new_inference, new_state, computed="full", reason=reason, stats=stats)


def _why_not(parent: Dataset, inference: Inference, state: GoeburstState | None, dataset: Dataset,
             algorithm: str, recorded: dict[str, object]) -> str:
    """Why the new version cannot be extended from this parent ("" when it can be tried)."""
    old, new = parent.profiles, dataset.profiles
    if state is None:
        return "the parent result has no goeBURST state (LV counts and rule witnesses) stored with it"
    if state.algorithm != algorithm or state.parameters != recorded or inference.algorithm != algorithm:
        return (f"the parent result was computed with {state.algorithm} {state.parameters}, "
                f"not {algorithm} {recorded}")
    if state.rows != old.size or len(inference.ids) != old.size:
        return "the parent state does not describe the parent dataset"
    if new.size < old.size or new.ids[: old.size] != old.ids:
        return "the new version does not start with the parent's rows (same ids, same order)"
    if new.matrix.shape[1] != old.matrix.shape[1] or not _same_alleles(old, new):
        return "the new version changes the alleles of the parent's rows"
    counts_old = np.asarray(parent.counts)
    counts_new = np.asarray(dataset.counts)[: old.size]
    if (counts_new < counts_old).any():
        return "the new version has fewer isolates for some of the parent's profiles"
    return ""


def _same_alleles(old: Profiles, new: Profiles) -> bool:
    """Whether the new version's first rows hold the old rows' alleles (as written, locus by locus)."""
    rows = old.size
    if np.array_equal(new.matrix[:rows], old.matrix) and all(
            a[: len(b)] == b for a, b in zip(new.alleles, old.alleles, strict=True)):
        return True  # same codes, and every old code names the same allele
    for locus, (a, b) in enumerate(zip(new.alleles, old.alleles, strict=True)):
        written_new = np.asarray(a, dtype=object)[new.matrix[:rows, locus]]
        written_old = np.asarray(b, dtype=object)[old.matrix[:, locus]]
        if not np.array_equal(written_new, written_old):
            return False
    return True


def _orders(state: GoeburstState, lv: np.ndarray, freq: np.ndarray, ids: list[str], levels: int,
            tiebreak: int) -> tuple[EdgeOrder, EdgeOrder]:
    """The new order over all nodes and the old order over the old nodes (same relative id ranks)."""
    rank_lc, rank_lex = id_ranks(ids)
    unread = np.zeros(0, np.int64)
    new = EdgeOrder(lv, freq, rank_lc, rank_lex, unread, levels, tiebreak)
    n0 = state.representatives.shape[0]
    old = EdgeOrder(state.lv, state.freq, rank_lc[:n0], rank_lex[:n0], unread, levels, tiebreak)
    return new, old


def _extend(parent, state, dataset, algorithm, recorded, max_distance, levels, tiebreak, work_limit,
            stats, progress, cancel):
    """The incremental computation; raises :class:`_Recompute` when it cannot prove its result."""
    missing = str(recorded["missing"])
    mode = mode_code(missing)
    clock = _StageClock(stats)
    matrix = dataset.profiles.matrix
    loci = matrix.shape[1]
    report(progress, 0.0)
    representatives, node_of_row = merge_identical(matrix, missing)
    n0 = state.representatives.shape[0]
    n1 = representatives.shape[0]
    if not np.array_equal(representatives[:n0], state.representatives):
        raise _Recompute("the parent state's profiles do not match the parent dataset")
    ids, freq = node_ids_and_freq(dataset, representatives, node_of_row)
    if (freq[:n0] < state.freq).any():
        raise _Recompute("some old profiles have a smaller frequency in the new version")
    count = n1 - n0
    stats.update(new_nodes=count, new_rows=dataset.profiles.size - parent.profiles.size)
    limit = np.inf if work_limit is None else work_limit * 0.5 * n1 * n1 * loci
    if count * n1 * loci > limit:
        raise _Recompute(f"{count} new profiles against {n0} old ones: a full run is cheaper")
    node_matrix = np.ascontiguousarray(matrix[representatives])
    check_cancel(cancel)

    # New distances and LV counts.
    dist = np.empty((count, n1), np.int64)
    kernels.new_rows(node_matrix, mode, n0, dist)
    lv = np.zeros((n1, levels + 1), np.int64)
    lv[:n0] = state.lv
    kernels.add_new_levels(dist, n0, levels, lv)
    changed = kernels.node_changes(state.lv, lv, state.freq, freq, levels)
    stats["changed_old_nodes"] = int((changed < kernels.FAR).sum())
    new_order, old_order = _orders(state, lv, freq, ids, levels, tiebreak)
    clock.lap("new_distances")
    report(progress, 0.2)
    check_cancel(cancel)

    # The old forest in Kruskal order, its reconstruction tree and each edge's witness position.
    tree = state.edges
    kruskal = argsort_edges(tree.u, tree.v, tree.d, old_order)
    ku, kv, kd = tree.u[kruskal], tree.v[kruskal], tree.d[kruskal]
    parent_of = kernels.reconstruction_tree(n0, ku, kv)
    witness_diff = kernels.diff_indices(tree.u, tree.v, tree.d, tree.runner_u, tree.runner_v, tree.runner_d,
                                        old_order)[kruskal]
    witness_level = kernels.levels_of(witness_diff, levels)
    offsets, neighbours, lengths = kernels.csr(n0, ku, kv, kd)
    rank_of = _edge_ranks(n0, ku, kv, offsets, neighbours)
    clock.lap("old_forest")

    # Old profiles whose edges may move, and their tied pairs.
    top = kernels.exposed_nodes(parent_of, n0, ku, kv, witness_level, changed, state.lv)
    clock.lap("exposed_nodes")
    sources = np.flatnonzero(top >= 0)
    sizes = kernels.component_sizes(parent_of, n0)[top[sources]]
    exposed_work = float(sizes.sum()) * loci
    stats.update(exposed_old_nodes=int(sources.size), exposed_pairs=int(sizes.sum()))
    if count * n1 * loci + exposed_work > limit:
        raise _Recompute(f"the tie-breaks of {sources.size} old profiles may change: checking them would "
                         "cost more than a full run")
    tied_u, tied_v, tied_d = kernels.exposed_pairs(sources, top[sources], n0, parent_of, ku, kv, kd,
                                                   witness_level, changed, state.lv, node_matrix, mode,
                                                   max_distance)
    stats["tied_pairs"] = int(tied_u.shape[0])
    clock.lap("tied_pairs")
    report(progress, 0.5)
    check_cancel(cancel)

    # Edges of the new profiles.
    walk, walk_parent, walk_length = kernels.rooted_walk(offsets, neighbours, lengths)
    keep = kernels.useful_new_edges(dist[:, :n0], n0, max_distance, walk, walk_parent, walk_length)
    rows_, cols = np.nonzero(keep)
    new_u, new_v, new_d = rows_ + n0, cols.astype(np.int64), dist[rows_, cols]
    among = dist[:, n0:]
    a, b = np.nonzero((among <= max_distance) & (np.arange(count)[:, None] < np.arange(count)[None, :]))
    witnesses = tree.runner_u >= 0

    u = np.concatenate([tree.u, tree.runner_u[witnesses], tied_u, new_u, a + n0])
    v = np.concatenate([tree.v, tree.runner_v[witnesses], tied_v, new_v, b + n0])
    d = np.concatenate([tree.d, tree.runner_d[witnesses], tied_d, new_d, among[a, b]])
    u, v, d = _unique_edges(n1, u, v, d)
    stats["candidate_edges"] = int(u.shape[0])
    clock.lap("new_edges")
    report(progress, 0.6)
    check_cancel(cancel)

    # Prim over the candidates (the new forest, its rules and the witnesses), then the proof.
    graph = kernels.csr(n1, u, v, d)
    kept, sequence = kernels.sparse_prim(n1, *graph, new_order)
    ranks, unproved, reached = _check_rules(n0, tree, kruskal, witness_diff, old_order, new_order, kept)
    stats["rules_unproved"] = int(unproved.sum())
    clock.lap("prim_and_rules")
    if unproved.any():
        # Close the gaps: the tied pairs of the profiles that could hold a better runner-up.
        more, more_limits = kernels.close_gaps(ranks[unproved], reached[unproved], parent_of, n0,
                                               (ku, kv, kd), witness_diff, old_order, offsets, neighbours,
                                               rank_of, state.lv)
        gap_work = float(kernels.component_sizes(parent_of, n0)[more_limits + n0].sum()) * loci
        stats.update(gap_old_nodes=int(np.unique(more).size), gap_pairs=int(gap_work // max(loci, 1)))
        if count * n1 * loci + exposed_work + gap_work > limit:
            raise _Recompute(f"the Prim order changed around {int(unproved.sum())} old edges whose runner-up "
                             "edges are not all known, and finding them would cost more than a full run")
        gu, gv, gd = kernels.tied_pairs(node_matrix, mode, offsets, neighbours, lengths, rank_of, more,
                                        more_limits, max_distance)
        u, v, d = _unique_edges(n1, np.concatenate([u, gu]), np.concatenate([v, gv]), np.concatenate([d, gd]))
        stats["candidate_edges"] = int(u.shape[0])
        kept, again = kernels.sparse_prim(n1, *kernels.csr(n1, u, v, d), new_order)
        if not np.array_equal(again, sequence):
            raise _Recompute("internal check failed: more candidate edges changed Prim's order")
        clock.lap("gaps")
    report(progress, 0.9)
    edges = KeptEdges(*kept)
    result = assemble(dataset, representatives, node_of_row, edges, new_order, algorithm=algorithm,
                      parameters=recorded)
    new_state = GoeburstState(algorithm, recorded, dataset.profiles.size, representatives, freq, lv, edges)
    report(progress, 1.0)
    return result, new_state


class _StageClock:
    """Seconds of each stage of an extension, written into its stats as ``<stage>_s``."""

    def __init__(self, stats: dict[str, object]) -> None:
        self.stats = stats
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Record the time since the previous lap (or the start) as ``stage``'s."""
        now = time.perf_counter()
        self.stats[f"{stage}_s"] = now - self.last
        self.last = now


def _edge_ranks(n0, ku, kv, offsets, neighbours) -> np.ndarray:
    """The Kruskal rank of every edge listed in the CSR lists of the old forest."""
    n = offsets.shape[0] - 1
    ends = np.repeat(np.arange(n), np.diff(offsets))
    key_listed = np.minimum(ends, neighbours) * n0 + np.maximum(ends, neighbours)
    key_edges = np.minimum(ku, kv) * n0 + np.maximum(ku, kv)
    sort = np.argsort(key_edges)
    return sort[np.searchsorted(key_edges[sort], key_listed)].astype(np.int64)


def _unique_edges(n: int, u: np.ndarray, v: np.ndarray, d: np.ndarray):
    """Each undirected edge once (the first copy), loops dropped."""
    low, high = np.minimum(u, v), np.maximum(u, v)
    keep = low != high
    low, high, d = low[keep], high[keep], d[keep]
    _, first = np.unique(low * n + high, return_index=True)
    return low[first].astype(np.int64), high[first].astype(np.int64), d[first].astype(np.int64)


def _check_rules(n0, tree, kruskal, witness_diff, old_order, new_order, kept):
    """Check the rule of every old forest edge that the new forest keeps (step 7 of the module docstring).

    Returns the Kruskal ranks of those edges, then
    :func:`~engine.algorithms.incremental_kernels.unproved_rules`' results.
    """
    pu, pv = kept[0], kept[1]
    key_old = np.minimum(tree.u, tree.v) * n0 + np.maximum(tree.u, tree.v)
    old_mask = (pu < n0) & (pv < n0)
    if not len(key_old) or not old_mask.any():
        nothing = np.zeros(0, np.int64)
        return nothing, nothing.astype(bool), nothing
    key_new = np.minimum(pu, pv) * n0 + np.maximum(pu, pv)
    sort = np.argsort(key_old)
    at = np.clip(np.searchsorted(key_old[sort], key_new), 0, len(sort) - 1)
    found = old_mask & (key_old[sort][at] == key_new)
    new_index = np.flatnonzero(found)
    old_index = sort[at[new_index]]
    kruskal_rank = np.empty(len(kruskal), np.int64)
    kruskal_rank[kruskal] = np.arange(len(kruskal))
    change = kernels.first_changes(tree.u[old_index], tree.v[old_index], old_order, new_order)
    unproved, reached = kernels.unproved_rules(new_index, kruskal_rank[old_index], change,
                                               kept[:3] + kept[4:], witness_diff, new_order)
    return kruskal_rank[old_index], unproved, reached
