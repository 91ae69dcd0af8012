"""The placement report as the tree view shows it: the "New isolates" table, and the profile rows a
choice of its rows selects. Plain functions (no state); the report is the engine's
(:mod:`engine.algorithms.placement`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from engine.algorithms.placement import ClusterPlacement, Placement
from engine.algorithms.placement_table import nearest_text
from engine.io.partition_table import threshold_label
from engine.models import Profiles

#: The columns of the table before the one per threshold (``cluster at <t>``).
PLACEMENT_COLUMNS = ["isolate", "profile", "nearest old isolates", "distance"]
#: How the table marks a cluster the new isolate founded.
FOUNDED = "new cluster"


def cluster_cell(cluster: ClusterPlacement) -> str:
    """A cluster as the table writes it: its name, ``(new cluster)`` after it when the isolate founded it.

    Examples
    --------
    >>> cluster_cell(ClusterPlacement(5, "C7", True)), cluster_cell(ClusterPlacement(5, None, True))
    ('C7 (new cluster)', '(unnamed, new cluster)')
    """
    if cluster.name is None:
        return f"(unnamed, {FOUNDED})" if cluster.founded else "(unnamed)"
    return f"{cluster.name} ({FOUNDED})" if cluster.founded else cluster.name


def placements_frame(placements: Sequence[Placement] | None, thresholds: Sequence[float]) -> pd.DataFrame:
    """One row per new isolate (its index: its position in the report): the isolate, its profile, the
    nearest old isolates (``id:distance, ...``), the distance to the nearest, and its cluster at each
    threshold (:func:`cluster_cell`); empty cells for an isolate without a profile. Empty without a
    report."""
    columns = [*PLACEMENT_COLUMNS, *(f"cluster at {threshold_label(t)}" for t in thresholds)]
    rows = [[p.isolate, p.profile, nearest_text(p), p.distance if p.distance >= 0 else "",
             *([cluster_cell(c) for c in p.clusters] or [""] * len(thresholds))]
            for p in placements or ()]
    return pd.DataFrame(rows, columns=columns)


def placement_profile_rows(profiles: Profiles, placements: Sequence[Placement],
                           picked: Iterable[int]) -> list[int]:
    """The profile rows of the placements ``picked`` (positions in the report), ascending; an isolate
    without a profile selects nothing."""
    row_of = {profile: row for row, profile in enumerate(profiles.ids)}
    chosen = (placements[int(k)].profile for k in picked)
    return sorted({row_of[profile] for profile in chosen if profile in row_of})
