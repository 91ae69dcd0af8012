"""What runs beside a job's computation, whatever the backend: its outcome as a message, and throttled
progress.

A job's computation is the caller's ``work`` function, called as ``work(record, progress, cancel)``
in a worker (a process of the local pool, or a Dask task). :func:`run_work` turns whatever it does into
one message for the server; :func:`throttle` keeps progress messages to two a second.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from engine.errors import PhyloDashError
from engine.models import CancelCheck, ProgressCallback
from engine.storage.records import JobRecord

SERVER_ERROR = "The job failed because of an error in the server; it was logged."
PROGRESS_EVERY = 0.5  # seconds between two progress messages, and writes, of one job
_log = logging.getLogger(__name__)

Work = Callable[[JobRecord, ProgressCallback, CancelCheck | None], Any]


def throttle(send: ProgressCallback) -> ProgressCallback:
    """A progress callback passing ``float(fraction)`` on to ``send`` at most every 0.5 s, the first time
    0.5 s after it was made (drops the rest): a job shorter than that sends none."""
    last = [time.monotonic()]

    def progress(fraction: float) -> None:
        if time.monotonic() - last[0] >= PROGRESS_EVERY:
            last[0] = time.monotonic()
            send(float(fraction))

    return progress


def memory_sentence(memory_limit: int | None) -> str:
    """What a job that ran out of memory says, naming ``memory_limit`` (bytes) when it had one."""
    if memory_limit:
        return (f"The job needed more than its memory limit of {memory_limit // 2**20:,} MB "
                "(PHYLODASH_JOB_MEMORY_MB sets it).")
    return "The job needed more memory than the server has."


def run_work(work: Work, record: JobRecord, progress: ProgressCallback,
             cancel: CancelCheck | None, memory_limit: int | None = None) -> tuple[str, Any]:
    """Run ``work`` and tell how it ended: ``("result", value)`` or ``("failed", a sentence for users)``.

    Never raises an ``Exception``: a :class:`PhyloDashError` gives its message, running out of
    memory says so (naming ``memory_limit``, in bytes, when the job had one), any other error a
    generic sentence (the traceback is logged).
    """
    try:
        return "result", work(record, progress, cancel)
    except PhyloDashError as error:
        return "failed", str(error)
    except MemoryError:
        return "failed", memory_sentence(memory_limit)
    except Exception:  # any other error: a failed job, logged with its traceback
        _log.exception("job %s failed", record.id)
        return "failed", SERVER_ERROR
