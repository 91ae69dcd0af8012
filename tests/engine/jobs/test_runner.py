"""JobRunner with real spawned workers and a real store: the runner contract, plus killing cancels,
memory limits and workers that end with their server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from job_work import Results, double, hungry, job, wait_for
from runner_contract import RunnerContract, check_cancelled_for_good

from engine.jobs.runner import CANCELLED, FAILED, RUNNING, JobRunner
from engine.storage.store import TinyDBStore


@pytest.fixture
def make_runner(store: TinyDBStore, results: Results,
                started: Callable[..., Any]) -> Callable[..., JobRunner]:
    """Builds started local runners of one worker (``work`` and options as asked)."""
    return lambda work=double, **options: started(JobRunner(store, work, results, workers=1, **options))


class TestLocalRunner(RunnerContract):
    """The contract on spawned worker processes."""


def test_cancelling_a_running_job_kills_its_process_and_stores_nothing(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner()
    runner.submit(job("long", n=5, seconds=120))
    wait_for(store, "long", (RUNNING,))
    deadline = time.monotonic() + 30
    while "long" not in runner.running_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = runner.running_pids()["long"]
    os.kill(pid, 0)  # alive
    cancelled = runner.cancel("long")
    assert cancelled.status == CANCELLED and cancelled.finished
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    time.sleep(0.5)
    check_cancelled_for_good(store, results, runner, "long")


def test_a_job_over_its_memory_limit_fails_with_that_reason(
    store: TinyDBStore, results: Results, make_runner: Callable[..., JobRunner]
) -> None:
    runner = make_runner(hungry, memory_limit=1024 * 2**20)
    runner.submit(job("big"))
    failed = wait_for(store, "big", (FAILED,))
    assert failed.error and "memory limit of 1,024 MB" in failed.error and "big" not in results.values


_SERVER = """
import sys, time
from job_work import Results, job, silent
from engine.jobs.runner import JobRunner
from engine.storage.store import TinyDBStore
store = TinyDBStore(sys.argv[1])
runner = JobRunner(store, silent, Results(), workers=1)
runner.start()
runner.submit(job("quiet"))
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
