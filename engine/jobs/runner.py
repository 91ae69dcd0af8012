"""The job runner: jobs queue FIFO and run in worker processes that a cancel really terminates.

A job is a record in the store's ``jobs`` table; the runner owns its ``status`` (``queued``,
``running``, ``succeeded``, ``failed``, ``cancelled``), ``progress``, timings and ``error``. What a
job computes is the caller's ``work`` function: a module-level function (so that a spawned
process can import it) called in the worker as ``work(record, progress, cancel)``, whose return
value is sent back and handed to ``finish(record, result)`` in this process, which stores the
result. Only this process writes job state: workers report through a pipe. The record becomes
``succeeded`` only after ``finish`` returned, so a result is never visible half-written, and a
cancelled or failed job stores nothing.

On :meth:`JobRunner.start`, jobs left ``running`` by a process that died are marked ``failed``
with the reason, and ``queued`` jobs run again, oldest first.

:class:`BaseJobRunner` holds all of this store and state logic; a backend (:class:`JobRunner`
here, :class:`engine.jobs.dask.DaskJobRunner` on a Dask cluster) only launches computations,
waits for their messages and stops them.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

from engine.clock import now
from engine.errors import ConflictError, PhyloDashError
from engine.models import CancelCheck, ProgressCallback
from engine.storage.records import JobRecord
from engine.storage.store import Store

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
FINAL = (SUCCEEDED, FAILED, CANCELLED)
INTERRUPTED = "The server stopped while this job was running; start it again."
SERVER_ERROR = "The job failed because of an error in the server; it was logged."
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_PROGRESS_EVERY = 0.5  # seconds between two progress messages, and writes, of one job
_log = logging.getLogger(__name__)

Work = Callable[[JobRecord, ProgressCallback, CancelCheck | None], Any]
Finish = Callable[[JobRecord, Any], None]
Handle = TypeVar("Handle")  # what a backend keeps of one running computation


def throttle(send: ProgressCallback) -> ProgressCallback:
    """A progress callback passing ``float(fraction)`` on to ``send`` at most every 0.5 s (drops the rest)."""
    last = [0.0]

    def progress(fraction: float) -> None:
        if time.monotonic() - last[0] >= _PROGRESS_EVERY:
            last[0] = time.monotonic()
            send(float(fraction))

    return progress


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
        if memory_limit:
            return "failed", (f"The job needed more than its memory limit of {memory_limit // 2**20:,} MB "
                              "(PHYLODASH_JOB_MEMORY_MB sets it).")
        return "failed", "The job needed more memory than the server has."
    except Exception:  # any other error: a failed job, logged with its traceback
        _log.exception("job %s failed", record.id)
        return "failed", SERVER_ERROR


@dataclass
class _Running(Generic[Handle]):
    record: JobRecord
    handle: Handle
    last_write: float = 0.0


class BaseJobRunner(ABC, Generic[Handle]):
    """The store and state logic of a job runner; subclasses run the computations somewhere.

    Jobs start in FIFO order, at most ``workers`` at once. A subclass implements :meth:`_begin`
    (launch one job), :meth:`_wait` (wait a little for messages of running jobs and hand each to
    :meth:`_message`), :meth:`_wake` (end a :meth:`_wait` early) and :meth:`_halt` (stop a running
    computation whose job was cancelled).

    ``before_start``, when set, is called (lock held) with each queued job about to start; when it
    returns True it has finished the job itself, say with an equal result that appeared while the job
    waited, and the job does not run.
    """

    def __init__(self, store: Store, work: Work, finish: Finish, *, workers: int) -> None:
        self.store = store
        self.work = work
        self.finish = finish
        self.workers = max(1, workers)
        self._queue: deque[str] = deque()
        self._running: dict[str, _Running[Handle]] = {}
        self._lock = threading.RLock()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.before_start: Callable[[JobRecord], bool] | None = None

    # -- public ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Recover jobs a dead process left behind, then start dispatching."""
        self.store.update_where(JobRecord, lambda r: r.status == RUNNING,
                                lambda r: {"status": FAILED, "error": INTERRUPTED, "finished": now()})
        queued = sorted(self.store.select(JobRecord, lambda r: r.status == QUEUED), key=lambda r: r.created)
        with self._lock:
            self._queue.extend(r.id for r in queued)
        self._thread = threading.Thread(target=self._loop, name="phylodash-jobs", daemon=True)
        self._thread.start()

    def submit(self, record: JobRecord) -> JobRecord:
        """Store a new job (``record`` has its ``id`` and what ``work`` needs) and queue it; the stored
        record (queued, with its creation time) is returned."""
        job = self.store.insert(record.replace(status=QUEUED, progress=0.0, created=now(), started=None,
                                               finished=None, error=None))
        with self._lock:
            self._queue.append(job.id)
        self._wake()
        return job

    def cancel(self, job_id: str) -> JobRecord:
        """Cancel a queued or running job: it never starts, or its computation is stopped.

        Raises NotFoundError for an unknown job and ConflictError for a finished one.
        """
        with self._lock:
            job = self.store.get(JobRecord, job_id)
            if job.status in FINAL:
                raise ConflictError(f"job {job_id} has already finished ({job.status})")
            running = self._running.pop(job_id, None)
            if job_id in self._queue:
                self._queue.remove(job_id)
            if running is not None:
                self._halt(job_id, running.handle)
            job = self.store.update(JobRecord, job_id, status=CANCELLED, finished=now())
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
            while self._queue and self._busy() < self.workers:
                job_id = self._queue.popleft()
                job = self.store.find(JobRecord, job_id)
                if job is None or job.status != QUEUED:
                    continue
                if self.before_start is not None and self.before_start(job):
                    continue
                job = self.store.update(JobRecord, job_id, status=RUNNING, started=now())
                try:
                    handle = self._begin(job)
                except Exception:
                    _log.exception("job %s could not be started", job_id)
                    self.store.update(JobRecord, job_id, status=FAILED, finished=now(),
                                      error="The job could not be started; it was logged.")
                    continue
                self._running[job_id] = _Running(job, handle)

    def _message(self, job_id: str, kind: str, value: Any) -> None:
        """Apply a message of a running job: ``progress``, or its end (``result`` or ``failed``)."""
        with self._lock:
            running = self._running.get(job_id)
            if running is None:  # cancelled meanwhile
                return
            if kind == "progress":
                if time.monotonic() - running.last_write >= _PROGRESS_EVERY:
                    running.last_write = time.monotonic()
                    self.store.update(JobRecord, job_id, progress=value)
                return
            del self._running[job_id]
            self._conclude(running.record, kind, value)

    def _conclude(self, job: JobRecord, kind: str, value: Any) -> None:
        if kind == "result":
            try:
                self.finish(job, value)
            except PhyloDashError as error:
                kind, value = "failed", str(error)
            except Exception:  # any other error: a failed job, logged with its traceback
                _log.exception("storing the result of job %s failed", job.id)
                kind, value = "failed", "The result could not be stored because of a server error."
        if kind == "result":
            self.store.update(JobRecord, job.id, status=SUCCEEDED, progress=1.0, finished=now())
        else:
            self.store.update(JobRecord, job.id, status=FAILED, error=value, finished=now())


