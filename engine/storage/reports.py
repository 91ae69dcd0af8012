"""Read reports as JSON-ready dicts (for the API and the store) and back."""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.models import ReadReport, SkippedLine


def report_to_dict(report: ReadReport) -> dict[str, Any]:
    """Every field of ``report``; skipped lines as ``{"line", "reason"}`` objects, tuples as lists."""
    result = dataclasses.asdict(report)
    result["missing_values"] = list(report.missing_values)
    return result


def report_from_dict(data: dict[str, Any]) -> ReadReport:
    """The inverse of :func:`report_to_dict`."""
    fields = dict(data)
    fields["missing_values"] = tuple(fields["missing_values"])
    for name in ("skipped_lines", "isolate_skipped_lines"):
        fields[name] = [SkippedLine(**line) for line in fields.get(name, [])]
    return ReadReport(**fields)
