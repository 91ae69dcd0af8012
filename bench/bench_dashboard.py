"""How fast the dashboard loads and answers in headless Chromium, against the real server (``make serve``).

The server runs as the end-to-end tests run it (:class:`live_server.LiveServer`: ``make -s serve``
on a free port, ``PHYLODASH_WORKERS=1``, its data folder in a temporary directory). Playwright
drives Debian's chromium with the browser tests' launch options and page locators
(tests/browser_support.py), in its default 1280 x 720 viewport. Every run opens a new browser
context (empty cache, no cookies), so each is a first visit, and closes it afterwards.

Measurements of the page alone, each one function registered with :func:`measurement` (add one the
same way):

1. ``page.goto("/app")`` until the Sign in button is visible (the page is interactive).
2. From typing the admin token and clicking Sign in until the demo dataset's row shows.

Measurements of a tree, set up beforehand through the REST API (untimed: a new private project, the
profiles uploaded, goeBURST with lvs 3, then a radial layout of its tree) and opened with its layout
job's Open button in the Jobs tab (signing in, picking the project and showing the tab come first,
untimed). Times are taken on the page's clock (see ``PAGE_HELPERS``), from the press of the mouse
button on Open, or on the figure:

3. ``../shared/data/phylodb/profiles_15000.txt`` (14,979 distinct profiles; a synthetic MLST table of
   15,000 profiles from bench/synthetic.py when ../shared is absent), drawn as Bokeh glyphs: until the
   figure reaches the page (the server's part: the click handled, the tree view built and sent), until
   it is drawn; then, once the page is idle, from a turn of the wheel and from a press and drag until
   the first repaint at the new view. Target: drawn + zoom + pan within 3 s.
4. A synthetic MLST table of 100,000 profiles, drawn as a datashaded overview: until it reaches the
   page and until it is drawn (target: 10 s); from a turn of the wheel until the first repaint (the
   old raster stretched) and until the overview, rasterized again by the server for the zoomed view,
   is repainted (Bokeh tells the server the new view only when the zoom ends, lod_timeout = 500 ms
   after it).

Each runs ``--repeat`` times; the first run is reported apart (for the first measurement it is the
server's first page of its life, for the trees their first drawing by the server), then the median,
p90 and maximum of the others. A target is met when the first run and the median of the others are
both under it.

Usage::

    python bench/bench_dashboard.py [--quick] [--repeat N] [--keep]

``--quick`` draws ``profiles_2000.txt`` (or a synthetic table of 2,000) and a 50,000-profile overview
(the smallest tree drawn as one), 3 runs each; their targets are not judged (n/a).

Exit status: 0 when the measurements ran (a missed target is a result, not an error); 1 when chromium is
missing; a page that never shows what is awaited ends the script with a traceback and the end of
the server's log.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from pathlib import Path

import synthetic
from bench_api import (
    ROOT,
    SHARED_DATA,
    Latency,
    Row,
    Table,
    machine_facts,
    print_report,
    release,
    upload,
    verdict,
)

from dashboard.tree.figure import FIGURE_NAME
from dashboard.tree.view import OVERVIEW_MIN_NODES

# The launcher, the browser set-up and the page's locators the browser tests use.
# The project before its tests folder: tests/engine, tests/api ... must not hide the packages.
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from browser_support import (
    MISSING_CHROMIUM,
    chromium_path,
    launch_options,
    open_dashboard,
    project_picker,
    row_button,
    sign_in,
    tab,
    table_row,
)
from live_server import Client, LiveServer
from playwright.sync_api import Browser, Page, expect, sync_playwright

DEMO_DATASET = "Demo MLST"
#: The project the trees are set up in, as the project picker shows it.
PROJECT = "bench dashboard"
PROJECT_OPTION = f"{PROJECT} (private)"
#: The drawings the tree measurements wait for, by Bokeh name or CSS class (see ``PAGE_HELPERS``): the
#: glyph figure, and the figure HoloViews makes of the overview (its pane's CSS class lands on it).
GLYPH_TREE = FIGURE_NAME
OVERVIEW = "pd-tree-overview"
#: How long a tree may take to show or to answer (the first overview compiles datashader's numba code).
TREE_WAIT_MS = 180_000
#: The wheel turn of a zoom (negative: zoom in) and the drag of a pan, in CSS pixels.
WHEEL_PX = -240
DRAG_PX = (-120, -80)
#: Installed in each page of the tree measurements (``page.add_init_script``): ``window.pdBench`` finds a
#: figure by ``key`` (its Bokeh name or CSS class) and notes, on the page's own clock
#: (``performance.now()``, ms), when it reached the page, was drawn and answered a zoom or a pan. Bokeh's
#: document-idle signal does not serve: it fires once, when the page is first shown, not when a tree is
#: added to it later.
PAGE_HELPERS = """
window.pdBench = {
  // The figure model named key or with CSS class key, null until the server has sent it.
  figure(key) {
    const doc = window.Bokeh?.documents?.[0];
    if (doc == null) return null;
    for (const model of doc.all_models) {
      if (model.type === "Figure" && (model.name === key || model.css_classes.includes(key))) return model;
    }
    return null;
  },
  view(key) {
    const figure = this.figure(key);
    return figure == null ? null : window.Bokeh.index.find_one(figure);
  },
  // Called just before Open is clicked: times.open is noted at the next press of the mouse button,
  // times.arrived when the server's change that brings the figure is applied to the page's Bokeh
  // document (before the browser builds its views and draws it).
  watch(key) {
    const doc = window.Bokeh.documents[0];
    const times = this.times = {};
    window.addEventListener("pointerdown", () => { times.open = performance.now(); },
                            {capture: true, once: true});
    const seen = () => {
      if (this.figure(key) == null) return;
      times.arrived = performance.now();
      doc.remove_on_change(seen);
    };
    doc.on_change(seen);
  },
  // The time once drawn, else false. Drawn: Bokeh reports the plot and all its renderers painted
  // (has_finished), and some pixel inside the plot frame, 2 px in from its outline, is not white. The
  // pixel test (one read of the canvas, done only once Bokeh reports finished) rules out a plot
  // "finished" while hidden, hence blank.
  drawn(key) {
    const view = this.view(key);
    return view != null && view.has_finished() && this.inked(view) && performance.now();
  },
  inked(view) {
    const {left, top, width, height} = view.frame.bbox;
    const layer = view.canvas_view.primary;
    const ratio = layer.pixel_ratio;
    const pixels = layer.canvas.getContext("2d").getImageData(Math.ceil(left * ratio) + 2,
      Math.ceil(top * ratio) + 2, Math.floor(width * ratio) - 4, Math.floor(height * ratio) - 4).data;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] > 0 && pixels[i] + pixels[i + 1] + pixels[i + 2] < 720) return true;
    }
    return false;
  },
  // The centre of the visible part of the plot frame, in viewport pixels (the mouse's coordinates).
  centre(key) {
    const view = this.view(key);
    const canvas = view.canvas_view.primary.canvas.getBoundingClientRect();
    const {left, right, top, bottom} = view.frame.bbox;
    const x0 = Math.max(canvas.left + left, 0), x1 = Math.min(canvas.left + right, window.innerWidth);
    const y0 = Math.max(canvas.top + top, 0), y1 = Math.min(canvas.top + bottom, window.innerHeight);
    return [(x0 + x1) / 2, (y0 + y1) / 2];
  },
  // Resolves once Bokeh has ended the last interaction with the figure (its level-of-detail timer,
  // lod_timeout after the last zoom or pan step, ends it and asks for a full repaint) and has done
  // the repaints it had scheduled. A press that comes while the page is busy painting turns into a
  // long press (Bokeh takes a press not followed by a move within 300 ms as one) and pans nothing.
  async settle(key) {
    const view = this.view(key);
    while (view.model.document.interactive_duration() >= 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await view.ready;
  },
  // Watch the figure from now on: armed.input is the time of the next wheel turn or button press,
  // armed.moved that of the end of the first repaint at an x range other than the present one (the
  // zoom or pan is on the screen), armed.refined that of the first such repaint whose RGBA images
  // (the datashaded overview; HoloViews puts their extent in the columns x and dw) cover the new x
  // range, i.e. the server has rasterized the overview again for it.
  arm(key) {
    const view = this.view(key);
    const range = view.model.x_range;
    const armed = this.armed = {start: range.start, end: range.end};
    const input = () => { armed.input ??= performance.now(); };
    for (const type of ["wheel", "pointerdown"]) {
      window.addEventListener(type, input, {capture: true, once: true});
    }
    view.repainted.connect(() => {
      if (this.armed !== armed || (range.start === armed.start && range.end === armed.end)) return;
      const now = performance.now();
      armed.moved ??= now;
      if (this.covers(view, range)) armed.refined ??= now;
    });
  },
  covers(view, range) {
    const images = view.model.renderers.filter((renderer) => renderer.glyph.type === "ImageRGBA");
    const slack = 1e-6 * (range.end - range.start);
    return images.length > 0 && images.every(({data_source: {data}}) =>
      Math.abs(data.x[0] - range.start) <= slack && Math.abs(data.x[0] + data.dw[0] - range.end) <= slack);
  },
};
"""


@dataclass(frozen=True)
class Sizes:
    """How much to do: the full run, or a smaller one with ``--quick`` (whose targets are not judged)."""

    repeat: int  # runs of each measurement unless --repeat says otherwise
    drawn_profiles: int  # profiles_<n>.txt of ../shared, else a synthetic MLST table of n profiles
    overview_profiles: int  # a synthetic MLST table of n profiles
    judged: bool


FULL = Sizes(repeat=6, drawn_profiles=15_000, overview_profiles=100_000, judged=True)
QUICK = Sizes(repeat=3, drawn_profiles=2_000, overview_profiles=OVERVIEW_MIN_NODES, judged=False)


@dataclass(frozen=True)
class Stage:
    """One figure of a measurement: its label, and the target in ms (None: none) that the first run and
    the median of the others must both stay under, judged unless ``--quick`` made the case smaller."""

    label: str
    target_ms: float | None = None
    judged: bool = True

    def row(self, runs: Sequence[float]) -> Row:
        """The table row of this stage's milliseconds, one per run (the first run apart)."""
        later = Latency(list(runs[1:]))
        figure = f"first {runs[0]:.0f} ms; then {later.text()}"
        if self.target_ms is None:
            return Row(self.label, figure)
        passed = max(runs[0], later.median) < self.target_ms
        return Row(self.label, figure, f"first and median < {self.target_ms / 1000:g} s",
                   verdict(passed, self.judged))


