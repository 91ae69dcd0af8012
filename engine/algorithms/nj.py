"""GrapeTree's neighbour joining: FastME 2.1.5's NJ, exactly, at RapidNJ's speed, then GrapeTree's finish.

GrapeTree's ``-m NJ`` (``../shared/research/grapetree-methods.md`` sections 1, 2 and 5) reads the
profiles, merges identical ones, writes GrapeTree's symmetric float32 distance as a PHYLIP file with
``%.6f`` values, runs ``fastme -i FILE -m N`` (FastME 2.1.5, classic Saitou-Nei NJ), and then, with
ete3, roots the tree at its midpoint, unroots it to a root multifurcation, moves short branches
onto their sisters and puts identical profiles back. :func:`nj` does each step the same way:

1. **Profiles** (section 1), encoded, sorted and merged by
   :func:`~engine.algorithms.grapetree_input.grapetree_profiles`, as for MSTreeV2 and MSTree:
   alleles numbered per locus in string order, missing = 0 (``complete-delete`` drops every locus
   with a missing cell), rows stably sorted with the *last* locus as primary key, rows with no
   allele dropped, identical code vectors merged into one node whose representative is the first
   row in input order. Node ``i`` below is the i-th distinct profile in that order.
2. **Distances**: GrapeTree's symmetric distance, each rounded as ``%.6f`` text reads back (FastME
   parses GrapeTree's file with ``atof``): :func:`~engine.algorithms.grapetree_distances.rounded_distances`.
3. **FastME's NJ** (its ``BIONJ.c`` with ``isNJ``), emulated bit for bit: the sums
   ``S_i = sum_j D[i, j]`` are added in index order, the criterion is
   ``Q = ((r - 2) D[x, y] - S_x) - S_y`` for ``x > y``, pairs are scanned by ``x`` then ``y``
   ascending and a pair wins only if ``Q < Qmin - DBL_EPSILON`` (so the first of equal values),
   the new node takes index ``x`` and ``y`` is emptied, the branch lengths are
   ``(D[x, y] +/- (S_x - S_y) / (r - 2)) / 2`` and the new distances
   ``0.5 (D[x, i] - l_x) + 0.5 (D[y, i] - l_y)``; the last three nodes get
   ``0.5 (D[i, j] + D[i, k] - D[j, k])``. Negative lengths are kept. Lengths are written with
   ``%.8f`` and read back, as FastME does.
4. **FastME's tree layout**: its Newick string is re-read, rerooted at a leaf (``detrifurcate``)
   and printed; that order of children is what ete3 reads and what the next steps depend on.
5. **ete3 3.1.3**: ``set_outgroup(get_midpoint_outgroup())`` and ``unroot()`` in its legacy mode,
   with its tie rules and its floating-point sums (the root edge is split in two halves and the
   half on the deleted side is dropped, as ete3 does).
6. **Short branches**: if some branch is longer than 3, in post-order every branch with
   ``0 < length < 0.1`` adds its length to each sister branch and becomes 0.
7. **Identical profiles** become zero-length leaves under one internal node.

How the search stays fast (RapidNJ, Simonsen et al. 2008)
---------------------------------------------------------
FastME recomputes every ``S_i`` and scans all ``r^2 / 2`` pairs at each of the ``n - 3`` steps
(O(n^3)). Here every row keeps its distances sorted (float32, rounded down) and the sums are kept
up to date in double-double arithmetic, so ``Q`` has a lower bound
``(r - 2) D[x, y] - S_x - S_y`` with ``S_y`` replaced by the largest S of a block of 32 entries
(or of all later blocks, or of all rows). Since S only shrinks as nodes are joined (while
distances stay non-negative; growth is tracked otherwise), these maxima stay valid and are
refreshed when S has shrunk by 10%. Each row's first distance and largest S give a bound for the
whole row, so rows out of reach are passed over without reading them; the row with the smallest
bound is read first to set the threshold. Every pair whose approximate ``Q`` lies within a proven
error band of the minimum is then re-evaluated with FastME's own sums, added in FastME's order
(O(n) per candidate row), and FastME's scan is replayed over those pairs, so the pair chosen is
FastME's. A pair is kept in the row of whichever of its two nodes is newer; stale entries are
skipped and rows are compacted when they fill up with them.

Costs: O(n^2 L) for the distances, O(n^2 log n) to sort the rows, then O(n) per step for the row
bounds, the update and the exact sums, plus the entries actually read (few per step in practice;
worst case O(n^3) overall, like RapidNJ). Memory: about 16.5 n^2 bytes (the float64 distance
matrix, the sorted rows and their indices, the block maxima), 6.6 GB at n = 20,000.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.algorithms.grapetree_distances import rounded_distances
from engine.algorithms.grapetree_input import grapetree_profiles, missing_code
from engine.algorithms.tree_arrays import RootedTree, from_children
from engine.errors import InputError
from engine.models import CancelCheck, Dataset, ProgressCallback
from engine.progress import check_cancel, report

__all__ = ["fastme_nj", "fastme_tree", "nj"]

_DBL_EPSILON = 2.220446049250313e-16
_UNIT = 1.1102230246251565e-16  # unit roundoff of float64
#: Entries per block of a sorted row (the search skips whole blocks).
_BLOCK = 32


# --------------------------------------------------------------------------------------------
# Step 3: FastME's NJ, exactly, with RapidNJ's bounded search


@numba.njit(cache=True, inline="always")
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@numba.njit(cache=True, inline="always")
def _dd_add(hi, lo, x):
    s, e = _two_sum(hi, x)
    e += lo
    top = s + e
    return top, e - (top - s)


@numba.njit(cache=True, inline="always")
def _round_down(value):
    """The largest float32 not above ``value``."""
    f = np.float32(value)
    if np.float64(f) > value:
        f = np.nextafter(f, np.float32(-np.inf))
    return f


@numba.njit(cache=True, inline="always")
def _fastme_sum(dist, act, r, i):
    """FastME's ``S_i``: the distances of row i to the active nodes, added in index order."""
    total = 0.0
    for k in range(r):
        j = act[k]
        if j != i:
            total += dist[i, j]
    return total


