"""GrapeTree's MSTreeV2 (engine/algorithms/mstree_v2.py).

- Literal cases worked out by hand from research/grapetree-methods.md section 3 (the comments
  give the distances, ranks and steps).
- A plain numpy/Python transcription of section 3 (:func:`spec_mstree_v2`: full float32 matrices,
  numpy's own sums and minima, dictionaries for the recrafting, the arborescence of the integer
  matrix ``n * round(D') + rank`` checked against networkx in test_arborescence.py) must give the
  same directed tree on generated data with missing values, in every missing-data mode.
- Properties: spanning, deterministic, independent of the row order but for which identical
  row represents its group.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from generated_datasets import from_matrix
from grapetree_cases import assert_spanning_tree, dataset, directed_edges
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.algorithms import grapetree_distances
from engine.algorithms import mstree_v2 as module
from engine.algorithms.arborescence import minimum_spanning_arborescence
from engine.algorithms.grapetree_input import MISSING_MODES, grapetree_profiles
from engine.algorithms.mstree_v2 import mstree_v2
from engine.errors import CancelledError, ParameterError
from engine.models import RULE_DISTANCE, RULE_IDENTICAL, Dataset, Inference

PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
F32 = np.float32


# --------------------------------------------------------------------------------------------
# the transcription


def contemporary(a0: float, a1: float, b: float, c: float, n: float) -> bool:
    """Section 3.5's C, in float64."""
    a0, a1, b, c = (max(min(float(v), n - 0.5), 0.5) for v in (a0, a1, b, c))
    if b >= a0 + c and b >= a1 + c:
        return False
    if b == c:
        return True
    with np.errstate(all="ignore"):
        log = np.log
        s11 = np.sqrt(np.float64(1 - a0 / n))
        s12 = (2 * n - b - c) / 2 / np.sqrt(np.float64(n * (n - a0)))
        v = 1 - ((n - a1) * (n - c) / n + (n - b)) / 2 / n
        s21 = 1 + a1 * v / np.float64(b - 2 * n * v)
        s22 = 1 + c * v / np.float64(b - 2 * n * v)
        p1 = a0 * log(1 - s11 * s11) + (n - a0) * log(s11 * s11) + (b + c) * log(1 - s11 * s12) \
            + (2 * n - b - c) * log(s11 * s12)
        p2 = a1 * log(1 - s21) + (n - a1) * log(s21) + b * log(1 - s21 * s22) + (n - b) * log(s21 * s22) \
            + c * log(1 - s22) + (n - c) * log(s22)
        return bool(p1 >= p2)


