"""Shared fixtures: the read-only shared data and reference outputs next to the project."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ``../shared`` seen from the project root (``tests/`` is one level below it).
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _shared_folder(name: str) -> Path:
    folder = SHARED / name
    if not folder.is_dir():
        pytest.skip(f"../shared is absent: {folder} holds the real datasets these tests read "
                    "(check out the shared folder next to the project to run them)")
    return folder


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the real typing data (see its README); skips the test when absent."""
    return _shared_folder("data")


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """``../shared/reference``: trees of the established tools; skips the test when absent."""
    return _shared_folder("reference")
