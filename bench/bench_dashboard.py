"""How fast the dashboard loads and answers in headless Chromium, against the real server (``make serve``).

The server runs as the end-to-end tests run it (:class:`live_server.LiveServer`: ``make -s serve``
on a free port, ``PHYLODASH_WORKERS=1``, its data folder in a temporary directory). Playwright
drives Debian's chromium with the browser tests' launch options and page locators
(tests/browser_support.py), in its default 1280 x 720 viewport. Every run opens a new browser
context (empty cache, no cookies), so each is a first visit, and closes it afterwards.

First, a first start, timed ``--repeat`` times, each with a server of its own on a new data folder
(the shared server comes after):

1. The server's first start stores the demo project and computes its goeBURST tree and that tree's
   ``grapetree`` layout by two real jobs (README, "first start"). From the moment it printed the
   dashboard's address (the ``Dashboard: http://...`` line of its log, polled every 5 ms) until the
   page, opened at once, signed in with the admin token (the Demo project picked); until the layout
   job finished (its record); from the click on the Tree tab (made once both are done: the tab opened
   with no tree shows the project's newest drawing) until the demo tree reaches the page and is drawn;
   and from the address printed until drawn (target: 5 s). Numba's cache is whatever this machine has
   (warm once the kernels were compiled for this checkout: the case of any start after the first
   install).

Measurements of the page alone, each one function registered with :func:`measurement` (add one the
same way):

2. ``page.goto("/app")`` until the Sign in button is visible (the page is interactive).
3. From typing the admin token and clicking Sign in until the demo dataset's row shows.

Measurements of a tree, set up beforehand through the REST API (untimed: a new private project, the
profiles uploaded with two synthetic isolates a profile from bench/synthetic.py (country, source,
disease; ../shared has no isolates for these tables), goeBURST with lvs 3, then a radial layout of its
tree) and opened with its layout job's Open button in the Jobs tab (signing in, picking the project
and showing the tab come first, untimed). Times are taken on the page's clock (see ``PAGE_HELPERS``),
from the press of the mouse button on Open, or on the figure:

4. ``../shared/data/phylodb/profiles_15000.txt`` (14,979 distinct profiles; a synthetic MLST table of
   15,000 profiles from bench/synthetic.py when ../shared is absent), drawn as Bokeh glyphs: until the
   figure reaches the page (the server's part: the click handled, the tree view built and sent), until
   it is drawn; then, once the page is idle, from a turn of the wheel and from a press and drag until
   the first repaint at the new view. Target: drawn + zoom + pan within 3 s.
5. The same tree, opened anew: from each of three changes until the server's answer reaches the page
   (a data source of the figure replaced) and until the figure is repainted with it (target: 1 s
   each): picking ``country`` in *Colour nodes by* (from its input event), a box select (the user's
   drag with the toolbar's Box Select, made active; from the release of the button) of a square around
   the centre of the visible frame holding about 2,000 isolates (the report's notes say how many it
   took), also until the isolate table shows their isolates, and typing 1 into the collapse box and
   pressing Enter (from the input event).
6. The static ``grapetree`` layout of that tree, one job submitted through the API before the browser
   measurements: its record's started until finished (target: 2 s).
7. A synthetic MLST table of 100,000 profiles, drawn as a datashaded overview: until it reaches the
   page and until it is drawn (target: 10 s); from a turn of the wheel until the first repaint (the
   old raster stretched) and until the overview, rasterized again by the server for the zoomed view,
   is repainted (Bokeh tells the server the new view only when the zoom ends, lod_timeout = 500 ms
   after it).
8. The same overview, opened anew: a box select around the centre of the frame holding about 10,000
   isolates (chosen from the layout's coordinates, read through the API, and the isolate counts),
   from the release of the button until the isolate table shows the selected isolates (target: 1 s),
   until the overview's answer reaches the page (a new figure) and until it is drawn again.

Each runs ``--repeat`` times; the first run is reported apart (for measurement 2 it is the server's
first page of its life, for the trees their first drawing by the server), then the median, p90 and
maximum of the others. A target is met when the first run and the median of the others are both
under it.

Usage::

    python bench/bench_dashboard.py [--quick] [--repeat N] [--keep]

``--quick`` draws ``profiles_2000.txt`` (or a synthetic table of 2,000) and a 50,000-profile overview
(the smallest tree drawn as one), box-selects about 400 and 5,000 isolates, 3 runs each; their
targets are not judged (n/a).

Exit status: 0 when the measurements ran (a missed target is a result, not an error); 1 when chromium is
missing; a page that never shows what is awaited ends the script with a traceback and the end of
the server's log.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
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
from engine.algorithms.layouts import pack
from engine.services.demo_tree import DEMO_LAYOUT

# The launcher, the browser set-up and the page's locators the browser tests use.
# The project before its tests folder: tests/engine, tests/api ... must not hide the packages.
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from browser_support import (
    MISSING_CHROMIUM,
    chromium_path,
    drag,
    launch_options,
    open_dashboard,
    project_picker,
    row_button,
    selected_project,
    set_number,
    sign_in,
    tab,
    table_row,
    tree_control,
)
from live_server import Client, LiveServer, poll_job
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

DEMO_DATASET = "Demo MLST"
#: The heading of the demo tree a first start draws, and the line of the server's log the first start's
#: time starts at (engine/services/root.py prints it).
DEMO_TITLE = f"{DEMO_DATASET}: goeburst, {DEMO_LAYOUT} layout"
DASHBOARD_LINE = "Dashboard: http"
#: The project the trees are set up in, as the project picker shows it.
PROJECT = "bench dashboard"
PROJECT_OPTION = f"{PROJECT} (private)"
#: The drawings the tree measurements wait for, by Bokeh name or CSS class (see ``PAGE_HELPERS``): the
#: glyph figure, and the figure HoloViews makes of the overview (its pane's CSS class lands on it).
GLYPH_TREE = FIGURE_NAME
OVERVIEW = "pd-tree-overview"
#: How long a tree may take to show or to answer (the first overview compiles datashader's numba code).
TREE_WAIT_MS = 180_000
#: How long a set-up job may run (goeBURST of 100,000 profiles on a busy machine takes minutes).
SET_UP_WAIT_S = 1800
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
  // The figure models named key or with CSS class key in the page's document (BokehJS may keep those of
  // a tree replaced since, with the same name).
  figures(key) {
    const doc = window.Bokeh?.documents?.[0];
    if (doc == null) return [];
    return [...doc.all_models].filter(
      (model) => model.type === "Figure" && (model.name === key || model.css_classes.includes(key)));
  },
  // The figure model key that is shown (has a view), else the last one sent; null until one is sent.
  // After watch(), only a figure sent since counts (the tree shown before may still have a view).
  figure(key) {
    const stale = this.stale ?? new Set();
    const all = this.figures(key).filter((model) => !stale.has(model));
    return all.find((model) => window.Bokeh.index.find_one(model) != null) ?? all[all.length - 1] ?? null;
  },
  view(key) {
    const figure = this.figure(key);
    return figure == null ? null : window.Bokeh.index.find_one(figure);
  },
  // Called just before Open (or a tab) is clicked: times.open is noted at the next press of the mouse
  // button, times.arrived when the server's change that brings a new figure key is applied to the
  // page's Bokeh document (before the browser builds its views and draws it).
  watch(key) {
    const doc = window.Bokeh.documents[0];
    const times = this.times = {};
    window.addEventListener("pointerdown", () => { times.open = performance.now(); },
                            {capture: true, once: true});
    const before = this.stale = new Set(this.figures(key));
    const seen = () => {
      if (!this.figures(key).some((model) => !before.has(model))) return;
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
  // The visible part of the plot frame, [left, top, right, bottom] in viewport pixels (the mouse's).
  visible(key) {
    const view = this.view(key);
    const canvas = view.canvas_view.primary.canvas.getBoundingClientRect();
    const {left, right, top, bottom} = view.frame.bbox;
    return [Math.max(canvas.left + left, 0), Math.max(canvas.top + top, 0),
            Math.min(canvas.left + right, window.innerWidth),
            Math.min(canvas.top + bottom, window.innerHeight)];
  },
  // The centre of the visible part of the plot frame, in viewport pixels.
  centre(key) {
    const [x0, y0, x1, y1] = this.visible(key);
    return [(x0 + x1) / 2, (y0 + y1) / 2];
  },
  // Where the data point (0, 0) is in viewport pixels, and the pixels per data unit: [x, dx, y, dy].
  scale(key) {
    const view = this.view(key);
    const canvas = view.canvas_view.primary.canvas.getBoundingClientRect();
    const {x_scale, y_scale} = view.frame;
    const x = x_scale.compute(0), y = y_scale.compute(0);
    return [canvas.left + x, x_scale.compute(1) - x, canvas.top + y, y_scale.compute(1) - y];
  },
  // Make the figure's tool of Bokeh type `type` the active one, as a click on its toolbar button does.
  activate(key, type) {
    this.figure(key).toolbar.tools.find((tool) => tool.type === type).active = true;
  },
  // Watch for the server's answer to the next input event of `type` (input: a widget's value typed or
  // picked; pointerup: the end of a box select): change.input is the time of that event, change.arrived
  // that of the first change of the document after it that replaces the data of one of the figure's
  // renderers, or the figure itself (a new overview), and change.repainted that of the next repaint.
  watchChange(key, type) {
    const doc = window.Bokeh.documents[0];
    const figure = this.figure(key);
    const view = this.view(key);
    const data = new Map(figure.renderers.filter((r) => r.data_source != null)
      .map((r) => [r.data_source, r.data_source.data]));
    const change = this.change = {figure};
    window.addEventListener(type, () => { change.input ??= performance.now(); }, {capture: true, once: true});
    const seen = () => {
      if (this.change !== change) { doc.remove_on_change(seen); return; }
      if (change.input == null || change.arrived != null) return;
      if (this.figure(key) !== figure || [...data].some(([source, old]) => source.data !== old)) {
        change.arrived = performance.now();
      }
    };
    doc.on_change(seen);
    view.repainted.connect(() => {
      if (this.change === change && change.arrived != null) change.repainted ??= performance.now();
    });
  },
  // The time the figure was repainted with the server's answer (a new figure: once drawn), else false.
  answered(key) {
    const change = this.change;
    if (change.arrived == null) return false;
    if (this.figure(key) !== change.figure) return this.drawn(key);
    return change.repainted ?? false;
  },
  // Watch the Tabulator table with CSS class `cls`: table.shown is the time of the first animation
  // frame at which it shows new rows (its source's data replaced, and the first row's `column` cell
  // on the page is the new first row's).
  watchTable(cls, column) {
    const model = [...window.Bokeh.documents[0].all_models].find(
      (m) => String(m.type).endsWith("Tabulator") && m.css_classes.includes(cls));
    const table = this.table = {};
    const old = model.source.data;
    const look = () => {
      const data = model.source.data;
      const cell = data !== old && data[column].length > 0 && window.Bokeh.index.find_one(model)
        ?.shadow_el.querySelector(`.tabulator-row .tabulator-cell[tabulator-field="${column}"]`);
      if (cell && cell.textContent === String(data[column][0])) table.shown = performance.now();
      else if (this.table === table) requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
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
    drawn_selected: int  # isolates a box select on the drawn tree takes (about)
    overview_selected: int  # isolates a box select on the overview takes (about)
    judged: bool


FULL = Sizes(repeat=6, drawn_profiles=15_000, overview_profiles=100_000, drawn_selected=2_000,
             overview_selected=10_000, judged=True)
QUICK = Sizes(repeat=3, drawn_profiles=2_000, overview_profiles=OVERVIEW_MIN_NODES, drawn_selected=400,
              overview_selected=5_000, judged=False)
#: Synthetic isolates per profile of both trees (bench/synthetic.py), so nodes can be coloured and selected.
ISOLATES_PER_PROFILE = 2
#: The isolate column the colour-by change picks, and the column the isolate table is watched by.
COLOUR_BY = "country"
ISOLATE_ID = "id"
#: The first start's target: from the dashboard's address printed until the demo tree is drawn.
FIRST_START_MS = 5_000
#: Each change of the drawn tree, and the selection on the overview, must be answered within this.
CHANGE_MS = 1_000
#: How long a change may take to be answered before its figure is reported as infinite (never answered).
CHANGE_WAIT_MS = 60_000
#: The static ``grapetree`` layout of the 15,000-profile tree, on the server.
GRAPETREE_MS = 2_000


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


#: One run of a measurement on a page: a new page (its context's ``base_url`` is the server) and the admin
#: token in, the milliseconds of each of its stages out.
Measure = Callable[[Page, str], list[float]]
#: One run of any measurement: the browser, the shared server's address and its admin token in, the
#: milliseconds of each stage out.
Run = Callable[[Browser, str, str], list[float]]


def on_page(measure: Measure) -> Run:
    """``measure`` run on a new page of a new browser context (empty cache, no cookies), closed after."""

    def once(browser: Browser, url: str, token: str) -> list[float]:
        context = browser.new_context(base_url=url)
        try:
            return measure(context.new_page(), token)
        finally:
            context.close()

    return once


@dataclass(frozen=True)
class Measurement:
    """What a measurement reports (one row per stage) and how one run of it goes."""

    stages: tuple[Stage, ...]
    measure: Run


MEASUREMENTS: list[Measurement] = []


def measurement(label: str) -> Callable[[Measure], Measure]:
    """Register the decorated function as a one-stage measurement without target, printed as ``label``,
    each run on a new page of the shared server."""

    def register(measure: Measure) -> Measure:
        MEASUREMENTS.append(Measurement((Stage(label),), on_page(measure)))
        return measure

    return register


def elapsed_ms(start: float) -> float:
    """Milliseconds since ``start`` (a :func:`time.perf_counter` reading)."""
    return (time.perf_counter() - start) * 1000


def note_once(notes: list[str], note: str) -> None:
    """Add ``note`` to the report's notes unless an earlier run added it already."""
    if note not in notes:
        notes.append(note)
        print(f"... {note}", flush=True)


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
# A first start: a new server, its demo tree


