"""Browser tests' helpers: Debian's Chromium for Playwright, screenshots, and the page's locators.

Playwright cannot download its own browsers here, so it drives Debian's ``chromium`` (``make
browser`` installs it). Panel renders inside shadow DOM: find things with Playwright locators
(they pierce open shadow roots), never ``inner_text()`` of the body, which comes back empty.

Everything that knows the dashboard's layout (labels, button names, table cells) is one small
function below, so a change of the page is mended here rather than in every test.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
#: Without the background-networking flags Chromium keeps trying to reach Google's hosts, which
#: this machine's closed network refuses; as root it needs ``--no-sandbox``.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING_CHROMIUM = ("chromium is not installed: `make browser` installs Debian's chromium and "
                    "chromium-driver (as root), or run `sudo apt-get install chromium chromium-driver`")
#: Playwright's 5 s default is short for a Panel page on a busy 2-core machine.
WAIT_MS = 30_000
#: The first page of a new server: its session is built while the server also warms its workers.
PAGE_LOAD_MS = 120_000

expect.set_options(timeout=WAIT_MS)


def chromium_path() -> str | None:
    """The ``chromium`` executable on PATH (Debian's /usr/bin/chromium), or None."""
    return shutil.which("chromium")


def launch_options(executable: str) -> dict[str, Any]:
    """Keyword arguments of ``BrowserType.launch`` for Chromium at ``executable``, headless.

    Playwright gives every launch a new empty profile (``--user-data-dir``) of its own.
    """
    return {"executable_path": executable, "args": CHROMIUM_ARGS}


class Shots:
    """Screenshots of one test: ``tests/screenshots/<test>-<nn>-<step>.png``, numbered in order."""

    def __init__(self, test_name: str) -> None:
        self.prefix = re.sub(r"[^\w.-]+", "-", test_name).strip("-")
        self.taken: list[Path] = []
        SCREENSHOTS.mkdir(exist_ok=True)
        for old in SCREENSHOTS.glob(f"{self.prefix}-*.png"):
            old.unlink()

    def __call__(self, page: Page, step: str) -> Path:
        """Save the whole page as the next screenshot, named after ``step``; its path."""
        path = SCREENSHOTS / f"{self.prefix}-{len(self.taken) + 1:02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        return path


# --- the page: one function per thing a test looks for ----------------------------------------


def token_field(page: Page) -> Locator:
    """The sign-in form's token input."""
    return page.get_by_label("API token")


def sign_in_button(page: Page) -> Locator:
    """The sign-in form's button."""
    return page.get_by_role("button", name="Sign in")


def selected_project(page: Page) -> Locator:
    """The option chosen in the project selector (its text is ``Name (visibility)``)."""
    return page.get_by_label("Project").locator("option:checked")


def project_picker(page: Page) -> Locator:
    """The sidebar's project selector (its options read ``Name (visibility)``)."""
    return page.get_by_label("Project", exact=True)


def tab(page: Page, name: str) -> Locator:
    """The header of the dashboard's tab ``name`` (Data, Jobs, Tree); only the active tab is in the DOM."""
    return page.locator(".bk-tab", has_text=name)


def table_row(page: Page, text: str) -> Locator:
    """The rows of the active tab's tables that contain ``text`` (hidden columns such as ids count)."""
    return page.get_by_role("row").filter(has_text=text)


def table_cell(page: Page, row_text: str, column: str) -> Locator:
    """The ``column`` cell of the table row containing ``row_text``."""
    return table_row(page, row_text).locator(f'[tabulator-field="{column}"]')


def row_button(page: Page, row_text: str, label: str) -> Locator:
    """The button ``label`` (Cancel, Remove, Open) of the table row containing ``row_text``."""
    return table_row(page, row_text).get_by_text(label, exact=True)


# --- steps ---------------------------------------------------------------------------------------


def open_dashboard(page: Page) -> None:
    """Go to the dashboard (``/app`` below the context's ``base_url``) and wait for the sign-in form."""
    page.goto("/app", timeout=PAGE_LOAD_MS)
    expect(sign_in_button(page)).to_be_visible()


def sign_in(page: Page, token: str) -> None:
    """Type ``token`` into the sign-in form and press the button (the result is for the caller to see)."""
    token_field(page).fill(token)
    sign_in_button(page).click()


# --- Bokeh plots: data coordinates to the page's pixels -------------------------------------------

_PLOT_POINT_JS = """
([name, x, y]) => {
  const views = [...Bokeh.index.query((view) => view.model.name === name && view.frame != null)];
  if (!views.length) return null;
  const view = views[0];
  const box = view.canvas_view.el.getBoundingClientRect();
  return [box.left + view.frame.x_scale.compute(x), box.top + view.frame.y_scale.compute(y)];
}
"""


def plot_point(page: Page, figure: str, x: float, y: float) -> tuple[float, float]:
    """Where the data point ``(x, y)`` of the Bokeh figure named ``figure`` is on the page, in pixels,
    once the page has stopped moving (a screenshot or a scroll makes Bokeh lay its plots out again).

    Bokeh keeps its views in ``Bokeh.index``; a figure's frame scales map data to canvas pixels.
    """
    deadline = time.monotonic() + WAIT_MS / 1000
    last = None
    while True:
        page.wait_for_timeout(250)
        found = page.evaluate(_PLOT_POINT_JS, [figure, x, y])
        if found is not None and found == last:
            return float(found[0]), float(found[1])
        assert time.monotonic() < deadline, f"no Bokeh figure named {figure!r} is drawn, or it keeps moving"
        last = found


_SELECTED_JS = """
([name, column]) => {
  const views = [...Bokeh.index.query((view) => view.model.name === name && view.frame != null)];
  const sources = views[0].model.renderers.map((r) => r.data_source).filter((s) => s && s.data[column]);
  return sources.length ? [...sources[0].selected.indices].sort((a, b) => a - b) : null;
}
"""


def selected_indices(page: Page, figure: str, column: str) -> list[int] | None:
    """The selected indices, in the browser, of the first data source of figure ``figure`` that has
    ``column`` (the tree's nodes: ``"isolates"``)."""
    return page.evaluate(_SELECTED_JS, [figure, column])


_DATA_POINT_JS = """
([name, column, index]) => {
  const views = [...Bokeh.index.query((view) => view.model.name === name && view.frame != null)];
  const sources = views[0].model.renderers.map((r) => r.data_source).filter((s) => s && s.data[column]);
  return [sources[0].data.x[index], sources[0].data.y[index]];
}
"""


def data_point(page: Page, figure: str, column: str, index: int) -> tuple[float, float]:
    """The ``x, y`` data of row ``index`` of the first data source of figure ``figure`` that has ``column``
    (a tree node: ``"isolates"``)."""
    found = page.evaluate(_DATA_POINT_JS, [figure, column, index])
    return float(found[0]), float(found[1])


def drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press the mouse at ``start``, move to ``end`` in steps, release (a box select or a brush)."""
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=12)
    page.mouse.up()


#: The drawn tree as the browser has it: every node's id, page position (CSS pixels) and whether it is
#: selected, read from Bokeh's models (dashboard/tree/figure.py names the figure and the nodes' source).
#: The figure is found through its live view: BokehJS may keep the models of a tree drawn before (and
#: replaced since) in the page's document, with the same names.
_TREE_NODES_JS = """([figureName, nodesName]) => {
  const views = [...Bokeh.index.query((view) => view.model.name === figureName && view.frame != null)];
  if (!views.length) return null;
  const view = views[0];
  const nodes = view.model.renderers.map((r) => r.data_source).find((s) => s && s.name === nodesName);
  if (nodes == null) return null;
  const box = view.canvas_view.el.getBoundingClientRect();
  const xs = Array.from(nodes.data.x, (x) => box.left + view.frame.x_scale.compute(x));
  const ys = Array.from(nodes.data.y, (y) => box.top + view.frame.y_scale.compute(y));
  return {ids: Array.from(nodes.data.id), x: xs, y: ys, selected: Array.from(nodes.selected.indices),
          frame: [box.left + view.frame.bbox.left, box.top + view.frame.bbox.top,
                  view.frame.bbox.width, view.frame.bbox.height]};
}"""


def tree_nodes(page: Page) -> dict[str, Any]:
    """The drawn tree's nodes: ``ids``, page positions ``x`` and ``y``, ``selected`` (node indices) and
    the plot's ``frame`` (left, top, width, height) in page pixels."""
    found = page.evaluate(_TREE_NODES_JS, ["tree-figure", "tree-nodes"])
    assert found is not None, "no tree is drawn"
    return found


def tree_control(page: Page, name: str) -> Locator:
    """The tree view's control ``name`` (the attribute of dashboard.tree.view.TreeView, e.g. collapse)."""
    return page.locator(f".pd-tree-{name.replace('_', '-')}")


def set_number(page: Page, name: str, value: float) -> None:
    """Type ``value`` into the tree control ``name``'s number box (a slider's too) and confirm it."""
    box = tree_control(page, name).locator("input").first
    box.fill(str(value))
    box.press("Enter")


def drag_through(page: Page, points: list[tuple[float, float]]) -> None:
    """Press the mouse at the first point, move through the others and release it (a lasso's path)."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()
