"""A partition as a table: ``profile_id``, then one column per threshold named by it, one profile a line.

The same file the API serves (``?format=tsv``) and the dashboard downloads. A profile left unnamed
(a single profile when singletons are not named) has an empty cell.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["partition_tsv", "threshold_label"]


def threshold_label(threshold: float) -> str:
    """A threshold as a column header: a whole number without a decimal point (``5``, ``2.5``)."""
    return str(int(threshold)) if float(threshold).is_integer() else str(float(threshold))


def partition_tsv(profiles: Sequence[str], thresholds: Sequence[float],
                  names: Sequence[Sequence[str | None]]) -> str:
    r"""The table of cluster names: header ``profile_id`` and the thresholds, then one line per profile.

    Examples
    --------
    >>> partition_tsv(["1", "2"], [5, 10.5], [["C1", "C1"], [None, "C1"]]).splitlines()
    ['profile_id\t5\t10.5', '1\tC1\tC1', '2\t\tC1']
    """
    lines = ["\t".join(["profile_id", *(threshold_label(t) for t in thresholds)])]
    lines += ["\t".join([profile, *(name or "" for name in row)])
              for profile, row in zip(profiles, names, strict=True)]
    return "\n".join(lines) + "\n"