def printed_at(log: Path, marker: str, timeout: float = 300) -> float:
    """The wall clock (s) at which ``marker`` was first seen in the file ``log``, polled every 5 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.is_file() and marker in log.read_text(errors="replace"):
            return time.time()
        time.sleep(0.005)
    raise RuntimeError(f"{marker!r} did not appear in the server's log within {timeout:.0f} s")


def epoch(stamp: str) -> float:
    """The wall clock (s) of an ISO 8601 time of a job record."""
    return datetime.fromisoformat(stamp).timestamp()


def demo_layout_finished(client: Client, timeout: float = 300) -> float:
    """Wait until the first start's ``grapetree`` layout of the demo tree succeeded; when it finished (s)."""
    demo = next(project["id"] for project in client.json("GET", "/projects") if project["name"] == "Demo")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = client.json("GET", f"/projects/{demo}/jobs")
        if any(job["completed"] and job["status"] != "succeeded" for job in jobs):
            raise RuntimeError(f"a job of the first start did not succeed: {jobs}")
        done = [job for job in jobs if job["algorithm"] == DEMO_LAYOUT and job["completed"]]
        if done:
            return epoch(done[0]["finished"])
        time.sleep(0.05)
    raise RuntimeError(f"the demo's {DEMO_LAYOUT} layout was not done within {timeout:.0f} s")


