"""Warm worker processes for the local job runner: spawned once, each running one job at a time.

A worker is a new Python process (``python -c``, marked ``phylodash-job-worker`` on its command line)
that takes the server's ``sys.path``, imports ``work`` (and with it the engine), says ``ready`` and then
runs the jobs it is sent, one after the other, until its pipe closes. A small job therefore costs its
own work, not the start of a Python process. Unlike ``multiprocessing``'s spawn, a worker does not run
the server's main script again (for ``panel serve`` that would import Panel and Bokeh in every
worker: seconds, and memory, for nothing).

``warm_up`` loads what jobs need (numba's cached kernels) ahead of them. A generator function's steps
run one at a time while no job waits, so a job sent during the warm-up waits for one step at most; on
a fresh machine, where the steps compile the kernels, the first job compiles only what it needs
first. (A plain function runs whole before the worker says ready.)

Messages on a worker's pipe are tuples. The pool sends a :class:`JobRecord`; the worker answers
``("ready", None, None)`` once and ``("warm", None, None)`` after the last step of its warm-up, per
job ``("progress", job id, fraction)`` now and then and ``("result", job id, value)`` or ``("failed",
job id, sentence)`` at its end, and ``("retire", None, reason)`` before it leaves of its own accord.

* **Cancel.** :meth:`WorkerPool.stop_job` terminates the worker running the job (SIGTERM, then
  SIGKILL) and waits until it is gone, so the job's work has really stopped and writes nothing more.
* **Crash.** A worker whose pipe closes while it runs a job (a crash, ``os._exit``, the kernel's
  out-of-memory killer) fails that job with how it ended (:func:`death`).
* **Replacement.** A worker that is gone is replaced by a new one, which warms up in the background
  while the others take jobs. The pool keeps ``size`` processes (the runner uses one more than it runs
  jobs at once), so a spare warm worker takes the next job at once after a cancel or a crash. A worker
  that dies before it is ready is restarted after a delay that doubles each time (0.5 s up to 30 s);
  after three such deaths in a row the pool is :attr:`~WorkerPool.broken` until a worker comes up.
* **Memory.** With ``memory_limit`` (bytes) a worker caps its address space (``RLIMIT_AS``, soft and
  hard) before it warms up, for its whole life: each job gets the room a fresh process had before,
  the cap minus what the engine takes. Between jobs the worker gives freed memory back to the system
  (``malloc_trim``) and leaves (``retire``) when its address space stayed more than
  :func:`retire_growth` above its own size (after imports and warm-up), so the next job never
  inherits the leftovers of an earlier one. A job that runs out of memory fails with that reason.
* **Death with the server.** A worker is sent SIGKILL when the thread that started it ends
  (``prctl(PR_SET_PDEATHSIG)``; elsewhere a thread checks the parent every second), which covers a
  server killed with ``kill -9``. That is why every worker is started by the dispatcher thread
  (:meth:`WorkerPool.fill`), which lives as long as the runner, and never by a request's thread.

Thread use: :meth:`~WorkerPool.fill` and :meth:`~WorkerPool.wait` are called by the dispatcher thread
only; the other methods from any thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import math
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from engine.jobs.work import Work, run_work, throttle
from engine.storage.records import JobRecord

FIRST_DELAY, LONGEST_DELAY = 0.5, 30.0  # seconds before restarting a worker that died while starting
BROKEN_AFTER = 3  # deaths while starting, in a row, after which the pool says it is broken
FIRST_ALONE = 30.0  # seconds the first worker may warm up alone before the others start
WORKER_MARK = "phylodash-job-worker"  # on the command line of every worker process
_BOOT = ("import json, sys; sys.path[:] = json.loads(sys.argv[2]); "
         "from engine.jobs.pool import _main; _main(int(sys.argv[3]), int(sys.argv[4]))")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_log = logging.getLogger(__name__)

#: One event of a job, as :meth:`WorkerPool.wait` returns it: (kind, job id, value).
JobEvent = tuple[str, str, Any]


def death(exitcode: int | None) -> str:
    """The sentence of a job whose worker process ended with ``exitcode`` while running it.

    Examples
    --------
    >>> death(-9)
    "The job's worker process stopped unexpectedly (killed by SIGKILL: out of memory?)."
    >>> death(3)
    "The job's worker process stopped unexpectedly (exit status 3)."
    """
    if exitcode is None:
        how = "it vanished"
    elif exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        how = f"killed by {name}" + (": out of memory?" if -exitcode == signal.SIGKILL else "")
    else:
        how = f"exit status {exitcode}"
    return f"The job's worker process stopped unexpectedly ({how})."


def retire_growth(memory_limit: int | None) -> int:
    """Bytes of address space a worker may keep above its own size (after imports and warm-up) after a
    job before it retires: a tenth of ``memory_limit`` (at least 64 MB), or 1 GB without a limit."""
    if memory_limit:
        return max(64 * 2**20, memory_limit // 10)
    return 2**30


@dataclass(eq=False)
class _Worker:
    """The pool's view of one worker process."""

    process: subprocess.Popen[bytes]
    connection: Connection
    ready: bool = False  # it has imported what it runs (it may still be warming up between jobs)
    job_id: str | None = None  # the job it runs
    lost: bool = False  # it is leaving, or a job could not be sent to it: it takes no more jobs


