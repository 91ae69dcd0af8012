"""The numba kernels of :mod:`engine.algorithms.incremental` (adding profiles to a goeBURST forest).

Conventions as in :mod:`engine.algorithms.goeburst_kernels`: nodes are row indices of a node matrix
(``int64``), an edge is ``(u, v, d)``, a missing node is -1, and the edge order is an
:class:`~engine.algorithms.goeburst_kernels.EdgeOrder` (its ``node_rank`` is not read here). The
old nodes are ``0 .. n0 - 1`` and keep their indices in the new version; new nodes follow.

Key positions. Two edges of the same distance are compared component by component; the
*diff index* of two edges is the first component where they differ:

- 0: the distance;
- ``2k - 1`` and ``2k``: the larger and the smaller LV_k count of the endpoints (k = 1..levels);
- ``2 levels + 1`` and ``2 levels + 2``: the larger and the smaller frequency;
- ``2 levels + 3``: the id rules (two different edges always differ there);
- ``2 levels + 4``: the same edge.

The *level* of an index is 0 for the distance, k for LV_k, ``levels + 1`` for the frequency,
``levels + 2`` for the ids; :func:`compare_edges` reports ``level + 1`` as its magnitude.
"""

from __future__ import annotations

import numba
import numpy as np

from engine.algorithms.distances import row_distance
from engine.algorithms.goeburst_kernels import compare_edges

#: A distance or level larger than any real one.
FAR = np.int64(1) << 40


# --------------------------------------------------------------------------------------------
# Key positions


@numba.njit(cache=True)
def diff_index(a1, b1, d1, a2, b2, d2, order):
    """The first key position where edges ``(a1, b1, d1)`` and ``(a2, b2, d2)`` differ (module docstring)."""
    lv, freq, _, _, _, levels, _ = order
    if d1 != d2:
        return 0
    for k in range(1, levels + 1):
        x1 = lv[a1, k]
        y1 = lv[b1, k]
        x2 = lv[a2, k]
        y2 = lv[b2, k]
        if max(x1, y1) != max(x2, y2):
            return 2 * k - 1
        if min(x1, y1) != min(x2, y2):
            return 2 * k
    if max(freq[a1], freq[b1]) != max(freq[a2], freq[b2]):
        return 2 * levels + 1
    if min(freq[a1], freq[b1]) != min(freq[a2], freq[b2]):
        return 2 * levels + 2
    if min(a1, b1) == min(a2, b2) and max(a1, b1) == max(a2, b2):
        return 2 * levels + 4
    return 2 * levels + 3


@numba.njit(cache=True)
def level_of(index, levels):
    """The level of a key position: 0 distance, k for LV_k, levels + 1 frequency, levels + 2 ids."""
    if index <= 0:
        return 0
    if index <= 2 * levels:
        return (index + 1) // 2
    if index <= 2 * levels + 2:
        return levels + 1
    return levels + 2 if index == 2 * levels + 3 else levels + 3


@numba.njit(cache=True)
def first_changes(u, v, old, new):
    """For each edge, the first key position where its old and new keys differ (``FAR`` if none).

    The distance and the id rules of an edge between old nodes never change.
    """
    levels = old.levels
    out = np.full(u.shape[0], FAR, np.int64)
    for e in range(u.shape[0]):
        a = u[e]
        b = v[e]
        for k in range(1, levels + 1):
            if max(old.lv[a, k], old.lv[b, k]) != max(new.lv[a, k], new.lv[b, k]):
                out[e] = 2 * k - 1
                break
            if min(old.lv[a, k], old.lv[b, k]) != min(new.lv[a, k], new.lv[b, k]):
                out[e] = 2 * k
                break
        if out[e] < FAR:
            continue
        if max(old.freq[a], old.freq[b]) != max(new.freq[a], new.freq[b]):
            out[e] = 2 * levels + 1
        elif min(old.freq[a], old.freq[b]) != min(new.freq[a], new.freq[b]):
            out[e] = 2 * levels + 2
    return out


