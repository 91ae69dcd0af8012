"""What every job runner promises, whatever runs its computations: one test class, run per backend.

A backend's test module subclasses :class:`RunnerContract` and provides the fixtures ``store``,
``results`` (the :class:`job_work.Results` its runners finish into) and ``make_runner``:
``make_runner(work=double, **options)`` returns a started runner over them, stopped after the test.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import pytest
from job_work import Results, job, wait_for

from engine.errors import ConflictError, NotFoundError, PhyloDashError
from engine.jobs.runner import CANCELLED, FAILED, INTERRUPTED, QUEUED, RUNNING, SUCCEEDED
from engine.storage.records import JobRecord
from engine.storage.store import TinyDBStore


def check_cancelled_for_good(store: TinyDBStore, results: Results, runner: Any, job_id: str) -> None:
    """The job stays cancelled with no result; cancelling it again or an unknown job is refused."""
    assert store.get(JobRecord, job_id).status == CANCELLED
    assert job_id not in results.values
    with pytest.raises(ConflictError):
        runner.cancel(job_id)
    with pytest.raises(NotFoundError):
        runner.cancel("nope")


class RunnerContract:
    """FIFO order, results, failures, cancels and restart recovery, for any backend."""

    def test_jobs_run_in_order_and_store_their_results(
        self, store: TinyDBStore, results: Results, make_runner: Callable[..., Any]
    ) -> None:
        runner = make_runner()
        jobs = [runner.submit(job(f"j{n}", n=n, seconds=0.2)) for n in range(3)]
        assert all(queued.status == QUEUED and queued.created for queued in jobs)
        done = [wait_for(store, queued.id, (SUCCEEDED,)) for queued in jobs]
        assert [finished.started for finished in done] == sorted(finished.started for finished in done)
        assert all(finished.progress == 1.0 for finished in done)
        assert [results.values[f"j{n}"]["value"] for n in range(3)] == [0, 2, 4]
        assert all(finished.finished >= finished.started >= finished.created for finished in done)

    def test_a_failing_job_records_its_reason_and_no_result(
        self, store: TinyDBStore, results: Results, make_runner: Callable[..., Any]
    ) -> None:
        runner = make_runner()
        runner.submit(job("bad", n=1, fail=True))
        runner.submit(job("dead", n=1, crash=True))
        bad = wait_for(store, "bad", (FAILED,))
        dead = wait_for(store, "dead", (FAILED,))
        assert bad.error == "the dataset has fewer than 2 profiles" and bad.finished
        assert dead.error and "stopped unexpectedly" in dead.error
        assert "bad" not in results.values and "dead" not in results.values

    def test_a_result_that_cannot_be_stored_fails_its_job_and_leaves_nothing_half_stored(
        self, store: TinyDBStore, results: Results, make_runner: Callable[..., Any]
    ) -> None:
        runner = make_runner()

        def finish(record: JobRecord, result: Any) -> None:
            store.insert(JobRecord(id=f"result-of-{record.id}"))  # a first write, then the disk is full
            raise PhyloDashError("the disk is full")

        runner.finish = finish
        runner.submit(job("unstored", n=1))
        failed = wait_for(store, "unstored", (FAILED,))
        assert failed.error == "the disk is full" and store.find(JobRecord, "result-of-unstored") is None

    def test_a_cancelled_queued_job_never_starts_and_the_next_one_runs(
        self, store: TinyDBStore, results: Results, make_runner: Callable[..., Any]
    ) -> None:
        runner = make_runner()
        runner.submit(job("first", n=1, seconds=120))
        runner.submit(job("second", n=2))
        runner.submit(job("third", n=3))
        wait_for(store, "first", (RUNNING,))
        assert runner.cancel("second").status == CANCELLED
        runner.cancel("first")
        assert wait_for(store, "third", (SUCCEEDED,)).status == SUCCEEDED
        second = store.get(JobRecord, "second")
        assert second.status == CANCELLED and second.started is None
        assert "second" not in results.values
        check_cancelled_for_good(store, results, runner, "first")

    def test_a_user_s_unfinished_jobs_are_those_queued_or_running(
        self, store: TinyDBStore, results: Results, make_runner: Callable[..., Any]
    ) -> None:
        runner = make_runner()
        runner.submit(job("long", n=1, seconds=120).replace(user="ana@x.org"))
        runner.submit(job("next", n=2).replace(user="ana@x.org"))
        runner.submit(job("other", n=3).replace(user="bo@x.org"))
        wait_for(store, "long", (RUNNING,))
        assert (runner.unfinished("ana@x.org"), runner.unfinished("bo@x.org")) == (2, 1)
        runner.cancel("next")
        assert runner.unfinished("ana@x.org") == 1
        runner.cancel("long")
        wait_for(store, "other", (SUCCEEDED,))
        assert (runner.unfinished("ana@x.org"), runner.unfinished("bo@x.org")) == (0, 0)

    def test_start_fails_interrupted_jobs_and_runs_queued_ones(
        self, store: TinyDBStore, results: Results, make_runner: Callable[..., Any]
    ) -> None:
        """Jobs a dead server left: ``runner.start()`` fails the running one and runs the queued one."""
        store.insert(job("was-running", n=1).replace(status=RUNNING, created="2026-01-01T00:00:00.000Z"))
        store.insert(job("was-queued", n=21).replace(status=QUEUED, created="2026-01-01T00:00:01.000Z"))
        make_runner()
        interrupted = store.get(JobRecord, "was-running")
        assert interrupted.status == FAILED and interrupted.error == INTERRUPTED
        assert wait_for(store, "was-queued", (SUCCEEDED,)).status == SUCCEEDED
        assert results.values["was-queued"]["value"] == 42

    def test_listeners_hear_of_every_job_that_ends(
        self, store: TinyDBStore, results: Results, make_runner: Callable[..., Any]
    ) -> None:
        """``subscribe``: the final record of each job, in the order they ended; a listener that fails
        does not silence the others; an unsubscribed listener hears nothing more."""
        runner = make_runner()
        heard: queue.Queue[JobRecord] = queue.Queue()
        everything: queue.Queue[JobRecord] = queue.Queue()

        def broken(record: JobRecord) -> None:
            raise RuntimeError("a listener's bug")

        runner.subscribe(broken)
        unsubscribe = runner.subscribe(heard.put)
        runner.subscribe(everything.put)
        runner.submit(job("ok", n=1))
        runner.submit(job("bad", n=1, fail=True))
        runner.submit(job("long", n=1, seconds=120))
        wait_for(store, "long", (RUNNING,))
        runner.cancel("long")
        ended = [heard.get(timeout=60) for _ in range(3)]
        assert [(r.id, r.status) for r in ended] == [("ok", SUCCEEDED), ("bad", FAILED), ("long", CANCELLED)]
        assert all(r.finished for r in ended) and ended[1].error == "the dataset has fewer than 2 profiles"
        assert ended[0] == store.get(JobRecord, "ok")
        unsubscribe()
        runner.submit(job("unheard", n=2))
        assert [everything.get(timeout=60).id for _ in range(4)] == ["ok", "bad", "long", "unheard"]
        assert heard.empty()
