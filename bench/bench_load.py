"""Latency of the REST API under a mixed load of concurrent clients, against the real server (``make serve``).

The server runs as bench/bench_api.py runs it (:class:`live_server.LiveServer`: ``make -s serve``
on a free port, ``PHYLODASH_WORKERS=1``, its data folder in a temporary directory), with the cap
on queued jobs per user raised so that no client meets it. A private project gets a real dataset
(``../shared/data/campylobacter/typing_6000.txt``, 6,000 *C. jejuni* STs, when present, else the
demo), one goeBURST inference and its radial layout. Then the clients of tests/load_mix.py (the
load tests/test_load.py checks) start at once, each on its own keep-alive connection and with its
own seeded mix: POST goeBURST (lvs 1..7, ``missing`` absent, ignore or difference) and radial jobs,
GET job list pages, GET one job, GET inferences (JSON, Newick) and visualizations, DELETE jobs.

Printed: latency percentiles per request kind and overall (measured by the client, from sending
the request to reading the whole answer), throughput, wrong answers (any status but the expected
one, except a 404 about a job a concurrent DELETE removed), what became of the jobs, and how long
until every job was final.

Usage::

    python bench/bench_load.py [--quick] [--clients N] [--requests N] [--keep]

Exit status: 0 when the measurements ran (wrong answers are counted, not fatal).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench_api import DEMO_PROFILES, ROOT, SHARED_DATA, Latency, Row, machine_facts, print_report, release

# The launcher, the JSON client and the load that the end-to-end tests (tests/test_load.py) use.
# The project before its tests folder: tests/engine, tests/api ... must not hide the packages.
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from live_server import Client, LiveServer, stored_documents
from load_mix import MIX, Answer, counts, prepare, unexpected, wait_all_final

CAMPYLOBACTER = SHARED_DATA / "campylobacter" / "typing_6000.txt"
SETTLE_TIMEOUT = 1800.0  # seconds for every job to be final once the clients are done


def latency_rows(answers: Sequence[Answer]) -> list[Row]:
    """Latency of each request kind and of all, of the requests that got an answer."""
    answered = [a for a in answers if a.status]
    rows = [Row(kind, Latency([a.ms for a in answered if a.kind == kind]).text(p99=True)) for kind in MIX]
    return [*rows, Row("all requests", Latency([a.ms for a in answered]).text(p99=True))]


def job_rows(folder: Path) -> list[Row]:
    """What became of the jobs, from the database files the server wrote."""
    jobs = stored_documents(folder).get("jobs", [])
    statuses = Counter(job["status"] for job in jobs)
    ran = sum(job["started"] is not None and job["reused_from"] is None for job in jobs)
    reused = sum(job["reused_from"] is not None for job in jobs)
    return [
        Row("jobs (the 2 set-up ones too)",
            f"{len(jobs)}: " + ", ".join(f"{n} {status}" for status, n in statuses.most_common())),
        Row("  ran in a worker / reused a result", f"{ran} / {reused}"),
        Row("  removed from the list by a DELETE", str(sum(job["removed"] for job in jobs))),
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command line options of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=20, help="clients at once (default 20)")
    parser.add_argument("--requests", type=int, default=50, help="requests per client (default 50)")
    parser.add_argument("--quick", action="store_true", help="10 requests per client, on the demo dataset")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (server data and its log)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the server, run the load, wait for the jobs, print the figures; returns the exit status."""
    args = parse_args(argv)
    requests = 10 if args.quick else args.requests
    profiles = CAMPYLOBACTER if CAMPYLOBACTER.is_file() and not args.quick else DEMO_PROFILES
    isolates = DEMO_PROFILES.with_name("isolates.tsv") if profiles == DEMO_PROFILES else None
    print("PhyloDash REST API under load: `make -s serve` (PHYLODASH_WORKERS=1) on 127.0.0.1, "
          "latency measured by the client")
    for line in machine_facts():
        print(line)
    print(f"{args.clients} clients at once x {requests} requests, each on its own keep-alive connection, "
          f"mix (%): " + ", ".join(f"{kind} {weight}" for kind, weight in MIX.items()))
    if not CAMPYLOBACTER.is_file():
        print(f"{CAMPYLOBACTER} not found: the demo dataset stands in for it")
    print(flush=True)

    folder = Path(tempfile.mkdtemp(prefix="phylodash-bench-load-"))
    server: LiveServer | None = None
    try:
        start = time.perf_counter()
        server = LiveServer(folder / "data", folder / "server.log",
                            {"PHYLODASH_MAX_QUEUED_JOBS": str(args.clients * requests + 10)})
        client = Client(server.url, server.token())
        load = prepare(client, profiles, isolates)
        setup = time.perf_counter() - start
        print(f"... server ready, {profiles.name} uploaded, goeBURST and radial computed: {setup:.1f} s",
              flush=True)
        try:
            answers, seconds = load.run(args.clients, requests)
            print(f"... {len(answers)} requests in {seconds:.1f} s; waiting for the jobs", flush=True)
            start = time.perf_counter()
            listed = wait_all_final(client, load.project, SETTLE_TIMEOUT)
            settle = time.perf_counter() - start
        except Exception:
            print(f"the server's log ends with:\n{server.log.read_text()[-3000:]}", file=sys.stderr)
            raise
        removed = set(load.known.jobs) - set(listed)
        wrong = unexpected(answers, removed)
        statuses = counts(answers)
        jobs = job_rows(server.data)
    finally:
        release(server, folder, keep=args.keep)

    legitimate = sum(a.status == 404 for a in answers) - sum(a.status == 404 for a in wrong)
    rows = [
        *latency_rows(answers),
        Row("throughput", f"{len(answers) / seconds:.1f} requests/s ({len(answers):,} requests in "
                          f"{seconds:.1f} s)"),
        Row("wrong answers", f"{len(wrong)} of {len(answers):,} ({legitimate} 404s about jobs a "
                             "concurrent DELETE removed are right)", "0", "yes" if not wrong else "no"),
        *jobs,
        Row("every job final", f"{settle:.1f} s after the last request, {seconds + settle:.1f} s after "
                               "the first"),
    ]
    print()
    print("statuses per kind: " + "; ".join(
        f"{kind} " + ", ".join(f"{n} x {status}" for status, n in sorted(found.items()))
        for kind, found in statuses.items()))
    for answer in wrong[:10]:
        print(f"wrong: {answer.kind} {answer.path}: {answer.status} {answer.detail}")
    print_report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
