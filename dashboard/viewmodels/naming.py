"""A partition's names as the tree view shows them: colour labels at a threshold, the changes table,
thresholds typed by a user. Plain functions (no state); the names and their rules are the engine's
(:mod:`engine.algorithms.nomenclature`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.algorithms.nomenclature import Naming

#: Columns of the changes table.
CHANGE_COLUMNS = ["threshold", "name", "kind", "previous", "absorbed", "profiles", "added"]


def changes_frame(naming: Naming | None) -> pd.DataFrame:
    """The changes of a partition's run, one row per cluster and threshold (empty without a partition)."""
    if naming is None:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    rows = [{"threshold": change.threshold, "name": change.name or "", "kind": change.kind,
             "previous": " ".join(change.previous), "absorbed": " ".join(change.absorbed),
             "profiles": change.size, "added": change.added} for change in naming.changes]
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def parse_thresholds(text: str) -> list[float]:
    """Thresholds typed as ``5, 10, 25`` (commas or spaces); ValueError naming an item that is not a
    number >= 0."""
    values = []
    for item in text.replace(",", " ").split():
        try:
            value = float(item)
        except ValueError:
            raise ValueError(f"{item[:20]!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"a threshold must be a number >= 0, not {item[:20]!r}")
        values.append(int(value) if value.is_integer() else value)
    return values


def named_labels(names: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Cluster labels 1..k of the profiles at one threshold (1 = most profiles; ties by name) and the name
    of each label; every unnamed single profile is its own cluster, called "(unnamed)"."""
    keys = [name if name is not None else f"\0{row}" for row, name in enumerate(names)]
    found, inverse, sizes = np.unique(np.asarray(keys, dtype=object), return_inverse=True, return_counts=True)
    order = sorted(range(len(found)), key=lambda k: (-sizes[k], str(found[k]).startswith("\0"), found[k]))
    rank = np.empty(len(found), dtype=np.int64)
    rank[order] = np.arange(1, len(found) + 1)
    labels = [str(found[k]) if not str(found[k]).startswith("\0") else "(unnamed)" for k in order]
    return rank[inverse.reshape(-1)], labels