def first_start(folder: Path, browser: Browser, _url: str, _token: str) -> list[float]:
    """A new server on a new data folder: from the moment it printed the dashboard's address until the
    page signed in with the admin token (the Demo project picked), until the start-up's ``grapetree``
    layout job finished (its record), from the click on the Tree tab (made once both are done) until
    the demo tree reached the page and until drawn, and from the address printed until drawn."""
    run_folder = Path(tempfile.mkdtemp(prefix="first-start-", dir=folder))
    log = run_folder / "server.log"
    with ThreadPoolExecutor(1) as pool:
        printed = pool.submit(printed_at, log, DASHBOARD_LINE)
        server = LiveServer(run_folder / "data", log)
        try:
            shown = printed.result()
            token = server.token()
            context = browser.new_context(base_url=server.url)
            try:
                page = context.new_page()
                page.add_init_script(PAGE_HELPERS)
                open_dashboard(page)
                sign_in(page, token)
                expect(selected_project(page)).to_have_text("Demo (public)")
                signed = time.time()
                finished = demo_layout_finished(Client(server.url, token))
                page.evaluate("key => pdBench.watch(key)", GLYPH_TREE)
                tab(page, "Tree").click()
                drawn = float(until(page, f"pdBench.drawn({GLYPH_TREE!r})"))
                expect(page.get_by_role("heading", name=DEMO_TITLE)).to_be_visible()
                times = page.evaluate(
                    "() => [pdBench.times.open, pdBench.times.arrived, performance.timeOrigin]")
            finally:
                context.close()
        except Exception:
            print(f"the first start's server log ends with:\n{log.read_text()[-3000:]}", file=sys.stderr)
            raise
        finally:
            server.stop()
    clicked, arrived, origin = times
    return [(signed - shown) * 1000, (finished - shown) * 1000, arrived - clicked, drawn - clicked,
            origin + drawn - shown * 1000]


