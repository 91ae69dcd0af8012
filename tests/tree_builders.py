"""Small literal trees for the tests of writers, layouts, clusters and the tree view."""

from __future__ import annotations

import numpy as np

from engine.models import RULE_DISTANCE, Inference, rule_code


def make_inference(ids: str | list[str], edges: list[tuple], roots: list[str] | None = None) -> Inference:
    """An inference over ``ids`` (a string: one id per character) with edges ``(parent, child, d[, rule])``.

    Roots default to the parents that are never children, in edge order, then the rows without an
    edge in row order (the order goeBURST gives).
    """
    ids = list(ids)
    row = {label: i for i, label in enumerate(ids)}
    if roots is None:
        children = {edge[1] for edge in edges}
        roots = list(dict.fromkeys(edge[0] for edge in edges if edge[0] not in children))
        touched = {label for edge in edges for label in edge[:2]}
        roots += [label for label in ids if label not in touched]
    rules = [rule_code(edge[3]) if len(edge) > 3 else RULE_DISTANCE for edge in edges]
    return Inference(
        algorithm="goeburst", parameters={"lvs": 3}, ids=ids,
        parents=np.array([row[edge[0]] for edge in edges], dtype=np.int64),
        children=np.array([row[edge[1]] for edge in edges], dtype=np.int64),
        distances=np.array([edge[2] for edge in edges], dtype=np.int64),
        rules=np.array(rules, dtype=np.int64),
        roots=np.array([row[label] for label in roots], dtype=np.int64),
        counts=np.ones(len(ids), dtype=np.int64),
    )


def random_forest(n: int, trees: int, seed: int) -> Inference:
    """A random recursive forest: row i > trees - 1 hangs from a random earlier row, d in 0..4."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i}" for i in range(n)]
    parents = [int(rng.integers(0, i)) if i >= trees else -1 for i in range(n)]
    edges = [(ids[p], ids[c], int(rng.integers(0, 5))) for c, p in enumerate(parents) if p >= 0]
    return make_inference(ids, edges)



def random_tree(n: int, seed: int, distances: tuple[int, ...] = (0, 1, 1, 1, 2, 3)) -> Inference:
    """A random recursive tree: row i > 0 hangs from a uniformly chosen earlier row."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i}" for i in range(n)]
    return make_inference(ids, [(ids[int(rng.integers(0, i))], ids[i], int(rng.choice(distances)))
                                 for i in range(1, n)])
