"""Latency of the REST API, measured against the real server (``make serve``), against the issue's targets.

The server runs as the end-to-end tests run it (:class:`live_server.LiveServer`: ``make -s serve``
on a free port, ``PHYLODASH_WORKERS=1``, its data folder in a temporary directory) and is talked
to over HTTP on 127.0.0.1.

1. ``POST /projects/{p}/jobs`` answers at once whatever the dataset size (the work is queued).
   Three tables are uploaded to a new project (multipart, field ``profiles``): the demo (260 MLST
   profiles), ``../shared/data/phylodb/profiles_15000.txt`` (a synthetic MLST table of 15,000
   profiles when ../shared is absent) and a synthetic cgMLST table of 5,000 x 3,000. For each,
   goeBURST jobs with lvs = 1, 2, ... (no job reuses an earlier result) are posted one after the
   other, then deleted newest first (cancelled when queued or running). The first job computes
   in the worker while the later ones are posted, as it would on a busy server.
2. ``GET /projects/{p}/jobs`` with 1,000 jobs stored. The same goeBURST job on the demo dataset
   is posted 1,000 times to the Demo project (the first computes; once it has succeeded, the
   others reuse its result and finish at once). Then one client alone, and 20 clients at once,
   each on its own keep-alive connection, ask for page 0 (500 jobs) without think time.
3. From ``POST /jobs`` to ``completed``, first thing on the fresh server (after one job that waits
   for the warm-up of the workers): goeBURST jobs on the demo (260 profiles) one after the other,
   each with other options (lvs 1-7 x the three missing-data modes, so none reuses a result), then
   a radial layout of each of their trees. The client sends the POST, then GETs the job every 10 ms
   on a keep-alive connection until it has completed. The same again once 1,000 jobs are stored.
4. Cancel of a running goeBURST job on 100,000 synthetic MLST profiles (``bench/synthetic.py``):
   its worker process (the one below the server using the CPU) must be gone, and the next job (a
   goeBURST job on the demo, posted as soon as the DELETE answered) must have started, within 1 s
   of the DELETE; also when the replacement worker process appeared.
5. 20 clients post one goeBURST job each on the demo at once, to a second server with
   ``PHYLODASH_WORKERS=2`` whose workers are warm; one more client watches the job list every 20 ms
   until all 20 have completed.

With ``--stored-jobs N`` (the issue's case: 100,000 over ``--projects 200``) it measures instead, on a
server whose data folder holds N succeeded goeBURST jobs with their trees, spread evenly over the
projects and written through the store in a minute (``bench/stored_jobs.py``): 100 ``POST /jobs``,
one after the other, each to the next project (each reuses its project's result, so nothing computes);
then 20 clients at once, client k GETting page 0 of the k-th project's jobs (500 jobs), alone and
while another client adds a job every 0.1 s to one of those 20 projects in turn; and the server's
resident memory (VmRSS, VmHWM) after its start and at the end. Targets: POST median < 20 ms, GET median
< 50 ms, memory < 1 GB.

``--serve`` gives the command that starts the server in the project folder (default ``make -s
serve``), say to time a checkout's code with a server started without make.

Usage::

    python bench/bench_api.py [--quick] [--keep] [--stored-jobs N [--projects P]] [--serve COMMAND]

Exit status: 0 when the measurements ran (a missed target is a result, not an error). A request
answered with an unexpected status (other than the concurrent GETs, whose errors are counted)
ends the script with a traceback and the end of the server's log.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import synthetic

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
DEMO_PROFILES = ROOT / "assets" / "demo" / "profiles.tsv"
TARGET_MS = 50.0
JOB_MEDIAN_MS, JOB_P95_MS = 150.0, 300.0  # from POST to completed, a small job
BURST_TARGET_S = 3.0  # 20 small jobs posted at once, on 2 workers
CANCEL_TARGET_S = 1.0  # the cancelled job's worker gone, and the next job started
POLL_EVERY = 0.01  # seconds between two looks at a job
STORED_POSTS = 100  # jobs posted with --stored-jobs, one project after the other
STORED_POST_MS, STORED_GET_MS, STORED_RSS_MB = 20.0, 50.0, 1024.0  # targets with 100,000 jobs stored
MISSING_MODES = ("difference", "ignore", "allele")

# The same launcher, JSON client and multipart encoder the end-to-end tests (tests/test_server.py) use.
# The project before its tests folder: tests/engine, tests/api ... must not hide the packages.
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from api_client import multipart  # noqa: E402
from live_server import FINAL, Client, LiveServer, alive, at_once, database_bytes, job_workers  # noqa: E402
from stored_jobs import populate  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    """How much to do: the full run, or a smaller one with ``--quick`` (whose targets are not judged)."""

    posts: int  # jobs posted (then deleted) per dataset
    cgmlst_profiles: int
    seeded_jobs: int
    single_gets: int  # GETs of the one client alone
    clients: int
    gets_per_client: int
    small_jobs: int  # goeBURST jobs (and as many layouts) timed from POST to completed
    cancel_profiles: int  # MLST profiles of the job that is cancelled while it runs


FULL = Sizes(posts=30, cgmlst_profiles=5000, seeded_jobs=1000, single_gets=50, clients=20, gets_per_client=50,
             small_jobs=21, cancel_profiles=100_000)
QUICK = Sizes(posts=10, cgmlst_profiles=1000, seeded_jobs=200, single_gets=20, clients=20, gets_per_client=10,
              small_jobs=9, cancel_profiles=100_000)


@dataclass(frozen=True)
class Table:
    """A profile table to upload (with its isolate table, if any); ``judged`` is False when --quick made it
    smaller than the target's."""

    label: str
    path: Path
    judged: bool = True
    isolates: Path | None = None