def first_start_measurement(folder: Path) -> Measurement:
    """The first start's measurement; each run starts a server of its own in a new folder below ``folder``."""
    label = "first start (new data folder)"
    return Measurement((Stage(f"{label}: address printed until signed in (Demo project picked)"),
                        Stage(f"{label}: address printed until the demo's {DEMO_LAYOUT} layout job finished"),
                        Stage(f"{label}: Tree tab click until the demo tree reaches the page"),
                        Stage(f"{label}: Tree tab click until the demo tree is drawn"),
                        Stage(f"{label}: address printed until the demo tree is drawn", FIRST_START_MS)),
                       partial(first_start, folder))


# --------------------------------------------------------------------------------------------
# The trees


@dataclass(frozen=True)
class Points:
    """The nodes of a layout: data coordinates and isolates of every profile."""

    x: np.ndarray
    y: np.ndarray
    isolates: np.ndarray


@dataclass(frozen=True)
class Tree:
    """A tree set up through the API: its data's label, the radial layout job that opens it, and the
    layout's nodes."""

    label: str
    job: str
    judged: bool
    points: Points


def until(page: Page, condition: str, timeout_ms: float = TREE_WAIT_MS) -> object:
    """Wait until the JavaScript expression ``condition`` is truthy (tested at every animation frame);
    its value."""
    return page.wait_for_function(f"() => {condition}", timeout=timeout_ms).json_value()


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


