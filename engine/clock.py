"""The one clock of records: times as ISO 8601 UTC text, to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> str:
    """The current time, ISO 8601 UTC to the millisecond, as job records store it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
