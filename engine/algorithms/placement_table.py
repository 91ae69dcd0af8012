"""A placement report as a table: one new isolate a line, where it landed.

The same file the API serves (``.../partitions/{a}/placements?format=tsv``) and the dashboard
downloads. Columns: ``isolate``, ``profile`` (empty: none), ``distance`` to the nearest old isolate
(empty: no profile or no old isolate), ``nearest`` (the nearest old isolates, ``id:distance`` joined
by ``", "``), then for each threshold ``t``: ``cluster_t`` (the cluster's name; empty: a single
isolate left unnamed, or no profile) and ``new_t`` (``yes`` when the isolate founded that cluster, no
old isolate being in it; ``no``; empty without a profile).
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.algorithms.placement import Placement
from engine.io.partition_table import threshold_label

__all__ = ["nearest_text", "placements_tsv"]


def nearest_text(placement: Placement) -> str:
    """The nearest old isolates of a placement as ``"id:distance, id:distance"`` (nearest first).

    Examples
    --------
    >>> nearest_text(Placement("n1", "7", 1, (("a", 1), ("b", 2)), ()))
    'a:1, b:2'
    """
    return ", ".join(f"{isolate}:{distance}" for isolate, distance in placement.nearest)


def placements_tsv(report: Sequence[Placement], thresholds: Sequence[float]) -> str:
    r"""The table of a placement report: the header, then one line per new isolate, in the report's order.

    Examples
    --------
    >>> from engine.algorithms.placement import ClusterPlacement
    >>> row = Placement("n1", "7", 1, (("a", 1),), (ClusterPlacement(5, "C2", False),))
    >>> placements_tsv([row], [5]).splitlines()
    ['isolate\tprofile\tdistance\tnearest\tcluster_5\tnew_5', 'n1\t7\t1\ta:1\tC2\tno']
    """
    labels = [threshold_label(t) for t in thresholds]
    header = ["isolate", "profile", "distance", "nearest", *(f"{kind}_{t}" for t in labels
                                                             for kind in ("cluster", "new"))]
    lines = ["\t".join(header)]
    for placement in report:
        clusters = [cell for c in placement.clusters for cell in (c.name or "", "yes" if c.founded else "no")]
        distance = str(placement.distance) if placement.distance >= 0 else ""
        cells = [placement.isolate, placement.profile, distance, nearest_text(placement),
                 *(clusters or [""] * 2 * len(labels))]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"