@numba.njit(cache=True, parallel=True)
def node_changes(lv_old, lv_new, freq_old, freq_new, levels):
    """Per old node, the first level whose count changed (``levels + 1``: the frequency only; FAR: none)."""
    n0 = lv_old.shape[0]
    out = np.full(n0, FAR, np.int64)
    for a in numba.prange(n0):
        for k in range(1, levels + 1):
            if lv_old[a, k] != lv_new[a, k]:
                out[a] = k
                break
        if out[a] == FAR and freq_old[a] != freq_new[a]:
            out[a] = levels + 1
    return out


# --------------------------------------------------------------------------------------------
# Distances from the new nodes, and the new LV counts


@numba.njit(cache=True, parallel=True)
def new_rows(matrix, mode, n0, out):
    """``out[r, j]``: the distance from new node ``n0 + r`` to node j (every node, new ones included)."""
    count = out.shape[0]
    n = matrix.shape[0]
    cells = count * n
    for cell in numba.prange(cells):
        r = cell // n
        j = cell - r * n
        out[r, j] = row_distance(matrix, n0 + r, j, mode)


@numba.njit(cache=True, parallel=True)
def add_new_levels(dist, n0, levels, lv):
    """Add to ``lv`` (old counts in rows < n0, zeros after) the pairs that involve a new node.

    ``dist`` is :func:`new_rows`' output. Old node j gains one at level d for every new node d
    apart (0 < d <= levels); each new node counts every other node.
    """
    count, n = dist.shape
    for j in numba.prange(n0):
        for r in range(count):
            d = dist[r, j]
            if 0 < d <= levels:
                lv[j, d] += 1
    for r in numba.prange(count):
        x = n0 + r
        for j in range(n):
            d = dist[r, j]
            if j != x and 0 < d <= levels:
                lv[x, d] += 1


# --------------------------------------------------------------------------------------------
# Prim over a sparse graph, with the runner-up of every step


@numba.njit(cache=True)
def _push(hu, hv, hd, size, u, v, d, order):
    pos = size
    while pos > 0:
        parent = (pos - 1) // 2
        if compare_edges(u, v, d, hu[parent], hv[parent], hd[parent], order) >= 0:
            break
        hu[pos] = hu[parent]
        hv[pos] = hv[parent]
        hd[pos] = hd[parent]
        pos = parent
    hu[pos] = u
    hv[pos] = v
    hd[pos] = d
    return size + 1


@numba.njit(cache=True)
def _pop(hu, hv, hd, size, order):
    size -= 1
    u = hu[size]
    v = hv[size]
    d = hd[size]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and compare_edges(hu[child + 1], hv[child + 1], hd[child + 1],
                                              hu[child], hv[child], hd[child], order) < 0:
            child += 1
        if compare_edges(hu[child], hv[child], hd[child], u, v, d, order) >= 0:
            break
        hu[pos] = hu[child]
        hv[pos] = hv[child]
        hd[pos] = hd[child]
        pos = child
    if size > 0:
        hu[pos] = u
        hv[pos] = v
        hd[pos] = d
    return size


