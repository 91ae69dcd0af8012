"""Soak: the real server (``make serve``) under mixed API traffic and dashboard sessions for many minutes.

The server runs as the other benches run it (:class:`live_server.LiveServer`: ``make -s serve`` on a
free port, ``PHYLODASH_WORKERS=1``, its data folder in a temporary directory, the demo dataset loaded on
its first start), with the cap on queued jobs per user raised so that no client meets it. Set-up,
through the API: ``../shared/data/campylobacter/typing_6000.txt`` with ``isolates_1000.txt`` (6,000
*C. jejuni* STs and 1,000 isolates; synthetic tables from bench/synthetic.py when ../shared is absent)
is uploaded twice, to a project for the API clients and to one for the browsers; each gets a goeBURST
tree (lvs 3) with a radial layout, the browsers' tree a force layout too; the demo dataset gets a
goeBURST tree and its radial layout.

Then, for ``--minutes`` minutes:

* 10 API clients (threads), each on its own keep-alive connection, with a pause of
  :data:`THINK_S` s on average between two requests, draw the kinds of :data:`SOAK_MIX` on the
  campylobacter dataset (70%) or the demo one: GET job lists and jobs, GET trees as JSON and Newick,
  GET layouts and DELETE jobs as tests/load_mix.py makes them, GET of the project and dataset lists,
  GET trees as Nexus and GraphML, GETs of jobs and trees that do not exist (404 on purpose), and
  POST jobs: goeBURST (lvs 1..7, three missing-data modes), radial layouts of the trees found, force
  layouts (with seeds) of the first tree. Besides the first of each kind on each dataset, only one
  POST in :data:`NEW_WORK_S` s may ask for a job never asked before (new work for the one worker); the
  others repeat an earlier request (its result is reused, or it waits for it), so that jobs keep
  running and the queue does not grow for ever.
* 3 dashboard sessions in headless Chromium (Playwright, the browser tests' launch options and page
  locators of tests/browser_support.py), each in a loop: sign in with the admin token and pick the
  browsers' project; then, tree after tree, open the radial or the force drawing with its job's Open
  button in the Jobs tab, colour it by a metadata column, colour it by another; every
  :data:`RELOAD_EVERY` trees the page is reloaded (a new server session) and signed in again. A
  session looks at the page for :data:`LOOK_S` s (uniformly drawn) after each step. The sessions' first
  sign-in (the server's first pages, slow) is a warm-up before the first minute begins.

An API error is an answer of a 5xx status, a broken connection, or any status the mix does not expect
of that kind (a 404 about a job a concurrent DELETE removed is expected; :func:`load_mix.unexpected`).
A browser step fails when the page does not show what it should within :data:`STEP_WAIT_MS`.

Printed every minute: requests per kind, API errors, GET latency p50/p90/p99 and POST p50/p99 (measured
by the client, from sending the request to reading the whole answer), the RSS of the ``panel serve``
process at the end of the minute and the largest summed RSS of its job worker processes during it,
browser steps done and failed, jobs queued or running, the size of the database file and the load
average. The same table goes to ``bench/out/soak-<time>.tsv``. At the end, the issue's figures with
their targets: 0 errors; server RSS of the last minute within 10% of minute 2; GET p99 of the last
minute within 2x of the first minute's.

Usage::

    python bench/bench_soak.py [--minutes N] [--clients N] [--sessions N] [--keep]

Exit status: 0 when the soak ran (a missed target is a result, not an error); 1 when chromium is
missing.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import synthetic
from bench_api import ROOT, SHARED_DATA, Row, machine_facts, print_table, release, verdict

# The launcher, the JSON client, the load and the page's locators the end-to-end tests use.
# The project before its tests folder: tests/engine, tests/api ... must not hide the packages.
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
import browser_support as ui
from api_client import new_tree
from live_server import Client, LiveServer, database_bytes, job_request, job_workers
from load_mix import EXPECTED, MIX, Answer, Known, Load, LoadClient, deleted_jobs, prepare, unexpected
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CAMPYLOBACTER = SHARED_DATA / "campylobacter"
OUT = ROOT / "bench" / "out"

#: Request kinds of the API clients and their weights (per cent). Those of tests/load_mix.py's
#: :data:`~load_mix.MIX` are made by its :class:`~load_mix.LoadClient`; the others by :class:`SoakClient`.
SOAK_MIX: dict[str, int] = {
    "GET projects": 5,
    "GET datasets": 5,
    "GET jobs": 12,
    "GET job": 12,
    "GET inference": 8,
    "GET newick": 6,
    "GET nexus": 5,
    "GET graphml": 5,
    "GET visualization": 8,
    "GET unknown": 4,
    "POST goeburst": 12,
    "POST radial": 5,
    "POST force": 5,
    "DELETE job": 8,
}
#: The status each kind must answer (see :func:`load_mix.unexpected` for the 404s a DELETE explains).
SOAK_EXPECTED = {**EXPECTED, "GET projects": 200, "GET datasets": 200, "GET nexus": 200, "GET graphml": 200,
                 "GET unknown": 404, "POST goeburst": 202, "POST radial": 202, "POST force": 202}
#: Share of the requests made on the campylobacter dataset (the rest on the demo).
CAMPYLOBACTER_SHARE = 0.7
THINK_S = 1.0  # mean pause of a client between two requests (exponential)
NEW_WORK_S = 30.0  # at most one POST of a job never asked before in this many seconds
GOEBURST_VARIANTS = [(lvs, missing) for lvs in range(1, 8) for missing in ("difference", "ignore", "allele")]
FORCE_SEEDS = range(1000)
RELOAD_EVERY = 4  # trees a browser session opens before it reloads the page
LOOK_S = (5.0, 15.0)  # a browser session's pause after each step
STEP_WAIT_MS = 120_000  # how long a browser step may wait for the page
SAMPLE_S = 2.0  # seconds between two readings of the processes' memory
#: Metadata columns the browsers colour by, those of the isolates file in this order.
COLOUR_COLUMNS = ("country", "source", "disease", "clonal_complex (MLST)")
BROWSER_PROJECT = "soak dashboard"


# --------------------------------------------------------------------------------------------
# Set-up


@dataclass(frozen=True)
class Tables:
    """The typing data: profiles and isolates, and how they are described."""

    label: str
    profiles: Path
    isolates: Path


def tables(folder: Path, notes: list[str]) -> Tables:
    """The campylobacter tables of ../shared, else synthetic ones of the same size."""
    profiles, isolates = CAMPYLOBACTER / "typing_6000.txt", CAMPYLOBACTER / "isolates_1000.txt"
    if profiles.is_file() and isolates.is_file():
        return Tables("campylobacter typing_6000 + isolates_1000", profiles, isolates)
    notes.append(f"{CAMPYLOBACTER} not found: a synthetic MLST table of 6,000 profiles and 1,000 isolates "
                 "(bench/synthetic.py) stand in for it")
    return Tables("synthetic MLST 6,000 + 1,000 isolates",
                  synthetic.mlst_file(folder / "mlst_6000.tsv", n=6000),
                  synthetic.isolates_file(folder / "isolates_1000.tsv", profiles=6000))


def succeeded(client: Client, project: str, submitted: dict[str, str]) -> str:
    """Wait for the job ``submitted`` (a POST's answer); its analysis id, RuntimeError unless it succeeded."""
    finished = client.wait_job(project, submitted["job_id"])
    if finished["status"] != "succeeded":
        raise RuntimeError(f"a set-up job did not succeed: {finished}")
    return submitted["analysis_id"]


def demo_load(client: Client) -> Load:
    """The load on the Demo project's dataset, with a goeBURST tree (lvs 3) and its radial layout."""
    project = next(p["id"] for p in client.json("GET", "/projects") if p["name"] == "Demo")
    dataset = client.json("GET", f"/projects/{project}/datasets")[0]["id"]
    inference = client.submit(project, "goeburst", dataset, 3)
    layout = client.submit(project, "radial", dataset, succeeded(client, project, inference))
    known = Known(jobs=[inference["job_id"], layout["job_id"]], inferences=[inference["analysis_id"]],
                  visualizations=[(inference["analysis_id"], succeeded(client, project, layout))])
    return Load(client.url, client.token, project, dataset, known, seed=2027)


@dataclass(frozen=True)
class BrowserTree:
    """A drawing the browsers open: the layout job whose Open button opens it, and its page heading."""

    job: str
    heading: str


def browser_trees(client: Client, data: Tables) -> list[BrowserTree]:
    """The browsers' project: the tables, a goeBURST tree (lvs 3), its radial and its force layout."""
    files = {"profiles": (data.profiles.name, data.profiles.read_bytes()),
             "isolates": (data.isolates.name, data.isolates.read_bytes())}
    ids = new_tree(client, BROWSER_PROJECT, files)
    force = client.submit(ids["project"], "force", ids["dataset"], ids["inference"])
    succeeded(client, ids["project"], force)
    return [BrowserTree(ids["layout_job"], f"{BROWSER_PROJECT}: goeburst, radial layout"),
            BrowserTree(force["job_id"], f"{BROWSER_PROJECT}: goeburst, force layout")]


def colour_columns(isolates: Path) -> list[tuple[str, str]]:
    """The :data:`COLOUR_COLUMNS` of the isolates file with the most frequent value of each (a legend
    colouring by that column lists it)."""
    with open(isolates, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    found = []
    for column in COLOUR_COLUMNS:
        values = Counter(row[column] for row in rows if row.get(column))
        if values:
            found.append((column, values.most_common(1)[0][0]))
    if len(found) < 2:
        raise RuntimeError(f"{isolates} has fewer than two of the columns {COLOUR_COLUMNS}")
    return found


# --------------------------------------------------------------------------------------------
# The API clients


class NewWork:
    """The job requests the clients posted, by kind and dataset; at most one never posted before every
    ``every`` s, shared by the clients."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.posted: dict[tuple[str, str], list[Any]] = {}
        self.last = -float("inf")
        self.lock = threading.Lock()

    def pick(self, rng: random.Random, key: tuple[str, str], candidates: Sequence[Any]) -> Any:
        """One of ``candidates``: one never posted under ``key`` when ``every`` s have passed since the
        last such one (or none was posted under ``key`` yet), else one posted before."""
        with self.lock:
            posted = self.posted.setdefault(key, [])
            new = [c for c in candidates if c not in posted]
            if new and (not posted or time.monotonic() - self.last >= self.every):
                self.last = time.monotonic()
                posted.append(rng.choice(new))
                return posted[-1]
            return rng.choice(posted)


class SoakClient:
    """One API client: until stopped, a request of :data:`SOAK_MIX` on one of the loads, then a pause.

    It drives one :class:`~load_mix.LoadClient` per load over a single keep-alive connection, all of
    them keeping their answers in :attr:`answers`.
    """

    def __init__(self, index: int, loads: Sequence[Load], work: NewWork) -> None:
        self.rng = random.Random(f"soak-{index}")
        self.work = work
        self.mixes = [LoadClient(index, load) for load in loads]
        self.answers: list[Answer] = self.mixes[0].answers
        for mix in self.mixes[1:]:
            mix.http.close()
            mix.http, mix.answers = self.mixes[0].http, self.answers

    def run(self, stop: threading.Event) -> None:
        """Requests until ``stop`` is set."""
        kinds, weights = list(SOAK_MIX), list(SOAK_MIX.values())
        shares = [CAMPYLOBACTER_SHARE, 1 - CAMPYLOBACTER_SHARE]
        try:
            while not stop.is_set():
                kind = self.rng.choices(kinds, weights)[0]
                mix = self.rng.choices(self.mixes, shares)[0]
                if kind in MIX:
                    mix.one(kind)
                else:
                    self.other(kind, mix)
                stop.wait(self.rng.expovariate(1 / THINK_S))
        finally:
            self.mixes[0].http.close()

    def other(self, kind: str, mix: LoadClient) -> None:
        """A request of a kind not in :data:`~load_mix.MIX` on ``mix``'s load."""
        load, rng = mix.load, self.rng
        project = f"/projects/{load.project}"
        inferences = f"{project}/datasets/{load.dataset}/inferences"
        if kind == "GET projects":
            mix.send(kind, "GET", "/projects", expected=200)
        elif kind == "GET datasets":
            mix.send(kind, "GET", f"{project}/datasets", expected=200)
        elif kind in ("GET nexus", "GET graphml"):
            tree_format = kind.split()[1]
            mix.send(kind, "GET", f"{inferences}/{load.known.pick(rng, 'inferences')}?format={tree_format}",
                     expected=200)
        elif kind.startswith("POST"):
            mix.send(kind, "POST", f"{project}/jobs", self.job(kind, load), expected=202)
        elif kind == "GET unknown":
            path = rng.choice((f"{project}/jobs/{uuid.uuid4()}", f"{inferences}/{uuid.uuid4()}"))
            mix.send(kind, "GET", path, expected=404)
        else:
            raise ValueError(f"unknown request kind {kind!r}")

    def job(self, kind: str, load: Load) -> dict[str, Any]:
        """The body of a job of ``kind`` (POST goeburst, radial or force) on ``load``'s dataset."""
        rng, key = self.rng, (kind, load.dataset)
        if kind == "POST goeburst":
            lvs, missing = self.work.pick(rng, key, GOEBURST_VARIANTS)
            return job_request("goeburst", load.dataset, lvs, {"missing": missing})
        if kind == "POST radial":
            with load.known.lock:
                trees = list(load.known.inferences)
            return job_request("radial", load.dataset, self.work.pick(rng, key, trees))
        seed = self.work.pick(rng, key, FORCE_SEEDS)
        return job_request("force", load.dataset, load.known.inferences[0], {"seed": seed})


# --------------------------------------------------------------------------------------------
# The browser sessions


@dataclass(frozen=True)
class Step:
    """One step of a browser session: its name, whether the page showed what it should, and when."""

    session: int
    name: str
    ok: bool
    start: float
    end: float
    detail: str = ""


@dataclass
class BrowserSession:
    """A headless Chromium of its own, looping over sign-in, trees and colourings until ``stop`` is set."""

    index: int
    url: str
    token: str
    trees: Sequence[BrowserTree]
    columns: Sequence[tuple[str, str]]
    go: threading.Event  # set when the first minute begins
    stop: threading.Event
    ready: threading.Event = field(default_factory=threading.Event)  # set once it first signed in (or failed)
    steps: list[Step] = field(default_factory=list)
    opened: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(f"soak-browser-{self.index}")

    def run(self, chromium: str) -> None:
        """Sessions (browser contexts) one after the other until stopped; a failed step ends a context."""
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**ui.launch_options(chromium))
            try:
                while not self.stop.is_set():
                    self.visit(browser)
            finally:
                browser.close()

    def visit(self, browser: Browser) -> None:
        """One browser context: sign in, then trees, with a reload every :data:`RELOAD_EVERY` trees."""
        context = browser.new_context(base_url=self.url)
        page = context.new_page()
        try:
            signed_in = self.step("sign in", page, signing_in(page, self.token))
            self.ready.set()
            self.go.wait()  # the first sign-in of each session comes before the first minute
            if not signed_in:
                return
            while not self.stop.is_set():
                tree = self.trees[self.opened % len(self.trees)]
                first, second = (self.columns[(self.opened + k) % len(self.columns)] for k in (0, 1))
                self.opened += 1
                if not (self.step("open tree", page, lambda t=tree: open_tree(page, t))
                        and self.step("colour", page, lambda c=first: colour(page, *c))
                        and self.step("change colour", page, lambda c=second: colour(page, *c))):
                    return
                reload = self.opened % RELOAD_EVERY == 0 and not self.stop.is_set()
                if reload and not self.step("reload and sign in", page, signing_in(page, self.token, True)):
                    return
        finally:
            context.close()

    def step(self, name: str, page: Page, act: Callable[[], None]) -> bool:
        """Do ``act`` and note it as a step; False when the page did not show what it should."""
        start = time.perf_counter()
        try:
            act()
        except (PlaywrightError, AssertionError) as error:
            detail = str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__
            self.steps.append(Step(self.index, name, False, start, time.perf_counter(), detail))
            failed = sum(not s.ok for s in self.steps)
            if failed <= 3:  # the first failures of each session, for the diagnosis
                OUT.mkdir(exist_ok=True)
                with contextlib.suppress(PlaywrightError):
                    page.screenshot(path=OUT / f"soak-browser{self.index}-failure{failed}.png")
            return False
        self.steps.append(Step(self.index, name, True, start, time.perf_counter()))
        self.stop.wait(self.rng.uniform(*LOOK_S))
        return True


def signing_in(page: Page, token: str, reload: bool = False) -> Callable[[], None]:
    """The step that opens the dashboard (or reloads the page), signs in and picks the browsers' project."""

    def act() -> None:
        if reload:
            page.reload()
        ui.open_dashboard(page)
        ui.sign_in(page, token)
        expect(ui.selected_project(page)).to_have_text("Demo (public)", timeout=STEP_WAIT_MS)
        ui.project_picker(page).select_option(label=f"{BROWSER_PROJECT} (private)")

    return act


def open_tree(page: Page, tree: BrowserTree) -> None:
    """Press the tree's Open button in the Jobs tab; wait until its heading and colour control show."""
    ui.tab(page, "Jobs").click()
    ui.row_button(page, tree.job, "Open").click(timeout=STEP_WAIT_MS)
    expect(page.get_by_role("heading", name=tree.heading)).to_be_visible(timeout=STEP_WAIT_MS)
    expect(page.locator(".pd-tree-colour-by select")).to_be_enabled(timeout=STEP_WAIT_MS)


def colour(page: Page, column: str, value: str) -> None:
    """Colour the open tree by ``column``; wait until the legend lists ``value``."""
    page.locator(".pd-tree-colour-by select").select_option(column, timeout=STEP_WAIT_MS)
    expect(page.locator(".pd-tree-legend")).to_contain_text(value, timeout=STEP_WAIT_MS)


# --------------------------------------------------------------------------------------------
# Readings and the table per minute


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` in MB (0 when it is gone)."""
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0.0
    return int(line.split()[1]) / 1024


@dataclass(frozen=True)
class Sample:
    """One reading of the processes: the server's RSS, the summed RSS and number of its job workers."""

    time: float
    server_mb: float
    workers_mb: float
    workers: int


def sample(server_pid: int) -> Sample:
    """The processes' memory now."""
    workers = job_workers(server_pid)
    return Sample(time.perf_counter(), rss_mb(server_pid), sum(rss_mb(pid) for pid in workers), len(workers))


@dataclass(frozen=True)
class Minute:
    """The figures of one minute, by TSV column."""

    values: dict[str, object]

    def line(self) -> str:
        """The minute as two lines of text."""
        v = self.values
        kinds = ", ".join(f"{kind} {v[kind]}" for kind in SOAK_MIX)
        return (f"minute {v['minute']}: {v['requests']} requests ({kinds}); {v['api errors']} API errors\n"
                f"  GET p50/p90/p99 {v['GET p50 ms']}/{v['GET p90 ms']}/{v['GET p99 ms']} ms, "
                f"POST p50/p99 {v['POST p50 ms']}/{v['POST p99 ms']} ms; server {v['server RSS MB']} MB, "
                f"workers {v['workers RSS MB']} MB (max {v['workers']} at once); browser steps "
                f"{v['browser steps']} done, {v['browser failed']} failed; {v['jobs waiting']} jobs "
                f"queued or running, database {v['database MB']} MB, load {v['load']}")


def quantile_ms(answers: Sequence[Answer], q: float) -> float:
    """The ``q`` quantile of the answers' latency in ms (NaN without answers)."""
    return float(np.quantile([a.ms for a in answers], q)) if answers else float("nan")


def minute_figures(minute: int, start: float, answers: Sequence[Answer], wrong: set[int],
                   steps: Sequence[Step], samples: Sequence[Sample], extra: dict[str, object]) -> Minute:
    """The figures of ``minute`` (1-based; from ``start`` + 60 (minute - 1) s): ``wrong`` holds the
    ``id()`` of the wrong answers, ``extra`` the readings taken at the minute's end."""
    low, high = start + 60 * (minute - 1), start + 60 * minute
    now = [a for a in answers if low <= a.end < high]
    gets = [a for a in now if a.kind.startswith("GET") and a.status]
    posts = [a for a in now if a.kind.startswith("POST") and a.status]
    done = [s for s in steps if low <= s.end < high]
    readings = [s for s in samples if low <= s.time < high] or [Sample(high, float("nan"), float("nan"), 0)]
    kinds = Counter(a.kind for a in now)
    values: dict[str, object] = {"minute": minute, "requests": len(now), **{k: kinds[k] for k in SOAK_MIX}}
    values["api errors"] = sum(id(a) in wrong for a in now)
    for q in (50, 90, 99):
        values[f"GET p{q} ms"] = round(quantile_ms(gets, q / 100), 1)
    for q in (50, 99):
        values[f"POST p{q} ms"] = round(quantile_ms(posts, q / 100), 1)
    values["server RSS MB"] = round(readings[-1].server_mb, 1)
    values["workers RSS MB"] = round(max(s.workers_mb for s in readings), 1)
    values["workers"] = max(s.workers for s in readings)
    values["browser steps"] = sum(s.ok for s in done)
    values["browser failed"] = sum(not s.ok for s in done)
    return Minute({**values, **extra})


def wrong_answers(answers: Sequence[Answer]) -> list[Answer]:
    """The API errors among ``answers`` (all of them so far: a 404 is judged by the DELETEs before it)."""
    return unexpected(answers, deleted_jobs(answers), SOAK_EXPECTED)


def waiting_jobs(client: Client, loads: Sequence[Load]) -> int:
    """Jobs queued or running among the newest page of each load's project."""
    waiting = 0
    for load in loads:
        status, jobs = client.request("GET", f"/projects/{load.project}/jobs?page=0")
        waiting += sum(job["status"] in ("queued", "running") for job in jobs) if status == 200 else 0
    return waiting


# --------------------------------------------------------------------------------------------
# The run and the report


@dataclass
class Soak:
    """Everything the run collects."""

    clients: list[SoakClient]
    sessions: list[BrowserSession]
    samples: list[Sample] = field(default_factory=list)
    minutes: list[Minute] = field(default_factory=list)

    def answers(self) -> list[Answer]:
        """Every answer so far, oldest first."""
        return sorted((a for c in self.clients for a in list(c.answers)), key=lambda a: a.end)

    def steps(self) -> list[Step]:
        """Every browser step so far."""
        return [s for session in self.sessions for s in list(session.steps)]

    def table(self, start: float, minutes: int) -> list[Minute]:
        """The minutes again, from every answer and step (each minute's readings as taken then)."""
        answers = self.answers()
        wrong = {id(a) for a in wrong_answers(answers)}
        extras = [{k: m.values[k] for k in ("jobs waiting", "database MB", "load")} for m in self.minutes]
        return [minute_figures(k + 1, start, answers, wrong, self.steps(), self.samples, extras[k])
                for k in range(minutes)]


def run(server: LiveServer, client: Client, loads: list[Load], trees: list[BrowserTree],
        columns: list[tuple[str, str]], chromium: str, args: argparse.Namespace) -> tuple[Soak, float]:
    """Start the browsers and let them sign in (a warm-up: the server's first pages); then start the
    clients, print a row every minute for ``args.minutes`` minutes and stop them all. The readings, and
    the perf_counter time the first minute began."""
    go, stop = threading.Event(), threading.Event()
    work = NewWork(NEW_WORK_S)
    soak = Soak([SoakClient(k, loads, work) for k in range(args.clients)],
                [BrowserSession(k, server.url, client.token, trees, columns, go, stop)
                 for k in range(args.sessions)])
    threads = [threading.Thread(target=s.run, args=(chromium,), name=f"soak-browser-{k}")
               for k, s in enumerate(soak.sessions)]
    threads += [threading.Thread(target=c.run, args=(stop,), name=f"soak-client-{k}")
                for k, c in enumerate(soak.clients)]
    pid = server.panel_pid()
    try:
        warm_up = time.perf_counter()
        for thread in threads[:len(soak.sessions)]:
            thread.start()
        for session in soak.sessions:
            session.ready.wait(2 * STEP_WAIT_MS / 1000)
        print(f"... browsers signed in (warm-up): {time.perf_counter() - warm_up:.1f} s", flush=True)
        start = time.perf_counter()
        go.set()
        for thread in threads[len(soak.sessions):]:
            thread.start()
        for minute in range(1, args.minutes + 1):
            while (left := start + 60 * minute - time.perf_counter()) > 0:
                time.sleep(min(SAMPLE_S, left))
                soak.samples.append(sample(pid))
            extra = {"jobs waiting": waiting_jobs(client, loads),
                     "database MB": round(database_bytes(server.data) / 1e6, 1),
                     "load": round(os.getloadavg()[0], 2)}
            answers = soak.answers()
            wrong = {id(a) for a in wrong_answers(answers)}
            soak.minutes.append(minute_figures(minute, start, answers, wrong, soak.steps(), soak.samples,
                                               extra))
            print(soak.minutes[-1].line(), flush=True)
    finally:
        go.set()
        stop.set()
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join()
    return soak, start


def figures(table: Sequence[Minute], wrong: Sequence[Answer], steps: Sequence[Step]) -> list[Row]:
    """The issue's three figures with their targets."""
    failed = sum(not s.ok for s in steps)
    rows = [Row("errors: API wrong answers + failed browser steps", f"{len(wrong)} + {failed}", "0",
                verdict(not wrong and not failed, True))]
    first, last = table[0].values, table[-1].values
    if len(table) >= 2:
        second = table[1].values
        growth = float(last["server RSS MB"]) / float(second["server RSS MB"]) - 1
        rows.append(Row(f"server RSS, minute {len(table)} vs minute 2",
                        f"{second['server RSS MB']} -> {last['server RSS MB']} MB ({growth:+.1%})",
                        "within 10%", verdict(abs(growth) <= 0.10, len(table) >= 3)))
    ratio = float(last["GET p99 ms"]) / float(first["GET p99 ms"])
    rows.append(Row(f"GET p99, minute {len(table)} vs minute 1",
                    f"{first['GET p99 ms']} -> {last['GET p99 ms']} ms ({ratio:.2f}x)", "within 2x",
                    verdict(ratio <= 2, len(table) >= 2)))
    return rows


def report(soak: Soak, start: float, minutes: int, notes: list[str]) -> None:
    """The final table per minute (also as TSV), the wrong answers and failed steps, the figures."""
    table = soak.table(start, minutes)
    answers, steps = soak.answers(), soak.steps()
    wrong = wrong_answers(answers)
    OUT.mkdir(exist_ok=True)
    tsv = OUT / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.tsv"
    with open(tsv, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(table[0].values), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(m.values for m in table)
    print()
    for note in notes:
        print(note)
    print(f"per-minute table: {tsv.relative_to(ROOT)}")
    statuses = {kind: Counter(a.status for a in answers if a.kind == kind) for kind in SOAK_MIX}
    print("statuses per kind: " + "; ".join(
        f"{kind} " + ", ".join(f"{n} x {status}" for status, n in sorted(found.items()))
        for kind, found in statuses.items()))
    print("latency per kind (p50 / p99 ms): " + "; ".join(
        f"{kind} {quantile_ms(done, 0.5):.0f} / {quantile_ms(done, 0.99):.0f}"
        for kind in SOAK_MIX if (done := [a for a in answers if a.kind == kind and a.status])))
    for answer in wrong[:10]:
        print(f"wrong: {answer.kind} {answer.path}: {answer.status} {answer.detail}")
    for name in dict.fromkeys(s.name for s in steps):
        done = [s for s in steps if s.name == name]
        ms = [(s.end - s.start) * 1000 for s in done if s.ok]
        timing = f", median {np.median(ms):.0f} / max {max(ms):.0f} ms" if ms else ""
        print(f"browser step {name}: {sum(s.ok for s in done)} done, {sum(not s.ok for s in done)} failed"
              f"{timing}")
    for failure in [s for s in steps if not s.ok][:10]:
        print(f"failed: browser {failure.session} {failure.name} at {failure.end - start:.0f} s: "
              f"{failure.detail}")
    print()
    print_table(figures(table, wrong, steps))
    print()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command line options of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=int, default=20, help="how long the soak lasts (default 20)")
    parser.add_argument("--clients", type=int, default=10, help="API clients (default 10)")
    parser.add_argument("--sessions", type=int, default=3, help="browser sessions (default 3)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (server data and its log)")
    args = parser.parse_args(argv)
    if args.minutes < 1:
        parser.error("--minutes must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Start the server, set the data up, soak, print the figures; returns the exit status."""
    args = parse_args(argv)
    chromium = ui.chromium_path()
    if chromium is None:
        print(f"error: {ui.MISSING_CHROMIUM}", file=sys.stderr)
        return 1
    print(f"PhyloDash soak: `make -s serve` (PHYLODASH_WORKERS=1) on 127.0.0.1 for {args.minutes} minutes, "
          f"{args.clients} API clients ({THINK_S:g} s between requests on average) and {args.sessions} "
          "dashboard sessions in headless Chromium")
    for line in machine_facts():
        print(line)
    print("mix (%): " + ", ".join(f"{kind} {weight}" for kind, weight in SOAK_MIX.items()))
    print(flush=True)

    folder = Path(tempfile.mkdtemp(prefix="phylodash-bench-soak-"))
    notes: list[str] = []
    server: LiveServer | None = None
    try:
        data = tables(folder, notes)
        start = time.perf_counter()
        server = LiveServer(folder / "data", folder / "server.log", {"PHYLODASH_MAX_QUEUED_JOBS": "100000"})
        client = Client(server.url, server.token())
        try:
            loads = [prepare(client, data.profiles, data.isolates), demo_load(client)]
            trees = browser_trees(client, data)
            notes.append(f"set-up ({data.label} uploaded twice, the demo loaded; trees and layouts "
                         f"computed): {time.perf_counter() - start:.1f} s")
            print(f"... {notes[-1]}", flush=True)
            soak, began = run(server, client, loads, trees, colour_columns(data.isolates), chromium, args)
        except Exception:
            print(f"the server's log ends with:\n{server.log.read_text()[-3000:]}", file=sys.stderr)
            raise
        notes.append(f"the server's log: {len(server.log.read_text().splitlines())} lines, "
                     f"{server.log.read_text().count('Traceback')} tracebacks")
    finally:
        release(server, folder, keep=args.keep)

    report(soak, began, args.minutes, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
