"""How fast the dashboard loads and answers in headless Chromium, against the real server (``make serve``).

The server runs as the end-to-end tests run it (:class:`live_server.LiveServer`: ``make -s serve``
on a free port, ``PHYLODASH_WORKERS=1``, its data folder in a temporary directory). Playwright
drives Debian's chromium with the browser tests' launch options and page locators
(tests/browser_support.py). Every run opens a new browser context (empty cache, no cookies), so
each is a first visit, and closes it afterwards.

Measurements, each one function registered with :func:`measurement` (add one the same way):

1. ``page.goto("/app")`` until the Sign in button is visible (the page is interactive).
2. From typing the admin token and clicking Sign in until the demo dataset's row shows.

Each runs ``--repeat`` times; the first run is reported apart (for the first measurement it is the
server's first page of its life), then the median, p90 and maximum of the others.

Usage::

    python bench/bench_dashboard.py [--repeat N] [--keep]

Exit status: 0 when the measurements ran (the figures are printed, not judged); 1 when chromium is
missing; a page that never shows what is awaited ends the script with a traceback and the end of
the server's log.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

from bench_api import ROOT, Latency, Row, machine_facts, print_table

# The launcher, the browser set-up and the page's locators the browser tests use.
sys.path.insert(0, str(ROOT / "tests"))
from browser_support import (
    MISSING_CHROMIUM,
    chromium_path,
    launch_options,
    open_dashboard,
    sign_in,
    table_row,
)
from live_server import LiveServer
from playwright.sync_api import Browser, Page, expect, sync_playwright

DEMO_DATASET = "Demo MLST"

#: One run of a measurement: a new page (its context's ``base_url`` is the server) and the admin
#: token in, milliseconds out.
Measure = Callable[[Page, str], float]
MEASUREMENTS: list[tuple[str, Measure]] = []


def measurement(label: str) -> Callable[[Measure], Measure]:
    """Register the decorated function as a measurement, printed as ``label``."""

    def register(measure: Measure) -> Measure:
        MEASUREMENTS.append((label, measure))
        return measure

    return register


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a :func:`time.perf_counter` reading)."""
    return (time.perf_counter() - start) * 1000


@measurement("goto /app until Sign in is visible")
def page_interactive(page: Page, _token: str) -> float:
    """From ``page.goto`` until the sign-in button is visible."""
    start = time.perf_counter()
    open_dashboard(page)
    return elapsed_ms(start)


@measurement("sign in until the datasets table shows")
def tables_after_sign_in(page: Page, token: str) -> float:
    """From typing the token and clicking Sign in until the demo dataset's row is visible."""
    open_dashboard(page)
    start = time.perf_counter()
    sign_in(page, token)
    expect(table_row(page, DEMO_DATASET)).to_be_visible()
    return elapsed_ms(start)


def run(browser: Browser, url: str, token: str, label: str, measure: Measure, repeat: int) -> Row:
    """``repeat`` runs of ``measure``, each in a new browser context: the table row of its figures."""
    runs = []
    for _ in range(repeat):
        context = browser.new_context(base_url=url)
        try:
            runs.append(measure(context.new_page(), token))
        finally:
            context.close()
    figure = f"first {runs[0]:.0f} ms; then {Latency(runs[1:]).text()}"
    print(f"... {label}: {figure}", flush=True)
    return Row(label, figure)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command line options of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=6,
                        help="runs of each measurement, the first reported apart (at least 2; default 6)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (server data and its log)")
    args = parser.parse_args(argv)
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Start the server and the browser, run every measurement, print the table; the exit status."""
    args = parse_args(argv)
    chromium = chromium_path()
    if chromium is None:
        print(f"error: {MISSING_CHROMIUM}", file=sys.stderr)
        return 1
    print("PhyloDash dashboard benchmark: `make -s serve` (PHYLODASH_WORKERS=1) on 127.0.0.1, headless "
          f"Chromium through Playwright, a new browser context per run, {args.repeat} runs per measurement")
    for line in machine_facts():
        print(line)

    folder = Path(tempfile.mkdtemp(prefix="phylodash-bench-dashboard-"))
    server: LiveServer | None = None
    try:
        start = time.perf_counter()
        server = LiveServer(folder / "data", folder / "server.log")
        print(f"server ready in {time.perf_counter() - start:.1f} s (first start: admin and demo)")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options(chromium))
            print(f"{chromium}: Chromium {browser.version}, playwright {version('playwright')}")
            print(flush=True)
            try:
                rows = [run(browser, server.url, server.token(), label, measure, args.repeat)
                        for label, measure in MEASUREMENTS]
            except Exception:
                print(f"the server's log ends with:\n{server.log.read_text()[-3000:]}", file=sys.stderr)
                raise
            finally:
                browser.close()
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    print()
    print_table(rows)
    print()
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