@numba.njit(cache=True)
def sparse_prim(n, offsets, neighbours, lengths, order):
    """Prim's algorithm over a graph given as CSR lists, as :func:`goeburst_kernels.prim_steps` runs it.

    Parameters
    ----------
    n : int
        Number of nodes.
    offsets, neighbours, lengths : numpy.ndarray
        Node a's edges go to ``neighbours[offsets[a]:offsets[a + 1]]`` with those ``lengths``;
        every edge is listed from both ends, once each.
    order : EdgeOrder
        The edge order.

    Returns
    -------
    edges : tuple of numpy.ndarray
        ``(u, v, d, rule, runner_u, runner_v, runner_d)`` of the kept edges in the order they were
        taken (v the node the edge brought in), with the rule magnitude and the runner-up as in
        :class:`~engine.algorithms.goeburst_kernels.KeptEdges`.
    sequence : numpy.ndarray
        The nodes in the order they joined the forest.

    Notes
    -----
    The same steps as the dense Prim: a tree starts at the smallest node outside the forest when no
    edge leaves it; each step takes the first edge in ``order`` leaving the forest, and its
    runner-up is the better of the new node's second-best edge and the best edge into any other
    outside node. O(m log m) for m edges.
    """
    best_u = np.full(n, -1, np.int64)
    best_d = np.zeros(n, np.int64)
    second_u = np.full(n, -1, np.int64)
    second_d = np.zeros(n, np.int64)
    in_tree = np.zeros(n, np.bool_)
    capacity = max(16, neighbours.shape[0] + 1)
    hu = np.empty(capacity, np.int64)
    hv = np.empty(capacity, np.int64)
    hd = np.empty(capacity, np.int64)
    size = 0
    m = max(n - 1, 0)
    ku = np.empty(m, np.int64)
    kv = np.empty(m, np.int64)
    kd = np.empty(m, np.int64)
    krule = np.empty(m, np.int64)
    ru = np.empty(m, np.int64)
    rv = np.empty(m, np.int64)
    rd = np.empty(m, np.int64)
    sequence = np.empty(n, np.int64)
    kept = 0
    start = 0
    for step in range(n):
        while size > 0 and (in_tree[hv[0]] or best_u[hv[0]] != hu[0]):
            size = _pop(hu, hv, hd, size, order)
        if size == 0:
            while in_tree[start]:
                start += 1
            x = start
        else:
            u, x, d = hu[0], hv[0], hd[0]
            size = _pop(hu, hv, hd, size, order)
            while size > 0 and (in_tree[hv[0]] or best_u[hv[0]] != hu[0]):
                size = _pop(hu, hv, hd, size, order)
            cu, cv, cd = second_u[x], x, second_d[x]
            if size > 0 and (cu < 0 or compare_edges(hu[0], hv[0], hd[0], cu, cv, cd, order) < 0):
                cu, cv, cd = hu[0], hv[0], hd[0]
            ku[kept] = u
            kv[kept] = x
            kd[kept] = d
            if cu < 0:
                krule[kept] = 1
                ru[kept] = -1
                rv[kept] = -1
                rd[kept] = 0
            else:
                krule[kept] = -compare_edges(u, x, d, cu, cv, cd, order)
                ru[kept] = cu
                rv[kept] = cv
                rd[kept] = cd
            kept += 1
        in_tree[x] = True
        sequence[step] = x
        for k in range(offsets[x], offsets[x + 1]):
            w = neighbours[k]
            if in_tree[w]:
                continue
            d = lengths[k]
            for slot in range(2):
                other = best_u[w] if slot == 0 else second_u[w]
                other_d = best_d[w] if slot == 0 else second_d[w]
                if other >= 0 and compare_edges(x, w, d, other, w, other_d, order) >= 0:
                    continue
                if slot == 0:
                    second_u[w] = other
                    second_d[w] = other_d
                    best_u[w] = x
                    best_d[w] = d
                    size = _push(hu, hv, hd, size, x, w, d, order)
                else:
                    second_u[w] = x
                    second_d[w] = d
                break
    edges = (ku[:kept], kv[:kept], kd[:kept], krule[:kept], ru[:kept], rv[:kept], rd[:kept])
    return edges, sequence


