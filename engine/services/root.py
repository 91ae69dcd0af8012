"""The composition root: one store, its accounts, catalog, analyses and job runner, per process.

The REST API and the dashboard use the same :func:`shared_service` in the server process, so
they see the same data and the same running jobs, and never call each other over HTTP.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.allocator import TRIM_EVERY_S, keep_heap_compact, trim_every
from engine.errors import PhyloDashError
from engine.io.datasets import open_dataset
from engine.jobs.runner import JobRunner
from engine.models import Dataset
from engine.services.accounts import Accounts
from engine.services.analyses import Analyses, warm_up
from engine.services.catalog import PUBLIC, Catalog
from engine.services.demo_tree import start_demo_tree
from engine.services.settings import Settings
from engine.services.throttle import SignInThrottle
from engine.storage.records import JobRecord, UserRecord
from engine.storage.store import Store, TinyDBStore

DEMO_FOLDER = Path(__file__).resolve().parents[2] / "assets" / "demo"
FIRST_ADMIN = "admin@localhost"


class Service:
    """Everything the API and the dashboard call, built from :class:`~engine.services.settings.Settings`."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store if store is not None else TinyDBStore(settings.data)
        self.accounts = Accounts(self.store)
        self.catalog = Catalog(self.store, inflate_limit=settings.inflate_limit)
        self.sign_ins = SignInThrottle(limit=settings.sign_in_failures)
        self.analyses = Analyses(self.store, self.catalog, self._make_runner,
                                 max_queued=settings.max_queued_jobs,
                                 results_in_worker=not settings.dask_scheduler)

    def _make_runner(self, work: Callable[..., Any], finish: Callable[[JobRecord, Any], None]) -> Any:
        if self.settings.dask_scheduler:
            from engine.jobs.dask import DaskJobRunner

            return DaskJobRunner(self.store, work, finish, scheduler=self.settings.dask_scheduler,
                                 split_above=self.settings.dask_split_above)
        return JobRunner(self.store, work, finish, workers=self.settings.workers,
                         memory_limit=self.settings.job_memory_limit, warm_up=warm_up)

    @property
    def runner(self) -> Any:
        """The job runner (local processes, or a Dask cluster)."""
        return self.analyses.runner

    def start(self) -> list[str]:
        """Start running jobs; on the first start (no users yet) set up the admin and the demo project,
        whose goeBURST tree and its ``grapetree`` layout are then computed by two jobs
        (:func:`~engine.services.demo_tree.start_demo_tree`, unless ``settings.demo_tree`` is off); on
        every start the workers warm the algorithms' kernels while they wait for jobs.

        Returns the lines to show the person who started the server (empty after the first start).
        """
        greeting, demo = self._first_start() if not self.accounts.all() else ([], None)
        self.runner.start()
        if demo is not None and self.settings.demo_tree:
            start_demo_tree(self.analyses, *demo)
        return greeting

    def stop(self) -> None:
        """Stop the runner; jobs still running are recovered as failed on the next start."""
        self.runner.stop()

    def _first_start(self) -> tuple[list[str], tuple[UserRecord, str, str] | None]:
        """The greeting, and the demo's owner, project and dataset (None when the demo was not loaded)."""
        try:  # read before anything is created: the admin and its token must come out of this start
            demo: Dataset | None = open_dataset(DEMO_FOLDER / "profiles.tsv", DEMO_FOLDER / "isolates.tsv")
            loaded = "and a public Demo project with a demo dataset" + (
                "; its goeBURST tree and its layout are being computed."
                if self.settings.demo_tree else ".")
        except PhyloDashError as error:
            demo, loaded = None, f"(the demo dataset was not loaded: {error})."
        admin, token = self.accounts.add(FIRST_ADMIN, admin=True)
        stored = None
        if demo is not None:
            project = self.catalog.create_project(admin, {
                "name": "Demo", "visibility": PUBLIC,
                "description": "A small synthetic MLST dataset (260 STs, 570 isolates) to try PhyloDash on."})
            dataset = self.catalog.store_dataset(project.id, demo, name="Demo MLST", description=(
                "Synthetic clonal MLST profiles with country, year and source."))
            stored = (admin, project.id, dataset.id)
        return [
            f"PhyloDash: first start in {self.settings.data}; created the admin user {FIRST_ADMIN}",
            loaded,
            f"Dashboard: {self.settings.dashboard_url}",
            f"API token of {FIRST_ADMIN} (shown only now; `python -m api users token {FIRST_ADMIN}` makes "
            "a new one):",
            token,
        ], stored


_shared: Service | None = None
_greeting: list[str] | None = None  # the start's greeting, until an ``on_start`` took it
_shared_lock = threading.Lock()


def shared_service(on_start: Callable[[list[str]], None] | None = None) -> Service:
    """The process-wide service built from the environment, started on the first call.

    The first call that passes ``on_start`` hands it the start's greeting (see
    :meth:`Service.start`), whether that call or an earlier one (``panel serve --warm`` runs the
    dashboard's script before the plugin is loaded) started the service. The runner is stopped when
    the process exits. The process, a server that runs for weeks, keeps its heap compact
    (:func:`~engine.allocator.keep_heap_compact`) and gives its free pages back every minute.
    """
    global _shared, _greeting
    with _shared_lock:
        if _shared is None:
            keep_heap_compact()
            trim_every(TRIM_EVERY_S)
            service = Service(Settings.from_environment())
            _greeting = service.start()
            atexit.register(service.stop)
            _shared = service
        if on_start is not None and _greeting is not None:
            on_start(_greeting)
            _greeting = None
        return _shared
