"""Work functions and helpers the runner tests share (importable by spawned and Dask workers)."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from engine.errors import PhyloDashError
from engine.models import CancelCheck
from engine.progress import check_cancel
from engine.storage.store import Record, TinyDBStore


def double(record: Record, progress: Callable[[float], None], cancel: CancelCheck | None) -> dict[str, int]:
    """Work: sleep ``seconds`` in 0.1 s steps, reporting progress and checking ``cancel``; return 2 ``n``."""
    steps = max(10, math.ceil(record.get("seconds", 0.0) * 10))
    for step in range(steps):
        check_cancel(cancel)
        time.sleep(record.get("seconds", 0.0) / steps)
        progress((step + 1) / steps)
    if record.get("fail"):
        raise PhyloDashError("the dataset has fewer than 2 profiles")
    if record.get("crash"):
        os._exit(3)
    return {"value": 2 * record["n"], "pid": os.getpid()}


def stubborn(record: Record, progress: Callable[[float], None], cancel: CancelCheck | None) -> dict[str, int]:
    """Work that never looks at ``cancel``: :func:`double` without it."""
    return double(record, progress, None)


def hungry(record: Record, progress: Callable[[float], None], cancel: object) -> int:
    """Work that asks for 2 GiB at once."""
    import numpy as np

    return int(np.ones(2**28).sum())


def silent(record: Record, progress: Callable[[float], None], cancel: object) -> None:
    """Work that runs for ten minutes without a word to its server (no progress message)."""
    time.sleep(600)


class Results:
    """The ``finish`` callback: stores results as inference records, as the service will."""

    def __init__(self, store: TinyDBStore) -> None:
        self.store = store
        self.lock = threading.Lock()

    def __call__(self, job: Record, result: Any) -> None:
        with self.lock:
            self.store.insert("inferences", {"id": job["id"], **result})


def wait_for(store: TinyDBStore, job_id: str, statuses: tuple[str, ...], timeout: float = 60) -> Record:
    """The job's record once its status is one of ``statuses``; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get("jobs", job_id)
        if job["status"] in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {store.get('jobs', job_id)['status']} after {timeout} s")
