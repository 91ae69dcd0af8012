"""The mixed load of tests/test_load.py and bench/bench_load.py: many clients at once on the jobs API.

Each client is a thread with its own keep-alive connection (``http.client``, as bench/bench_api.py's
``get_burst``) and its own seeded random sequence of requests on one project and dataset:

* ``POST inference``: goeBURST with lvs 1..7 and the ``missing`` option absent, ``ignore`` or
  ``difference``: 14 distinct analyses, so the first of each is new work and later ones may reuse it;
* ``POST visualization``: a radial layout of an inference known to have succeeded;
* ``GET jobs`` (pages 0 to 2), ``GET job`` (one of its own jobs, sometimes anybody's);
* ``GET inference`` (JSON), ``GET newick`` and ``GET visualization`` of results known to exist;
* ``DELETE job``: mostly one of its own earlier jobs (queued, running or finished), sometimes any
  client's, which another client may have removed already.

Clients learn which results exist from the job states they receive. Every answer is kept
(:class:`Answer`); :func:`unexpected` tells the wrong ones from those a concurrent DELETE explains.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import random
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api_client import new_tree
from live_server import FINAL, Client, at_once, job_request

#: Request kinds and their weights (per cent of a client's requests).
MIX: dict[str, int] = {
    "POST inference": 20,
    "POST visualization": 8,
    "GET jobs": 20,
    "GET job": 15,
    "GET inference": 10,
    "GET newick": 7,
    "GET visualization": 8,
    "DELETE job": 12,
}
#: The status each kind must answer; a 404 of ``GET job`` or ``DELETE job`` may be legitimate too.
EXPECTED = {kind: 202 if kind.startswith("POST") else 204 if kind.startswith("DELETE") else 200
            for kind in MIX}
MISSING_MODES = (None, "ignore", "difference")
MAX_LVS = 7


@dataclass(frozen=True)
class Answer:
    """One request and its answer: ``status`` 0 when the connection broke; times from perf_counter."""

    client: int
    kind: str
    path: str
    status: int
    start: float
    end: float
    job: str | None = None  # the job asked about, or created by a POST
    detail: str = ""  # the start of an unexpected answer's body

    @property
    def ms(self) -> float:
        """Milliseconds from sending the request to reading the whole answer."""
        return (self.end - self.start) * 1000


@dataclass
class Known:
    """What the clients learnt, shared between them: jobs created and results that exist."""

    jobs: list[str] = field(default_factory=list)
    inferences: list[str] = field(default_factory=list)
    visualizations: list[tuple[str, str]] = field(default_factory=list)  # (inference, visualization)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def learn(self, views: Iterable[dict[str, Any]]) -> None:
        """Note the results of the succeeded jobs among ``views`` (job JSON as the API answers it)."""
        with self.lock:
            for view in views:
                if view.get("status") != "succeeded":
                    continue
                if view["analysis"] == "inference" and view["analysis_id"] not in self.inferences:
                    self.inferences.append(view["analysis_id"])
                pair = (view["inference_id"], view["analysis_id"])
                if view["analysis"] == "visualization" and pair not in self.visualizations:
                    self.visualizations.append(pair)

    def pick(self, rng: random.Random, pool: str) -> Any:
        """A random element of ``jobs``, ``inferences`` or ``visualizations``."""
        with self.lock:
            return rng.choice(getattr(self, pool))


class KeepAlive:
    """A client's own keep-alive connection with a bearer token; a broken one is reopened."""

    def __init__(self, url: str, token: str) -> None:
        address = urllib.parse.urlsplit(url)
        self.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=300)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                        "Accept": "application/json"}

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes, float, float]:
        """Status (0 when the connection broke), body, and start and end times of one request."""
        payload = json.dumps(body).encode() if body is not None else None
        start = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=self.headers)
            answer = self.connection.getresponse()
            status, raw = answer.status, answer.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()  # the next request connects again
            status, raw = 0, repr(error).encode()
        return status, raw, start, time.perf_counter()

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


