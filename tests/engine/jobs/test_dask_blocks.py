"""A large job's distance pass split into blocks over a real local Dask cluster of two workers
(engine/jobs/dask_blocks.py): the same inference as in one piece, progress that only rises, blocks on
both workers, and a cancel that stops the job during its block work and leaves nothing on the cluster.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from block_work import infer_generated, infer_in_blocks, run_failing_blocks
from distributed import Client, LocalCluster, get_task_stream
from generated_datasets import cgmlst_like, inference_arrays
from job_work import Results, job, wait_for

from engine.algorithms.registry import infer
from engine.jobs.dask import DaskJobRunner
from engine.jobs.dask_blocks import BLOCK_KEY
from engine.jobs.runner import CANCELLED, SUCCEEDED
from engine.storage.records import JobRecord
from engine.storage.store import TinyDBStore


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster, set_as_default=False) as connected:
        yield connected


def keys_on_the_scheduler(client: Client) -> list[str]:
    """The keys of every task the scheduler knows (computed, waiting or data)."""
    return client.run_on_scheduler(lambda dask_scheduler: [str(key) for key in dask_scheduler.tasks])


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not {what} after {timeout} s"
        time.sleep(0.05)


@pytest.mark.parametrize("name", ["goeburst-full", "mstree-v2", "nj"])
def test_blocks_on_both_workers_give_the_inference_of_one_piece(client: Client, name: str) -> None:
    with get_task_stream(client=client) as stream:
        inference, fractions = client.submit(infer_in_blocks, name, 160, 300, 11, 6, pure=False).result()
    assert inference_arrays(inference) == inference_arrays(infer(name, cgmlst_like(160, 300, 11)))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    workers = {task["worker"] for task in stream.data if str(task["key"]).startswith(BLOCK_KEY)}
    assert len(workers) == 2


def test_a_failing_block_fails_the_pass_and_leaves_nothing_on_the_cluster(client: Client) -> None:
    task = client.submit(run_failing_blocks, pure=False)
    with pytest.raises(ValueError, match="block 2 failed"):
        task.result()
    task.release()  # the test's own task: its error would keep it on the scheduler
    wait_until(lambda: not keys_on_the_scheduler(client), "empty", timeout=30)


def test_a_job_on_the_cluster_splits_its_distances_and_stores_the_same_result(
    store: TinyDBStore, results: Results, started: Callable[..., Any], cluster: LocalCluster
) -> None:
    runner = started(DaskJobRunner(store, infer_generated, results, scheduler=cluster.scheduler_address,
                                   split_above=1))
    runner.submit(job("split", algorithm="goeburst-full", n=120, loci=400, seed=2))
    assert wait_for(store, "split", (SUCCEEDED,)).progress == 1.0
    expected = infer("goeburst-full", cgmlst_like(120, 400, 2))
    assert inference_arrays(results.values["split"]) == inference_arrays(expected)


def test_cancelling_a_job_during_its_block_work_stops_it_and_drops_its_blocks(
    store: TinyDBStore, results: Results, started: Callable[..., Any], cluster: LocalCluster, client: Client
) -> None:
    pids = client.run(os.getpid)
    runner = started(DaskJobRunner(store, infer_generated, results, scheduler=cluster.scheduler_address,
                                   split_above=1))
    with get_task_stream(client=client) as stream:
        runner.submit(job("big", algorithm="goeburst-full", n=4500, loci=3000, seed=3))
        wait_until(lambda: any(key.startswith(BLOCK_KEY) for key in keys_on_the_scheduler(client)),
                   "computing blocks")
        assert runner.cancel("big").status == CANCELLED
        # The job's task stops at its next cancel check: its blocks are cancelled or, when already
        # running, released as they end, and its scattered profiles with them; no worker restarts.
        wait_until(lambda: not keys_on_the_scheduler(client), "empty", timeout=30)
    computed = [task for task in stream.data if str(task["key"]).startswith(BLOCK_KEY)]
    assert len(computed) < 8  # of 4 blocks per worker thread: the others never ran
    assert client.run(os.getpid) == pids
    assert store.get(JobRecord, "big").status == CANCELLED and "big" not in results.values
