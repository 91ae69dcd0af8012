"""Analyses over the local runner: the workers write a result's arrays and the server the record, a
job that does not succeed leaves no arrays behind, the warm-up covers the registry, and listeners
hear of every job that ends."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from api_client import submit_demo_job

from engine.algorithms import registry
from engine.jobs.runner import FAILED, FINAL, INTERRUPTED, RUNNING, SUCCEEDED, JobRunner
from engine.services.analyses import JobRequest, result_key, warm_up
from engine.services.root import Service
from engine.services.settings import Settings
from engine.storage.records import InferenceRecord, JobRecord


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    """A started service of one worker (and its spare) over a temporary data folder."""
    started = Service(Settings(data=tmp_path, workers=1, demo_tree=False))
    started.start()
    yield started
    started.stop()


def finished(service: Service, job_id: str, timeout: float = 60) -> JobRecord:
    """The job's record once it has ended."""
    deadline = time.monotonic() + timeout
    while (job := service.store.get(JobRecord, job_id)).status not in FINAL:
        assert time.monotonic() < deadline, f"job {job_id} still {job.status} after {timeout} s"
        time.sleep(0.02)
    return job


def test_the_warm_up_runs_every_registered_algorithm() -> None:
    ran = list(warm_up())
    inferences, layouts = registry.names(registry.INFERENCE), registry.names(registry.VISUALIZATION)
    assert ran[:1 + len(layouts)] == ["goeburst", *layouts]  # the commonest jobs are warm first

    def choices(name: str) -> int:
        described = registry.get(name).describe()["parameters"]
        return sum(len(p.get("choices", ())) - 1 for p in described if p.get("choices"))

    # one step per run: the defaults, each layout of that tree, each other choice of an option, the
    # defaults with the distance passes split into blocks; last, the surveillance kernels (a tree
    # extended, then a partition named, per extensible algorithm)
    surveillance = ["goeburst", "cluster-codes", "goeburst-full", "cluster-codes"]
    registered = [step for name in inferences for step in (name, *layouts, *[name] * (choices(name) + 1))]
    assert ran == registered + surveillance


def test_the_worker_writes_the_result_arrays_and_the_server_the_record(service: Service) -> None:
    assert isinstance(service.runner, JobRunner)
    _admin, _demo, dataset, job = submit_demo_job(service)
    assert finished(service, job.id).status == SUCCEEDED
    record = service.store.get(InferenceRecord, job.analysis_id)
    assert record.arrays == result_key(job) == f"inferences/{job.analysis_id}"
    expected = registry.infer("goeburst", service.catalog.dataset_content(dataset), {"lvs": 3})
    assert np.array_equal(service.store.get_arrays(record.arrays)["parents"], expected.parents)
    assert record.provenance["seconds"] > 0 and record.provenance["job_id"] == job.id


def test_listeners_hear_of_computed_and_of_reused_results(service: Service) -> None:
    heard: queue.Queue[JobRecord] = queue.Queue()
    service.analyses.subscribe(heard.put)
    admin, demo, dataset, job = submit_demo_job(service)
    computed = heard.get(timeout=60)
    assert (computed.id, computed.status, computed.reused_from) == (job.id, SUCCEEDED, None)
    again = service.analyses.submit(admin, demo.id, JobRequest("inference", "goeburst", dataset.id,
                                                               options={"lvs": 3}))
    reused = heard.get(timeout=60)
    assert (reused.id, reused.status) == (again.id, SUCCEEDED) and reused.reused_from == job.analysis_id


def test_a_restart_removes_what_an_interrupted_job_wrote(tmp_path: Path) -> None:
    """The arrays (whole, or a temporary file cut off mid-write) of a job the server left running."""
    service = Service(Settings(data=tmp_path, workers=1, demo_tree=False))
    job = JobRecord(id="j", analysis_id="a", analysis="inference", algorithm="goeburst", status=RUNNING,
                    created="2026-01-01T00:00:00.000Z")
    service.store.insert(job)
    key = result_key(job)
    service.store.put_arrays(key, {"parents": np.arange(3)})
    partial = tmp_path / "blobs" / "inferences" / ".a.npz.x1y2z3.tmp"
    partial.write_bytes(b"half an npz")
    service.start()
    try:
        interrupted = service.store.get(JobRecord, "j")
        assert interrupted.status == FAILED and interrupted.error == INTERRUPTED
        assert not list((tmp_path / "blobs" / "inferences").iterdir())
    finally:
        service.stop()