@dataclass(frozen=True)
class Latency:
    """Latencies of requests, in milliseconds."""

    ms: list[float]

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (0..1) of the latencies."""
        return float(np.quantile(self.ms, q))

    @property
    def median(self) -> float:
        """Median latency (infinite when no request succeeded)."""
        return statistics.median(self.ms) if self.ms else math.inf

    def text(self, *, p99: bool = False, p95: bool = False) -> str:
        """``median 3.1 / p90 4.0 [/ p95 ..] [/ p99 ..] / max 9.9 ms (n=30)``."""
        if not self.ms:
            return "no successful request"
        parts = [f"median {self.median:.1f}", f"p90 {self.quantile(0.9):.1f}"]
        if p95:
            parts.append(f"p95 {self.quantile(0.95):.1f}")
        if p99:
            parts.append(f"p99 {self.quantile(0.99):.1f}")
        parts.append(f"max {max(self.ms):.1f} ms")
        return " / ".join(parts) + f" (n={len(self.ms)})"


@dataclass(frozen=True)
class Row:
    """One line of the final table."""

    measurement: str
    figure: str
    target: str = "-"
    met: str = "-"


def verdict(passed: bool, judged: bool) -> str:
    """``yes``/``no``, or ``n/a`` when the run was smaller than the target's conditions."""
    if not judged:
        return "n/a"
    return "yes" if passed else "no"


# --------------------------------------------------------------------------------------------
# Requests


def timed(client: Client, method: str, path: str, body: Any, expect: int) -> tuple[float, Any]:
    """Milliseconds taken by one request and its answer; RuntimeError when the status is not ``expect``."""
    start = time.perf_counter()
    status, answer = client.request(method, path, body)
    elapsed = (time.perf_counter() - start) * 1000
    if status != expect:
        raise RuntimeError(f"{method} {path} answered {status}, not {expect}: {answer!r:.300}")
    return elapsed, answer


def upload(client: Client, project: str, table: Table) -> tuple[dict[str, Any], float]:
    """Upload ``table`` (and its isolates) as a dataset of ``project``: the created dataset and the seconds
    it took."""
    files = {"profiles": (table.path.name, table.path.read_bytes())}
    if table.isolates is not None:
        files["isolates"] = (table.isolates.name, table.isolates.read_bytes())
    data, content_type = multipart(files, {"name": table.label})
    start = time.perf_counter()
    created = client.json("POST", f"/projects/{project}/datasets", data=data, content_type=content_type,
                          expect=201)
    return created, time.perf_counter() - start


def goeburst(dataset: str, lvs: int) -> dict[str, Any]:
    """The body of a goeBURST inference job."""
    return {"analysis": "inference", "algorithm": "goeburst", "parameters": [dataset, lvs]}


def post_and_delete(client: Client, project: str, dataset: str, count: int) -> tuple[Latency, Latency, str]:
    """POST ``count`` jobs (lvs 1..count), then DELETE them newest first.

    Returns the POST and DELETE latencies and the jobs' statuses just before the DELETEs.
    """
    path = f"/projects/{project}/jobs"
    posts, jobs = [], []
    for lvs in range(1, count + 1):
        elapsed, answer = timed(client, "POST", path, goeburst(dataset, lvs), 202)
        posts.append(elapsed)
        jobs.append(answer["job_id"])
    listed = {job["id"]: job["status"] for job in client.json("GET", f"{path}?page=0")}
    statuses = Counter(listed[job] for job in jobs)
    deletes = [timed(client, "DELETE", f"{path}/{job}", None, 204)[0] for job in reversed(jobs)]
    before = ", ".join(f"{n} {status}" for status, n in statuses.most_common())
    return Latency(posts), Latency(deletes), before


@dataclass(frozen=True)
class Burst:
    """What a burst of concurrent GETs gave: latencies of the 200 answers, errors, wall seconds, and the
    size of the largest answer in bytes."""

    latency: Latency
    errors: int
    seconds: float
    largest: int

    @property
    def rate(self) -> float:
        """Successful requests per second over the whole burst."""
        return len(self.latency.ms) / self.seconds


