"""What every job runner promises, whatever runs its computations: one test class, run per backend.

A backend's test module subclasses :class:`RunnerContract` and provides the fixture ``make_runner``:
``make_runner(work=double, **options)`` returns a started runner over the ``store`` fixture and
stops it after the test (``start=False`` returns it unstarted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from job_work import wait_for

from engine.errors import ConflictError, NotFoundError
from engine.jobs.runner import CANCELLED, FAILED, INTERRUPTED, QUEUED, RUNNING, SUCCEEDED
from engine.storage.store import TinyDBStore


def check_cancelled_for_good(store: TinyDBStore, runner: Any, job_id: str) -> None:
    """The job stays cancelled with no result; cancelling it again or an unknown job is refused."""
    assert store.get("jobs", job_id)["status"] == CANCELLED
    assert store.find("inferences", job_id) is None
    with pytest.raises(ConflictError):
        runner.cancel(job_id)
    with pytest.raises(NotFoundError):
        runner.cancel("nope")


class RunnerContract:
    """FIFO order, results, failures, cancels and restart recovery, for any backend."""

    def test_jobs_run_in_order_and_store_their_results(
        self, store: TinyDBStore, make_runner: Callable[..., Any]
    ) -> None:
        runner = make_runner()
        jobs = [runner.submit({"id": f"j{n}", "n": n, "seconds": 0.2}) for n in range(3)]
        assert all(job["status"] == QUEUED for job in jobs)
        done = [wait_for(store, job["id"], (SUCCEEDED,)) for job in jobs]
        assert [job["started"] for job in done] == sorted(job["started"] for job in done)
        assert all(job["progress"] == 1.0 for job in done)
        assert [store.get("inferences", f"j{n}")["value"] for n in range(3)] == [0, 2, 4]
        assert all(job["finished"] >= job["started"] >= job["created"] for job in done)

    def test_a_failing_job_records_its_reason_and_no_result(
        self, store: TinyDBStore, make_runner: Callable[..., Any]
    ) -> None:
        runner = make_runner()
        runner.submit({"id": "bad", "n": 1, "fail": True})
        runner.submit({"id": "dead", "n": 1, "crash": True})
        bad = wait_for(store, "bad", (FAILED,))
        dead = wait_for(store, "dead", (FAILED,))
        assert bad["error"] == "the dataset has fewer than 2 profiles" and bad["finished"]
        assert "stopped unexpectedly" in dead["error"]
        assert store.find("inferences", "bad") is None and store.find("inferences", "dead") is None

    def test_a_cancelled_queued_job_never_starts_and_the_next_one_runs(
        self, store: TinyDBStore, make_runner: Callable[..., Any]
    ) -> None:
        runner = make_runner()
        runner.submit({"id": "first", "n": 1, "seconds": 120})
        runner.submit({"id": "second", "n": 2})
        runner.submit({"id": "third", "n": 3})
        wait_for(store, "first", (RUNNING,))
        assert runner.cancel("second")["status"] == CANCELLED
        runner.cancel("first")
        assert wait_for(store, "third", (SUCCEEDED,))["status"] == SUCCEEDED
        second = store.get("jobs", "second")
        assert second["status"] == CANCELLED and second["started"] is None
        assert store.find("inferences", "second") is None
        check_cancelled_for_good(store, runner, "first")

    def test_start_fails_interrupted_jobs_and_runs_queued_ones(
        self, store: TinyDBStore, make_runner: Callable[..., Any]
    ) -> None:
        """Jobs a dead server left: ``runner.start()`` fails the running one and runs the queued one."""
        store.insert("jobs", {"id": "was-running", "status": RUNNING, "completed": False, "n": 1,
                              "created": "2026-01-01T00:00:00.000Z"})
        store.insert("jobs", {"id": "was-queued", "status": QUEUED, "completed": False, "n": 21,
                              "created": "2026-01-01T00:00:01.000Z"})
        make_runner()
        interrupted = store.get("jobs", "was-running")
        assert interrupted["status"] == FAILED and interrupted["error"] == INTERRUPTED
        assert wait_for(store, "was-queued", (SUCCEEDED,))["status"] == SUCCEEDED
        assert store.get("inferences", "was-queued")["value"] == 42