class LoadClient:
    """One client of the load: ``requests`` requests drawn from :data:`MIX` with its own seed."""

    def __init__(self, index: int, load: Load) -> None:
        self.index = index
        self.load = load
        self.rng = random.Random(f"{load.seed}-{index}")
        self.own: list[str] = []  # its jobs it has not deleted
        self.answers: list[Answer] = []
        self.http = KeepAlive(load.url, load.token)

    def run(self, requests: int, ready: threading.Barrier) -> None:
        """Wait for the others, then make the requests."""
        kinds, weights = list(MIX), list(MIX.values())
        try:
            with contextlib.suppress(OSError):  # else the first request connects, or is an error
                self.http.connection.connect()
            ready.wait()
            for kind in self.rng.choices(kinds, weights, k=requests):
                self.one(kind)
        finally:
            self.http.close()

    def one(self, kind: str) -> None:
        """Make one request of ``kind`` and keep its answer."""
        load, rng = self.load, self.rng
        jobs = f"/projects/{load.project}/jobs"
        inferences = f"/projects/{load.project}/datasets/{load.dataset}/inferences"
        body, job = None, None
        if kind == "POST inference":
            missing = rng.choice(MISSING_MODES)
            options = () if missing is None else ({"missing": missing},)
            method, path = "POST", jobs
            body = job_request("goeburst", load.dataset, rng.randint(1, MAX_LVS), *options)
        elif kind == "POST visualization":
            method, path = "POST", jobs
            body = job_request("radial", load.dataset, load.known.pick(rng, "inferences"))
        elif kind == "GET jobs":
            method, path = "GET", f"{jobs}?page={rng.choice((0, 0, 1, 2))}"
        elif kind in ("GET job", "DELETE job"):
            job = rng.choice(self.own) if self.own and rng.random() < 0.75 else load.known.pick(rng, "jobs")
            if kind == "DELETE job" and job in self.own:
                self.own.remove(job)
            method, path = kind.split()[0], f"{jobs}/{job}"
        elif kind == "GET visualization":
            inference, visualization = load.known.pick(rng, "visualizations")
            method, path = "GET", f"{inferences}/{inference}/visualizations/{visualization}"
        else:
            suffix = "?format=newick" if kind == "GET newick" else ""
            method, path = "GET", f"{inferences}/{load.known.pick(rng, 'inferences')}{suffix}"
        self.send(kind, method, path, body, job)

    def send(self, kind: str, method: str, path: str, body: Any = None, job: str | None = None, *,
             expected: int | None = None) -> Answer:
        """Make one request of ``kind`` (about ``job``, if any), learn from its answer (the job a 202
        created, the results a job list or job tells of) and keep it. ``expected`` is the status wanted,
        by default the kind's :data:`EXPECTED` one."""
        load = self.load
        status, raw, start, end = self.http.request(method, path, body)
        wanted = EXPECTED[kind] if expected is None else expected
        detail = "" if status == wanted else raw[:300].decode(errors="replace")
        if status == 202:
            job = json.loads(raw)["job_id"]
            self.own.append(job)
            with load.known.lock:
                load.known.jobs.append(job)
        elif status == 200 and kind == "GET jobs":
            load.known.learn(json.loads(raw))
        elif status == 200 and kind == "GET job":
            load.known.learn([json.loads(raw)])
        answer = Answer(self.index, kind, path, status, start, end, job, detail)
        self.answers.append(answer)
        return answer


@dataclass
class Load:
    """The load on one project and dataset; ``known`` starts with jobs and results that exist."""

    url: str
    token: str
    project: str
    dataset: str
    known: Known
    seed: int = 2026

    def run(self, clients: int, requests: int) -> tuple[list[Answer], float]:
        """``clients`` threads at once, ``requests`` each: every answer, and the wall seconds taken."""
        if not (self.known.jobs and self.known.inferences and self.known.visualizations):
            raise ValueError("the load needs a job, an inference and a visualization to start with")
        workers = [LoadClient(index, self) for index in range(clients)]
        seconds = at_once("load-client", [functools.partial(w.run, requests) for w in workers])
        return [a for w in workers for a in w.answers], seconds


def prepare(client: Client, profiles: Path, isolates: Path | None = None) -> Load:
    """A new private project with this dataset, a goeBURST inference (lvs 3) and its radial layout: the
    load to run on it."""
    files = {"profiles": (profiles.name, profiles.read_bytes())}
    if isolates is not None:
        files["isolates"] = (isolates.name, isolates.read_bytes())
    ids = new_tree(client, "load", files)
    project, dataset = ids["project"], ids["dataset"]
    known = Known(jobs=[ids["job"], ids["layout_job"], ids["partition_job"]], inferences=[ids["inference"]],
                  visualizations=[(ids["inference"], ids["visualization"])])
    return Load(client.url, client.token, project, dataset, known)


def unexpected(answers: Iterable[Answer], removed: Collection[str],
               expected: Mapping[str, int] = EXPECTED) -> list[Answer]:
    """The wrong answers: any status but the kind's ``expected`` one, except a 404 about a job that
    ended up removed (``removed``) by a DELETE answered 204 that began before that 404 ended.
    """
    answers = list(answers)
    deleted: dict[str, float] = {}  # job -> start of its earliest 204 DELETE
    for answer in answers:
        if answer.kind == "DELETE job" and answer.status == 204 and answer.job is not None:
            deleted[answer.job] = min(answer.start, deleted.get(answer.job, answer.start))
    return [a for a in answers if a.status != expected[a.kind] and not (
        a.status == 404 and a.job in removed and deleted.get(a.job, float("inf")) < a.end)]


def deleted_jobs(answers: Iterable[Answer]) -> set[str]:
    """Jobs some DELETE answered 204 for."""
    return {a.job for a in answers if a.kind == "DELETE job" and a.status == 204 and a.job is not None}


def listed_jobs(client: Client, project: str) -> dict[str, dict[str, Any]]:
    """Every listed job of the project (all pages), by id."""
    listed: dict[str, dict[str, Any]] = {}
    for page in range(10_000):
        views = client.json("GET", f"/projects/{project}/jobs?page={page}")
        if not views:
            return listed
        listed.update((view["id"], view) for view in views)
    raise AssertionError("the job list does not end")


def wait_all_final(client: Client, project: str, timeout: float) -> dict[str, dict[str, Any]]:
    """Poll the job list until every listed job is final (AssertionError after ``timeout`` s): the list."""
    deadline = time.monotonic() + timeout
    while True:
        listed = listed_jobs(client, project)
        waiting = Counter(view["status"] for view in listed.values() if view["status"] not in FINAL)
        if not waiting:
            return listed
        if time.monotonic() > deadline:
            raise AssertionError(f"jobs still not final after {timeout:g} s: {dict(waiting)}")
        time.sleep(0.25)


def counts(answers: Iterable[Answer]) -> dict[str, Counter[int]]:
    """Statuses answered, per request kind."""
    found: dict[str, Counter[int]] = {kind: Counter() for kind in MIX}
    for answer in answers:
        found[answer.kind][answer.status] += 1
    return found