#: One run of a measurement: a new page (its context's ``base_url`` is the server) and the admin
#: token in, the milliseconds of each of its stages out.
Measure = Callable[[Page, str], list[float]]


@dataclass(frozen=True)
class Measurement:
    """What a measurement reports (one row per stage) and how one run of it goes."""

    stages: tuple[Stage, ...]
    measure: Measure


MEASUREMENTS: list[Measurement] = []


def measurement(label: str) -> Callable[[Measure], Measure]:
    """Register the decorated function as a one-stage measurement without target, printed as ``label``."""

    def register(measure: Measure) -> Measure:
        MEASUREMENTS.append(Measurement((Stage(label),), measure))
        return measure

    return register


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a :func:`time.perf_counter` reading)."""
    return (time.perf_counter() - start) * 1000


@measurement("goto /app until Sign in is visible")
def page_interactive(page: Page, _token: str) -> list[float]:
    """From ``page.goto`` until the sign-in button is visible."""
    start = time.perf_counter()
    open_dashboard(page)
    return [elapsed_ms(start)]


@measurement("sign in until the datasets table shows")
def tables_after_sign_in(page: Page, token: str) -> list[float]:
    """From typing the token and clicking Sign in until the demo dataset's row is visible."""
    open_dashboard(page)
    start = time.perf_counter()
    sign_in(page, token)
    expect(table_row(page, DEMO_DATASET)).to_be_visible()
    return [elapsed_ms(start)]