def changed(page: Page, key: str, event: str, act: Callable[[], None]) -> tuple[float, float, float]:
    """Once the figure ``key`` has settled, ``act`` (a change the server answers by changing the figure)
    and wait until the figure is repainted with the answer; the page's times (ms) of the input event
    ``event`` (see ``watchChange`` in ``PAGE_HELPERS``), of the answer reaching the page and of the
    repaint."""
    page.evaluate("key => pdBench.settle(key)", key)
    page.evaluate("([key, event]) => pdBench.watchChange(key, event)", [key, event])
    act()
    try:
        repainted = float(until(page, f"pdBench.answered({key!r})", CHANGE_WAIT_MS))
    except PlaywrightTimeout:
        repainted = math.inf
    started, arrived = page.evaluate("() => [pdBench.change.input, pdBench.change.arrived ?? Infinity]")
    return started, arrived, repainted


def table_shown(page: Page) -> float:
    """The page's time (ms) at which the table watched (``watchTable``) showed new rows; infinite when it
    did not within :data:`CHANGE_WAIT_MS`."""
    try:
        return float(until(page, "pdBench.table.shown", CHANGE_WAIT_MS))
    except PlaywrightTimeout:
        return math.inf


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


def box_holding(page: Page, key: str, points: Points, wanted: int) -> tuple[float, float, float, float]:
    """The smallest square (left, top, right, bottom; viewport pixels) around the centre of the visible
    part of figure ``key``'s frame that holds nodes of at least ``wanted`` isolates, kept inside it."""
    x0, dx, y0, dy = page.evaluate("key => pdBench.scale(key)", key)
    left, top, right, bottom = page.evaluate("key => pdBench.visible(key)", key)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    reach = np.maximum(np.abs(x0 + dx * points.x - cx), np.abs(y0 + dy * points.y - cy))
    order = np.argsort(reach)
    enough = int(np.searchsorted(np.cumsum(points.isolates[order]), wanted))
    half = min(float(reach[order[min(enough, len(order) - 1)]]) + 1, (right - left) / 2 - 2,
               (bottom - top) / 2 - 2)
    return cx - half, cy - half, cx + half, cy + half


def selected_note(page: Page, tree: Tree, notes: list[str]) -> None:
    """Note what the box select took, as the selection message says (its first run's)."""
    if not any(note.startswith(f"{tree.label}: the box select took") for note in notes):
        text = tree_control(page, "selection-message").inner_text().strip()
        note_once(notes, f"{tree.label}: the box select took {text} (first run)")


def drawn_zoomed_panned(tree: Tree, page: Page, token: str) -> list[float]:
    """The glyph tree: from the press on Open until it reached the page and until drawn; from a turn of
    the wheel, then from a press and drag, until the first repaint at the new view (with WebGL, Bokeh
    draws every glyph while interacting too); the sum of drawn, zoom and pan."""
    opened, arrived, drawn = open_tree(page, token, tree, GLYPH_TREE)
    zoom = answer(page, GLYPH_TREE, partial(wheel_zoom, page), "moved")
    pan = answer(page, GLYPH_TREE, partial(drag_pan, page), "moved")
    answers = [zoom["moved"] - zoom["input"], pan["moved"] - pan["input"]]
    return [arrived - opened, drawn - opened, *answers, drawn - opened + sum(answers)]