@numba.njit(cache=True, parallel=True)
def _sort_leaf_rows(dist, sv, si, rlen):
    """Row x of the sorted matrix: its distances to the nodes j < x, ascending (float32, rounded down)."""
    n = dist.shape[0]
    for x in numba.prange(n):
        if x == 0:
            rlen[0] = 0
            continue
        values = dist[x, :x].copy()
        order = np.argsort(values)
        for k in range(x):
            j = order[k]
            sv[x, k] = _round_down(values[j])
            si[x, k] = j
        rlen[x] = x


@numba.njit(cache=True, inline="always")
def _valid(j, x, active, ntime, rtime):
    return active[j] and ntime[j] <= rtime[x] and j != x


@numba.njit(cache=True)
def _build_blocks(x, si, rlen, s_hi, bmax, sfx):
    """Largest S among the entries of each block of ``_BLOCK`` entries of row x, and its suffix maxima.

    S only decreases while distances are non-negative, so these stay upper bounds (the rest is
    covered by the ``lift`` the caller adds).
    """
    end = rlen[x]
    blocks = (end + _BLOCK - 1) // _BLOCK
    for blk in range(blocks):
        top = -np.inf
        for e in range(blk * _BLOCK, min(end, (blk + 1) * _BLOCK)):
            value = s_hi[si[x, e]]
            if value > top:
                top = value
        bmax[x, blk] = top
    running = -np.inf
    for blk in range(blocks - 1, -1, -1):
        if bmax[x, blk] > running:
            running = bmax[x, blk]
        sfx[x, blk] = running


@numba.njit(cache=True, inline="always")
def _set_head(x, sv, rstart, rlen, bmax, sfx, head_v, head_cap):
    """Row x's summary, with which a row whose every entry is out of reach is passed over without
    reading the row: ``head_v[x, 0]`` its first distance and ``head_cap[x, 0]`` the largest S of
    that entry's block; ``head_v[x, 1]`` the first distance of the next block and ``head_cap[x, 1]``
    the largest S from that block on (near entries have small distances, far ones large S)."""
    start = rstart[x]
    end = rlen[x]
    if start < end:
        blk = start // _BLOCK
        head_v[x, 0] = np.float64(sv[x, start])
        head_cap[x, 0] = bmax[x, blk]
        following = (blk + 1) * _BLOCK
        if following < end:
            head_v[x, 1] = np.float64(sv[x, following])
            head_cap[x, 1] = sfx[x, blk + 1]
        else:
            head_v[x, 1] = np.inf
            head_cap[x, 1] = 0.0
    else:
        head_v[x, 0] = np.inf
        head_v[x, 1] = np.inf
        head_cap[x, 0] = 0.0
        head_cap[x, 1] = 0.0


@numba.njit(cache=True, parallel=True)
def _refresh_blocks(rows, sv, si, rlen, rstart, s_hi, bmax, sfx, head_v, head_cap):
    for k in numba.prange(rows.shape[0]):
        _build_blocks(rows[k], si, rlen, s_hi, bmax, sfx)
        _set_head(rows[k], sv, rstart, rlen, bmax, sfx, head_v, head_cap)