# --------------------------------------------------------------------------------------------
# The trees


@dataclass(frozen=True)
class Tree:
    """A tree set up through the API: its data's label and the radial layout job that opens it."""

    label: str
    job: str
    judged: bool


def until(page: Page, condition: str) -> object:
    """Wait until the JavaScript expression ``condition`` is truthy (tested at every animation frame);
    its value."""
    return page.wait_for_function(f"() => {condition}", timeout=TREE_WAIT_MS).json_value()


def open_tree(page: Page, token: str, tree: Tree, key: str) -> tuple[float, float, float]:
    """Open ``tree`` from its job's Open button and wait until the figure ``key`` is drawn.

    Signing in, picking the project and showing the Jobs tab come first. Returns the page's clock (ms)
    at the press on Open, when the figure reached the page, and when it was seen drawn.
    """
    page.add_init_script(PAGE_HELPERS)
    open_dashboard(page)
    sign_in(page, token)
    project_picker(page).select_option(label=PROJECT_OPTION)
    tab(page, "Jobs").click()
    button = row_button(page, tree.job, "Open")
    expect(button).to_be_visible()
    page.evaluate("key => pdBench.watch(key)", key)
    button.click()
    drawn = float(until(page, f"pdBench.drawn({key!r})"))
    times = page.evaluate("() => pdBench.times")
    return times["open"], times["arrived"], drawn