def get_burst(url: str, token: str, paths: Sequence[str], clients: int, requests: int) -> Burst:
    """``clients`` threads at once, each on its own keep-alive connection, each doing ``requests`` GETs
    (client k of ``paths[k % len(paths)]``).

    An answer counts as an error unless it is 200 with a JSON array body; a broken connection
    counts as an error and is reopened.
    """
    address = urllib.parse.urlsplit(url)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    largest = [0] * clients

    def client(index: int, ready: threading.Barrier) -> None:
        path = paths[index % len(paths)]
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=300)
        try:
            with contextlib.suppress(OSError):  # the first request then connects again, or is an error
                connection.connect()
            ready.wait()
            for _ in range(requests):
                start = time.perf_counter()
                try:
                    connection.request("GET", path, headers=headers)
                    answer = connection.getresponse()
                    body = answer.read()
                except (OSError, http.client.HTTPException):
                    errors[index] += 1
                    connection.close()
                    continue
                elapsed = (time.perf_counter() - start) * 1000
                if answer.status == 200 and body.startswith(b"["):
                    latencies[index].append(elapsed)
                    largest[index] = max(largest[index], len(body))
                else:
                    errors[index] += 1
        finally:
            connection.close()

    seconds = at_once("bench-client", [functools.partial(client, index) for index in range(clients)])
    return Burst(Latency([ms for own in latencies for ms in own]), sum(errors), seconds, max(largest))


# --------------------------------------------------------------------------------------------
# The two measurements


def measure_posts(client: Client, tables: Sequence[Table], sizes: Sizes, notes: list[str]) -> list[Row]:
    """Measurement 1: POST and DELETE latency of jobs on each table, in a new private project."""
    project = client.json("POST", "/projects", {"name": "bench POST /jobs", "description": "bench_api.py",
                                                "visibility": "private", "users": []}, expect=201)["id"]
    rows = []
    for table in tables:
        created, seconds = upload(client, project, table)
        notes.append(f"upload {table.label}: {created['profiles']:,} profiles x {created['loci']:,} loci, "
                     f"{table.path.stat().st_size / 1e6:.2f} MB, {seconds:.3f} s")
        posts, deletes, before = post_and_delete(client, project, created["id"], sizes.posts)
        notes.append(f"  {sizes.posts} jobs on it before the DELETEs: {before}")
        print(f"... {table.label}: POST {posts.text()}; DELETE {deletes.text()}", flush=True)
        rows.append(Row(f"POST /jobs, {table.label}", posts.text(), f"median < {TARGET_MS:g} ms",
                        verdict(posts.median < TARGET_MS, table.judged)))
        rows.append(Row(f"DELETE /jobs/{{id}}, {table.label}", deletes.text()))
    return rows


def seed_jobs(client: Client, project: str, dataset: str, count: int) -> tuple[Row, Latency]:
    """Post the same goeBURST job ``count`` times, the later ones once the first has succeeded.

    Returns the table row of the seeding and the POST latencies of the jobs that reused the result.
    """
    path = f"/projects/{project}/jobs"
    start = time.perf_counter()
    first = client.json("POST", path, goeburst(dataset, 3), expect=202)
    finished = client.wait_job(project, first["job_id"])
    if finished["status"] != "succeeded":
        raise RuntimeError(f"the first seeded job did not succeed: {finished}")
    first_seconds = time.perf_counter() - start
    reused = Latency([timed(client, "POST", path, goeburst(dataset, 3), 202)[0] for _ in range(count - 1)])
    total = time.perf_counter() - start
    how = "reused an earlier result" if finished.get("reused_from") else "computed"
    return Row(f"seed {count:,} jobs (sequential POSTs)",
               f"{total:.1f} s: first job {how} in {first_seconds:.1f} s, then {count - 1:,} POSTs "
               f"{reused.median:.1f} ms median"), reused


def measure_gets(client: Client, server: LiveServer, sizes: Sizes, notes: list[str]) -> list[Row]:
    """Measurement 2: GET /jobs page 0 with ``seeded_jobs`` jobs stored, one client and then many."""
    demo = next(p for p in client.json("GET", "/projects") if p["name"] == "Demo")["id"]
    dataset = client.json("GET", f"/projects/{demo}/datasets")[0]["id"]
    judged = sizes.seeded_jobs >= FULL.seeded_jobs
    seeding, reused = seed_jobs(client, demo, dataset, sizes.seeded_jobs)
    print(f"... {seeding.measurement}: {seeding.figure}", flush=True)
    rows = [seeding, Row("POST /jobs while seeding (result reused)", reused.text(p99=True))]

    path = f"/projects/{demo}/jobs?page=0"
    listed = len(client.json("GET", path))
    get_burst(server.url, client.token, [path], 1, 5)  # warm-up
    alone = get_burst(server.url, client.token, [path], 1, sizes.single_gets)
    notes.append(f"GET /jobs?page=0: {listed} jobs, {alone.largest / 1e3:.0f} kB of JSON; the database file "
                 f"is {(server.data / 'phylodash.json').stat().st_size / 1e6:.1f} MB")
    print(f"... GET /jobs, 1 client: {alone.latency.text(p99=True)}", flush=True)
    crowd = get_burst(server.url, client.token, [path], sizes.clients, sizes.gets_per_client)
    print(f"... GET /jobs, {sizes.clients} clients: {crowd.latency.text(p99=True)}, "
          f"{crowd.rate:.1f} req/s, {crowd.errors} errors", flush=True)
    changing = changing_burst(client, [(demo, dataset)], [path], sizes)
    print(f"... GET /jobs, {sizes.clients} clients, the list changing 10 times a second: "
          f"{changing.latency.text(p99=True)}, {changing.errors} errors", flush=True)
    stored = f"{sizes.seeded_jobs:,} jobs"
    total = sizes.clients * sizes.gets_per_client
    rows += [
        Row(f"GET /jobs page 0, {stored}, 1 client", alone.latency.text(p99=True)),
        Row(f"GET /jobs page 0, {stored}, {sizes.clients} clients", crowd.latency.text(p99=True),
            f"median < {TARGET_MS:g} ms", verdict(crowd.latency.median < TARGET_MS, judged)),
        Row(f"GET /jobs throughput, {sizes.clients} clients",
            f"{crowd.rate:.1f} requests/s ({total:,} requests in {crowd.seconds:.1f} s)"),
        Row(f"GET /jobs errors, {sizes.clients} clients", f"{crowd.errors} of {total:,}", "0",
            verdict(crowd.errors == 0, True)),
        Row(f"GET /jobs page 0, {sizes.clients} clients, a new job every 0.1 s",
            changing.latency.text(p99=True),
            f"median < {TARGET_MS:g} ms", verdict(changing.latency.median < TARGET_MS, judged)),
    ]
    return rows