@numba.njit(cache=True)
def _scan_row(x, factor, dist, sv, si, rlen, rstart, rtime, ntime, active, s_hi, bmax, sfx, lift,
              s_max, threshold, slack, keys, count, head_v, head_cap):
    """Smallest approximate Q of row x among the entries that can be <= threshold.

    Entries are read in ascending distance; a block of entries is skipped, and the row ended,
    when ``(r - 2) D - S_x - (largest S of the block, or of all later blocks)`` passes the
    threshold. When ``keys`` has room, the pairs with Q <= threshold are appended (as
    ``larger * n + smaller``); ``count`` is the number of such pairs so far. Returns (min, count).
    """
    n = dist.shape[0]
    sx = s_hi[x]
    best = np.inf
    e = rstart[x]
    end = rlen[x]
    if e < end and not _valid(si[x, e], x, active, ntime, rtime):
        while e < end and not _valid(si[x, e], x, active, ntime, rtime):
            e += 1
        rstart[x] = e
        _set_head(x, sv, rstart, rlen, bmax, sfx, head_v, head_cap)
    limit = threshold + slack
    while e < end:
        blk = e // _BLOCK
        base = factor * np.float64(sv[x, e]) - sx
        if base - min(sfx[x, blk] + lift, s_max) > limit:
            break
        block_end = min(end, (blk + 1) * _BLOCK)
        cap = min(bmax[x, blk] + lift, s_max)
        if base - cap <= limit:
            while e < block_end:
                if factor * np.float64(sv[x, e]) - sx - cap > limit:
                    break
                j = si[x, e]
                if _valid(j, x, active, ntime, rtime):
                    q = factor * dist[x, j] - sx - s_hi[j]
                    if q < best:
                        best = q
                    if q <= threshold:
                        if count < keys.shape[0]:
                            keys[count] = max(x, j) * n + min(x, j)
                        count += 1
                e += 1
        e = block_end
    return best, count


@numba.njit(cache=True)
def _search(dist, sv, si, rlen, rstart, rtime, ntime, active, act, r, s_hi, bmax, sfx, lifts, s_max,
            band, slack, head_bound, row_min, sums, stamp, step, head_v, head_cap):
    """FastME's pair (module docstring, step 3): bounded search, then FastME's scan replayed on the
    pairs whose approximate Q is within ``band`` of the smallest one.

    Every row has a lower bound of its Q values from two numbers kept per row (its first distance
    and the largest S of its entries), so most rows are passed over without being read; the row
    with the smallest bound is scanned first to set the threshold.
    """
    n = dist.shape[0]
    factor = float(r - 2)
    best_k = -1
    best_bound = np.inf
    for k in range(r):
        x = act[k]
        if rlen[x] - rstart[x] > 2 * r + 64:
            w = 0
            for e in range(rstart[x], rlen[x]):
                j = si[x, e]
                if _valid(j, x, active, ntime, rtime):
                    sv[x, w] = sv[x, e]
                    si[x, w] = j
                    w += 1
            rstart[x] = 0
            rlen[x] = w
            _build_blocks(x, si, rlen, s_hi, bmax, sfx)
            lifts[x] = lifts[n]
            _set_head(x, sv, rstart, rlen, bmax, sfx, head_v, head_cap)
        lift = lifts[n] - lifts[x]
        bound = min(factor * head_v[x, 0] - min(head_cap[x, 0] + lift, s_max),
                    factor * head_v[x, 1] - min(head_cap[x, 1] + lift, s_max)) - s_hi[x]
        head_bound[k] = bound
        row_min[k] = np.inf
        if bound < best_bound:
            best_bound = bound
            best_k = k
    no_keys = np.empty(0, np.int64)
    threshold = np.inf
    if best_k >= 0:
        x = act[best_k]
        e = rstart[x]
        while e < rlen[x] and not _valid(si[x, e], x, active, ntime, rtime):
            e += 1
        if e < rlen[x]:
            j = si[x, e]
            threshold = factor * dist[x, j] - s_hi[x] - s_hi[j] + band
    for k in range(r):
        if head_bound[k] - slack > threshold:
            continue
        x = act[k]
        best, _ = _scan_row(x, factor, dist, sv, si, rlen, rstart, rtime, ntime, active, s_hi, bmax,
                            sfx, lifts[n] - lifts[x], s_max, threshold, slack, no_keys, 0,
                            head_v, head_cap)
        row_min[k] = best
        if best + band < threshold:
            threshold = best + band
    q_best = np.inf
    for k in range(r):
        if row_min[k] < q_best:
            q_best = row_min[k]
    threshold = q_best + band
    count = 0
    for k in range(r):
        if row_min[k] <= threshold:
            x = act[k]
            _, count = _scan_row(x, factor, dist, sv, si, rlen, rstart, rtime, ntime, active, s_hi,
                                 bmax, sfx, lifts[n] - lifts[x], s_max, threshold, slack, no_keys,
                                 count, head_v, head_cap)
    keys = np.empty(count, np.int64)
    count = 0
    for k in range(r):
        if row_min[k] <= threshold:
            x = act[k]
            _, count = _scan_row(x, factor, dist, sv, si, rlen, rstart, rtime, ntime, active, s_hi,
                                 bmax, sfx, lifts[n] - lifts[x], s_max, threshold, slack, keys,
                                 count, head_v, head_cap)
    keys.sort()
    q_min = 1.0e300
    best_a = -1
    best_b = -1
    for c in range(count):
        a = keys[c] // n
        b = keys[c] % n
        for v in (a, b):
            if stamp[v] != step:
                sums[v] = _fastme_sum(dist, act, r, v)
                stamp[v] = step
        q = (factor * dist[a, b] - sums[a]) - sums[b]
        if q < q_min - _DBL_EPSILON:
            q_min = q
            best_a = a
            best_b = b
    return best_a, best_b


