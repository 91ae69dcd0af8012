"""DaskJobRunner on a real local Dask cluster and a real store: the runner contract, plus cooperative
cancels and worker restarts.

The cluster has one worker process with one thread, so jobs run one at a time; the ``pid`` that
:func:`job_work.double` returns tells whether the worker process was restarted in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dask
import pytest
from api_client import submit_demo_job
from distributed import LocalCluster
from job_work import Results, double, job, stubborn, wait_for
from runner_contract import RunnerContract, check_cancelled_for_good

from engine.algorithms.registry import infer
from engine.io.newick import to_newick
from engine.jobs.dask import DaskJobRunner
from engine.jobs.runner import CANCELLED, RUNNING, SUCCEEDED
from engine.services.root import Service
from engine.services.settings import Settings
from engine.storage.records import JobRecord
from engine.storage.store import TinyDBStore


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    # A worker lost once fails its task at once (KilledWorker) instead of rerunning it thrice.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


@pytest.fixture
def make_runner(store: TinyDBStore, results: Results, started: Callable[..., Any],
                cluster: LocalCluster) -> Callable[..., DaskJobRunner]:
    """Builds started runners on the cluster (``work`` and ``grace`` as asked)."""
    return lambda work=double, grace=10.0: started(
        DaskJobRunner(store, work, results, scheduler=cluster.scheduler_address, grace=grace))


def wait_running(store: TinyDBStore, job_id: str, timeout: float = 30) -> None:
    """Wait until the job's task reported progress, so that it really runs on the worker."""
    deadline = time.monotonic() + timeout
    while store.get(JobRecord, job_id).progress == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    running = store.get(JobRecord, job_id)
    assert running.status == RUNNING and running.progress > 0


def pid_of(results: Results, job_id: str) -> int:
    return results.values[job_id]["pid"]


class TestDaskRunner(RunnerContract):
    """The contract on a Dask cluster."""

    def test_the_cluster_has_one_worker_thread(self, make_runner: Callable[..., DaskJobRunner]) -> None:
        runner = make_runner()
        assert runner.workers == 1 and runner.running_pids() == {}


def test_cancelling_a_running_job_stops_it_cooperatively(
    store: TinyDBStore, results: Results, make_runner: Callable[..., DaskJobRunner]
) -> None:
    runner = make_runner()
    runner.submit(job("before", n=1))
    runner.submit(job("long", n=5, seconds=120))
    wait_running(store, "long")
    cancelled = runner.cancel("long")
    assert cancelled.status == CANCELLED and cancelled.finished
    runner.submit(job("next", n=2))
    # Well within the 10 s grace period: the task stopped by itself and freed the worker.
    assert wait_for(store, "next", (SUCCEEDED,), timeout=5).status == SUCCEEDED
    assert pid_of(results, "next") == pid_of(results, "before")  # the worker was not restarted
    check_cancelled_for_good(store, results, runner, "long")


def test_a_job_ignoring_cancel_is_stopped_by_restarting_its_worker(
    store: TinyDBStore, results: Results, make_runner: Callable[..., DaskJobRunner]
) -> None:
    runner = make_runner(stubborn, grace=0.5)
    runner.submit(job("before", n=1))
    runner.submit(job("stubborn", n=5, seconds=120))
    wait_running(store, "stubborn")
    runner.cancel("stubborn")
    runner.submit(job("after", n=2))
    assert wait_for(store, "after", (SUCCEEDED,), timeout=120).status == SUCCEEDED  # a restart, on busy cores
    assert pid_of(results, "after") != pid_of(results, "before")  # a new worker process
    assert store.get(JobRecord, "stubborn").status == CANCELLED
    assert "stubborn" not in results.values


def test_the_service_runs_api_jobs_on_the_cluster_when_told_to(tmp_path: Path, cluster: LocalCluster) -> None:
    """PHYLODASH_DASK_SCHEDULER: the same job request, records and result, computed on the cluster."""
    service = Service(Settings.from_environment({"PHYLODASH_DATA": str(tmp_path),
                                                 "PHYLODASH_DASK_SCHEDULER": cluster.scheduler_address}))
    assert isinstance(service.runner, DaskJobRunner)
    service.start()
    try:
        admin, demo, dataset, job = submit_demo_job(service)
        done = wait_for(service.store, job.id, (SUCCEEDED,))
        assert done.finished and done.progress == 1.0
        record = service.catalog.inference(admin, demo.id, dataset.id, job.analysis_id)
        tree = service.catalog.inference_content(record)
        expected = infer("goeburst", service.catalog.dataset_content(dataset), {"lvs": 3})
        assert to_newick(tree) == to_newick(expected)
    finally:
        service.stop()
