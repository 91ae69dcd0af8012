"""Files of the tree view: PNG / SVG pictures of the figure with its legend, and file names (the tree
files are those of :data:`engine.io.formats.TREE_FORMATS`, written by the engine).

Pictures are rendered by Bokeh in Debian's headless Chromium through Selenium (``/usr/bin/chromium``
and ``/usr/bin/chromedriver``, packages ``chromium chromium-driver``). Each export starts its own
browser and quits it (a shared one would outlive a server stopped by a signal); exports run one at a
time, and they block, so call them in a thread.
"""

from __future__ import annotations

import io
import re
import shutil
import threading
from collections.abc import Callable
from typing import Any

from bokeh.io.export import get_screenshot_as_png, get_svgs
from bokeh.models import (
    ColorBar,
    ColumnDataSource,
    Legend,
    LegendItem,
    Line,
    LinearColorMapper,
    Plot,
    Scatter,
)

from dashboard.tree.colours import NodeColours

#: SVG pictures are offered up to this many nodes (one SVG element per glyph: 10k nodes is about 5 MB).
SVG_MAX_NODES = 10_000
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-dev-shm-usage", "--hide-scrollbars")
NO_CHROMIUM = ("PNG and SVG export need Chromium: install Debian's `chromium` and `chromium-driver` "
               "(`sudo apt-get install chromium chromium-driver`) and the `selenium` package.")

_lock = threading.Lock()


class ExportError(RuntimeError):
    """A picture could not be made; the message says why in plain words."""


def file_stem(title: str) -> str:
    """A file name stem from a title: word characters and ``.-`` kept, others as ``_``, ``tree`` if empty."""
    return re.sub(r"[^\w.-]+", "_", title).strip("_.")[:80] or "tree"


def add_legend(plot: Plot, colours: NodeColours, *, title: str = "", hidden: tuple[str, ...] = (),
               rules: list[tuple[str, str]] | None = None, shortened: bool = False) -> Plot:
    """Put the legend of what ``plot`` shows beside it (right), for a picture that stands on its own.

    The node colours (each shown category with its isolates; hidden ones left out), or the colour bar of
    a numeric colouring; the edge rules when edges are coloured by rule (``rules``: colour, label); the
    dashed line of shortened branches; ``title`` above the plot. Returns ``plot``.
    """
    items: list[LegendItem] = []

    def swatch(label: str, glyph: Scatter | Line) -> None:
        renderer = plot.add_glyph(ColumnDataSource({"x": [], "y": []}), glyph)
        items.append(LegendItem(label=label, renderers=[renderer]))

    for entry in colours.legend:
        if entry.label not in hidden:
            swatch(f"{entry.label} ({entry.isolates:,})",
                   Scatter(x="x", y="y", size=11, fill_color=entry.colour, line_color="#404040",
                           line_width=0.5))
    for colour, label in rules or []:
        swatch(label, Line(x="x", y="y", line_color=colour, line_width=3))
    if shortened:
        swatch("shortened branch (its length written)",
               Line(x="x", y="y", line_color="#7a7a7a", line_width=2, line_dash="dashed"))
    if items:
        legend = Legend(items=items, title=colours.title or None, location="top_left",
                        label_text_font_size="10pt", title_text_font_style="bold", glyph_width=16,
                        border_line_alpha=0.0)
        plot.add_layout(legend, "right")
    if colours.scale is not None:
        scale = colours.scale
        mapper = LinearColorMapper(palette=scale.colours, low=scale.low, high=scale.high)
        plot.add_layout(ColorBar(color_mapper=mapper, title=colours.title, width=14,
                                 title_text_font_style="bold"), "right")
    if title:
        plot.title.text = title
        plot.title.text_font_size = "13pt"
    return plot


def missing_browser() -> str | None:
    """Why pictures cannot be exported here (:data:`NO_CHROMIUM`), or None when Chromium is available."""
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        return NO_CHROMIUM
    try:
        import selenium  # noqa: F401
    except ImportError:
        return NO_CHROMIUM
    return None


def _webdriver() -> Any:
    """A new headless Chromium driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


def _with_browser(render: Callable[[Any], bytes]) -> bytes:
    """Run ``render(driver)`` in a browser of its own, one export at a time; failures become ExportError."""
    reason = missing_browser()
    if reason:
        raise ExportError(reason)
    with _lock:
        try:
            driver = _webdriver()
        except Exception as error:
            raise ExportError(f"Chromium could not be started: {error}") from error
        try:
            return render(driver)
        except Exception as error:
            raise ExportError(f"the picture could not be rendered: {error}") from error
        finally:
            driver.quit()


def png(plot: Plot) -> bytes:
    """The figure ``plot`` (not attached to a live page) as PNG bytes; raises ExportError when it cannot."""

    def render(driver: Any) -> bytes:
        buffer = io.BytesIO()
        get_screenshot_as_png(plot, driver=driver, timeout=60).save(buffer, format="png")
        return buffer.getvalue()

    return _with_browser(render)


def svg(plot: Plot) -> bytes:
    """The figure ``plot`` (``output_backend="svg"``) as SVG bytes; raises ExportError when it cannot."""
    return _with_browser(lambda driver: get_svgs(plot, driver=driver, timeout=60)[0].encode("utf-8"))