@numba.njit(cache=True)
def _scan_all(dist, act, r, sums, stamp, step):
    """FastME's ``Best_pair`` over every pair (a fallback that the bounded search never needs)."""
    for k in range(r):
        v = act[k]
        sums[v] = _fastme_sum(dist, act, r, v)
        stamp[v] = step
    factor = float(r - 2)
    q_min = 1.0e300
    best_a = act[1]
    best_b = act[0]
    for kx in range(r):
        x = act[kx]
        for ky in range(kx):
            y = act[ky]
            q = (factor * dist[x, y] - sums[x]) - sums[y]
            if q < q_min - _DBL_EPSILON:
                q_min = q
                best_a = x
                best_b = y
    return best_a, best_b


@numba.njit(cache=True)
def _nj_steps(dist, sv, si, rlen, rstart, rtime, ntime, active, act, state, s_hi, s_lo, s_abs,
              bmax, sfx, lifts, marks, head_v, head_cap, node_of, joins, join_lengths, sums, stamp,
              steps):
    """Run up to ``steps`` joins of FastME's NJ (module docstring, step 3); state lives in the arrays.

    ``state`` = [r, step, next node id]; ``s_abs[0..]`` sums of |D| per row and, at index n, the
    largest |D| seen; ``lifts[n]`` how much any S may have grown since the start (only negative
    distances make an S grow) and ``lifts[x]`` its value when row x's block maxima were made.
    Returns the number of joins done.
    """
    n = dist.shape[0]
    first_q = np.empty(n, np.float64)
    row_min = np.empty(n, np.float64)
    done = 0
    while done < steps and state[0] > 3:
        r = state[0]
        step = state[1]
        s_max = -np.inf
        abs_max = 0.0
        for k in range(r):
            x = act[k]
            if s_hi[x] > s_max:
                s_max = s_hi[x]
            if s_abs[x] > abs_max:
                abs_max = s_abs[x]
        d_max = s_abs[n]
        scale = float(r - 2) * d_max + 2.0 * max(abs(s_max), abs_max)
        # FastME's sums differ from the exact ones by at most (r - 1) u sum|D| each.
        err = 2.0 * (r + 1) * _UNIT * abs_max * 1.01 + 16.0 * _UNIT * scale
        band = 2.0 * err + 1e-300
        slack = 16.0 * _UNIT * scale
        if s_max < 0.9 * marks[0]:
            # S has shrunk: refresh every row's block maxima so the bounds stay tight.
            _refresh_blocks(act[:r], sv, si, rlen, rstart, s_hi, bmax, sfx, head_v, head_cap)
            for k in range(r):
                lifts[act[k]] = lifts[n]
            marks[0] = s_max
        a, b = _search(dist, sv, si, rlen, rstart, rtime, ntime, active, act, r, s_hi, bmax, sfx,
                       lifts, s_max + slack, band, slack, first_q, row_min, sums, stamp, step,
                       head_v, head_cap)
        if a < 0:
            a, b = _scan_all(dist, act, r, sums, stamp, step)
        # FastME: the new node takes index a (the larger), b is emptied.
        sa = sums[a]
        sb = sums[b]
        dab = dist[a, b]
        la = (dab + (sa - sb) / (r - 2)) / 2
        lb = (dab + (sb - sa) / (r - 2)) / 2
        joins[step, 0] = node_of[a]
        joins[step, 1] = node_of[b]
        join_lengths[step, 0] = la
        join_lengths[step, 1] = lb
        node_of[a] = state[2]
        state[2] += 1
        new_hi = 0.0
        new_lo = 0.0
        new_abs = 0.0
        grown = 0.0
        w = 0
        for k in range(r):
            i = act[k]
            if i == b:
                continue
            act[w] = i
            w += 1
            if i == a:
                continue
            old_a = dist[a, i]
            old_b = dist[b, i]
            value = 0.5 * (old_a - la) + 0.5 * (old_b - lb)
            dist[a, i] = value
            dist[i, a] = value
            hi, lo = _dd_add(s_hi[i], s_lo[i], -old_a)
            hi, lo = _dd_add(hi, lo, -old_b)
            s_hi[i], s_lo[i] = _dd_add(hi, lo, value)
            growth = value - old_a - old_b
            if growth > grown:
                grown = growth
            s_abs[i] += abs(value) - abs(old_a) - abs(old_b)
            new_hi, new_lo = _dd_add(new_hi, new_lo, value)
            new_abs += abs(value)
            if abs(value) > s_abs[n]:
                s_abs[n] = abs(value)
        if grown > 0.0:
            lifts[n] += grown * (1.0 + 1e-9) + 1e-300
        r -= 1
        active[b] = False
        s_hi[a] = new_hi
        s_lo[a] = new_lo
        s_abs[a] = new_abs
        step += 1
        rtime[a] = step
        ntime[a] = step
        # The new node's row: every other active node, sorted.
        values = np.empty(r - 1, np.float64)
        slots = np.empty(r - 1, np.int64)
        m = 0
        for k in range(r):
            i = act[k]
            if i != a:
                values[m] = dist[a, i]
                slots[m] = i
                m += 1
        order = np.argsort(values)
        for m in range(r - 1):
            sv[a, m] = _round_down(values[order[m]])
            si[a, m] = slots[order[m]]
        rlen[a] = r - 1
        rstart[a] = 0
        _build_blocks(a, si, rlen, s_hi, bmax, sfx)
        lifts[a] = lifts[n]
        _set_head(a, sv, rstart, rlen, bmax, sfx, head_v, head_cap)
        state[0] = r
        state[1] = step
        done += 1
    return done