def csr(n: int, u: np.ndarray, v: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR lists of an undirected edge list (each edge listed from both ends), neighbours ascending."""
    ends = np.concatenate([u, v])
    others = np.concatenate([v, u])
    lengths = np.concatenate([d, d])
    sort = np.lexsort((others, ends))
    counts = np.bincount(ends, minlength=n)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets, others[sort].astype(np.int64), lengths[sort].astype(np.int64)


# --------------------------------------------------------------------------------------------
# The old forest: its Kruskal reconstruction tree and the old profiles whose edges may move


@numba.njit(cache=True)
def reconstruction_tree(n0, u, v):
    """Parent of every node of the Kruskal reconstruction tree of a forest.

    Leaves are the nodes ``0 .. n0 - 1``; edge ``e`` of ``(u, v)`` (in Kruskal order) is internal
    node ``n0 + e``, whose children are the two trees it joined. -1: no parent (a root).
    The leaves below internal node ``n0 + e`` are the nodes joined by edges up to e: edge e's
    component.
    """
    m = u.shape[0]
    parent = np.full(n0 + m, -1, np.int64)
    find = np.arange(n0, dtype=np.int64)
    top = np.arange(n0, dtype=np.int64)  # reconstruction node on top of each union-find root
    for e in range(m):
        a = u[e]
        while find[a] != a:
            find[a] = find[find[a]]
            a = find[a]
        b = v[e]
        while find[b] != b:
            find[b] = find[find[b]]
            b = find[b]
        parent[top[a]] = n0 + e
        parent[top[b]] = n0 + e
        find[a] = b
        top[b] = n0 + e
    return parent


@numba.njit(cache=True)
def _compatible(v, a, b, below, lv):
    """Whether node v's LV_k count equals a's or b's at every level k < ``below``."""
    for k in range(1, min(below, lv.shape[1])):
        c = lv[v, k]
        if c != lv[a, k] and c != lv[b, k]:
            return False
    return True


@numba.njit(cache=True, parallel=True)
def exposed_nodes(parent, n0, ku, kv, witness_level, changed, lv_old):
    """For each old node, the highest reconstruction-tree ancestor through which its edges may move.

    Parameters
    ----------
    parent : numpy.ndarray
        :func:`reconstruction_tree` of the old forest, edges ``(ku, kv)`` in Kruskal order.
    witness_level : numpy.ndarray
        Per edge (Kruskal order): the level of the position where it differs from its witness.
    changed : numpy.ndarray
        Per old node: the first level whose count changed (:func:`node_changes`).
    lv_old : numpy.ndarray
        Old LV counts.

    Returns
    -------
    numpy.ndarray
        Per old node, the highest ancestor ``n0 + e`` with ``changed[v] <= witness_level[e]`` at
        which v is *compatible* (its LV counts below ``changed[v]`` each equal to one of edge e's
        endpoints'), or -1 when there is none.

    Notes
    -----
    Walks each changed node's ancestors while some ancestor above can still qualify (the
    largest witness level above every reconstruction node is computed first).
    """
    total = parent.shape[0]
    level = np.zeros(total, np.int64)
    for e in range(total - n0):
        level[n0 + e] = witness_level[e]
    reach = level.copy()  # the largest level at or above each node
    for node in range(total - 1, -1, -1):
        if parent[node] >= 0 and reach[parent[node]] > reach[node]:
            reach[node] = reach[parent[node]]
    top = np.full(n0, -1, np.int64)
    for v in numba.prange(n0):
        first = changed[v]
        node = parent[v]
        while node >= 0 and reach[node] >= first:
            if level[node] >= first:
                e = node - n0
                if _compatible(v, ku[e], kv[e], first, lv_old):
                    top[v] = node
            node = parent[node]
    return top


@numba.njit(cache=True)
def leaf_order(parent, n0, size):
    """The leaves of a :func:`reconstruction_tree` in depth-first order: ``order`` (leaf at each
    position) and ``start`` (per node, the position of its first leaf; its leaves are the next
    ``size[node]`` positions, ``size`` from :func:`component_sizes`)."""
    total = parent.shape[0]
    start = np.full(total, -1, np.int64)
    placed = np.zeros(total, np.int64)  # leaves already given to the children placed so far
    offset = 0
    for node in range(total - 1, -1, -1):  # parents come after their children
        if parent[node] < 0:
            start[node] = offset
            offset += size[node]
        else:
            up = parent[node]
            start[node] = start[up] + placed[up]
            placed[up] += size[node]
    order = np.empty(n0, np.int64)
    for leaf in range(n0):
        order[start[leaf]] = leaf
    return order, start


@numba.njit(cache=True)
def _joint(a, b, g1, g2, below, lv):
    """Whether the pair (a, b) has the larger and the smaller LV_k count of the pair (g1, g2) at every
    level k < ``below`` (the key positions of two edges of equal distance, there)."""
    for k in range(1, min(below, lv.shape[1])):
        x, y, p, q = lv[a, k], lv[b, k], lv[g1, k], lv[g2, k]
        if max(x, y) != max(p, q) or min(x, y) != min(p, q):
            return False
    return True


@numba.njit(cache=True)
def _exposed_pairs_of(s, top, n0, parent, ku, kv, kd, witness_level, changed, lv, order, start, size,
                      matrix, mode, max_distance, out_u, out_v, out_d, at, write):
    """The pairs of source ``s`` (see :func:`exposed_pairs`); written from ``at`` when ``write``.
    Returns how many."""
    first = changed[s]
    found = 0
    child = s
    node = parent[s]
    while node >= 0 and node <= top:
        e = node - n0
        length = kd[e]
        if witness_level[e] >= first and length <= max_distance and _compatible(s, ku[e], kv[e], first, lv):
            # the leaves of the other child of ``node``: its range without ``child``'s
            for lo, hi in ((start[node], start[child]),
                           (start[child] + size[child], start[node] + size[node])):
                for position in range(lo, hi):
                    b = order[position]
                    later = changed[b]
                    if later < first or (later == first and b < s):
                        continue  # b's own walk finds the pair
                    if not _joint(s, b, ku[e], kv[e], first, lv):
                        continue
                    if row_distance(matrix, s, b, mode) == length:
                        if write:
                            out_u[at + found] = s
                            out_v[at + found] = b
                            out_d[at + found] = length
                        found += 1
        child = node
        node = parent[node]
    return found


@numba.njit(cache=True, parallel=True)
def exposed_pairs(sources, tops, n0, parent, ku, kv, kd, witness_level, changed, lv, matrix, mode,
                  max_distance):
    """The old pairs whose edge may overtake an old forest edge (step 4 of
    :mod:`engine.algorithms.incremental`), found from the exposed old nodes.

    Parameters
    ----------
    sources, tops : numpy.ndarray
        Exposed old nodes and their highest qualifying ancestors (:func:`exposed_nodes`).
    parent, ku, kv, kd, witness_level : numpy.ndarray
        The :func:`reconstruction_tree` of the old forest, its edges in Kruskal order and the level
        of each edge's witness position.
    changed, lv : numpy.ndarray
        Per old node, the first level whose count changed (:func:`node_changes`) and the old LV
        counts.
    matrix, mode, max_distance :
        Node allele codes, missing-data mode code, longest candidate edge.

    Returns
    -------
    tuple of numpy.ndarray
        ``(u, v, d)``: every old pair (s, b) joined through an ancestor A of a source s (A at or
        below its top) such that A's edge may be overtaken through s (witness level at least
        ``changed[s]``, s compatible with its ends), b in A's other child, changed no earlier than
        s (else the pair is found from b), with the pair's LV counts those of A's edge at every
        level before ``changed[s]`` and its distance equal to A's edge's. Each pair once.

    Notes
    -----
    Pairs with any other LCA, count or distance keep their old key up to the position they lose at
    and cannot overtake (module docstring of :mod:`engine.algorithms.incremental`, point 4). The
    leaves of a subtree are a contiguous range of :func:`leaf_order`; two passes over the sources
    (count, then write) in parallel.
    """
    size = component_sizes(parent, n0)
    order, start = leaf_order(parent, n0, size)
    count = np.zeros(sources.shape[0], np.int64)
    nothing = np.zeros(0, np.int64)
    for i in numba.prange(sources.shape[0]):
        count[i] = _exposed_pairs_of(sources[i], tops[i], n0, parent, ku, kv, kd, witness_level, changed, lv,
                                     order, start, size, matrix, mode, max_distance, nothing, nothing,
                                     nothing, 0, False)
    at = np.zeros(sources.shape[0] + 1, np.int64)
    at[1:] = np.cumsum(count)
    out_u = np.empty(at[-1], np.int64)
    out_v = np.empty(at[-1], np.int64)
    out_d = np.empty(at[-1], np.int64)
    for i in numba.prange(sources.shape[0]):
        _exposed_pairs_of(sources[i], tops[i], n0, parent, ku, kv, kd, witness_level, changed, lv, order,
                          start, size, matrix, mode, max_distance, out_u, out_v, out_d, at[i], True)
    return out_u, out_v, out_d


@numba.njit(cache=True)
def tied_pairs(matrix, mode, offsets, neighbours, lengths, ranks, sources, limits, max_distance):
    """Old non-tree edges from each source that are as short as the longest forest edge between their ends.

    Parameters
    ----------
    matrix : numpy.ndarray
        Node allele codes.
    mode : int
        Missing-data mode code.
    offsets, neighbours, lengths, ranks : numpy.ndarray
        The old forest in CSR form; ``ranks`` is the Kruskal rank of each listed edge.
    sources, limits : numpy.ndarray
        Walk from ``sources[i]`` over the forest edges of Kruskal rank <= ``limits[i]``.
    max_distance : int
        Longest candidate edge.

    Returns
    -------
    tuple of numpy.ndarray
        ``(u, v, d)`` of every pair (source, b) reached by the walk, not a forest edge, with
        d(source, b) equal to the longest forest edge on the path between them.
    """
    n0 = offsets.shape[0] - 1
    bottleneck = np.full(n0, -1, np.int64)
    via = np.full(n0, -1, np.int64)
    stack = np.empty(n0, np.int64)
    visited = np.empty(n0, np.int64)
    out_u = []
    out_v = []
    out_d = []
    for i in range(sources.shape[0]):
        s = sources[i]
        limit = limits[i]
        count = 0
        top = 0
        stack[0] = s
        bottleneck[s] = 0
        via[s] = s
        while top >= 0:
            x = stack[top]
            top -= 1
            visited[count] = x
            count += 1
            for k in range(offsets[x], offsets[x + 1]):
                y = neighbours[k]
                if via[y] >= 0 or ranks[k] > limit:
                    continue
                via[y] = x
                bottleneck[y] = max(bottleneck[x], lengths[k])
                top += 1
                stack[top] = y
        for c in range(1, count):
            b = visited[c]
            if via[b] != s:
                d = row_distance(matrix, s, b, mode)
                if d == bottleneck[b] and d <= max_distance:
                    out_u.append(s)
                    out_v.append(b)
                    out_d.append(np.int64(d))
        for c in range(count):
            via[visited[c]] = -1
            bottleneck[visited[c]] = -1
    return np.array(out_u, np.int64), np.array(out_v, np.int64), np.array(out_d, np.int64)


@numba.njit(cache=True, parallel=True)
def useful_new_edges(dist, n0, max_distance, walk, walk_parent, walk_length):
    """Which edges from the new nodes to old nodes can be in the new forest or decide one of its rules.

    Parameters
    ----------
    dist : numpy.ndarray
        :func:`new_rows` output.
    n0 : int
        Old nodes.
    max_distance : int
        Longest candidate edge.
    walk, walk_parent, walk_length : numpy.ndarray
        The old forest rooted tree by tree: ``walk`` lists the old nodes parents first,
        ``walk_parent[x]`` (-1 for roots) and ``walk_length[x]`` the edge to the parent.

    Returns
    -------
    numpy.ndarray
        ``(new nodes, n0)`` bool: edge (new r, old z) is kept unless some path from r to z with every
        edge shorter than it exists through one edge from r and then the old forest (it is then
        the longest edge of a cycle, by distance alone, whatever the other rules say).
    """
    count = dist.shape[0]
    keep = np.zeros((count, n0), np.bool_)
    for r in numba.prange(count):
        label = np.empty(n0, np.int64)
        for z in range(n0):
            d = dist[r, z]
            label[z] = d if d <= max_distance else FAR
        for i in range(n0 - 1, -1, -1):  # children before parents
            x = walk[i]
            p = walk_parent[x]
            if p >= 0:
                through = max(label[x], walk_length[x])
                if through < label[p]:
                    label[p] = through
        for i in range(n0):  # parents before children
            x = walk[i]
            p = walk_parent[x]
            if p >= 0:
                through = max(label[p], walk_length[x])
                if through < label[x]:
                    label[x] = through
        # The best path to z that ends with a forest edge: through z's parent or one of its children.
        elsewhere = np.full(n0, FAR, np.int64)
        for i in range(n0):
            x = walk[i]
            p = walk_parent[x]
            if p >= 0:
                w = walk_length[x]
                through = max(label[p], w)
                if through < elsewhere[x]:
                    elsewhere[x] = through
                through = max(label[x], w)
                if through < elsewhere[p]:
                    elsewhere[p] = through
        for z in range(n0):
            d = dist[r, z]
            keep[r, z] = d <= max_distance and d <= elsewhere[z]
    return keep


@numba.njit(cache=True, parallel=True)
def diff_indices(u1, v1, d1, u2, v2, d2, order):
    """:func:`diff_index` of edge e of ``(u1, v1, d1)`` and of ``(u2, v2, d2)``; 0 where ``u2[e] < 0``."""
    out = np.zeros(u1.shape[0], np.int64)
    for e in numba.prange(u1.shape[0]):
        if u2[e] >= 0:
            out[e] = diff_index(u1[e], v1[e], d1[e], u2[e], v2[e], d2[e], order)
    return out


@numba.njit(cache=True)
def levels_of(indices, levels):
    """:func:`level_of` of every index."""
    out = np.empty(indices.shape[0], np.int64)
    for i in range(indices.shape[0]):
        out[i] = level_of(indices[i], levels)
    return out


@numba.njit(cache=True)
def rooted_walk(offsets, neighbours, lengths):
    """A forest in CSR form rooted tree by tree (each at its smallest node), breadth first.

    Returns the nodes parents first, each node's parent (-1 for roots) and the length of the edge
    to it.
    """
    n = offsets.shape[0] - 1
    order = np.empty(n, np.int64)
    parent = np.full(n, -1, np.int64)
    length = np.zeros(n, np.int64)
    seen = np.zeros(n, np.bool_)
    count = 0
    for root in range(n):
        if seen[root]:
            continue
        seen[root] = True
        order[count] = root
        head = count
        count += 1
        while head < count:
            x = order[head]
            head += 1
            for k in range(offsets[x], offsets[x + 1]):
                y = neighbours[k]
                if not seen[y]:
                    seen[y] = True
                    parent[y] = x
                    length[y] = lengths[k]
                    order[count] = y
                    count += 1
    return order, parent, length


@numba.njit(cache=True)
def component_sizes(parent, n0):
    """Leaves below every node of a :func:`reconstruction_tree`."""
    size = np.zeros(parent.shape[0], np.int64)
    size[:n0] = 1
    for node in range(parent.shape[0]):  # children come before their parent
        if parent[node] >= 0:
            size[parent[node]] += size[node]
    return size


@numba.njit(cache=True)
def unproved_rules(kept_index, kruskal_rank, change, kept, witness_diff, new):
    """The old forest edges kept in the new forest whose rule the candidate edges cannot prove.

    Parameters
    ----------
    kept_index : numpy.ndarray
        Indices (into ``kept``) of the new forest's edges that were old forest edges.
    kruskal_rank : numpy.ndarray
        Their rank in the old Kruskal order (the index into ``witness_diff``).
    change : numpy.ndarray
        The first key position where each one's key changed.
    kept : tuple of numpy.ndarray
        ``(u, v, d, runner_u, runner_v, runner_d)`` of the new forest from Prim over the candidates.
    witness_diff : numpy.ndarray
        Per old edge in Kruskal order, the key positions it shared with its witness.
    new : EdgeOrder
        The new order.

    Returns
    -------
    unproved : numpy.ndarray
        Per listed edge g: its runner-up among the candidates shares fewer key positions with it
        than ``min(witness_diff[g], change)``, the most an edge left out can share (module
        docstring of :mod:`engine.algorithms.incremental`).
    reached : numpy.ndarray
        Per listed edge, the key positions it shares with that runner-up (its rule's position).
    """
    pu, pv, pd, ru, rv, rd = kept
    count = kept_index.shape[0]
    unproved = np.zeros(count, np.bool_)
    reached = np.zeros(count, np.int64)
    for i in range(count):
        e_new = kept_index[i]
        if ru[e_new] >= 0:
            reached[i] = diff_index(pu[e_new], pv[e_new], pd[e_new], ru[e_new], rv[e_new], rd[e_new], new)
        unproved[i] = reached[i] < min(witness_diff[kruskal_rank[i]], change[i])
    return unproved, reached


@numba.njit(cache=True)
def _side(offsets, neighbours, ranks, start, blocked, limit, mark, stamp, out):
    """Nodes reached from ``start`` over forest edges of rank <= limit other than ``blocked``; their count."""
    count = 0
    out[0] = start
    mark[start] = stamp
    count = 1
    head = 0
    while head < count:
        x = out[head]
        head += 1
        for k in range(offsets[x], offsets[x + 1]):
            y = neighbours[k]
            if mark[y] == stamp or ranks[k] > limit or ranks[k] == blocked:
                continue
            mark[y] = stamp
            out[count] = y
            count += 1
    return count


@numba.njit(cache=True)
def close_gaps(ranks_unproved, reached, parent, n0, kruskal_edges, witness_diff, old, offsets, neighbours,
               ranks, lv_old):
    """Old profiles whose tied pairs settle the rules :func:`unproved_rules` could not prove.

    For an unproved edge g (Kruskal rank e) whose runner-up shares ``reached`` positions with it,
    an unknown edge c can only beat that if g is on c's forest path and c shares more than
    ``reached`` positions with g in the old order: then c's path's longest edge h is g or an
    ancestor of g of the same distance with ``min(diff(g, h), witness_diff[h]) > reached`` (g
    itself: ``witness_diff[g] > reached``), both ends of c lie in h's component, one on each side
    of g, and each end's LV counts at the levels c and g share completely are one of g's
    endpoints'. Returns the nodes on the smaller side of g (in the highest such h's component) that
    pass that test, with the Kruskal rank of h: their tied pairs within that component hold every
    such c.
    """
    ku, kv, kd = kruskal_edges
    levels = old.levels
    total = offsets.shape[0] - 1
    mark = np.full(total, -1, np.int64)
    side_a = np.empty(total, np.int64)
    side_b = np.empty(total, np.int64)
    out_nodes = []
    out_limits = []
    for i in range(ranks_unproved.shape[0]):
        e = ranks_unproved[i]
        r = reached[i]
        top = e if witness_diff[e] > r else -1
        node = parent[n0 + e]
        while node >= 0:
            h = node - n0
            if kd[h] != kd[e]:
                break
            shared = diff_index(ku[e], kv[e], kd[e], ku[h], kv[h], kd[h], old)
            if shared <= r:
                break
            if witness_diff[h] > r:
                top = h
            node = parent[node]
        if top < 0:
            continue
        na = _side(offsets, neighbours, ranks, ku[e], e, top, mark, 2 * i, side_a)
        nb = _side(offsets, neighbours, ranks, kv[e], e, top, mark, 2 * i + 1, side_b)
        side = side_a if na <= nb else side_b
        count = na if na <= nb else nb
        full_levels = min(r // 2, levels)
        for j in range(count):
            w = side[j]
            ok = True
            for k in range(1, full_levels + 1):
                c = lv_old[w, k]
                if c != lv_old[ku[e], k] and c != lv_old[kv[e], k]:
                    ok = False
                    break
            if ok:
                out_nodes.append(w)
                out_limits.append(top)
    return np.array(out_nodes, np.int64), np.array(out_limits, np.int64)