def changing_burst(client: Client, targets: Sequence[tuple[str, str]], paths: Sequence[str],
                   sizes: Sizes) -> Burst:
    """The 20-client GET burst of ``paths`` while another client adds a job every 0.1 s, to each of the
    ``(project, dataset)`` targets in turn (each write makes that project's cached pages stale, so GETs
    encode its list afresh)."""
    stop = threading.Event()

    def add_jobs() -> None:
        turn = 0
        while not stop.wait(0.1):
            project, dataset = targets[turn % len(targets)]
            client.json("POST", f"/projects/{project}/jobs", goeburst(dataset, 3), expect=202)
            turn += 1

    writer = threading.Thread(target=add_jobs, name="job-writer")
    writer.start()
    try:
        return get_burst(client.url, client.token, paths, sizes.clients, sizes.gets_per_client)
    finally:
        stop.set()
        writer.join()


# --------------------------------------------------------------------------------------------
# Jobs from POST to completed, a cancel, a burst


class Watch:
    """GETs on one keep-alive connection, to follow jobs closely (a new connection per look would
    cost more than the look)."""

    def __init__(self, url: str, token: str) -> None:
        self._address = urllib.parse.urlsplit(url)
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self._connection = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self._address.hostname, self._address.port, timeout=300)

    def get(self, path: str) -> Any:
        """The JSON answer of a GET that must answer 200 (one retry on a new connection)."""
        for attempt in (1, 2):
            try:
                self._connection.request("GET", path, headers=self._headers)
                answer = self._connection.getresponse()
                body = answer.read()
                break
            except (OSError, http.client.HTTPException):
                self._connection.close()
                self._connection = self._connect()
                if attempt == 2:
                    raise
        if answer.status != 200:
            raise RuntimeError(f"GET {path} answered {answer.status}: {body[:300]!r}")
        return json.loads(body)

    def job(self, project: str, job_id: str, statuses: Sequence[str] = FINAL, timeout: float = 300.0) -> Any:
        """The job once its status is one of ``statuses``, looked at every 10 ms."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.get(f"/projects/{project}/jobs/{job_id}")
            if found["status"] in statuses:
                return found
            if time.monotonic() > deadline:
                raise RuntimeError(f"job {job_id} still {found['status']} after {timeout} s")
            time.sleep(POLL_EVERY)

    def close(self) -> None:
        self._connection.close()


def stamp(text: str) -> float:
    """Seconds since the epoch of a record's time (``2026-12-07T01:02:03.456Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def small_job(dataset: str, k: int) -> dict[str, Any]:
    """The ``k``-th distinct goeBURST job on a dataset: lvs 1-7, then the next missing-data mode."""
    return {"analysis": "inference", "algorithm": "goeburst",
            "parameters": [dataset, 1 + k % 7, {"missing": MISSING_MODES[k // 7 % len(MISSING_MODES)]}]}


def radial(dataset: str, inference: str) -> dict[str, Any]:
    """The body of a radial layout job."""
    return {"analysis": "visualization", "algorithm": "radial", "parameters": [dataset, inference]}


def to_completed(client: Client, watch: Watch, project: str, body: dict[str, Any]) -> tuple[float, Any]:
    """Milliseconds from sending ``POST /jobs`` until a GET saw the job completed; the job (it must
    have succeeded) with its ``analysis_id``."""
    start = time.perf_counter()
    _, answer = timed(client, "POST", f"/projects/{project}/jobs", body, 202)
    done = watch.job(project, answer["job_id"])
    elapsed = (time.perf_counter() - start) * 1000
    if done["status"] != "succeeded":
        raise RuntimeError(f"a timed job did not succeed: {done}")
    return elapsed, done


def new_project(client: Client, name: str, table: Path) -> tuple[str, str]:
    """A new private project with ``table`` uploaded: the project's and the dataset's ids."""
    project = client.json("POST", "/projects", {"name": name, "description": "bench_api.py",
                                                "visibility": "private", "users": []}, expect=201)["id"]
    return project, upload(client, project, Table(name, table))[0]["id"]


def measure_job_latency(client: Client, watch: Watch, server: LiveServer, sizes: Sizes, when: str,
                        notes: list[str]) -> list[Row]:
    """Measurement 3: small jobs from POST to completed, one after the other, in a new project, once
    the server's workers are warm (after the first job, when the server has just started)."""
    project, dataset = new_project(client, f"bench small jobs ({when})", DEMO_PROFILES)
    rows = []
    if when == "fresh server":  # lvs 10: none of the timed jobs reuses its result
        first, _ = to_completed(client, watch, project, goeburst(dataset, 10))
        rows.append(Row("first job after the start (workers warming up)", f"{first / 1000:.2f} s"))
    warm = wait_workers_idle(server, 2)
    notes.append(f"small jobs ({when}): the server's 2 workers warm and idle {warm:.1f} s later")
    trees, inferences, server_side = [], [], []
    for k in range(sizes.small_jobs):
        elapsed, done = to_completed(client, watch, project, small_job(dataset, k))
        inferences.append(elapsed)
        server_side.append((stamp(done["finished"]) - stamp(done["created"])) * 1000)
        trees.append(done["analysis_id"])
    layouts = [to_completed(client, watch, project, radial(dataset, tree))[0] for tree in trees]
    notes.append(f"small jobs ({when}): server side, created to finished, median "
                 f"{statistics.median(server_side):.0f} ms")
    goal = f"median < {JOB_MEDIAN_MS:g} ms, p95 < {JOB_P95_MS:g} ms"
    for label, latency in (("goeBURST on the demo", Latency(inferences)),
                           ("radial layout of its tree", Latency(layouts))):
        met = latency.median < JOB_MEDIAN_MS and latency.quantile(0.95) < JOB_P95_MS
        print(f"... POST to completed, {label} ({when}): {latency.text(p95=True)}", flush=True)
        rows.append(Row(f"POST to completed, {label} ({when})", latency.text(p95=True), goal,
                        verdict(met, sizes.small_jobs >= FULL.small_jobs)))
    return rows


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds ``pid`` has used so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busiest_worker(server: LiveServer, seconds: float = 1.0) -> int:
    """The job worker process below the server that used the most CPU over ``seconds``."""
    workers = job_workers(server.panel_pid())
    before = {pid: cpu_seconds(pid) for pid in workers}
    time.sleep(seconds)
    return max(workers, key=lambda pid: cpu_seconds(pid) - before[pid])


def measure_cancel(client: Client, watch: Watch, server: LiveServer, folder: Path, sizes: Sizes,
                   notes: list[str]) -> list[Row]:
    """Measurement 4: cancel a running job on a big table; the next job on a warm worker."""
    n = sizes.cancel_profiles
    start = time.perf_counter()
    big_table = synthetic.mlst_file(folder / f"mlst_{n}x7.tsv", n=n)
    print(f"... generated {big_table.name} in {time.perf_counter() - start:.1f} s", flush=True)
    project, big = new_project(client, "bench cancel", big_table)
    small = upload(client, project, Table("demo MLST", DEMO_PROFILES))[0]["id"]
    path = f"/projects/{project}/jobs"
    warm = wait_workers_idle(server, 2)  # the worker and the spare, both warm
    notes.append(f"cancel: the server's 2 workers were warm and idle {warm:.1f} s after the uploads")
    long_job = client.json("POST", path, goeburst(big, 3), expect=202)["job_id"]
    watch.job(project, long_job, ("running",))
    time.sleep(2.0)  # past reading its input: computing
    worker = busiest_worker(server)
    workers_before = job_workers(server.panel_pid())
    replaced: list[float] = []
    stop = threading.Event()

    def look_for_a_replacement() -> None:
        while not stop.wait(0.02):
            if job_workers(server.panel_pid()) - workers_before:
                replaced.append(time.perf_counter() - start)
                return

    looking = threading.Thread(target=look_for_a_replacement, name="replacement-watch")
    start = time.perf_counter()
    looking.start()
    try:
        deleted = timed(client, "DELETE", f"{path}/{long_job}", None, 204)[0]
        while alive(worker):
            time.sleep(0.002)
        gone = time.perf_counter() - start
        after = client.json("POST", path, small_job(small, 0), expect=202)["job_id"]
        watch.job(project, after, ("running", *FINAL))
        started = time.perf_counter() - start
        done = watch.job(project, after)
        completed = time.perf_counter() - start
        looking.join(timeout=120)
    finally:
        stop.set()
        looking.join()
    if not replaced:
        raise RuntimeError("no replacement worker process appeared within 120 s")
    if done["status"] != "succeeded" or watch.get(f"{path}/{long_job}")["status"] != "cancelled":
        raise RuntimeError("the cancel or the job after it went wrong")
    print(f"... cancel: worker gone after {gone:.3f} s, next job running after {started:.3f} s", flush=True)
    notes.append(f"cancel of goeBURST (lvs 3) on {n:,} MLST profiles: DELETE answered in {deleted:.1f} ms; "
                 f"next job completed {completed:.3f} s after the DELETE; a replacement worker process "
                 f"appeared after {replaced[0]:.2f} s")
    return [
        Row(f"cancel a running job on {n:,} profiles: its worker gone", f"{gone:.3f} s after the DELETE",
            f"< {CANCEL_TARGET_S:g} s", verdict(gone < CANCEL_TARGET_S, True)),
        Row("  then the next job (demo) started", f"{started:.3f} s after the DELETE",
            f"< {CANCEL_TARGET_S:g} s", verdict(started < CANCEL_TARGET_S, True)),
    ]


def wait_workers_idle(server: LiveServer, count: int, timeout: float = 180.0) -> float:
    """Seconds until ``count`` job workers run below the server and none used CPU for half a second."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        workers = job_workers(server.panel_pid())
        before = sum(cpu_seconds(pid) for pid in workers)
        time.sleep(0.5)
        if len(workers) == count and sum(cpu_seconds(pid) for pid in workers) - before < 0.05:
            return time.perf_counter() - start
    raise RuntimeError(f"the server's {count} job workers were not warm and idle after {timeout} s")


def measure_burst(folder: Path, sizes: Sizes, notes: list[str], command: Sequence[str]) -> list[Row]:
    """Measurement 5: 20 clients post a small job each at once to a server of 2 workers."""
    clients = sizes.clients
    start = time.perf_counter()
    server = LiveServer(folder / "burst-data", folder / "burst.log", workers=2, command=command)
    try:
        client = Client(server.url, server.token())
        project, dataset = new_project(client, "bench burst", DEMO_PROFILES)
        warm = wait_workers_idle(server, 3)
        notes.append(f"burst server (PHYLODASH_WORKERS=2): its 3 workers warm and idle "
                     f"{time.perf_counter() - start:.1f} s after its start ({warm:.1f} s after the upload)")
        ready, posted = threading.Barrier(clients + 1), []

        def post(k: int) -> None:
            ready.wait()
            posted.append(client.json("POST", f"/projects/{project}/jobs", small_job(dataset, k),
                                      expect=202)["job_id"])

        threads = [threading.Thread(target=post, args=(k,), name=f"burst-{k}") for k in range(clients)]
        for thread in threads:
            thread.start()
        watch = Watch(server.url, client.token)
        ready.wait()
        start = time.perf_counter()
        while True:
            listed = {job["id"]: job for job in watch.get(f"/projects/{project}/jobs")}
            if len(posted) == clients and all(listed.get(job, {}).get("completed") for job in posted):
                break
            if time.perf_counter() - start > 300:
                raise RuntimeError(f"the burst's jobs were not all completed after 300 s: {listed}")
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        for thread in threads:
            thread.join()
        watch.close()
    finally:
        server.stop()
    jobs = [listed[job] for job in posted]
    if any(job["status"] != "succeeded" for job in jobs):
        raise RuntimeError(f"a job of the burst did not succeed: {jobs}")
    span = max(stamp(job["finished"]) for job in jobs) - min(stamp(job["created"]) for job in jobs)
    print(f"... {clients} jobs from {clients} clients at once: all completed after {seconds:.2f} s",
          flush=True)
    notes.append(f"burst: server side, first created to last finished {span:.2f} s")
    return [Row(f"{clients} goeBURST jobs (demo) from {clients} clients at once, 2 workers",
                f"all completed {seconds:.2f} s after the first POST", f"< {BURST_TARGET_S:g} s",
                verdict(seconds < BURST_TARGET_S, clients >= FULL.clients))]


# --------------------------------------------------------------------------------------------
# Many jobs stored (--stored-jobs)


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory of a process now and at its peak (VmRSS, VmHWM), in MB."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                  if ":" in line)
    return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def measure_stored(server: LiveServer, token: str, stored: int, sizes: Sizes, notes: list[str]) -> list[Row]:
    """POST /jobs (each reuses its project's result), then GETs of job pages of many projects by
    ``sizes.clients`` clients, alone and while jobs are added; the server's memory before and after."""
    pid = server.panel_pid()
    warm = wait_workers_idle(server, 2)
    notes.append(f"the server's 2 workers were warm and idle {warm:.1f} s after it answered")
    at_start, _ = memory_mb(pid)
    client = Client(server.url, token)
    projects = [project["id"] for project in client.json("GET", "/projects")]
    targets = [projects[k % len(projects)] for k in range(STORED_POSTS)]
    read = projects[:sizes.clients]
    datasets = {p: client.json("GET", f"/projects/{p}/datasets")[0]["id"] for p in {*targets, *read}}
    posts = Latency([timed(client, "POST", f"/projects/{p}/jobs", goeburst(datasets[p], 3), 202)[0]
                     for p in targets])
    print(f"... POST /jobs, {stored:,} jobs stored: {posts.text(p99=True)}", flush=True)
    pages = [f"/projects/{p}/jobs?page=0" for p in read]
    listed = len(client.json("GET", pages[0]))
    crowd = get_burst(server.url, token, pages, sizes.clients, sizes.gets_per_client)
    print(f"... GET /jobs, {sizes.clients} clients: {crowd.latency.text(p99=True)}, {crowd.errors} errors",
          flush=True)
    changing = changing_burst(client, [(p, datasets[p]) for p in read], pages, sizes)
    print(f"... the same, a job added every 0.1 s to one of those projects in turn: "
          f"{changing.latency.text(p99=True)}, {changing.errors} errors", flush=True)
    at_end, peak = memory_mb(pid)
    notes.append(f"GET /jobs?page=0: {listed} jobs, {crowd.largest / 1e3:.0f} kB of JSON; page 0 of "
                 f"{len(pages)} projects, client k asking for the k-th")
    goal_post, goal_get = f"median < {STORED_POST_MS:g} ms", f"median < {STORED_GET_MS:g} ms"
    memory = f"{at_start:.0f} MB after the start, {at_end:.0f} MB at the end (peak {peak:.0f} MB)"
    return [
        Row(f"POST /jobs, {stored:,} jobs stored (each reuses its project's result)", posts.text(p99=True),
            goal_post, verdict(posts.median < STORED_POST_MS, True)),
        Row(f"GET /jobs page 0, {stored:,} jobs stored, {sizes.clients} clients",
            crowd.latency.text(p99=True), goal_get,
            verdict(crowd.latency.median < STORED_GET_MS and not crowd.errors, True)),
        Row("  the same, a job added every 0.1 s to one of them in turn", changing.latency.text(p99=True),
            goal_get, verdict(changing.latency.median < STORED_GET_MS and not changing.errors, True)),
        Row("server memory (RSS)", memory, f"< {STORED_RSS_MB:g} MB", verdict(peak < STORED_RSS_MB, True)),
    ]


def run_stored(args: argparse.Namespace, sizes: Sizes, folder: Path) -> list[Row]:
    """The --stored-jobs run: populate a data folder through the store, serve it, measure."""
    data = folder / "data"
    start = time.perf_counter()
    token = populate(data, args.stored_jobs, args.projects)
    populated = time.perf_counter() - start
    print(f"... populated in {populated:.1f} s", flush=True)
    rows = [Row(f"populate {args.stored_jobs:,} jobs (with their trees) over {args.projects:,} projects",
                f"{populated:.1f} s, {database_bytes(data) / 1e6:.0f} MB of database files")]
    start = time.perf_counter()
    server = LiveServer(data, folder / "server.log", command=shlex.split(args.serve))
    notes = [f"server ready in {time.perf_counter() - start:.1f} s"]
    try:
        rows += measure_stored(server, token, args.stored_jobs, sizes, notes)
    except Exception:
        print(f"the server's log ends with:\n{server.log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        server.stop()
    print_report(rows, notes)
    return rows


# --------------------------------------------------------------------------------------------
# Set-up and report


def prepare_tables(folder: Path, sizes: Sizes, notes: list[str]) -> list[Table]:
    """The demo, the 15,000-profile MLST table (shared, else synthetic) and the synthetic cgMLST table."""
    tables = [Table("demo MLST", DEMO_PROFILES)]
    shared = SHARED_DATA / "phylodb" / "profiles_15000.txt"
    if shared.is_file():
        tables.append(Table("profiles_15000", shared))
    else:
        notes.append("../shared/data/phylodb/profiles_15000.txt not found: a synthetic MLST table of 15,000 "
                     "profiles (bench/synthetic.py) stands in for it")
        mlst = synthetic.mlst_file(folder / "mlst_15000x7.tsv", n=15_000)
        tables.append(Table("synthetic MLST 15,000", mlst))
    n = sizes.cgmlst_profiles
    start = time.perf_counter()
    cgmlst = synthetic.cgmlst_file(folder / f"cgmlst_{n}x3000.tsv", n=n, loci=3000, missing=0.02)
    print(f"... generated {cgmlst.name} in {time.perf_counter() - start:.1f} s", flush=True)
    tables.append(Table(f"synthetic cgMLST {n:,} x 3,000", cgmlst, judged=n >= FULL.cgmlst_profiles))
    return tables


def release(server: LiveServer | None, folder: Path, *, keep: bool) -> None:
    """Stop the server (when it started) and remove its temporary folder unless ``keep``."""
    if server is not None:
        server.stop()
    if keep:
        print(f"kept {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)


def print_report(rows: Sequence[Row], notes: Sequence[str] = ()) -> None:
    """The notes, the table of figures and the load average at the end."""
    print()
    for note in notes:
        print(note)
    print()
    print_table(rows)
    print()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def revision() -> str:
    """The project's git commit and whether api/ or engine/ have uncommitted changes."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cd", "--date=iso"],
                                capture_output=True, text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "api", "engine"],
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "git revision unknown"
    return f"git {commit}" + (", api/ or engine/ have uncommitted changes" if dirty else "")


def machine_facts() -> list[str]:
    """CPU, memory, versions and load, for the top of the report."""
    info = {}
    for name, key in (("/proc/cpuinfo", "model name"), ("/proc/meminfo", "MemTotal")):
        try:
            line = next(x for x in Path(name).read_text().splitlines() if x.startswith(key))
            info[key] = line.split(":", 1)[1].strip()
        except (OSError, StopIteration):
            info[key] = "unknown"
    memory = info["MemTotal"]
    if memory.endswith(" kB"):
        memory = f"{int(memory.split()[0]) / 1024**2:.1f} GB"
    packages = ", ".join(f"{name} {version(name)}" for name in ("tornado", "panel", "tinydb"))
    return [
        f"project: {revision()}",
        f"machine: {platform.machine()} {info['model name']}, {os.cpu_count()} CPUs, {memory} RAM",
        f"python {platform.python_version()}, {packages}",
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


def print_table(rows: Sequence[Row]) -> None:
    """The rows as a fixed-width table: measurement, figure, target, met."""
    header = Row("measurement", "figure", "target", "met")
    widths = [max(len(getattr(row, field)) for row in (header, *rows))
              for field in ("measurement", "figure", "target")]
    for row in (header, Row(*("-" * w for w in widths), "---"), *rows):
        cells = zip((row.measurement, row.figure, row.target), widths, strict=True)
        print("  ".join(f"{cell:<{width}}" for cell, width in cells) + f"  {row.met}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command line options of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"fewer requests, {QUICK.seeded_jobs} seeded jobs and a "
                             f"{QUICK.cgmlst_profiles:,} x 3,000 cgMLST table (the targets of the smaller "
                             "cases are not judged)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (server data, its log and the generated tables)")
    parser.add_argument("--stored-jobs", type=int, default=0, metavar="N",
                        help="instead of the measurements above: write N succeeded jobs with their trees "
                             "through the store, serve them, and time POST /jobs, GETs of job pages by 20 "
                             "clients and the server's memory (e.g. 100000)")
    parser.add_argument("--projects", type=int, default=200,
                        help="the projects the --stored-jobs jobs are spread over (default 200)")
    parser.add_argument("--serve", default="make -s serve",
                        help="the command that starts the server in the project folder, serving on $PORT "
                             "(default: make -s serve)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the server, run both measurements, print the table; returns the exit status."""
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.stored_jobs:
        print(f"PhyloDash REST API benchmark with {args.stored_jobs:,} jobs stored over {args.projects:,} "
              f"projects: `{args.serve}` (PHYLODASH_WORKERS=1) on 127.0.0.1, latency measured by the client")
        for line in machine_facts():
            print(line)
        folder = Path(tempfile.mkdtemp(prefix="phylodash-bench-api-"))
        try:
            run_stored(args, sizes, folder)
        finally:
            release(None, folder, keep=args.keep)
        return 0
    print("PhyloDash REST API benchmark: `make -s serve` (PHYLODASH_WORKERS=1; 2 for the burst) on "
          "127.0.0.1, latency measured by the client")
    for line in machine_facts():
        print(line)
    print(f"POST /jobs: {sizes.posts} goeBURST jobs (lvs 1..{sizes.posts}) per dataset posted one by one "
          "(the first runs in the worker meanwhile), then DELETEd newest first")
    print(f"GET /jobs: {sizes.seeded_jobs:,} jobs in the Demo project; 1 client, then {sizes.clients} "
          f"clients at once x {sizes.gets_per_client} GETs of page 0, each on its own keep-alive connection")
    if args.quick:
        print("--quick: fewer requests and smaller data; targets of the smaller cases are not judged (n/a)")
    print(flush=True)

    folder = Path(tempfile.mkdtemp(prefix="phylodash-bench-api-"))
    notes: list[str] = []
    server: LiveServer | None = None
    try:
        tables = prepare_tables(folder, sizes, notes)
        start = time.perf_counter()
        server = LiveServer(folder / "data", folder / "server.log", command=shlex.split(args.serve))
        notes.insert(0, f"server ready in {time.perf_counter() - start:.1f} s (first start: admin and demo)")
        client = Client(server.url, server.token())
        watch = Watch(server.url, client.token)
        try:
            rows = measure_job_latency(client, watch, server, sizes, "fresh server", notes)
            rows += measure_cancel(client, watch, server, folder, sizes, notes)
            rows += measure_posts(client, tables, sizes, notes) + measure_gets(client, server, sizes, notes)
            rows += measure_job_latency(client, watch, server, sizes, f"{sizes.seeded_jobs:,} jobs stored",
                                        notes)
        except Exception:
            print(f"the server's log ends with:\n{server.log.read_text()[-3000:]}", file=sys.stderr)
            raise
        finally:
            watch.close()
        server.stop()
        server = None
        rows += measure_burst(folder, sizes, notes, shlex.split(args.serve))
    finally:
        release(server, folder, keep=args.keep)

    print_report(rows, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