def spec_recraft(branches: list, d: np.ndarray, w: np.ndarray, nl: float) -> list:
    """Section 3.5 with lists and dictionaries, the target end's stale variable included."""
    group = {v: v for br in branches for v in br[:2]}
    members = {v: [v] for v in group}
    nbr: dict[int, list[int]] = {v: [] for v in group}
    b = sorted(branches, key=lambda br: (d[br[0], br[1]], *sorted((w[br[0]], w[br[1]]))))
    i = 0
    while i < len(b):
        src, tgt, _ = b[i]
        sources, targets = members[group[src]], members[group[tgt]]
        tried: dict[int, int] = {}
        if len(sources) > 1:
            for s in sorted(sources, key=lambda x: w[x])[:3]:
                if s == src:
                    break
                if d[s, tgt] < F32(1.5) * d[src, tgt] and contemporary(d[s, src], d[src, s], d[s, tgt],
                                                                       d[src, tgt], nl):
                    tried[src], src = s, s
                    break
            while src not in tried:
                tried[src] = src
                mids = sorted((m for m in nbr[src] if m not in tried and d[m, tgt] < 2 * d[src, tgt]),
                              key=lambda m: (w[m], d[m, tgt], m))
                for m in mids:
                    if d[m, tgt] < d[src, tgt]:
                        if not contemporary(d[src, m], d[m, src], d[src, tgt], d[m, tgt], nl):
                            tried[src], src = m, m
                            break
                    elif w[m] < w[src] and contemporary(d[m, src], d[src, m], d[m, tgt], d[src, tgt], nl):
                        tried[src], src = m, m
                        break
                    tried[m] = src
        if len(targets) > 1:
            stale = None
            for t in sorted(targets, key=lambda x: w[x])[:3]:
                stale = t
                if t == tgt:
                    break
                if d[src, t] < F32(1.5) * d[src, tgt] and contemporary(d[t, tgt], d[tgt, t], d[src, t],
                                                                       d[src, tgt], nl):
                    tried[tgt], tgt = t, t
                    break
            while tgt not in tried:
                tried[tgt] = tgt
                mids = sorted((m for m in nbr[tgt] if m not in tried and d[src, m] < 2 * d[src, tgt]),
                              key=lambda m: (w[m], d[src, m], m))
                for m in mids:
                    if d[src, m] < d[src, tgt]:
                        if not contemporary(d[tgt, stale], d[stale, tgt], d[src, tgt], d[src, m], nl):
                            tried[tgt], tgt = stale, stale
                            break
                    elif w[m] < w[tgt] and contemporary(d[stale, tgt], d[tgt, stale], d[src, m],
                                                        d[src, tgt], nl):
                        tried[tgt], tgt = stale, stale
                        break
                    tried[stale] = tgt
        b[i] = (src, tgt, d[src, tgt])
        if i == len(b) - 1 or b[i + 1][2] >= d[src, tgt]:
            old = group[tgt]
            for t in members[old]:
                group[t] = group[src]
            members[group[src]].extend(members.pop(old))
            nbr[src].append(tgt)
            nbr[tgt].append(src)
            i += 1
        else:
            b[i:] = sorted(b[i:], key=lambda br: br[2])
    return b


def printed_value(weight: np.float32) -> int:
    """What GrapeTree reads back from its edmonds program for a weight (section 3.4)."""
    shifted = F32(weight + F32(1.0 - 0.000005))
    read = float(F32(float(f"{float(shifted):.5f}")))
    return int(float(f"{read:g}")) - 1


def spec_mstree_v2(data: Dataset, missing: str) -> tuple[set[tuple[str, str, int]], list[str]]:
    g = grapetree_profiles(data, missing)
    x, n, loci = g.codes, g.size, g.codes.shape[1]
    ids = [data.profiles.ids[r] for r in g.rows]
    called = x > 0
    d = np.zeros((n, n), np.float32)
    for t in range(n):
        k = ((x != x[t]) & called[t]).sum(axis=1)
        d[:, t] = k if missing == "absolute" else k * float(loci) / called[t].sum()
    h = n / np.sum(1.0 / (d + 0.1), 1)
    order = np.lexsort((-g.sizes, h))
    ranks = np.empty(n, np.int64)
    ranks[order] = np.arange(n)
    w = (ranks / n).astype(np.float32)
    cutoff = 2 if n < 3000 else 5
    shortcuts = []
    for t in range(n):
        sources = np.flatnonzero((d[:, t] < cutoff + 1) & (w < w[t]))
        if sources.size:
            scores = d[sources, t] + w[sources]
            best = int(np.argmin(scores))
            shortcuts.append((int(sources[best]), t, int(scores[best])))
    dp = d.copy()
    for s, t, _ in shortcuts:
        dp[s] = np.minimum(dp[s], dp[t])
    kept = np.setdiff1d(np.arange(n), [t for _, t, _ in shortcuts])
    branches = []
    if kept.size > 1:
        rounded = np.round(dp[np.ix_(kept, kept)], 0)
        parent = minimum_spanning_arborescence(n * rounded.astype(np.int64) + ranks[kept][:, None])
        weights32 = rounded + w[kept].reshape(-1, 1)
        branches = [(int(kept[parent[v]]), int(kept[v]), printed_value(weights32[parent[v], v]))
                    for v in range(kept.size) if parent[v] >= 0]
    tree = spec_recraft(branches + shortcuts, d, w, float(loci)) if n > 1 else []
    pres = np.ones_like(called) if missing == "as-allele" else called
    lengths = [int(((x[s] != x[t]) & pres[s] & pres[t]).sum()) for s, t, _ in tree]
    root = tree[int(np.argmax(lengths))][0] if tree else 0
    neighbours: dict[int, list[tuple[int, int]]] = {v: [] for v in range(n)}
    for (s, t, _), length in zip(tree, lengths, strict=True):
        neighbours[s].append((t, length))
        neighbours[t].append((s, length))
    edges, stack, seen = set(), [root] if n else [], {root}
    while stack:
        v = stack.pop()
        for u, length in neighbours[v]:
            if u not in seen:
                seen.add(u)
                edges.add((ids[v], ids[u], length))
                stack.append(u)
    for row, node in enumerate(g.node_of_row.tolist()):
        if node >= 0 and g.rows[node] != row:
            edges.add((ids[node], data.profiles.ids[row], 0))
    roots = ([ids[root]] if n else []) + [data.profiles.ids[r] for r in g.dropped]
    return edges, roots


