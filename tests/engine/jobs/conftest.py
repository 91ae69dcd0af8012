"""Fixtures every runner test uses: a real store, the results its runners finish into, and starting
runners that are stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from job_work import Results

from engine.jobs.runner import BaseJobRunner
from engine.storage.store import TinyDBStore


@pytest.fixture
def store(tmp_path: Path) -> TinyDBStore:
    return TinyDBStore(tmp_path)


@pytest.fixture
def results() -> Results:
    return Results()


@pytest.fixture
def started() -> Iterator[Callable[[BaseJobRunner], BaseJobRunner]]:
    """``started(runner)`` starts ``runner`` and returns it; every runner started is stopped after."""
    runners: list[BaseJobRunner] = []

    def start(runner: BaseJobRunner) -> BaseJobRunner:
        runners.append(runner)
        runner.start()
        return runner

    yield start
    for runner in runners:
        runner.stop()
