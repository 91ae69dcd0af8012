"""Shared fixtures: the read-only shared data and reference outputs next to the project, and what the
browser tests (tests/test_browser.py) run on: Debian's Chromium, a live server and screenshots."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import MISSING_CHROMIUM, Shots, chromium_path, launch_options
from live_server import LiveServer

# Seconds Tornado's test cases wait for one request (AsyncHTTPTestCase.fetch reads this variable, not the
# case's get_async_test_timeout) and for a gen_test: its 5 s default is short for a request that meets a
# cold kernel on 2 cores busy with job workers starting.
os.environ.setdefault("ASYNC_TEST_TIMEOUT", "60")

#: ``../shared`` seen from the project root (``tests/`` is one level below it).
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _shared_folder(name: str) -> Path:
    folder = SHARED / name
    if not folder.is_dir():
        pytest.skip(f"../shared is absent: {folder} holds the real datasets these tests read "
                    "(check out the shared folder next to the project to run them)")
    return folder


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the real typing data (see its README); skips the test when absent."""
    return _shared_folder("data")


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """``../shared/reference``: trees of the established tools; skips the test when absent."""
    return _shared_folder("reference")


# --- browser tests ------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests after all the others (a stable sort: each group keeps its order).

    pytest-playwright's session-scoped ``playwright`` fixture keeps its asyncio loop marked as running
    in the main thread until the session ends: any ``asyncio.run()`` after the first browser test
    fails with "asyncio.run() cannot be called from a running event loop".
    """
    items.sort(key=lambda item: "playwright" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of Debian's chromium; skips the test when it is not installed."""
    path = chromium_path()
    if path is None:
        pytest.skip(MISSING_CHROMIUM)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], chromium_executable: str
) -> dict[str, Any]:
    """pytest-playwright's launch options (``--headed``, ``--slowmo``) with Debian's chromium and flags."""
    return {**browser_type_launch_args, **launch_options(chromium_executable)}


@pytest.fixture(scope="session")
def dashboard_server(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``make serve`` on a free port and a new data folder, shared by the browser tests.

    It asks for chromium first, so without a browser the tests skip before a server starts.
    """
    folder = tmp_path_factory.mktemp("dashboard")
    served = LiveServer(folder / "data", folder / "server.log")
    yield served
    served.stop()


@pytest.fixture(scope="session")
def base_url(dashboard_server: LiveServer) -> str:
    """The dashboard server's root: pytest-playwright gives it to every browser context (``goto("/app")``).

    This replaces pytest-playwright's own ``base_url`` (its ``--base-url`` option), a session-scoped
    instance-method fixture that pytest 9.2 warns about; nothing else in the suite has that name.
    """
    return dashboard_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A laptop-sized window (pytest-playwright's default is 1280 x 720)."""
    return {**browser_context_args, "viewport": {"width": 1600, "height": 1000}}


@pytest.fixture(scope="session")
def admin_token(dashboard_server: LiveServer) -> str:
    """The admin's API token, which the dashboard server printed at its first start."""
    return dashboard_server.token()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """``shots(page, "step")`` saves ``tests/screenshots/<test>-<nn>-<step>.png``."""
    return Shots(request.node.name)