def tree_changes(tree: Tree, wanted: int, notes: list[str], page: Page, token: str) -> list[float]:
    """The glyph tree, drawn: from picking a colour-by column, from the end of a box select of about
    ``wanted`` isolates, and from typing 1 into the collapse box, until the answer reaches the page and
    until it is repainted (after the box select also until the isolate table shows its isolates)."""
    open_tree(page, token, tree, GLYPH_TREE)
    colour = changed(page, GLYPH_TREE, "input",
                     partial(page.locator(".pd-tree-colour-by select").select_option, COLOUR_BY))
    page.evaluate("key => pdBench.settle(key)", GLYPH_TREE)
    box = box_holding(page, GLYPH_TREE, tree.points, wanted)
    page.evaluate("([key, type]) => pdBench.activate(key, type)", [GLYPH_TREE, "BoxSelectTool"])
    page.evaluate("([cls, column]) => pdBench.watchTable(cls, column)", ["pd-tree-isolates", ISOLATE_ID])
    select = changed(page, GLYPH_TREE, "pointerup", partial(drag, page, box[:2], box[2:]))
    shown = table_shown(page)
    selected_note(page, tree, notes)
    collapse = changed(page, GLYPH_TREE, "input", partial(set_number, page, "collapse", 1))
    since = [moment - start for start, *moments in (colour, select, collapse) for moment in moments]
    return [*since[:4], shown - select[0], *since[4:]]


def overview_refined(tree: Tree, page: Page, token: str) -> list[float]:
    """The overview: from the press on Open until it reached the page and until drawn; from a turn of
    the wheel until the first repaint at the new view (the old raster stretched), and until the
    overview, rasterized again by the server for the new view, was repainted."""
    opened, arrived, drawn = open_tree(page, token, tree, OVERVIEW)
    zoom = answer(page, OVERVIEW, partial(wheel_zoom, page), "refined")
    return [arrived - opened, drawn - opened, zoom["moved"] - zoom["input"], zoom["refined"] - zoom["input"]]


def overview_selected(tree: Tree, wanted: int, notes: list[str], page: Page, token: str) -> list[float]:
    """The overview, drawn: from the end of a box select of about ``wanted`` isolates until the isolate
    table shows them, until the overview's answer reaches the page and until it is drawn again."""
    open_tree(page, token, tree, OVERVIEW)
    page.evaluate("key => pdBench.settle(key)", OVERVIEW)
    box = box_holding(page, OVERVIEW, tree.points, wanted)
    page.evaluate("([key, type]) => pdBench.activate(key, type)", [OVERVIEW, "BoxSelectTool"])
    page.evaluate("([cls, column]) => pdBench.watchTable(cls, column)", ["pd-tree-isolates", ISOLATE_ID])
    started, arrived, repainted = changed(page, OVERVIEW, "pointerup", partial(drag, page, box[:2], box[2:]))
    shown = table_shown(page)
    selected_note(page, tree, notes)
    return [shown - started, arrived - started, repainted - started]


def succeeded(client: Client, project: str, job: str) -> dict[str, Any]:
    """Wait for ``job``; its record, RuntimeError unless it succeeded."""
    finished = poll_job(lambda: client.json("GET", f"/projects/{project}/jobs/{job}"), timeout=SET_UP_WAIT_S)
    if finished["status"] != "succeeded":
        raise RuntimeError(f"the set-up job did not succeed: {finished}")
    return finished


def layout_points(client: Client, project: str, dataset: str, inference: str, layout: str,
                  isolates: Counter[str]) -> Points:
    """The nodes of the stored layout where the dashboard draws them (a radial forest's trees packed side
    by side), with each profile's isolates (``isolates``: per profile id)."""
    found = client.json("GET", f"/projects/{project}/datasets/{dataset}/inferences/{inference}/"
                               f"visualizations/{layout}")["coordinates"]
    x, y = (np.array([node[axis] for node in found], dtype=float) for axis in ("x", "y"))
    component = np.array([node["component"] for node in found])
    if len(np.unique(component)) > 1:  # drawn with the forest's trees packed side by side
        x, y = pack(x, y, component)
    return Points(x, y, np.array([isolates[str(node["profile_id"])] for node in found], dtype=float))