# --------------------------------------------------------------------------------------------
# generated data


@st.composite
def typing_data(draw: st.DrawFn) -> np.ndarray:
    """Small profile tables: a few founders, copies with changes, missing cells, duplicates."""
    loci = draw(st.integers(2, 24))
    n = draw(st.integers(1, 45))
    alleles = draw(st.integers(2, 6))
    founders = draw(arrays(np.uint16, (draw(st.integers(1, 4)), loci), elements=st.integers(1, alleles)))
    rows = []
    for _ in range(n):
        base = founders[draw(st.integers(0, founders.shape[0] - 1))] if not rows or draw(st.booleans()) \
            else rows[draw(st.integers(0, len(rows) - 1))]
        row = base.copy()
        for locus in draw(st.lists(st.integers(0, loci - 1), max_size=4)):
            row[locus] = draw(st.integers(0, alleles + 2))  # 0 = missing
        rows.append(row)
    return np.array(rows, np.uint16)


def canonical(result: Inference, group_of: dict[str, str]) -> tuple[set, list[str]]:
    """Directed edges and roots with every id replaced by its identical-group name, copies left out."""
    edges = {(group_of[e.parent], group_of[e.child], e.distance)
             for e in result.edges() if e.rule != "identical"}
    return edges, sorted(group_of[result.ids[r]] for r in result.roots)


# --------------------------------------------------------------------------------------------
# tests


def test_doctests() -> None:
    assert doctest.testmod(module).failed == 0


def test_missing_locus_makes_distances_asymmetric() -> None:
    # a = (1,1,1), b = (1,1,-), c = (2,1,1). GrapeTree's order (last locus first): b, a, c.
    # D[s,t] counts the child's called loci, times 3 / called(t):
    #   D[a,b] = 0, D[c,b] = 1 * 3/2 = 1.5; D[b,a] = 1 (b misses a called locus), D[c,a] = 1;
    #   D[b,c] = 2, D[a,c] = 1.
    # Harmonic sums of 1/(D + 0.1): a 10 + 10 + 1/1.1 (largest: lowest mean, rank 0), c 1/1.6 +
    # 1/1.1 + 10 (rank 1), b 10 + 1/1.1 + 1/2.1 (rank 2). Shortcuts (n < 3000: D < 3, lower
    # weight, smallest D + w): b <- a (0 + 0 beats c's 1.5 + 1/3), c <- a (1). Only a remains for
    # the arborescence. Recrafting keeps both (a is the lowest-ranked member of its group and
    # D[b,c] = 2 is not below 2 D[a,c]). Lengths count loci called in both: a-b 0, a-c 1; the
    # root is the source of the longest branch, a.
    data = dataset([[1, 1, 1], [1, 1, "-"], [2, 1, 1]], ids="abc")
    result = mstree_v2(data)
    assert [(e.parent, e.child, e.distance, e.rule) for e in result.edges()] == [
        ("a", "b", 0, "distance"), ("a", "c", 1, "distance")]
    assert result.roots.tolist() == [0]
    assert result.parameters == {"missing": "pair-delete"}
    assert result.algorithm == "mstree-v2"
    # -y 2 counts the missing locus in the final length only; -y 1 drops locus 3, so a and b
    # become identical (a, first in the file, represents them).
    assert directed_edges(mstree_v2(data, missing="as-allele")) == {("a", "b", 1), ("a", "c", 1)}
    merged = mstree_v2(data, missing="complete-delete")
    assert [(e.parent, e.child, e.distance, e.rule) for e in merged.edges()] == [
        ("a", "b", 0, "identical"), ("a", "c", 1, "distance")]


