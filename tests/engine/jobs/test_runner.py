"""JobRunner on a pool of real warm worker processes and a real store: the runner contract, plus
warm workers reused from job to job, killing cancels with a replacement, crashes, memory limits and
workers that end with their server."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from job_work import Results, die, double, job, slow_warm, wait_for, warm
from runner_contract import RunnerContract, check_cancelled_for_good

import engine.jobs.pool
from engine.jobs.runner import CANCELLED, FAILED, NOT_STARTED, RUNNING, SUCCEEDED, JobRunner
from engine.storage.records import JobRecord
from engine.storage.store import TinyDBStore


@pytest.fixture
def make_runner(store: TinyDBStore, results: Results,
                started: Callable[..., Any]) -> Callable[..., JobRunner]:
    """Builds started local runners of one worker (``work`` and options as asked; one spare by default)."""
    return lambda work=double, **options: started(JobRunner(store, work, results, workers=1, **options))


def pid_of(results: Results, job_id: str) -> int:
    return results.values[job_id]["pid"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def eventually(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Wait until ``condition()`` holds; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


def running_pid(runner: JobRunner, job_id: str) -> int:
    """The process id of the worker running ``job_id``, once it runs."""
    eventually(lambda: job_id in runner.running_pids())
    return runner.running_pids()[job_id]


class TestLocalRunner(RunnerContract):
    """The contract on a pool of warm worker processes."""


def test_the_pool_helpers_keep_their_examples() -> None:
    assert doctest.testmod(engine.jobs.pool).failed == 0


def test_jobs_run_one_after_the_other_on_the_same_warm_worker(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner(warm_up=warm, spares=0)
    for n in range(3):
        runner.submit(job(f"j{n}", n=n))
    for n in range(3):
        wait_for(store, f"j{n}", (SUCCEEDED,))
    pids = {pid_of(results, f"j{n}") for n in range(3)}
    assert len(pids) == 1 and pids == set(runner.worker_pids())
    assert all(results.values[f"j{n}"]["warmed"] for n in range(3)), "a job ran before the warm-up"


def test_the_steps_of_a_warm_up_run_while_no_job_waits(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner(warm_up=slow_warm, spares=0)
    runner.submit(job("early", n=1))
    wait_for(store, "early", (SUCCEEDED,))
    assert results.values["early"]["steps"] < 3, "the job waited for the whole warm-up"
    eventually(lambda: runner.pool.warmed)
    runner.submit(job("late", n=1))
    wait_for(store, "late", (SUCCEEDED,))
    assert results.values["late"]["steps"] == 3


def test_cancelling_a_running_job_kills_its_worker_and_a_new_warm_one_runs_the_next_job(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner(warm_up=warm, spares=0)
    runner.submit(job("long", n=5, seconds=120))
    wait_for(store, "long", (RUNNING,))
    pid = running_pid(runner, "long")
    assert alive(pid) and runner.worker_pids() == [pid]
    cancelled = runner.cancel("long")
    assert cancelled.status == CANCELLED and cancelled.finished
    assert not alive(pid), "the cancelled job's worker is still running"
    runner.submit(job("next", n=2))
    assert wait_for(store, "next", (SUCCEEDED,)).status == SUCCEEDED
    replacement = pid_of(results, "next")
    assert replacement != pid and runner.worker_pids() == [replacement]
    assert results.values["next"]["warmed"] and results.values["next"]["value"] == 4
    check_cancelled_for_good(store, results, runner, "long")


def test_after_a_cancel_the_spare_warm_worker_takes_the_next_job_and_a_replacement_starts(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner(warm_up=warm)
    eventually(lambda: runner.pool.idle() == 2)
    runner.submit(job("long", n=5, seconds=120))
    pid = running_pid(runner, "long")
    spare = set(runner.worker_pids()) - {pid}
    runner.cancel("long")
    assert not alive(pid)
    runner.submit(job("next", n=2))
    wait_for(store, "next", (SUCCEEDED,))
    assert {pid_of(results, "next")} == spare  # warm already: it did not wait for a new process
    eventually(lambda: len(runner.worker_pids()) == 2)
    assert pid not in runner.worker_pids()
    eventually(lambda: runner.pool.idle() == 2)  # the replacement warmed up too


def test_a_crashed_worker_fails_its_job_with_the_reason_and_is_replaced(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner(spares=0)
    runner.submit(job("before", n=1))
    runner.submit(job("dead", n=1, crash=True))
    runner.submit(job("after", n=2))
    dead = wait_for(store, "dead", (FAILED,))
    assert dead.error == "The job's worker process stopped unexpectedly (exit status 3)."
    assert wait_for(store, "after", (SUCCEEDED,)).status == SUCCEEDED
    assert not alive(pid_of(results, "before"))
    assert runner.worker_pids() == [pid_of(results, "after")] != [pid_of(results, "before")]
    assert "dead" not in results.values


def test_workers_that_die_while_starting_fail_the_jobs_with_a_reason(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner(warm_up=die, spares=0)
    runner.submit(job("never", n=1))
    failed = wait_for(store, "never", (FAILED,))
    assert failed.error == NOT_STARTED and "never" not in results.values


def test_the_memory_limit_fails_a_hungry_job_and_leaves_the_next_jobs_their_room(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner(memory_limit=1024 * 2**20, spares=0)
    runner.submit(job("big", allocate=2048))
    runner.submit(job("fits", allocate=400))
    runner.submit(job("fits-again", allocate=400))
    failed = wait_for(store, "big", (FAILED,))
    assert failed.error and "memory limit of 1,024 MB" in failed.error and "big" not in results.values
    for fits in ("fits", "fits-again"):
        assert wait_for(store, fits, (SUCCEEDED,)).status == SUCCEEDED
    assert pid_of(results, "fits") == pid_of(results, "fits-again")  # the same worker, with its cap


def test_a_worker_that_kept_memory_after_its_job_retires(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    """Over a tenth of the limit kept after a job: the next job gets a fresh worker, with all its room."""
    runner = make_runner(memory_limit=1024 * 2**20, spares=0)
    runner.submit(job("leaky", keep=200))
    runner.submit(job("after", n=1))
    wait_for(store, "after", (SUCCEEDED,))
    assert store.get(JobRecord, "leaky").status == SUCCEEDED
    assert pid_of(results, "after") != pid_of(results, "leaky")
    assert not alive(pid_of(results, "leaky"))


_SERVER = """
import sys, time
from job_work import Results, job, silent
from engine.jobs.runner import JobRunner
from engine.storage.store import TinyDBStore
store = TinyDBStore(sys.argv[1])
runner = JobRunner(store, silent, Results(), workers=1)
runner.start()
runner.submit(job("cancelled"))
while "cancelled" not in runner.running_pids():
    time.sleep(0.02)
runner.cancel("cancelled")  # its worker is replaced
runner.submit(job("quiet"))
while "quiet" not in runner.running_pids() or len(runner.worker_pids()) < 2:
    time.sleep(0.02)
print(*runner.worker_pids(), flush=True)
time.sleep(600)
"""


def test_every_worker_ends_at_once_when_its_server_is_killed(tmp_path: Path) -> None:
    """The busy worker, the idle ones and the replacement of a cancelled one: all end with the server."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), *sys.path])}
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=environment
    )
    try:
        workers = [int(pid) for pid in server.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
        server.kill()
        server.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
            time.sleep(0.05)
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "a worker outlived the server"
    finally:
        server.kill()