def fastme_nj(
    dist: np.ndarray,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """FastME 2.1.5's NJ on a distance matrix, the same joins and lengths (module docstring, step 3).

    Parameters
    ----------
    dist : numpy.ndarray
        ``(n, n)`` float64, symmetric, zero diagonal, n >= 4. **Overwritten** (it becomes the
        working matrix, as FastME's ``delta``).
    progress, cancel : callable, optional
        Progress and cancellation hooks, called between blocks of joins.

    Returns
    -------
    joins : numpy.ndarray
        ``(n - 3, 2)`` int64: node ids joined at each step (leaves are ``0 .. n - 1``, the node made
        at step t is ``n + t``), FastME's ``a`` (larger index) first.
    join_lengths : numpy.ndarray
        ``(n - 3, 2)`` float64: the two branch lengths.
    last : numpy.ndarray
        The three node ids left at the end, by ascending index.
    last_lengths : numpy.ndarray
        Their branch lengths to the centre.

    Notes
    -----
    Time: O(n^2 log n) to sort the rows plus the bounded search (module docstring); O(n) per step
    for the row bounds, the update and the exact sums. Memory: the matrix plus about 8.5 n^2 bytes
    (sorted rows, their indices and the block maxima).
    """
    n = dist.shape[0]
    if n < 4 or dist.shape != (n, n):
        raise ValueError("fastme_nj needs a square matrix of at least 4 nodes")
    sv = np.empty((n, n), np.float32)
    si = np.empty((n, n), np.int32)
    rlen = np.zeros(n, np.int64)
    rstart = np.zeros(n, np.int64)
    rtime = np.zeros(n, np.int64)
    ntime = np.zeros(n, np.int64)
    active = np.ones(n, np.bool_)
    act = np.arange(n, dtype=np.int64)
    state = np.array([n, 0, n], np.int64)
    _sort_leaf_rows(dist, sv, si, rlen)
    s_hi = np.zeros(n, np.float64)
    s_lo = np.zeros(n, np.float64)
    s_abs = np.empty(n + 1, np.float64)
    _exact_sums(dist, s_hi, s_lo, s_abs)
    blocks = (n + _BLOCK - 1) // _BLOCK + 1
    bmax = np.empty((n, blocks), np.float64)
    sfx = np.empty((n, blocks), np.float64)
    lifts = np.zeros(n + 1, np.float64)
    head_v = np.empty((n, 2), np.float64)
    head_cap = np.empty((n, 2), np.float64)
    _refresh_blocks(act, sv, si, rlen, rstart, s_hi, bmax, sfx, head_v, head_cap)
    marks = np.array([s_hi.max()])
    node_of = np.arange(n, dtype=np.int64)
    joins = np.zeros((n - 3, 2), np.int64)
    join_lengths = np.zeros((n - 3, 2), np.float64)
    sums = np.zeros(n, np.float64)
    stamp = np.full(n, -1, np.int64)
    block = max(1, min(n, 200_000_000 // max(1, n * n) + 16))
    while state[0] > 3:
        check_cancel(cancel, "neighbour joining")
        _nj_steps(dist, sv, si, rlen, rstart, rtime, ntime, active, act, state, s_hi, s_lo, s_abs,
                  bmax, sfx, lifts, marks, head_v, head_cap, node_of, joins, join_lengths, sums,
                  stamp, block)
        report(progress, state[1] / max(1, n - 3))
    del sv, si
    last_slots = act[:3].copy()
    i, j, k = (int(v) for v in last_slots)
    last_lengths = np.array([
        0.5 * (dist[i, j] + dist[i, k] - dist[j, k]),
        0.5 * (dist[j, i] + dist[j, k] - dist[i, k]),
        0.5 * (dist[k, j] + dist[k, i] - dist[j, i]),
    ])
    return joins, join_lengths, node_of[last_slots], last_lengths


def fastme_tree(dist: np.ndarray) -> RootedTree:
    """FastME's NJ tree of a distance matrix as it comes out of the joins (no GrapeTree finish).

    Parameters
    ----------
    dist : numpy.ndarray
        ``(n, n)`` float64, symmetric, zero diagonal, n >= 4 (not modified).

    Returns
    -------
    RootedTree
        Leaf ``i`` is matrix row ``i``; the root is FastME's last centre with three children;
        lengths are NJ's own (not rounded, negative ones kept).
    """
    n = dist.shape[0]
    joins, join_lengths, last, last_lengths = fastme_nj(np.array(dist, np.float64, copy=True))
    total = n + len(joins) + 1
    children: list[list[int]] = [[] for _ in range(total)]
    lengths = np.zeros(total, np.float64)
    for t, (a, b) in enumerate(joins):
        children[n + t] = [int(a), int(b)]
        lengths[a], lengths[b] = join_lengths[t]
    children[total - 1] = [int(v) for v in last]
    lengths[last] = last_lengths
    rows = [*range(n), *([-1] * (total - n))]
    return from_children(rows, children, lengths, total - 1, algorithm="fastme-nj")


@numba.njit(cache=True, parallel=True)
def _exact_sums(dist, s_hi, s_lo, s_abs):
    """Row sums of ``dist`` (diagonal 0) in double-double; sums of |D| per row and, at index n, the
    largest |D| (no n x n temporary)."""
    n = dist.shape[0]
    row_top = np.zeros(n, np.float64)
    for i in numba.prange(n):
        hi = 0.0
        lo = 0.0
        total = 0.0
        top = 0.0
        for j in range(n):
            if j != i:
                value = dist[i, j]
                hi, lo = _dd_add(hi, lo, value)
                total += abs(value)
                if abs(value) > top:
                    top = abs(value)
        s_hi[i] = hi
        s_lo[i] = lo
        s_abs[i] = total
        row_top[i] = top
    s_abs[n] = row_top.max() if n else 0.0


# --------------------------------------------------------------------------------------------
# Steps 4 and 5: FastME's tree layout, then ete3's midpoint rooting and unrooting


class _Node:
    """The little of an ete3 TreeNode that rooting and the short-branch rule use."""

    __slots__ = ("children", "dist", "name", "up")

    def __init__(self, name: int = -1, dist: float = 0.0) -> None:
        self.children: list[_Node] = []
        self.up: _Node | None = None
        self.dist = dist
        self.name = name

    def add_child(self, child: _Node) -> _Node:
        self.children.append(child)
        child.up = self
        return child


def _fastme_printed(value: float) -> float:
    """A branch length as FastME writes it (``%.8f``) and reads it back."""
    return float(f"{value:.8f}")


def _fastme_layout(n: int, joins: np.ndarray, join_lengths: np.ndarray, last: np.ndarray,
                   last_lengths: np.ndarray) -> _Node:
    """The tree as ete3 reads FastME's output: FastME builds ``(a:la,b:lb)`` per join and
    ``(i:li,j:lj,k:lk)`` at the end, re-reads it, reroots it at a leaf (``detrifurcate``: down the
    centre's third child, then always the first child) and prints it from that leaf."""
    total = n + len(joins) + 1
    left = np.full(total, -1, np.int64)
    right = np.full(total, -1, np.int64)
    up = np.full(total, -1, np.int64)
    length = np.zeros(total, np.float64)
    for t, (a, b) in enumerate(joins):
        node = n + t
        left[node], right[node] = a, b
        up[a] = up[b] = node
        length[a] = _fastme_printed(join_lengths[t, 0])
        length[b] = _fastme_printed(join_lengths[t, 1])
    centre = total - 1
    left[centre], right[centre] = last[0], last[1]
    middle = int(last[2])
    for v, value in zip(last, last_lengths, strict=True):
        up[v] = centre
        length[v] = _fastme_printed(value)
    # detrifurcate: reverse the path centre -> middle -> first child -> ... -> a leaf.
    child = middle
    leaf = -1
    while child != -1:
        tail = int(up[child])
        next_child = int(left[child])
        length[tail] = length[child]
        up[tail] = child
        left[child] = tail
        up[child] = -1
        leaf = child
        child = next_child
    top = int(left[leaf])  # the printed tree's root: the leaf's neighbour
    root = _Node()

    def build(v: int, parent: _Node) -> None:
        # Depth first, first child first: children end up in print order.
        stack = [(v, parent)]
        while stack:
            w, owner = stack.pop()
            made = owner.add_child(_Node(w if w < n else -1, length[w]))
            if w >= n:
                stack.append((int(right[w]), made))
                stack.append((int(left[w]), made))

    # children in print order: top's first child, its second child, then the leaf.
    build(int(left[top]), root)
    build(int(right[top]), root)
    root.add_child(_Node(leaf, length[top]))
    return root


def _farthest_leaf(node: _Node) -> tuple[_Node, float]:
    """ete3 ``get_farthest_leaf``: a running sum down and up the pre/post-order walk, first maximum."""
    if not node.children:
        return node, 0.0
    best: _Node | None = None
    best_dist = None
    d = 0.0
    stack: list[tuple[_Node, bool]] = [(node, False)]
    while stack:
        current, post = stack.pop()
        if post:
            if current is not node:
                d -= current.dist
            continue
        if current is not node:
            if not current.children:
                total = d + current.dist
                if best_dist is None or total > best_dist:
                    best_dist = total
                    best = current
            else:
                d += current.dist
        if current.children:
            stack.append((current, True))
            stack.extend((child, False) for child in reversed(current.children))
    assert best is not None and best_dist is not None
    return best, best_dist


def _farthest_node(leaf: _Node) -> tuple[_Node, float]:
    """ete3 ``get_farthest_node`` from a leaf."""
    farthest, farthest_dist = leaf, 0.0
    prev = leaf
    cdist = prev.dist
    current = prev.up
    while current is not None:
        for child in current.children:
            if child is not prev:
                if child.children:
                    node, dist = _farthest_leaf(child)
                else:
                    node, dist = child, 0
                dist += child.dist
                if cdist + dist > farthest_dist:
                    farthest_dist = cdist + dist
                    farthest = node
        prev = current
        cdist += prev.dist
        current = prev.up
    return farthest, farthest_dist


def _midpoint_outgroup(root: _Node) -> _Node:
    """ete3 ``get_midpoint_outgroup``."""
    leaf_a, _ = _farthest_leaf(root)
    _, a_to_b = _farthest_node(leaf_a)
    middle = a_to_b / 2.0
    cdist = 0.0
    current: _Node | None = leaf_a
    while current is not None:
        cdist += current.dist
        if cdist > middle:
            break
        current = current.up
    return root.children[0] if current is None else current


def _set_outgroup(root: _Node, outgroup: _Node) -> bool:
    """ete3 ``set_outgroup`` (returns False where ete3 raises, which GrapeTree ignores)."""
    if outgroup is root:
        return False
    parent_outgroup = outgroup.up
    n = outgroup
    while n.up is not root:
        assert n.up is not None
        n = n.up
    root.children.remove(n)
    if len(root.children) != 1:
        connector = _Node(dist=0.0)
        for child in list(root.children):
            connector.children.append(child)
            child.up = connector
            root.children.remove(child)
    else:
        connector = root.children[0]
    future_parent = parent_outgroup
    assert future_parent is not None
    if future_parent is not root:
        future_child = future_parent.up
        former_parent = None
        buffered = future_parent.dist
        while future_child is not root:
            assert future_child is not None
            future_parent.children.append(future_child)
            future_child.children.remove(future_parent)
            buffered2 = future_child.dist
            future_child.dist = buffered
            buffered = buffered2
            future_parent.up = former_parent
            former_parent = future_parent
            future_parent = future_child
            future_child = future_parent.up
        future_parent.children.append(connector)
        connector.up = future_parent
        future_parent.up = former_parent
        connector.dist += buffered
        outgroup2 = parent_outgroup
        parent_outgroup.children.remove(outgroup)
        outgroup2.dist = 0
    else:
        outgroup2 = connector
    outgroup.up = root
    outgroup2.up = root
    root.children = [outgroup, outgroup2]
    middle = (outgroup2.dist + outgroup.dist) / 2
    outgroup.dist = middle
    outgroup2.dist = middle
    return True


def _delete(node: _Node) -> None:
    """ete3 ``delete()`` of an internal node: its children move to its parent (lengths dropped)."""
    parent = node.up
    assert parent is not None
    for child in node.children:
        parent.add_child(child)
    parent.children.remove(node)
    node.up = None


def _unroot(root: _Node) -> None:
    """ete3 ``unroot()`` in legacy mode."""
    if len(root.children) == 2:
        if root.children[0].children:
            _delete(root.children[0])
        elif root.children[1].children:
            _delete(root.children[1])


def _postorder(root: _Node) -> list[_Node]:
    """ete3's post-order of the descendants (children in order, then the node)."""
    order: list[_Node] = []
    stack: list[tuple[_Node, bool]] = [(root, False)]
    while stack:
        node, post = stack.pop()
        if post or not node.children:
            if node is not root:
                order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.children))
    return order


def _short_branches(root: _Node) -> None:
    """GrapeTree: if a branch is longer than 3, branches in (0, 0.1) go to their sisters, in post-order."""
    nodes = _postorder(root)
    if max((node.dist for node in nodes), default=0.0) <= 3:
        return
    for node in nodes:
        if 0 < node.dist < 0.1:
            assert node.up is not None
            for sister in node.up.children:
                if sister is not node:
                    sister.dist += node.dist
            node.dist = 0


def _to_tree(root: _Node, groups: list[np.ndarray], missing: str) -> RootedTree:
    """Expand identical-profile groups and number the nodes as :class:`RootedTree` wants."""
    children: list[list[int]] = []
    lengths: list[float] = []
    rows: list[int] = []

    def add(row: int, length: float) -> int:
        children.append([])
        lengths.append(length)
        rows.append(row)
        return len(children) - 1

    stack: list[tuple[_Node, int]] = [(root, -1)]
    while stack:
        node, owner = stack.pop()
        if node.children:
            index = add(-1, float(node.dist))
            for child in reversed(node.children):
                stack.append((child, index))
        else:
            members = groups[node.name]
            if len(members) == 1:
                index = add(int(members[0]), float(node.dist))
            else:
                index = add(-1, float(node.dist))
                for member in members:
                    children[index].append(add(int(member), 0.0))
        if owner >= 0:
            children[owner].append(index)
    return from_children(rows, children, lengths, 0, algorithm="nj",
                         parameters={"missing": missing})


# --------------------------------------------------------------------------------------------
# The public function


def nj(
    dataset: Dataset,
    *,
    missing: str = "pair-delete",
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
) -> RootedTree:
    """GrapeTree's NJ tree of a dataset: FastME's neighbour joining and GrapeTree's finish.

    Parameters
    ----------
    dataset : Dataset
        The profiles.
    missing : {"pair-delete", "complete-delete", "as-allele", "absolute"}
        GrapeTree's ``-y`` 0 (default), 1, 2, 3: how the distance treats missing alleles
        (:mod:`engine.algorithms.grapetree_distances`).
    progress : callable, optional
        Called with the fraction done.
    cancel : callable, optional
        Returning True stops the run with :class:`~engine.errors.CancelledError`.

    Returns
    -------
    RootedTree
        Leaves are the dataset rows that have at least one allele (all-missing rows are left out,
        as GrapeTree does); the root is a multifurcation (the tree is unrooted); identical profiles
        hang at length 0 under one internal node. ``parameters`` = ``{"missing": missing}``.

    Raises
    ------
    ParameterError
        For an unknown mode.
    InputError
        When no row has an allele.

    Notes
    -----
    The steps, and how they reproduce GrapeTree 3.0.0 with FastME 2.1.5 and ete3 3.1.3, are in the
    module docstring. Time O(n^2 L) for the distances plus O(n^2 log n) for the joins in practice
    (worst case O(n^3)), with n the number of distinct profiles; memory about 16.5 n^2 bytes. With fewer
    than 4 distinct profiles, where FastME refuses to run, the tree is the star (3) or the single
    edge split at its middle (2). Deterministic; permuting the input rows changes only which row
    of an identical group is its representative, which does not change the tree.

    Examples
    --------
    >>> from engine.io.datasets import read_dataset
    >>> text = "ST a b c\\n1 1 1 1\\n2 1 1 2\\n3 1 2 2\\n4 2 2 2\\n".replace(" ", "\\t")
    >>> data = read_dataset(text.encode())
    >>> tree = nj(data, missing="absolute")
    >>> tree.leaves, tree.nodes
    (4, 6)
    """
    missing_code(missing)
    report(progress, 0.0)
    nodes = grapetree_profiles(dataset, missing)
    n = nodes.size
    if n == 0:
        raise InputError("No profile has an allele: a tree needs at least one called locus.")
    check_cancel(cancel, "neighbour joining")
    if n >= 4:
        dist = rounded_distances(nodes.codes, missing, progress=_scaled(progress, 0.02, 0.3),
                                 cancel=cancel)
        joins, join_lengths, last, last_lengths = fastme_nj(
            dist, progress=_scaled(progress, 0.3, 0.97), cancel=cancel)
        del dist
        root = _fastme_layout(n, joins, join_lengths, last, last_lengths)
        outgroup = _midpoint_outgroup(root)
        if _set_outgroup(root, outgroup):
            _unroot(root)
    else:
        root = _small_tree(nodes.codes, missing)
    _short_branches(root)
    tree = _to_tree(root, nodes.groups(), missing)
    report(progress, 1.0)
    return tree


def _small_tree(codes: np.ndarray, missing: str) -> _Node:
    """Trees of 1, 2 or 3 distinct profiles (FastME needs 4): a leaf, a split edge, a star."""
    n = codes.shape[0]
    root = _Node()
    if n == 1:
        root.add_child(_Node(0, 0.0))
        return root
    dist = rounded_distances(codes, missing)
    if n == 2:
        root.add_child(_Node(0, dist[0, 1] / 2))
        root.add_child(_Node(1, dist[0, 1] / 2))
        return root
    lengths = (0.5 * (dist[0, 1] + dist[0, 2] - dist[1, 2]),
               0.5 * (dist[1, 0] + dist[1, 2] - dist[0, 2]),
               0.5 * (dist[2, 1] + dist[2, 0] - dist[1, 0]))
    for v in range(3):
        root.add_child(_Node(v, _fastme_printed(lengths[v])))
    outgroup = _midpoint_outgroup(root)
    if _set_outgroup(root, outgroup):
        _unroot(root)
    return root


def _scaled(progress: ProgressCallback | None, low: float, high: float) -> ProgressCallback | None:
    if progress is None:
        return None

    def scaled(fraction: float) -> None:
        progress(low + (high - low) * fraction)

    return scaled

