"""What the tree view shows at a moment, as plain values: the drawn tree, the colours and texts of its
nodes, which nodes are selected or found, and the switches of labels and edges.

:class:`Scene` is what :class:`dashboard.tree.figure.GlyphTree` and
:class:`dashboard.tree.overview.OverviewTree` draw; each compares a new scene with the last one and
updates only what changed. The functions here compute the per-node texts of a drawn (possibly
collapsed) tree. Nothing here knows Bokeh or Panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.tree.collapse import DrawnTree
from dashboard.tree.colours import NodeColours, grouped_dataset
from engine.algorithms import metadata
from engine.models import Dataset

#: A collapsed node's hover names this many of its profiles.
HOVER_IDS = 8
#: A label by a metadata column shows this many values of the node (the most frequent first).
LABEL_VALUES = 2
ID_LABEL = "id"


def _empty() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Scene:
    """What is drawn: see the module docstring. ``selected`` and ``marked`` are drawn nodes (a
    selection's and a search's); per-node arrays cover every drawn node (``drawn.geometry.nodes``),
    ``colours`` only the profile nodes (``drawn.geometry.profiles``)."""

    drawn: DrawnTree
    colours: NodeColours
    labels: np.ndarray
    summaries: np.ndarray
    show_labels: bool = False
    label_size: int = 8
    edge_labels: bool = False
    edge_rules: bool = False
    selected: np.ndarray = field(default_factory=_empty)
    marked: np.ndarray = field(default_factory=_empty)


def id_labels(drawn: DrawnTree) -> np.ndarray:
    """Each drawn node's profile id, ``+k`` after it when it stands for ``k`` more profiles; internal
    nodes have none.

    Examples
    --------
    >>> from dashboard.tree.collapse import Groups
    >>> from dashboard.tree.geometry import TreeGeometry
    >>> empty = np.zeros(0, np.int64)
    >>> g = TreeGeometry(["3", "9"], np.zeros(2), np.zeros(2), np.ones(2), np.ones(2), empty, empty,
    ...                  empty, empty, 2)
    >>> id_labels(DrawnTree(g, Groups.of_labels(np.array([0, 1, 0]), 2, 3))).tolist()
    ['3 +1', '9']
    """
    g = drawn.geometry
    more = drawn.groups.profile_counts()[:g.profiles] - 1
    labels = np.array(g.labels, dtype=object)
    plus = more > 0
    labels[:g.profiles][plus] = [f"{name} +{k}" for name, k in
                                 zip(labels[:g.profiles][plus].tolist(), more[plus].tolist(), strict=True)]
    return labels


def value_labels(dataset: Dataset, drawn: DrawnTree, column: str, top: int = LABEL_VALUES) -> np.ndarray:
    """Each drawn node's most frequent non-empty values of isolate ``column`` (``top`` of them, ties by
    value, joined by ``/``, ``...`` when there are more); nodes without a value have none."""
    g = drawn.geometry
    labels = np.full(g.nodes, "", dtype=object)
    isolates = dataset.isolates
    if isolates is None:
        return labels
    index = isolates.columns.index(column)
    links = np.asarray(isolates.profile_rows, dtype=np.int64)
    keep = links >= 0
    frame = pd.DataFrame({"node": drawn.groups.of[links[keep]],
                          "value": [row[index] for row, k in zip(isolates.rows, keep.tolist(), strict=True)
                                    if k]})
    frame = frame[frame["value"] != ""]
    if frame.empty:
        return labels
    counts = frame.groupby(["node", "value"], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["node", "n", "value"], ascending=[True, False, True], kind="stable")
    counts["rank"] = counts.groupby("node").cumcount()
    shown = counts[counts["rank"] < top].groupby("node")["value"].agg("/".join)
    many = counts.groupby("node").size() > top
    text = shown + np.where(many.reindex(shown.index), "/...", "")
    labels[text.index.to_numpy()] = text.to_numpy()
    return labels


def node_labels(dataset: Dataset, drawn: DrawnTree, label_by: str) -> np.ndarray:
    """The labels of the drawn nodes: :func:`id_labels` for ``"id"``, else :func:`value_labels`."""
    return id_labels(drawn) if label_by == ID_LABEL else value_labels(dataset, drawn, label_by)


def node_summaries(dataset: Dataset, drawn: DrawnTree, row_summaries: list[str],
                   columns: list[str]) -> np.ndarray:
    """The hover text of every drawn node: its profile's metadata summary, or for a collapsed node the
    summary of all its isolates (``columns``) after the first :data:`HOVER_IDS` ids of its profiles."""
    g, groups = drawn.geometry, drawn.groups
    if not groups.collapsed:
        return g.per_node(row_summaries, "")
    pooled = [""] * g.profiles
    if dataset.isolates is not None and columns:
        grouped = grouped_dataset(dataset, groups.of[:groups.profiles], g.profiles)
        pooled = metadata.summaries(grouped, columns)
    ids = dataset.profiles.ids
    texts = []
    for k in range(g.profiles):
        rows = groups.order[groups.starts[k]:groups.starts[k + 1]]
        rows = rows[rows < groups.profiles]
        if len(rows) == 1:
            texts.append(pooled[k])
            continue
        named = ", ".join(ids[row] for row in rows[:HOVER_IDS].tolist())
        more = f" and {len(rows) - HOVER_IDS} more" if len(rows) > HOVER_IDS else ""
        texts.append(f"{len(rows)} profiles: {named}{more}" + (f"; {pooled[k]}" if pooled[k] else ""))
    return g.per_node(texts, "")
