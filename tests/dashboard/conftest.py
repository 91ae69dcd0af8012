"""The dashboard tests' service: a real one over a temporary data folder, started with one job worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.services.root import Service
from engine.services.settings import Settings


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """A started service; ``service.token`` is its first admin's API token."""
    started = Service(Settings(data=tmp_path, workers=1, demo_tree=False))  # only the test's jobs
    started.token = started.start()[-1]  # type: ignore[attr-defined]
    yield started
    started.stop()