def _die_with(parent: int) -> None:
    """Make this worker end when the server process ends, even when the server is killed (-9).

    Linux delivers SIGKILL to the worker when its parent goes (``prctl(PR_SET_PDEATHSIG)``);
    elsewhere a thread checks the parent every second.
    """
    try:
        if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl failed")
    except (OSError, AttributeError):
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, name="phylodash-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the server went before the signal was armed
        os._exit(1)


def _worker(work: Work, record: JobRecord, connection: Connection, parent: int,
            memory_limit: int | None) -> None:
    """Body of a worker process: run ``work`` and send progress, then the result or the error.

    The worker ends with the server, and with ``memory_limit`` (bytes) its address space is capped,
    so a job too big for the machine fails with that reason instead of exhausting it.
    """
    _die_with(parent)
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    try:
        progress = throttle(lambda f: connection.send(("progress", f)))
        connection.send(run_work(work, record, progress, None, memory_limit))
    finally:
        connection.close()


@dataclass
class _Process:
    process: multiprocessing.process.BaseProcess
    connection: Connection


class JobRunner(BaseJobRunner[_Process]):
    """Runs the jobs of a store, at most ``workers`` at once, each in its own spawned process.

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
    """

    def __init__(self, store: Store, work: Work, finish: Finish, *, workers: int | None = None,
                 memory_limit: int | None = None) -> None:
        super().__init__(store, work, finish, workers=workers or os.cpu_count() or 1)
        self.memory_limit = memory_limit
        self._context = multiprocessing.get_context("spawn")
        self._wake_r, self._wake_w = self._context.Pipe(duplex=False)

    def running_pids(self) -> dict[str, int]:
        """Process id of each running job (for checks that a cancel really stopped it)."""
        with self._lock:
            processes = {job_id: r.handle.process for job_id, r in self._running.items()}
        return {job_id: process.pid for job_id, process in processes.items() if process.pid}

    def _begin(self, job: JobRecord) -> _Process:
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_worker,
                                        args=(self.work, job, sender, os.getpid(), self.memory_limit),
                                        name=f"phylodash-job-{job.id}", daemon=True)
        process.start()
        sender.close()
        return _Process(process, receiver)

    def _wait(self) -> None:
        with self._lock:
            watched = [r.handle.connection for r in self._running.values()]
        try:
            ready_list = wait([self._wake_r, *watched], timeout=1.0)
        except (OSError, ValueError):  # a cancel closed one of the pipes meanwhile
            return
        for ready in ready_list:
            if ready is self._wake_r:
                self._wake_r.recv()
            else:
                self._receive(ready)

    def _wake(self) -> None:
        self._wake_w.send(None)

    def _halt(self, job_id: str, handle: _Process) -> None:
        _terminate(handle.process)
        handle.connection.close()

    def _receive(self, connection: Connection) -> None:
        with self._lock:
            job_id = next((j for j, r in self._running.items() if r.handle.connection is connection), None)
            if job_id is None:
                return
            try:
                kind, value = connection.recv()
            except (EOFError, OSError):
                kind, value = "failed", "The job's process stopped unexpectedly (out of memory?)."
            if kind != "progress":
                connection.close()
                self._running[job_id].handle.process.join(timeout=10)
            self._message(job_id, kind, value)


def _terminate(process: multiprocessing.process.BaseProcess) -> None:
    """Stop a worker for real: SIGTERM, then SIGKILL if it is still there after 5 s."""
    process.terminate()
    process.join(timeout=5)
    if process.is_alive():
        process.kill()
        process.join(timeout=5)