def test_rows_without_any_allele_are_singleton_roots() -> None:
    data = dataset([[1, 1], ["-", "-"], [2, 1], [1, 1]], ids="wxyz")
    result = mstree_v2(data)
    assert [result.ids[r] for r in result.roots] == ["w", "x"]
    assert directed_edges(result) == {("w", "z", 0), ("w", "y", 1)}
    assert result.rules.tolist() == [RULE_IDENTICAL, RULE_DISTANCE]
    assert result.counts.tolist() == [1, 1, 1, 1]
    assert_spanning_tree(result)


def test_tiny_inputs() -> None:
    one = mstree_v2(dataset([[1, 2]]))
    assert one.roots.tolist() == [0] and one.parents.size == 0
    same = mstree_v2(dataset([[1, 2], [1, 2], [1, 2]]))
    assert directed_edges(same) == {("1", "2", 0), ("1", "3", 0)}
    empty = mstree_v2(dataset([["-", "-"], ["-", "-"]]))
    assert empty.roots.tolist() == [0, 1] and empty.parents.size == 0


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ParameterError, match="missing-data mode"):
        mstree_v2(dataset([[1, 2]]), missing="ignore")


def test_progress_and_cancel() -> None:
    data = dataset([[1, 2, 3], [1, 2, 4], [2, 2, 4], [3, 3, 3]])
    seen: list[float] = []
    mstree_v2(data, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(CancelledError):
        mstree_v2(data, cancel=lambda: True)


@PROPERTY
@given(matrix=typing_data(), missing=st.sampled_from(sorted(MISSING_MODES)))
def test_follows_the_transcription(matrix: np.ndarray, missing: str) -> None:
    data = from_matrix(matrix)
    result = mstree_v2(data, missing=missing)
    edges, roots = spec_mstree_v2(data, missing)
    assert directed_edges(result) == edges
    assert [result.ids[r] for r in result.roots] == roots


@settings(PROPERTY, max_examples=20)
@given(matrix=typing_data(), missing=st.sampled_from(sorted(MISSING_MODES)))
def test_distance_table_and_formula_agree(matrix: np.ndarray, missing: str) -> None:
    # Past TABLE_LIMIT entries the asymmetric distances are computed each time instead of looked up.
    data = from_matrix(matrix)
    tabled = mstree_v2(data, missing=missing)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grapetree_distances, "TABLE_LIMIT", 0)
        direct = mstree_v2(data, missing=missing)
    assert directed_edges(direct) == directed_edges(tabled)
    assert direct.roots.tolist() == tabled.roots.tolist()


@PROPERTY
@given(matrix=typing_data())
def test_spans_every_profile_and_is_deterministic(matrix: np.ndarray) -> None:
    data = from_matrix(matrix)
    result = mstree_v2(data)
    assert_spanning_tree(result)
    again = mstree_v2(data)
    for name in ("parents", "children", "distances", "rules", "roots"):
        assert getattr(result, name).tolist() == getattr(again, name).tolist()


@PROPERTY
@given(matrix=typing_data(), seed=st.integers(0, 2**32 - 1))
def test_row_order_only_changes_representatives(matrix: np.ndarray, seed: int) -> None:
    # research/grapetree-methods.md section 8: permuting the rows changes nothing but which member
    # of an identical group represents it (the first in input order).
    ids = [f"r{i}" for i in range(matrix.shape[0])]
    permutation = np.random.default_rng(seed).permutation(matrix.shape[0])
    first = mstree_v2(from_matrix(matrix, ids))
    second = mstree_v2(from_matrix(matrix[permutation], [ids[i] for i in permutation]))
    group_of = {}
    for i, row in enumerate(matrix.tolist()):
        group_of[ids[i]] = "|".join(map(str, row))
    assert canonical(first, group_of) == canonical(second, group_of)
