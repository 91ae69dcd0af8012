"""A job runner whose jobs run on a Dask distributed cluster (the optional extra ``dask``).

It keeps all the store and state logic of :class:`engine.jobs.runner.JobRunner` (see
:class:`engine.jobs.runner.BaseJobRunner`): only this process writes job records, and results come back
here to be stored by ``finish``. What differs:

* A job's task calls ``work(record, progress, cancel)`` on a cluster worker, so the workers must
  be able to import ``work`` (the project is installed there too).
* Dask cannot kill a single task, so a cancel is cooperative: it sets the scheduler event
  ``phylodash-cancel-<job id>``, which the task's ``cancel`` check (called through
  :func:`engine.progress.check_cancel`) reads at most every 0.2 s. A task still running ``grace``
  seconds later is forgotten and the worker running it is restarted, which also restarts the other
  tasks of that worker. Until a cancelled task has stopped it keeps its slot, so that the next job
  does not wait behind it unseen.
* Progress travels as worker events of the topic ``phylodash-progress``.
* A large inference's distance pass is split into blocks spread over the workers
  (:class:`engine.jobs.dask_blocks.DaskBlocks`, from ``split_above`` locus comparisons on), with
  the same result, progress and cancel as in one piece.
* :meth:`DaskJobRunner.stop` asks the running tasks to stop and disconnects, without waiting: a
  task that ignores its cancel check runs to its end on the cluster and its result is dropped.
"""

from __future__ import annotations

import logging
import math
import queue
import time
import uuid
from dataclasses import dataclass
from typing import Any

import distributed

from engine.algorithms import blocks
from engine.jobs.dask_blocks import DaskBlocks
from engine.jobs.runner import BaseJobRunner, Finish
from engine.jobs.work import SERVER_ERROR, Work, run_work, throttle
from engine.storage.records import JobRecord
from engine.storage.store import Store

PROGRESS_TOPIC = "phylodash-progress"
LOST_WORKER = "The cluster worker running this job stopped unexpectedly (out of memory?)."
DROPPED = "The cluster dropped this job (was it restarted?); start it again."
_CANCEL_EVERY = 0.2  # seconds between two looks of a task at its cancel event
_BLOCKS_PER_THREAD = 4  # blocks of a split pass per worker thread of the cluster
_log = logging.getLogger(__name__)


def cancel_event_name(job_id: str) -> str:
    """Name of the Dask event that, once set, asks the task of job ``job_id`` to stop."""
    return f"phylodash-cancel-{job_id}"


class _CancelCheck:
    """The ``cancel`` check of a task: asks the scheduler at most every 0.2 s, answers from cache between."""

    def __init__(self, job_id: str) -> None:
        self._event = distributed.Event(cancel_event_name(job_id))
        self._checked = -math.inf
        self._set = False

    def __call__(self) -> bool:
        if not self._set and time.monotonic() - self._checked >= _CANCEL_EVERY:
            self._checked = time.monotonic()
            self._set = bool(self._event.is_set())
        return self._set


def _task(work: Work, record: JobRecord, split_above: int | None, pieces: int) -> tuple[str, Any]:
    """Body of a job's task on a worker: :func:`~engine.jobs.runner.run_work` with progress and cancel,
    its large distance passes split into ``pieces`` blocks over the cluster."""
    worker = distributed.get_worker()
    job_id = record.id

    def send(fraction: float) -> None:
        worker.log_event(PROGRESS_TOPIC, {"job": job_id, "progress": fraction})

    with blocks.using(DaskBlocks(split_above, pieces)):
        return run_work(work, record, throttle(send), _CancelCheck(job_id))


def _outcome(future: distributed.Future) -> tuple[str, Any]:
    """How the finished task of a job ended: ``("result", value)`` or ``("failed", a sentence)``."""
    if future.cancelled():
        return "failed", DROPPED
    try:
        return future.result()
    except distributed.KilledWorker:
        return "failed", LOST_WORKER
    except Exception:  # a failure of Dask itself (the task catches the errors of work)
        _log.exception("the task %s failed on the cluster", future.key)
        return "failed", SERVER_ERROR


@dataclass
class _Draining:
    """The task of a cancelled job, until it stops or its ``deadline`` (``time.monotonic()``) passes."""

    future: distributed.Future
    deadline: float