class _Waker:
    """A self-pipe that ends a :meth:`WorkerPool.wait` early; safe to poke from any thread. Its ends
    close with it."""

    def __init__(self) -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._read = open(read, "rb", buffering=0)  # noqa: SIM115 (lives as long as the pool)
        self._write = open(write, "wb", buffering=0)  # noqa: SIM115

    def fileno(self) -> int:
        return self._read.fileno()

    def poke(self) -> None:
        self._write.write(b".")  # writes nothing when the pipe is full: a wake-up is pending anyway

    def drain(self) -> None:
        while self._read.read(4096):  # None once it is empty
            pass


class WorkerPool:
    """``size`` warm worker processes that run ``work`` on the jobs they are sent, one at a time each.

    Parameters
    ----------
    work : callable
        ``work(record, progress, cancel)``, picklable (a worker process imports it); ``cancel`` is None
        (a cancel terminates the worker).
    size : int
        Worker processes to keep.
    memory_limit : int, optional
        Bytes of address space each worker may use (no limit when None).
    warm_up : callable, optional
        Module-level function each worker calls once (see the module's notes: a generator function's
        steps run between jobs); an error in it is logged and the worker serves all the same.
    """

    def __init__(self, work: Work, size: int, *, memory_limit: int | None = None,
                 warm_up: Callable[[], object] | None = None) -> None:
        self.work = work
        self.size = max(1, size)
        self.memory_limit = memory_limit
        self.warm_up = warm_up
        self._lock = threading.Lock()
        self._workers: list[_Worker] = []
        self._waker = _Waker()
        self._ever_warm = False  # a worker has run its whole warm-up
        self._first_alone_until = math.inf  # until then the first worker starts (and warms up) alone
        self._failures = 0  # workers in a row that died before they were ready
        self._next_start = 0.0  # time.monotonic() before which no worker is started
        self._closed = False

    # -- any thread ------------------------------------------------------------------------------

    def idle(self) -> int:
        """How many ready workers (their engine imported) are free for a job."""
        with self._lock:
            return sum(1 for worker in self._workers if worker.ready and worker.job_id is None
                       and not worker.lost)

    @property
    def warmed(self) -> bool:
        """True once a worker has run the whole of its warm-up."""
        return self._ever_warm

    @property
    def broken(self) -> bool:
        """True when no worker is ready and the last ones died before they were (three in a row)."""
        with self._lock:
            return self._failures >= BROKEN_AFTER and not any(w.ready for w in self._workers)

    def run(self, job: JobRecord) -> int:
        """Send ``job`` to a free ready worker and return that worker's process id.

        Raises RuntimeError when no ready worker is free (or the pool is broken).
        """
        with self._lock:
            for worker in self._workers:
                if worker.ready and worker.job_id is None and not worker.lost:
                    try:
                        worker.connection.send(job)
                    except OSError:  # it died meanwhile: its end of the pipe is being read
                        worker.lost = True
                        continue
                    worker.job_id = job.id
                    return worker.process.pid
        if self.broken:
            raise RuntimeError(f"the job's worker processes died while starting, {self._failures} in a "
                               "row; see the log")
        raise RuntimeError("no ready worker is free")

    def stop_job(self, job_id: str) -> None:
        """Terminate the worker running ``job_id`` and wait until it is gone; a new one is started."""
        with self._lock:
            worker = next((w for w in self._workers if w.job_id == job_id), None)
            if worker is None:
                return
            self._workers.remove(worker)
        _terminate(worker.process)
        worker.connection.close()
        self._waker.poke()  # the dispatcher starts the replacement

    def job_pids(self) -> dict[str, int]:
        """Process id of the worker of each running job."""
        with self._lock:
            return {w.job_id: w.process.pid for w in self._workers if w.job_id is not None}

    def pids(self) -> list[int]:
        """Process ids of every worker, starting, warm or busy."""
        with self._lock:
            return [w.process.pid for w in self._workers]

    def wake(self) -> None:
        """End a pending :meth:`wait` now."""
        self._waker.poke()

    def close(self) -> None:
        """Terminate every worker (and wait until they are gone); the pool starts no more."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:
            with contextlib.suppress(OSError):
                worker.process.terminate()  # all at once, then wait for each
        for worker in workers:
            _terminate(worker.process)
            worker.connection.close()

    # -- the dispatcher thread -------------------------------------------------------------------

    def fill(self) -> None:
        """Start workers until there are ``size``: the first alone until it has warmed up (on a fresh
        machine it compiles numba's kernels into the cache the others then read) or for 30 s, then the
        others together."""
        with self._lock:
            if self._closed or time.monotonic() < self._next_start:
                return
            if math.isinf(self._first_alone_until):
                self._first_alone_until = time.monotonic() + FIRST_ALONE
            missing = self.size - len(self._workers)
            if not self._ever_warm and time.monotonic() < self._first_alone_until:
                missing = min(missing, 1 - len(self._workers))
        for _ in range(max(0, missing)):
            worker = self._start()  # outside the lock: starting a process takes a few milliseconds
            with self._lock:
                self._workers.append(worker)

    def wait(self, timeout: float) -> list[JobEvent]:
        """Wait up to ``timeout`` seconds for messages of the workers and return the events of jobs:
        ``("progress", job id, fraction)``, ``("result", job id, value)`` or ``("failed", job id,
        sentence)`` (also when a worker died running the job)."""
        with self._lock:
            watched = {worker.connection: worker for worker in self._workers}
        try:
            ready = wait([self._waker, *watched], timeout=timeout)
        except (OSError, ValueError):  # stop_job closed one of the pipes meanwhile
            return []
        events: list[JobEvent] = []
        for item in ready:
            if item is self._waker:
                self._waker.drain()
            else:
                events.extend(self._receive(watched[item]))
        return events

    def _start(self) -> _Worker:
        """Start a worker process and send it what it runs (it reads it once it has taken ``sys.path``)."""
        mine, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, WORKER_MARK, json.dumps(sys.path), str(theirs.fileno()),
                 str(os.getpid())], pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        connection = Connection(mine.detach())
        with contextlib.suppress(OSError):  # it died at once: its pipe tells the dispatcher
            connection.send((self.work, self.warm_up, self.memory_limit))
        return _Worker(process, connection)

    def _receive(self, worker: _Worker) -> list[JobEvent]:
        """Read one message of ``worker`` (only this thread reads): a job's event, or nothing."""
        try:
            kind, job_id, value = worker.connection.recv()
        except (EOFError, OSError):
            return self._gone(worker)
        with self._lock:
            if worker not in self._workers:  # stopped meanwhile
                return []
            if kind == "ready":
                worker.ready, self._failures = True, 0
                return []
            if kind == "warm":
                self._ever_warm = True
                return []
            if kind == "retire":  # its job's result follows; then it leaves and is replaced
                _log.info("job worker %s retires: %s", worker.process.pid, value)
                worker.lost = True
                return []
            if kind != "progress":
                worker.job_id = None
        return [(kind, job_id, value)]

    def _gone(self, worker: _Worker) -> list[JobEvent]:
        """``worker``'s pipe closed: forget it, and fail its job when it had one."""
        with self._lock:
            if worker not in self._workers:  # stopped by stop_job or close
                return []
            self._workers.remove(worker)
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.process.wait(timeout=5)
        worker.connection.close()
        exitcode = worker.process.returncode
        if worker.job_id is not None:
            _log.error("job worker %s died running job %s (exit code %s)", worker.process.pid,
                       worker.job_id, exitcode)
            return [("failed", worker.job_id, death(exitcode))]
        if exitcode == -signal.SIGTERM:  # stopped from outside, as a server's process group is at its end
            _log.info("idle job worker %s was stopped (SIGTERM)", worker.process.pid)
        elif not worker.ready:
            with self._lock:
                self._failures += 1
                delay = min(LONGEST_DELAY, FIRST_DELAY * 2 ** (self._failures - 1))
                self._next_start = time.monotonic() + delay
            _log.error("job worker %s died while starting (exit code %s); another starts in %.1f s",
                       worker.process.pid, exitcode, delay)
        elif exitcode != 0:
            _log.warning("idle job worker %s died (exit code %s)", worker.process.pid, exitcode)
        return []


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Stop a worker for real: SIGTERM, then SIGKILL if it is still there after 5 s; wait until it is gone."""
    with contextlib.suppress(OSError):
        process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the worker process ------------------------------------------------------------------------------


def die_with(parent: int) -> None:
    """Make this worker end when the server process ends, even when the server is killed (-9).

    Linux delivers SIGKILL to the worker when the thread that started it ends
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere a thread checks the parent every second.
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


def address_space() -> int:
    """Bytes of address space this process uses (``VmSize``), or 0 where /proc is missing."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _give_back() -> None:
    """Return the heap's free memory to the system (glibc; nothing elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _main(fd: int, parent: int) -> None:
    """Entry of a worker process: its pipe is ``fd``, the server's process id ``parent``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, and the server its workers
    die_with(parent)
    connection = Connection(fd)
    try:
        work, warm_up, memory_limit = connection.recv()
    except EOFError:  # the pool closed before this worker started
        return
    _serve(work, warm_up, connection, memory_limit)


def _serve(work: Work, warm_up: Callable[[], object] | None, connection: Connection,
           memory_limit: int | None) -> None:
    """Body of a worker process: cap, warm up, say ready, then run the jobs sent until the pipe closes,
    and the steps of the warm-up while no job waits."""
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    steps = _begin_warm_up(warm_up)
    size = address_space()  # what the worker holds by itself (updated while it warms up)
    connection.send(("ready", None, None))
    if steps is None:
        connection.send(("warm", None, None))
    while True:
        if steps is not None and not connection.poll():
            steps = _warm_up_step(steps, connection)
            size = address_space()
            continue
        try:
            job = connection.recv()
        except EOFError:
            return
        job_id = job.id
        progress = throttle(lambda fraction, job_id=job_id: connection.send(("progress", job_id, fraction)))
        kind, value = run_work(work, job, progress, None, memory_limit)
        del job  # what the job made is freed: what stays is the worker's
        grown = _grown(size)
        if grown > retire_growth(memory_limit):  # say so before the result, so that no job is sent
            connection.send(("retire", None, f"its address space grew by {grown // 2**20:,} MB over jobs"))
        connection.send((kind, job_id, value))
        if grown > retire_growth(memory_limit):
            return
        _give_back()


def _begin_warm_up(warm_up: Callable[[], object] | None) -> Iterator[object] | None:
    """Call ``warm_up``; the steps left to run between jobs when it returned an iterator (a generator
    function's steps all run between jobs), else None."""
    if warm_up is None:
        return None
    try:
        steps = warm_up()
    except Exception:  # jobs then load what they need themselves
        _log.exception("warming up the job worker failed")
        return None
    return steps if isinstance(steps, Iterator) else None


def _warm_up_step(steps: Iterator[object], connection: Connection) -> Iterator[object] | None:
    """Run one step of the warm-up; the steps left, or None (and ``warm`` said) after the last."""
    try:
        next(steps)
        return steps
    except StopIteration:
        pass
    except Exception:  # jobs then load what they need themselves
        _log.exception("warming up the job worker failed")
    connection.send(("warm", None, None))
    return None


def _grown(ready_size: int) -> int:
    """Bytes of address space this process holds beyond ``ready_size`` (0 when unknown), after it gave
    its free heap back when that was more than a little."""
    if not ready_size:
        return 0
    grown = address_space() - ready_size
    if grown > 64 * 2**20:
        _give_back()
        grown = address_space() - ready_size
    return grown
