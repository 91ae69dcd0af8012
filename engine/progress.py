"""Progress and cancellation hooks shared by the long-running engine functions."""

from __future__ import annotations

from engine.errors import CancelledError
from engine.models import CancelCheck, ProgressCallback


def check_cancel(cancel: CancelCheck | None, what: str = "the run") -> None:
    """Raise :class:`~engine.errors.CancelledError` when ``cancel`` is given and returns True."""
    if cancel is not None and cancel():
        raise CancelledError(f"{what} was cancelled")


def report(progress: ProgressCallback | None, fraction: float) -> None:
    """Call ``progress`` (when given) with ``fraction`` clipped to [0, 1]."""
    if progress is not None:
        progress(min(1.0, max(0.0, float(fraction))))
