"""JobRunner with real spawned workers and a real store: FIFO, results, failures, cancel, restart."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ConflictError, NotFoundError, PhyloDashError
from engine.hooks import check_cancel
from engine.jobs import CANCELLED, FAILED, INTERRUPTED, QUEUED, RUNNING, SUCCEEDED, BaseJobRunner, JobRunner
from engine.models import CancelCheck
from engine.store import Record, TinyDBStore


def double(record: Record, progress: Callable[[float], None], cancel: CancelCheck | None) -> dict[str, int]:
    """Work: sleep ``seconds`` in 0.1 s steps, reporting progress and checking ``cancel``; return 2 ``n``."""
    steps = max(10, math.ceil(record.get("seconds", 0.0) * 10))
    for step in range(steps):
        check_cancel(cancel)
        time.sleep(record.get("seconds", 0.0) / steps)
        progress((step + 1) / steps)
    if record.get("fail"):
        raise PhyloDashError("the dataset has fewer than 2 profiles")
    if record.get("crash"):
        os._exit(3)
    return {"value": 2 * record["n"], "pid": os.getpid()}


class Results:
    """The ``finish`` callback: stores results as inference records, as the service will."""

    def __init__(self, store: TinyDBStore) -> None:
        self.store = store
        self.lock = threading.Lock()

    def __call__(self, job: Record, result: Any) -> None:
        with self.lock:
            self.store.insert("inferences", {"id": job["id"], **result})


@pytest.fixture
def store(tmp_path: Path) -> TinyDBStore:
    return TinyDBStore(tmp_path)


@pytest.fixture
def runner(store: TinyDBStore) -> Iterator[JobRunner]:
    job_runner = JobRunner(store, double, Results(store), workers=1)
    job_runner.start()
    yield job_runner
    job_runner.stop()


def wait_for(store: TinyDBStore, job_id: str, statuses: tuple[str, ...], timeout: float = 60) -> Record:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get("jobs", job_id)
        if job["status"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {store.get('jobs', job_id)['status']} after {timeout} s")


def test_jobs_run_in_order_and_store_their_results(store: TinyDBStore, runner: JobRunner) -> None:
    jobs = [runner.submit({"id": f"j{n}", "n": n, "seconds": 0.2}) for n in range(3)]
    assert all(job["status"] == QUEUED and not job["completed"] for job in jobs)
    done = [wait_for(store, job["id"], (SUCCEEDED,)) for job in jobs]
    assert [job["started"] for job in done] == sorted(job["started"] for job in done)
    assert all(job["completed"] and not job["cancelled"] and job["progress"] == 1.0 for job in done)
    assert [store.get("inferences", f"j{n}")["value"] for n in range(3)] == [0, 2, 4]
    assert all(job["finished"] >= job["started"] >= job["created"] for job in done)


def test_a_failing_job_records_its_reason_and_no_result(store: TinyDBStore, runner: JobRunner) -> None:
    runner.submit({"id": "bad", "n": 1, "fail": True})
    runner.submit({"id": "dead", "n": 1, "crash": True})
    bad = wait_for(store, "bad", (FAILED,))
    dead = wait_for(store, "dead", (FAILED,))
    assert bad["error"] == "the dataset has fewer than 2 profiles" and bad["completed"]
    assert "stopped unexpectedly" in dead["error"]
    assert store.find("inferences", "bad") is None and store.find("inferences", "dead") is None


def test_cancelling_a_running_job_kills_its_process_and_stores_nothing(
    store: TinyDBStore, runner: JobRunner
) -> None:
    runner.submit({"id": "long", "n": 5, "seconds": 120})
    wait_for(store, "long", (RUNNING,))
    deadline = time.monotonic() + 30
    while "long" not in runner.running_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = runner.running_pids()["long"]
    os.kill(pid, 0)  # alive
    job = runner.cancel("long")
    assert job["status"] == CANCELLED and job["cancelled"] and job["completed"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    time.sleep(0.5)
    check_cancelled_for_good(store, runner, "long")


def check_cancelled_for_good(store: TinyDBStore, runner: Any, job_id: str) -> None:
    """The job stays cancelled with no result; cancelling it again or an unknown job is refused."""
    assert store.get("jobs", job_id)["status"] == CANCELLED
    assert store.find("inferences", job_id) is None
    with pytest.raises(ConflictError):
        runner.cancel(job_id)
    with pytest.raises(NotFoundError):
        runner.cancel("nope")


def test_a_cancelled_queued_job_never_starts_and_the_next_one_runs(
    store: TinyDBStore, runner: JobRunner
) -> None:
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


def check_start_recovery(store: TinyDBStore, runner: BaseJobRunner) -> None:
    """Jobs a dead server left: ``runner.start()`` fails the running one and runs the queued one."""
    store.insert(
        "jobs",
        {
            "id": "was-running",
            "status": RUNNING,
            "completed": False,
            "n": 1,
            "created": "2026-01-01T00:00:00.000Z",
        },
    )
    store.insert(
        "jobs",
        {
            "id": "was-queued",
            "status": QUEUED,
            "completed": False,
            "n": 21,
            "created": "2026-01-01T00:00:01.000Z",
        },
    )
    runner.start()
    try:
        interrupted = store.get("jobs", "was-running")
        assert interrupted["status"] == FAILED and interrupted["error"] == INTERRUPTED
        assert wait_for(store, "was-queued", (SUCCEEDED,))["status"] == SUCCEEDED
        assert store.get("inferences", "was-queued")["value"] == 42
    finally:
        runner.stop()


def test_start_fails_interrupted_jobs_and_runs_queued_ones(store: TinyDBStore) -> None:
    check_start_recovery(store, JobRunner(store, double, Results(store), workers=1))


def hungry(record: Record, progress: Callable[[float], None], cancel: object) -> int:
    """Work that asks for 2 GiB at once."""
    import numpy as np

    return int(np.ones(2**28).sum())


def test_a_job_over_its_memory_limit_fails_with_that_reason(store: TinyDBStore) -> None:
    runner = JobRunner(store, hungry, Results(store), workers=1, memory_limit=1024 * 2**20)
    runner.start()
    try:
        runner.submit({"id": "big"})
        failed = wait_for(store, "big", (FAILED,))
        assert "memory limit of 1,024 MB" in failed["error"] and store.find("inferences", "big") is None
    finally:
        runner.stop()


def silent(record: Record, progress: Callable[[float], None], cancel: object) -> None:
    """Work that runs for ten minutes without a word to its server (no progress message)."""
    time.sleep(600)


_SERVER = """
import sys, time
from test_jobs import Results, silent
from engine.jobs import JobRunner
from engine.store import TinyDBStore
store = TinyDBStore(sys.argv[1])
runner = JobRunner(store, silent, Results(store), workers=1)
runner.start()
runner.submit({"id": "quiet"})
while "quiet" not in runner.running_pids():
    time.sleep(0.05)
print(runner.running_pids()["quiet"], flush=True)
time.sleep(600)
"""


def test_a_worker_ends_at_once_when_its_server_is_killed(tmp_path: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=environment
    )
    try:
        worker = int(server.stdout.readline())
        os.kill(worker, 0)  # alive
        server.kill()
        server.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Path(f"/proc/{worker}").exists():
            time.sleep(0.05)
        assert not Path(f"/proc/{worker}").exists(), "the worker outlived its killed server"
    finally:
        server.kill()