def answer(page: Page, key: str, act: Callable[[float, float], None], outcome: str) -> dict[str, float]:
    """Once the figure ``key`` has settled (see ``PAGE_HELPERS``), ``act`` at the centre of its frame
    and wait for ``outcome``; the page's times (ms) of the input and of each outcome seen so far."""
    page.evaluate("key => pdBench.settle(key)", key)
    x, y = page.evaluate("key => pdBench.centre(key)", key)
    page.evaluate("key => pdBench.arm(key)", key)
    act(x, y)
    until(page, f"pdBench.armed.{outcome}")
    return page.evaluate("() => pdBench.armed")


def wheel_zoom(page: Page, x: float, y: float) -> None:
    """Turn the mouse wheel at (x, y) to zoom in."""
    page.mouse.move(x, y)
    page.mouse.wheel(0, WHEEL_PX)


def drag_pan(page: Page, x: float, y: float) -> None:
    """Drag the view from (x, y) by :data:`DRAG_PX`."""
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + DRAG_PX[0], y + DRAG_PX[1], steps=5)
    page.mouse.up()


def drawn_zoomed_panned(tree: Tree, page: Page, token: str) -> list[float]:
    """The glyph tree: from the press on Open until it reached the page and until drawn; from a turn of
    the wheel, then from a press and drag, until the first repaint at the new view (with WebGL, Bokeh
    draws every glyph while interacting too); the sum of drawn, zoom and pan."""
    opened, arrived, drawn = open_tree(page, token, tree, GLYPH_TREE)
    zoom = answer(page, GLYPH_TREE, partial(wheel_zoom, page), "moved")
    pan = answer(page, GLYPH_TREE, partial(drag_pan, page), "moved")
    answers = [zoom["moved"] - zoom["input"], pan["moved"] - pan["input"]]
    return [arrived - opened, drawn - opened, *answers, drawn - opened + sum(answers)]


def overview_refined(tree: Tree, page: Page, token: str) -> list[float]:
    """The overview: from the press on Open until it reached the page and until drawn; from a turn of
    the wheel until the first repaint at the new view (the old raster stretched), and until the
    overview, rasterized again by the server for the new view, was repainted."""
    opened, arrived, drawn = open_tree(page, token, tree, OVERVIEW)
    zoom = answer(page, OVERVIEW, partial(wheel_zoom, page), "refined")
    return [arrived - opened, drawn - opened, zoom["moved"] - zoom["input"], zoom["refined"] - zoom["input"]]


def succeeded(client: Client, project: str, job: str) -> None:
    """Wait for ``job``; RuntimeError unless it succeeded."""
    finished = client.wait_job(project, job)
    if finished["status"] != "succeeded":
        raise RuntimeError(f"the set-up job did not succeed: {finished}")


def set_up_tree(client: Client, project: str, table: Table, notes: list[str]) -> Tree:
    """Upload ``table``, run goeBURST (lvs 3) and a radial layout of its tree, one after the other."""
    created, upload_seconds = upload(client, project, table)
    start = time.perf_counter()
    inference = client.submit(project, "goeburst", created["id"], 3)
    succeeded(client, project, inference["job_id"])
    inferred = time.perf_counter()
    layout = client.submit(project, "radial", created["id"], inference["analysis_id"])
    succeeded(client, project, layout["job_id"])
    label = f"{table.label} ({created['profiles']:,} profiles)"
    notes.append(f"set-up {label}: upload {upload_seconds:.1f} s, goeBURST lvs 3 {inferred - start:.1f} s, "
                 f"radial layout {time.perf_counter() - inferred:.1f} s (job submitted until seen done)")
    print(f"... {notes[-1]}", flush=True)
    return Tree(label, layout["job_id"], table.judged)


def synthetic_table(folder: Path, n: int, judged: bool) -> Table:
    """A synthetic MLST table of ``n`` profiles (:func:`synthetic.mlst_file`), written into ``folder``."""
    return Table(f"synthetic MLST {n:,}", synthetic.mlst_file(folder / f"mlst_{n}.tsv", n=n), judged)


def tree_tables(folder: Path, sizes: Sizes, notes: list[str]) -> tuple[Table, Table]:
    """The table drawn as glyphs (../shared's, else synthetic) and the synthetic one drawn as an overview."""
    n = sizes.drawn_profiles
    shared = SHARED_DATA / "phylodb" / f"profiles_{n}.txt"
    if shared.is_file():
        drawn = Table(shared.stem, shared, sizes.judged)
    else:
        notes.append(f"../{shared.relative_to(ROOT.parent)} not found: a synthetic MLST table of {n:,} "
                     "profiles (bench/synthetic.py) stands in for it")
        drawn = synthetic_table(folder, n, sizes.judged)
    start = time.perf_counter()
    overview = synthetic_table(folder, sizes.overview_profiles, sizes.judged)
    print(f"... generated {overview.path.name} in {time.perf_counter() - start:.1f} s", flush=True)
    return drawn, overview


