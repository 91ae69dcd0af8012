"""Load: 20 clients x 50 mixed requests at once against the real server (``make serve``).

The server runs with one job worker, a page size of 50 (so the job list has several pages) and a
queue cap no client reaches. A private project gets the demo dataset, one goeBURST inference and
its radial layout; then the clients of tests/load_mix.py send their requests all at once. The
test waits for every job to be final and checks the answers, the job list, the jobs that ran and
the database files the server wrote.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pytest
from live_server import FINAL, Client, LiveServer, job_request, job_workers, stored_documents
from load_mix import MAX_LVS, Answer, counts, deleted_jobs, prepare, unexpected, wait_all_final
from paths import DEMO

from api.wire import job_request as wire_request
from engine.errors import ConflictError
from engine.services.root import FIRST_ADMIN, Service
from engine.services.settings import Settings
from engine.storage.codec import inference_from_arrays, layout_from_arrays
from engine.storage.records import RECORD_TYPES, JobRecord
from engine.storage.surveillance_codec import naming_from_arrays

CLIENTS, REQUESTS = 20, 50
SETTLE_TIMEOUT = 120.0  # seconds for every job to be final once the clients are done
#: Fields every stored job has: those clients see, and those the server keeps for itself.
#: What a stored job holds: every field of a job record.
STORED_JOB_FIELDS = tuple(field.name for field in dataclasses.fields(JobRecord))
RESULT_TABLES = ("inferences", "visualizations", "partitions")


class WorkerWatch:
    """Collects the ids of the job worker processes below the server while in its ``with`` block.

    The pool's warm workers live from the server's start until they are killed by a cancel, and a
    replacement warms up for seconds, so polling /proc every 50 ms sees every worker.
    """

    def __init__(self, server_pid: int, every: float = 0.05) -> None:
        self.server_pid = server_pid
        self.every = every
        self.seen: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="worker-watch", daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(self.every):
            self.seen |= job_workers(self.server_pid)

    def __enter__(self) -> WorkerWatch:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("load")
    served = LiveServer(folder / "data", folder / "server.log", {
        "PHYLODASH_MAX_QUEUED_JOBS": str(CLIENTS * REQUESTS), "PHYLODASH_PAGE_SIZE": "50",
        "PHYLODASH_DEMO_TREE": "0"})  # only the jobs the clients post
    yield served
    served.stop()


def check_database(folder: Path, posted: set[str]) -> dict[str, Any]:
    """Check the database files once every job is final; a summary of what they hold.

    It parses; it holds exactly the jobs posted, each with every field and a final status; result
    records and succeeded jobs match one to one; each result's arrays load; a computed result names
    its own job in its provenance, a reused one the job that computed the original.
    """
    database = stored_documents(folder)
    assert set(database) <= {*RECORD_TYPES, "meta"}
    assert not list(folder.rglob(".*.json.*.tmp")), "a temporary database file was left behind"
    job_list = database["jobs"]
    jobs = {job["id"]: job for job in job_list}
    assert len(jobs) == len(job_list), "two job records have the same id"
    assert set(jobs) == posted, "the jobs stored are not those posted"
    for job in job_list:
        missing = [name for name in STORED_JOB_FIELDS if name not in job]
        assert not missing, (job["id"], missing)
        assert job["status"] in FINAL, job

    results = [record for table in RESULT_TABLES for record in database.get(table, [])]
    by_analysis = {record["id"]: record for record in results}
    assert len(by_analysis) == len(results), "two result records have the same analysis id"
    assert len({record["job_id"] for record in results}) == len(results), "a job stored two results"
    succeeded = {job_id for job_id, job in jobs.items() if job["status"] == "succeeded"}
    assert {record["job_id"] for record in results} == succeeded, "succeeded jobs and results differ"
    for record in results:
        job = jobs[record["job_id"]]
        provenance = record["provenance"]
        assert job["analysis_id"] == record["id"], record
        if job["reused_from"] is None:
            assert "reused_from" not in provenance and provenance["job_id"] == job["id"], record
            assert provenance["started"] == job["started"], (record, job)
        else:
            origin = by_analysis[job["reused_from"]]
            assert provenance["reused_from"] == origin["id"] and record["arrays"] == origin["arrays"], record
            assert provenance["job_id"] == origin["provenance"]["job_id"], (record, origin)
        with np.load(folder / "blobs" / f"{record['arrays']}.npz", allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        if "thresholds" in record:  # a partition: a name per profile at each threshold
            naming = naming_from_arrays(arrays)
            assert len(naming.names) == len(naming.isolates) > 0 and naming.thresholds, record
        elif "inference_id" in record:  # a layout: one point per profile of its tree
            layout = layout_from_arrays(arrays, record["algorithm"], record["parameters"])
            assert layout.x.size == layout.y.size == layout.rows.size == len(layout.ids) > 0, record
        else:  # a tree: a forest over all the dataset's profiles
            tree = inference_from_arrays(arrays, record["algorithm"], record["parameters"])
            assert tree.parents.size == tree.children.size == len(tree.ids) - tree.roots.size, record
    computed = [record for record in results if record["job_id"] == record["provenance"]["job_id"]]
    # One worker: a queued job equal to one that succeeded meanwhile reuses its result when its turn comes.
    assert len({record["content_key"] for record in computed}) == len(computed), "an analysis ran twice"
    ran = [job for job in job_list if job["started"] is not None and job["reused_from"] is None]
    return {"jobs": jobs, "computed": len(computed), "ran": len(ran),
            "removed": {job_id for job_id, job in jobs.items() if job["deprecated"]},
            "statuses": Counter(job["status"] for job in job_list)}


def report(answers: list[Answer], wrong: list[Answer], seconds: float, settle: float,
           stored: dict[str, Any], workers: int) -> None:
    """Print what the load did (shown with ``pytest -s``)."""
    print(f"\n{len(answers)} requests by {CLIENTS} clients in {seconds:.1f} s; every job final "
          f"{settle:.1f} s later")
    for kind, statuses in counts(answers).items():
        print(f"  {kind:<20} " + ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items())))
    print(f"  wrong answers: {len(wrong)}")
    for answer in wrong[:20]:
        print(f"    {answer.kind} {answer.path}: {answer.status} {answer.detail}")
    print(f"jobs: {len(stored['jobs'])} stored, {dict(stored['statuses'])}, "
          f"{len(stored['removed'])} removed; {stored['ran']} started in a worker, "
          f"{stored['computed']} computed a result; {workers} worker processes seen")


def test_concurrent_clients_get_right_answers_and_leave_a_sound_database(server: LiveServer) -> None:
    client = Client(server.url, server.token())
    with WorkerWatch(server.panel_pid()) as watch:
        load = prepare(client, DEMO / "profiles.tsv", DEMO / "isolates.tsv")
        answers, seconds = load.run(CLIENTS, REQUESTS)
        start = time.perf_counter()
        listed = wait_all_final(client, load.project, SETTLE_TIMEOUT)
        settle = time.perf_counter() - start
    posted = set(load.known.jobs)
    stored = check_database(server.data, posted)
    wrong = unexpected(answers, stored["removed"])
    report(answers, wrong, seconds, settle, stored, len(watch.seen))

    assert len(answers) == CLIENTS * REQUESTS
    assert not wrong, f"{len(wrong)} wrong answers, the first: {wrong[0]}"
    # Every job a POST created is listed with a final status, or was removed by one of our DELETEs.
    deleted = deleted_jobs(answers)
    assert set(listed) <= posted
    assert posted - set(listed) == stored["removed"] <= deleted
    assert all(view["status"] in FINAL for view in listed.values())
    # Only DELETEs cancel, and a DELETE either cancels a job or removes it.
    cancelled = {job_id for job_id, view in listed.items() if view["status"] == "cancelled"}
    assert cancelled <= deleted
    assert all(listed[job_id]["status"] == "cancelled" for job_id in deleted & set(listed))
    # No job started twice (a result per succeeded job, checked in the database). The warm workers
    # (one, and its spare) run job after job; a new one starts only for each running job a DELETE
    # cancelled (its worker is killed).
    killed = sum(1 for job in stored["jobs"].values() if job["status"] == "cancelled" and job["started"])
    assert 1 <= len(watch.seen) <= 2 + killed


def test_the_cap_on_queued_jobs_holds_when_many_post_at_once(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty submits at once, as the API's executor threads make them, queue exactly the cap's number,
    even when reading the store is slow (as on a busy server: every other submit reads meanwhile)."""
    service = Service(Settings(data=tmp_path, workers=1, max_queued_jobs=3, demo_tree=False))
    service.start()  # the first start makes the admin and the demo dataset
    service.stop()  # and no job runs, so none leaves the queue meanwhile
    admin = service.accounts.find(FIRST_ADMIN)
    assert admin is not None
    project = service.catalog.projects(admin)[0].id
    dataset = service.catalog.datasets(admin, project)[0].id
    select = service.store.select

    def slow_select(*args: Any, **options: Any) -> list[Any]:
        found = select(*args, **options)
        time.sleep(0.01)
        return found

    monkeypatch.setattr(service.store, "select", slow_select)
    ready, outcomes = threading.Barrier(CLIENTS), []

    def submit(index: int) -> None:
        missing = ("ignore", "difference")[index % 2]
        body = job_request("goeburst", dataset, 1 + index % MAX_LVS, {"missing": missing})
        ready.wait()
        try:
            outcomes.append(service.analyses.submit(admin, project, wire_request(body)).status)
        except ConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(outcomes) == {"queued": 3, "refused": CLIENTS - 3}
    assert len(service.store.select(JobRecord, lambda job: job.status == "queued")) == 3
