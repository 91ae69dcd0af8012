"""Work functions and helpers the runner tests share (importable by spawned and Dask workers)."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from engine.errors import PhyloDashError
from engine.models import CancelCheck
from engine.progress import check_cancel
from engine.storage.records import JobRecord
from engine.storage.store import TinyDBStore

#: What this module did in the process that imported it: warmed up (``warm``), memory kept by jobs.
STATE: dict[str, Any] = {"warmed": False, "steps": 0, "kept": []}


def job(job_id: str, **options: Any) -> JobRecord:
    """A job for the work below: its options say what to do (``n``, ``seconds``, ``fail``, ``crash``,
    ``allocate`` and ``keep``)."""
    return JobRecord(id=job_id, options=options)


def double(record: JobRecord, progress: Callable[[float], None],
           cancel: CancelCheck | None) -> dict[str, Any]:
    """Work: sleep ``seconds`` in 0.1 s steps, reporting progress and checking ``cancel``; return 2 ``n``,
    the process id and whether :func:`warm` ran in this process.

    ``allocate`` (MB) takes that much address space for the job's time, ``keep`` (MB) for good.
    """
    options = record.options
    steps = max(10, math.ceil(options.get("seconds", 0.0) * 10))
    for step in range(steps):
        check_cancel(cancel)
        time.sleep(options.get("seconds", 0.0) / steps)
        progress((step + 1) / steps)
    if options.get("fail"):
        raise PhyloDashError("the dataset has fewer than 2 profiles")
    if options.get("crash"):
        os._exit(3)
    if options.get("allocate"):
        bytearray(options["allocate"] * 2**20)
    if options.get("keep"):
        STATE["kept"].append(bytearray(options["keep"] * 2**20))
    return {"value": 2 * options.get("n", 0), "pid": os.getpid(), "warmed": STATE["warmed"],
            "steps": STATE["steps"]}


def warm() -> None:
    """A warm-up: note in this process that it ran."""
    STATE["warmed"] = True


def slow_warm() -> Iterator[int]:
    """A warm-up in three steps of 0.5 s, counted in ``STATE["steps"]``."""
    for step in range(3):
        time.sleep(0.5)
        STATE["steps"] = step + 1
        yield step


def die() -> None:
    """A warm-up that kills its process, as a broken installation would."""
    os._exit(5)


def stubborn(record: JobRecord, progress: Callable[[float], None],
             cancel: CancelCheck | None) -> dict[str, int]:
    """Work that never looks at ``cancel``: :func:`double` without it."""
    return double(record, progress, None)


def hungry(record: JobRecord, progress: Callable[[float], None], cancel: object) -> int:
    """Work that asks for 2 GiB at once."""
    import numpy as np

    return int(np.ones(2**28).sum())


def silent(record: JobRecord, progress: Callable[[float], None], cancel: object) -> None:
    """Work that runs for ten minutes without a word to its server (no progress message)."""
    time.sleep(600)


class Results:
    """The ``finish`` callback: keeps each job's result by job id (the service would store it)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.lock = threading.Lock()

    def __call__(self, job: JobRecord, result: Any) -> None:
        with self.lock:
            self.values[job.id] = result


def wait_for(store: TinyDBStore, job_id: str, statuses: tuple[str, ...], timeout: float = 60) -> JobRecord:
    """The job's record once its status is one of ``statuses``; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = store.get(JobRecord, job_id)
        if found.status in statuses:
            return found
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {store.get(JobRecord, job_id).status} after {timeout} s")