@dataclass(frozen=True)
class SetUp:
    """A tree set up: the Tree, and the ids of its project, dataset and goeBURST tree."""

    tree: Tree
    project: str
    dataset: str
    inference: str


def set_up_tree(client: Client, project: str, table: Table, notes: list[str]) -> SetUp:
    """Upload ``table`` with its isolates, run goeBURST (lvs 3) and a radial layout of its tree, one after
    the other."""
    created, upload_seconds = upload(client, project, table)
    start = time.perf_counter()
    inference = client.submit(project, "goeburst", created["id"], 3)
    succeeded(client, project, inference["job_id"])
    inferred = time.perf_counter()
    layout = client.submit(project, "radial", created["id"], inference["analysis_id"])
    succeeded(client, project, layout["job_id"])
    counts = Counter(line.split("\t", 2)[1] for line in table.isolates.read_text().splitlines()[1:])
    label = f"{table.label} ({created['profiles']:,} profiles, {counts.total():,} isolates)"
    notes.append(f"set-up {label}: upload {upload_seconds:.1f} s, goeBURST lvs 3 {inferred - start:.1f} s, "
                 f"radial layout {time.perf_counter() - inferred:.1f} s (job submitted until seen done)")
    print(f"... {notes[-1]}", flush=True)
    points = layout_points(client, project, created["id"], inference["analysis_id"], layout["analysis_id"],
                           counts)
    return SetUp(Tree(label, layout["job_id"], table.judged, points), project, created["id"],
                 inference["analysis_id"])


def grapetree_row(client: Client, drawn: SetUp) -> Row:
    """The static ``grapetree`` layout of the drawn tree as one job: its record's started until finished."""
    job = client.submit(drawn.project, "grapetree", drawn.dataset, drawn.inference)
    record = succeeded(client, drawn.project, job["job_id"])
    ms = (epoch(record["finished"]) - epoch(record["started"])) * 1000
    print(f"... {DEMO_LAYOUT} layout of {drawn.tree.label}: {ms:.0f} ms", flush=True)
    return Row(f"{drawn.tree.label}: static {DEMO_LAYOUT} layout on the server (one job: started until "
               "finished, from its record)", f"{ms:.0f} ms", f"< {GRAPETREE_MS / 1000:g} s",
               verdict(ms < GRAPETREE_MS, drawn.tree.judged))


def synthetic_table(folder: Path, n: int, judged: bool) -> Table:
    """A synthetic MLST table of ``n`` profiles (:func:`synthetic.mlst_file`), written into ``folder``."""
    return Table(f"synthetic MLST {n:,}", synthetic.mlst_file(folder / f"mlst_{n}.tsv", n=n), judged)


def with_isolates(table: Table, folder: Path) -> Table:
    """``table`` with :data:`ISOLATES_PER_PROFILE` synthetic isolates a profile of its profiles
    (:func:`synthetic.isolates_file`), written into ``folder``."""
    ids = [line.split("\t", 1)[0] for line in table.path.read_text().splitlines()[1:] if line.strip()]
    path = synthetic.isolates_file(folder / f"{table.path.stem}_isolates.tsv", ids,
                                   n=ISOLATES_PER_PROFILE * len(ids))
    return replace(table, isolates=path)


def tree_tables(folder: Path, sizes: Sizes, notes: list[str]) -> tuple[Table, Table]:
    """The table drawn as glyphs (../shared's, else synthetic) and the synthetic one drawn as an overview,
    each with synthetic isolates (../shared has no isolates for the PhyloDB tables)."""
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
    notes.append(f"both trees' datasets have {ISOLATES_PER_PROFILE} synthetic isolates a profile "
                 f"(bench/synthetic.py: {', '.join(synthetic.ISOLATE_VALUES)}), coloured by {COLOUR_BY}")
    return with_isolates(drawn, folder), with_isolates(overview, folder)


