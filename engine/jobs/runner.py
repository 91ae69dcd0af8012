"""The job runner: jobs queue FIFO and run in worker processes that a cancel really terminates.

A job is a record in the store's ``jobs`` table; the runner owns its ``status`` (``queued``,
``running``, ``succeeded``, ``failed``, ``cancelled``), ``progress``, timings and ``error``. What a
job computes is the caller's ``work`` function: a module-level function (so that a spawned
process can import it) called in the worker as ``work(record, progress, cancel)``, whose return
value is sent back and handed to ``finish(record, result)`` in this process, which stores the
result (a small value: the local workers write a result's arrays themselves). Only this process
writes job state: workers report through a pipe. The record becomes ``succeeded`` only after
``finish`` returned, so a result is never visible half-written; a cancelled or failed job stores
nothing, and ``discard(record)`` (when set) removes what its work may have written.

On :meth:`BaseJobRunner.start`, jobs left ``running`` by a process that died are marked ``failed``
with the reason (and discarded), and ``queued`` jobs run again, oldest first.

Every job that ends (succeeded, failed, cancelled, or finished by ``before_start``) is announced to
the listeners of :meth:`BaseJobRunner.subscribe`, on a thread of their own.

:class:`BaseJobRunner` holds all of this store and state logic; a backend (:class:`JobRunner`
here, over the warm processes of :mod:`engine.jobs.pool`; :class:`engine.jobs.dask.DaskJobRunner`
on a Dask cluster) only launches computations, waits for their messages and stops them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from engine.clock import now
from engine.errors import ConflictError, PhyloDashError
from engine.jobs.pool import WorkerPool
from engine.jobs.work import PROGRESS_EVERY, Work
from engine.storage.records import JobRecord
from engine.storage.store import Store

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
FINAL = (SUCCEEDED, FAILED, CANCELLED)
INTERRUPTED = "The server stopped while this job was running; start it again."
NOT_STARTED = "The job could not be started; it was logged."
_log = logging.getLogger(__name__)

Finish = Callable[[JobRecord, Any], None]
Listener = Callable[[JobRecord], object]
Handle = TypeVar("Handle")  # what a backend keeps of one running computation


@dataclass
class _Running(Generic[Handle]):
    record: JobRecord
    handle: Handle
    last_write: float = field(default_factory=time.monotonic)  # no progress written in the first 0.5 s


class BaseJobRunner(ABC, Generic[Handle]):
    """The store and state logic of a job runner; subclasses run the computations somewhere.

    Jobs start in FIFO order, at most ``workers`` at once. A subclass implements :meth:`_begin`
    (launch one job), :meth:`_wait` (wait a little for messages of running jobs and hand each to
    :meth:`_message`), :meth:`_wake` (end a :meth:`_wait` early) and :meth:`_halt` (stop a running
    computation whose job was cancelled), and may refuse to launch for a while (:meth:`_available`).

    ``before_start``, when set, is called (lock held) with each queued job about to start; when it
    returns True it has finished the job itself, say with an equal result that appeared while the job
    waited, and the job does not run. ``discard``, when set, is called with each job that ran (or
    may have begun to) and ended without success, once its computation has stopped, to remove what
    its work may have written.
    """

    def __init__(self, store: Store, work: Work, finish: Finish, *, workers: int) -> None:
        self.store = store
        self.work = work
        self.finish = finish
        self.workers = max(1, workers)
        self._queue: dict[str, str] = {}  # queued job id -> its user, oldest first
        self._running: dict[str, _Running[Handle]] = {}
        self._lock = threading.RLock()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.before_start: Callable[[JobRecord], bool] | None = None
        self.discard: Callable[[JobRecord], None] | None = None
        self._listeners: list[Listener] = []
        self._endings: queue.SimpleQueue[JobRecord | None] = queue.SimpleQueue()
        self._announcer: threading.Thread | None = None

    # -- public ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs a dead process left behind, then start dispatching."""
        self._announcer = threading.Thread(target=self._announce_loop, name="phylodash-job-ends", daemon=True)
        self._announcer.start()
        interrupted = self.store.update_where(
            JobRecord, lambda r: r.status == RUNNING,
            lambda r: {"status": FAILED, "error": INTERRUPTED, "finished": now()})
        for job in interrupted:
            self._discard(job)
            self.announce(job)
        queued = sorted(self.store.select(JobRecord, lambda r: r.status == QUEUED), key=lambda r: r.created)
        with self._lock:
            self._queue.update((r.id, r.user) for r in queued)
        self._thread = threading.Thread(target=self._loop, name="phylodash-jobs", daemon=True)
        self._thread.start()

    def submit(self, record: JobRecord) -> JobRecord:
        """Store a new job (``record`` has its ``id`` and what ``work`` needs) and queue it; the stored
        record (queued, with its creation time) is returned."""
        job = self.store.insert(record.replace(status=QUEUED, progress=0.0, created=now(), started=None,
                                               finished=None, error=None))
        with self._lock:
            self._queue[job.id] = job.user
        self._wake()
        return job

    def unfinished(self, user: str) -> int:
        """How many jobs of ``user`` (an email) wait in this runner's queue or run now."""
        with self._lock:
            return (sum(owner == user for owner in self._queue.values())
                    + sum(running.record.user == user for running in self._running.values()))

    def cancel(self, job_id: str) -> JobRecord:
        """Cancel a queued or running job: it never starts, or its computation is stopped.

        Raises NotFoundError for an unknown job and ConflictError for a finished one.
        """
        with self._lock:
            job = self.store.get(JobRecord, job_id)
            if job.status in FINAL:
                raise ConflictError(f"job {job_id} has already finished ({job.status})")
            running = self._running.pop(job_id, None)
            self._queue.pop(job_id, None)
            if running is not None:
                self._halt(job_id, running.handle)
                self._discard(job)
            job = self.store.update(JobRecord, job_id, status=CANCELLED, finished=now())
        self.announce(job)
        self._wake()  # a worker may be free for the next job
        return job

    def stop(self) -> None:
        """Stop dispatching and stop running jobs; they are recovered as failed on restart."""
        self._stopping = True
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            for job_id, running in self._running.items():
                self._halt(job_id, running.handle)
            self._running.clear()
        self._endings.put(None)
        if self._announcer is not None:
            self._announcer.join(timeout=10)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(record)`` with the final record of every job that ends from now on.

        Listeners run one after the other on the runner's ``phylodash-job-ends`` thread, in the order
        the jobs ended; each must return quickly (hand the record to its own loop or queue), and an
        error in one is logged and does not stop the others. Returns the function that unsubscribes.
        """
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def announce(self, job: JobRecord) -> None:
        """Tell the listeners that ``job`` ended (the runner does it for the jobs it ends; a caller
        that finishes a job outside the runner, say by reusing a result, calls this)."""
        self._endings.put(job)

    # -- the backend -----------------------------------------------------------------------------

    @abstractmethod
    def _begin(self, job: JobRecord) -> Handle:
        """Launch ``work`` on the (already ``running``) job; called with the lock held."""

    @abstractmethod
    def _wait(self) -> None:
        """Wait up to about a second for messages and hand each to :meth:`_message`."""

    @abstractmethod
    def _wake(self) -> None:
        """Make a pending or the next :meth:`_wait` return soon."""

    @abstractmethod
    def _halt(self, job_id: str, handle: Handle) -> None:
        """Stop the computation of a job no longer wanted; called with the lock held."""

    def _busy(self) -> int:
        """How many of the ``workers`` slots are taken."""
        return len(self._running)

    def _available(self) -> bool:
        """Whether a job may be launched now (a backend may wait for a worker to be ready)."""
        return True

    # -- the dispatcher thread -------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping:
            try:
                self._launch()
                self._wait()
            except Exception:  # a full disk, no process to spawn: keep dispatching, say so in the log
                _log.exception("the job dispatcher hit an error; it goes on in a second")
                time.sleep(1.0)

    def _launch(self) -> None:
        with self._lock:
            while self._queue and self._busy() < self.workers and self._available():
                job_id = next(iter(self._queue))
                del self._queue[job_id]
                job = self.store.find(JobRecord, job_id)
                if job is None or job.status != QUEUED:
                    continue
                if self.before_start is not None and self.before_start(job):
                    self.announce(self.store.get(JobRecord, job_id))
                    continue
                job = job.replace(status=RUNNING, started=now())
                try:
                    handle = self._begin(job)
                except Exception:
                    _log.exception("job %s could not be started", job_id)
                    self.announce(self.store.update(JobRecord, job_id, status=FAILED, finished=now(),
                                                    error=NOT_STARTED))
                    continue
                self._running[job_id] = _Running(job, handle)
                # Written while the job computes (its end is handled by this thread, after this).
                self.store.update(JobRecord, job_id, status=RUNNING, started=job.started)

    def _message(self, job_id: str, kind: str, value: Any) -> None:
        """Apply a message of a running job: ``progress``, or its end (``result`` or ``failed``)."""
        with self._lock:
            running = self._running.get(job_id)
            if running is None:  # cancelled meanwhile
                return
            if kind == "progress":
                if time.monotonic() - running.last_write >= PROGRESS_EVERY:
                    running.last_write = time.monotonic()
                    self.store.update(JobRecord, job_id, progress=value)
                return
            del self._running[job_id]
            self._conclude(running.record, kind, value)

    def _conclude(self, job: JobRecord, kind: str, value: Any) -> None:
        if kind == "result":
            try:
                with self.store.together():  # the result and the job's success appear at once
                    self.finish(job, value)
                    ended = self.store.update(JobRecord, job.id, status=SUCCEEDED, progress=1.0,
                                              finished=now())
                self.announce(ended)
                return
            except PhyloDashError as error:
                value = str(error)
            except Exception:  # any other error: a failed job, logged with its traceback
                _log.exception("storing the result of job %s failed", job.id)
                value = "The result could not be stored because of a server error."
        self._discard(job)
        self.announce(self.store.update(JobRecord, job.id, status=FAILED, error=value, finished=now()))

    def _discard(self, job: JobRecord) -> None:
        if self.discard is None:
            return
        try:
            self.discard(job)
        except Exception:  # what is left behind takes room but is never read: log it and go on
            _log.exception("removing what job %s left behind failed", job.id)

    # -- the announcer thread --------------------------------------------------------------------

    def _announce_loop(self) -> None:
        while (job := self._endings.get()) is not None:
            with self._lock:
                listeners = list(self._listeners)
            for listener in listeners:
                try:
                    listener(job)
                except Exception:  # one listener's error must not silence the others
                    _log.exception("a listener of job ends failed on job %s", job.id)


class JobRunner(BaseJobRunner[int]):
    """Runs the jobs of a store, at most ``workers`` at once, on a pool of warm worker processes.

    The pool (:class:`engine.jobs.pool.WorkerPool`) keeps ``workers + spares`` processes, started with
    the runner and warmed up by ``warm_up``; a job runs on a free warm one. A cancel terminates the
    job's worker and a new one warms up in the background, while a spare takes the next job.

    Parameters
    ----------
    store : Store
        Where job records live (table ``jobs``).
    work : callable
        ``work(record, progress, cancel) -> result``, run in the worker (``cancel`` is None: a
        cancel terminates the process); importable at module level.
    finish : callable
        ``finish(record, result)``, run in this process to store a successful result.
    workers : int, optional
        Jobs running at once; default one per core.
    memory_limit : int, optional
        Bytes of address space each worker may use (no limit when None).
    warm_up : callable, optional
        Module-level function each worker runs once to load what jobs need; when it is a generator
        function, its steps run one at a time while no job waits (see :mod:`engine.jobs.pool`).
    spares : int, optional
        Warm workers kept beyond ``workers``, ready for the next job when one is killed; default 1.
    """

    def __init__(self, store: Store, work: Work, finish: Finish, *, workers: int | None = None,
                 memory_limit: int | None = None, warm_up: Callable[[], object] | None = None,
                 spares: int = 1) -> None:
        super().__init__(store, work, finish, workers=workers or os.cpu_count() or 1)
        self.memory_limit = memory_limit
        self.pool = WorkerPool(work, self.workers + max(0, spares), memory_limit=memory_limit,
                               warm_up=warm_up)

    def stop(self) -> None:
        """Stop dispatching, terminate every worker; running jobs are recovered as failed on restart."""
        super().stop()
        self.pool.close()

    def running_pids(self) -> dict[str, int]:
        """Process id of the worker of each running job (for checks that a cancel really stopped it)."""
        return self.pool.job_pids()

    def worker_pids(self) -> list[int]:
        """Process ids of every worker of the pool, busy or not."""
        return self.pool.pids()

    def _available(self) -> bool:
        return self.pool.idle() > 0 or self.pool.broken  # broken: _begin fails the job with the reason

    def _begin(self, job: JobRecord) -> int:
        return self.pool.run(job)

    def _wait(self) -> None:
        self.pool.fill()  # here: a worker dies with the thread that started it (see engine.jobs.pool)
        for kind, job_id, value in self.pool.wait(timeout=1.0):
            self._message(job_id, kind, value)

    def _wake(self) -> None:
        self.pool.wake()

    def _halt(self, job_id: str, handle: int) -> None:
        self.pool.stop_job(job_id)
