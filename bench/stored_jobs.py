"""Many jobs written through the store, for ``bench_api.py --stored-jobs`` (100,000: 1-2 min).

One goeBURST job (lvs 3) on the demo dataset is submitted and computed in this process through the
services, as the server would; then every project gets a copy of the demo dataset's record (the same
arrays) and copies of that succeeded job and of its tree, each with its own ids, written in one
``together`` block per project. Every copy has the same content key, so a job posted later to any of
these projects reuses its project's result at once and the server computes nothing.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from engine.clock import now
from engine.io.datasets import open_dataset
from engine.services.analyses import JobRequest, run_job
from engine.services.root import FIRST_ADMIN, Service
from engine.services.settings import Settings
from engine.storage.records import DatasetRecord, InferenceRecord, JobRecord, ProjectRecord
from engine.storage.store import Store

DEMO = Path(__file__).resolve().parents[1] / "assets" / "demo"


def populate(folder: Path, jobs: int, projects: int) -> str:
    """Write ``jobs`` succeeded goeBURST jobs and their trees, spread evenly over ``projects`` private
    projects of the admin, into a new data folder; the admin's API token."""
    if jobs < projects or projects < 1:
        raise ValueError(f"{jobs} jobs cannot be spread over {projects} projects (at least one each)")
    service = Service(Settings(data=folder, workers=1, demo_tree=False))  # never started: no worker runs
    store = service.store
    admin, token = service.accounts.add(FIRST_ADMIN, admin=True)
    project = service.catalog.create_project(admin, {"name": "stored jobs 1", "visibility": "private"})
    demo = open_dataset(DEMO / "profiles.tsv", DEMO / "isolates.tsv")
    dataset = service.catalog.store_dataset(project.id, demo, name="Demo MLST", description="")
    queued = service.analyses.submit(admin, project.id, JobRequest("inference", "goeburst", dataset.id,
                                                                   options={"lvs": 3}))
    computed = run_job(store.arrays_reader(), queued, lambda _: None, None)
    with store.together():
        service.analyses.finish(queued, computed)
        job = store.update(JobRecord, queued.id, status="succeeded", progress=1.0, started=now(),
                           finished=now())
    tree = store.get(InferenceRecord, job.analysis_id)
    for k in range(projects):
        count = jobs // projects + (k < jobs % projects)
        if k:
            project, dataset = _copy_project(store, project, dataset, k + 1)
        with store.together():
            for _ in range(count - (k == 0)):  # the first project holds the computed job already
                job_id, analysis_id = str(uuid.uuid4()), str(uuid.uuid4())
                where = {"project_id": project.id, "dataset_id": dataset.id, "created": now()}
                store.insert(job.replace(id=job_id, analysis_id=analysis_id, **where))
                store.insert(tree.replace(id=analysis_id, job_id=job_id, **where))
    return token


def _copy_project(store: Store, project: ProjectRecord, dataset: DatasetRecord,
                  number: int) -> tuple[ProjectRecord, DatasetRecord]:
    """A new project like ``project`` (the ``number``-th) with a copy of ``dataset``'s record in it."""
    copy = store.insert(project.replace(id=str(uuid.uuid4()), name=f"stored jobs {number}", created=now()))
    return copy, store.insert(dataset.replace(id=str(uuid.uuid4()), project_id=copy.id, created=now()))