def tree_measurements(client: Client, folder: Path, sizes: Sizes,
                      notes: list[str]) -> tuple[list[Measurement], list[Row]]:
    """Set both trees up through the API in a new private project; their measurements, and the row of the
    drawn tree's ``grapetree`` layout (timed at once)."""
    drawn_table, overview_table = tree_tables(folder, sizes, notes)
    project = client.json("POST", "/projects", {"name": PROJECT, "description": "bench_dashboard.py",
                                                "visibility": "private", "users": []}, expect=201)["id"]
    drawn_set_up = set_up_tree(client, project, drawn_table, notes)
    grapetree = grapetree_row(client, drawn_set_up)
    drawn, overview = drawn_set_up.tree, set_up_tree(client, project, overview_table, notes).tree
    box = f"box select of about {sizes.drawn_selected:,} isolates"
    return [
        Measurement((Stage(f"{drawn.label}: Open until the figure reaches the page"),
                     Stage(f"{drawn.label}: Open until drawn"),
                     Stage(f"{drawn.label}: wheel zoom until repainted"),
                     Stage(f"{drawn.label}: drag pan until repainted"),
                     Stage(f"{drawn.label}: drawn + zoom + pan (the three above)", 3000, drawn.judged)),
                    on_page(partial(drawn_zoomed_panned, drawn))),
        Measurement((Stage(f"{drawn.label}: colour by {COLOUR_BY} until the change reaches the page"),
                     Stage(f"{drawn.label}: colour by {COLOUR_BY} until repainted", CHANGE_MS, drawn.judged),
                     Stage(f"{drawn.label}: {box} until the change reaches the page"),
                     Stage(f"{drawn.label}: {box} until repainted", CHANGE_MS, drawn.judged),
                     Stage(f"{drawn.label}: {box} until the isolate table shows them"),
                     Stage(f"{drawn.label}: collapse set to 1 until the change reaches the page"),
                     Stage(f"{drawn.label}: collapse set to 1 until repainted", CHANGE_MS, drawn.judged)),
                    on_page(partial(tree_changes, drawn, sizes.drawn_selected, notes))),
        Measurement((Stage(f"{overview.label}: Open until the overview reaches the page"),
                     Stage(f"{overview.label}: Open until the overview is drawn", 10_000, overview.judged),
                     Stage(f"{overview.label}: wheel zoom until repainted (old raster)"),
                     Stage(f"{overview.label}: wheel zoom until re-rasterized and repainted")),
                    on_page(partial(overview_refined, overview))),
        Measurement((Stage(f"{overview.label}: box select of about {sizes.overview_selected:,} isolates "
                           "until the isolate table shows them", CHANGE_MS, overview.judged),
                     Stage(f"{overview.label}: the box select until the overview's change reaches the page"),
                     Stage(f"{overview.label}: the box select until the overview is drawn again")),
                    on_page(partial(overview_selected, overview, sizes.overview_selected, notes))),
    ], [grapetree]


# --------------------------------------------------------------------------------------------
# Runs and report


def run(browser: Browser, url: str, token: str, measurement: Measurement, repeat: int) -> list[Row]:
    """``repeat`` runs of ``measurement``: one table row per stage."""
    runs = [measurement.measure(browser, url, token) for _ in range(repeat)]
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


def measure_all(browser: Browser, folder: Path, sizes: Sizes, repeat: int, notes: list[str]) -> list[Row]:
    """The first starts (each its own server), then the shared server started, the trees set up and every
    other measurement run on it; the rows."""
    rows = run(browser, "", "", first_start_measurement(folder), repeat)
    notes.append("first start: each run a new server on a new data folder; the time starts when the server "
                 "printed the dashboard's address (its log, polled every 5 ms); numba's cache was warm (the "
                 "kernels were compiled before on this machine), as on any start after the first install")
    start = time.perf_counter()
    server = LiveServer(folder / "data", folder / "server.log")
    try:
        notes.append(f"server ready in {time.perf_counter() - start:.1f} s (first start: admin and demo)")
        client = Client(server.url, server.token())
        measurements, set_up_rows = tree_measurements(client, folder, sizes, notes)
        notes.append(f"a change not answered within {CHANGE_WAIT_MS / 1000:g} s counts as inf ms")
        notes.append(f"load average after the set-up: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return [*rows, *set_up_rows, *(row for found in [*MEASUREMENTS, *measurements]
                                      for row in run(browser, server.url, server.token(), found, repeat))]
    except Exception:
        print(f"the server's log ends with:\n{server.log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Start the browser, time the first starts, start the server, set the trees up, run every other
    measurement, print the table; returns the exit status."""
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
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options(chromium))
            notes.append(f"{chromium}: Chromium {browser.version}, playwright {version('playwright')}")
            try:
                rows = measure_all(browser, folder, sizes, repeat, notes)
            finally:
                browser.close()
    finally:
        release(None, folder, keep=args.keep)

    print_report(rows, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