class DaskJobRunner(BaseJobRunner[distributed.Future]):
    """Runs the jobs of a store on a Dask distributed cluster, at most ``workers`` at once.

    Parameters
    ----------
    store, work, finish
        As for :class:`engine.jobs.runner.JobRunner`; ``work(record, progress, cancel)`` runs on a worker.
    scheduler : str
        Address of the cluster's scheduler, e.g. ``"tcp://127.0.0.1:8786"``.
    workers : int, optional
        Jobs on the cluster at once; default the cluster's total threads when :meth:`start` connects.
    grace : float, optional
        Seconds a cancelled task has to stop by itself before its worker is restarted; default 10.
    split_above : int or None, optional
        Locus comparisons (pairs x loci) above which a job's distance pass is split into blocks over
        the workers; default :data:`engine.algorithms.blocks.SPLIT_ABOVE`; None: never.
    """

    def __init__(self, store: Store, work: Work, finish: Finish, *, scheduler: str,
                 workers: int | None = None, grace: float = 10.0,
                 split_above: int | None = blocks.SPLIT_ABOVE) -> None:
        super().__init__(store, work, finish, workers=workers or 1)
        self.scheduler = scheduler
        self.grace = grace
        self.split_above = split_above
        self._pieces = 1
        self._workers_from_cluster = workers is None
        self._client: distributed.Client | None = None
        self._messages: queue.Queue[tuple[str, str, Any] | None] = queue.Queue()
        self._draining: dict[str, _Draining] = {}

    # -- public ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect to the scheduler, then recover and dispatch jobs as :meth:`JobRunner.start` does."""
        self._client = distributed.Client(self.scheduler, set_as_default=False)
        threads = max(1, sum(self._client.nthreads().values()))
        if self._workers_from_cluster:
            self.workers = threads
        self._pieces = _BLOCKS_PER_THREAD * threads
        self._client.subscribe_topic(PROGRESS_TOPIC, self._on_progress)
        super().start()

    def stop(self) -> None:
        """Stop dispatching, ask the running tasks to stop and disconnect; jobs are recovered as failed."""
        super().stop()
        if self._client is not None:
            self._client.close()

    def running_pids(self) -> dict[str, int]:
        """Always empty: the jobs run in the cluster's worker processes, not in processes of this one."""
        return {}

    # -- the backend -----------------------------------------------------------------------------

    @property
    def _dask(self) -> distributed.Client:
        if self._client is None:
            raise RuntimeError("DaskJobRunner.start() has not been called")
        return self._client

    def _event(self, job_id: str) -> distributed.Event:
        return distributed.Event(cancel_event_name(job_id), client=self._dask)

    def _busy(self) -> int:
        return len(self._running) + len(self._draining)

    def _begin(self, job: JobRecord) -> distributed.Future:
        future = self._dask.submit(_task, self.work, job, self.split_above, self._pieces,
                                   key=f"phylodash-job-{job.id}-{uuid.uuid4().hex}")
        future.add_done_callback(lambda done: self._messages.put(("done", job.id, done)))
        return future

    def _on_progress(self, event: tuple[float, dict[str, Any]]) -> None:
        """Handler of the progress topic, in the client's event loop: queue the message."""
        message = event[1]
        self._messages.put(("progress", message["job"], message["progress"]))

    def _wait(self) -> None:
        with self._lock:
            deadlines = [draining.deadline for draining in self._draining.values()]
        patience = max(0.0, min([1.0, *(deadline - time.monotonic() for deadline in deadlines)]))
        try:
            message = self._messages.get(timeout=patience)
        except queue.Empty:
            message = None
        if message is not None:
            kind, job_id, value = message
            if kind == "done":
                self._ended(job_id, value)
            else:
                self._message(job_id, kind, value)
        self._stop_overdue()

    def _wake(self) -> None:
        self._messages.put(None)

    def _halt(self, job_id: str, handle: distributed.Future) -> None:
        try:
            self._event(job_id).set()
        except Exception:  # the scheduler is unreachable: the restart after the grace period may still work
            _log.exception("could not ask the task of job %s to stop", job_id)
        self._draining[job_id] = _Draining(handle, time.monotonic() + self.grace)

    def _ended(self, job_id: str, future: distributed.Future) -> None:
        """A task finished: conclude its job, or free the slot of a cancelled one."""
        with self._lock:
            if self._draining.pop(job_id, None) is not None:  # it stopped by itself: forget the event
                try:
                    self._event(job_id).clear()
                except Exception:  # the scheduler is unreachable: its event stays behind
                    _log.exception("could not clear the cancel event of job %s", job_id)
            elif job_id in self._running:
                self._message(job_id, *_outcome(future))

    def _stop_overdue(self) -> None:
        """Forget the cancelled tasks still running after the grace period and restart their workers."""
        with self._lock:
            overdue = {job_id: draining.future for job_id, draining in self._draining.items()
                       if draining.deadline <= time.monotonic() and not draining.future.done()}
            for job_id in overdue:
                del self._draining[job_id]
        for job_id, future in overdue.items():
            try:
                self._restart_worker_of(future)
            except Exception:  # the cluster is unreachable: nothing more this process can do
                _log.exception("could not stop the task of cancelled job %s", job_id)

    def _restart_worker_of(self, future: distributed.Future) -> None:
        """Cancel ``future`` on the cluster, then restart the worker that is running it (if one is).

        The job's cancel event stays set, so that a rerun of the task by the scheduler (should the
        restart overtake the cancel) stops at its first check.
        """
        workers = [address for address, keys in self._dask.processing().items() if future.key in keys]
        self._dask.cancel([future], force=True)
        if workers:
            _log.warning("task %s ignored its cancel for %s s: restarting worker %s",
                         future.key, self.grace, workers[0])
            statuses = self._dask.restart_workers(workers, raise_for_error=False)
            if any(status != "OK" for status in statuses.values()):
                _log.error("restarting worker %s of task %s: %s", workers[0], future.key, statuses)