def tree_measurements(client: Client, folder: Path, sizes: Sizes, notes: list[str]) -> list[Measurement]:
    """Set both trees up through the API in a new private project; their measurements."""
    drawn_table, overview_table = tree_tables(folder, sizes, notes)
    project = client.json("POST", "/projects", {"name": PROJECT, "description": "bench_dashboard.py",
                                                "visibility": "private", "users": []}, expect=201)["id"]
    drawn = set_up_tree(client, project, drawn_table, notes)
    overview = set_up_tree(client, project, overview_table, notes)
    return [
        Measurement((Stage(f"{drawn.label}: Open until the figure reaches the page"),
                     Stage(f"{drawn.label}: Open until drawn"),
                     Stage(f"{drawn.label}: wheel zoom until repainted"),
                     Stage(f"{drawn.label}: drag pan until repainted"),
                     Stage(f"{drawn.label}: drawn + zoom + pan (the three above)", 3000, drawn.judged)),
                    partial(drawn_zoomed_panned, drawn)),
        Measurement((Stage(f"{overview.label}: Open until the overview reaches the page"),
                     Stage(f"{overview.label}: Open until the overview is drawn", 10_000, overview.judged),
                     Stage(f"{overview.label}: wheel zoom until repainted (old raster)"),
                     Stage(f"{overview.label}: wheel zoom until re-rasterized and repainted")),
                    partial(overview_refined, overview)),
    ]


# --------------------------------------------------------------------------------------------
# Runs and report


def run(browser: Browser, url: str, token: str, measurement: Measurement, repeat: int) -> list[Row]:
    """``repeat`` runs of ``measurement``, each in a new browser context: one table row per stage."""
    runs = []
    for _ in range(repeat):
        context = browser.new_context(base_url=url)
        try:
            runs.append(measurement.measure(context.new_page(), token))
        finally:
            context.close()
    rows = [stage.row([found[k] for found in runs]) for k, stage in enumerate(measurement.stages)]
    for row in rows:
        print(f"... {row.measurement}: {row.figure}", flush=True)
    return rows


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command line options of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"smaller trees ({QUICK.drawn_profiles:,} and {QUICK.overview_profiles:,} "
                             f"profiles) and {QUICK.repeat} runs per measurement (targets not judged)")
    parser.add_argument("--repeat", type=int,
                        help=f"runs of each measurement, the first reported apart (at least 2; default "
                             f"{FULL.repeat}, {QUICK.repeat} with --quick)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (server data, its log and the generated tables)")
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 2:
        parser.error("--repeat must be at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Start the server, set the trees up, start the browser, run every measurement, print the table;
    returns the exit status."""
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    repeat = args.repeat or sizes.repeat
    chromium = chromium_path()
    if chromium is None:
        print(f"error: {MISSING_CHROMIUM}", file=sys.stderr)
        return 1
    print("PhyloDash dashboard benchmark: `make -s serve` (PHYLODASH_WORKERS=1) on 127.0.0.1, headless "
          f"Chromium through Playwright, a new browser context per run, {repeat} runs per measurement")
    for line in machine_facts():
        print(line)
    if args.quick:
        print("--quick: smaller trees and fewer runs; their targets are not judged (n/a)")
    print(flush=True)

    folder = Path(tempfile.mkdtemp(prefix="phylodash-bench-dashboard-"))
    notes: list[str] = []
    server: LiveServer | None = None
    try:
        start = time.perf_counter()
        server = LiveServer(folder / "data", folder / "server.log")
        notes.append(f"server ready in {time.perf_counter() - start:.1f} s (first start: admin and demo)")
        try:
            measurements = [*MEASUREMENTS,
                            *tree_measurements(Client(server.url, server.token()), folder, sizes, notes)]
            notes.append(f"load average after the set-up: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(**launch_options(chromium))
                notes.append(f"{chromium}: Chromium {browser.version}, playwright {version('playwright')}")
                try:
                    rows = [row for found in measurements
                            for row in run(browser, server.url, server.token(), found, repeat)]
                finally:
                    browser.close()
        except Exception:
            print(f"the server's log ends with:\n{server.log.read_text()[-3000:]}", file=sys.stderr)
            raise
    finally:
        release(server, folder, keep=args.keep)

    print_report(rows, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
