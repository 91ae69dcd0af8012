"""Files of the tree view: PNG / SVG pictures of the figure and file names (the tree files are those of
:data:`engine.io.formats.TREE_FORMATS`, written by the engine).

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
from bokeh.models import Plot

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
