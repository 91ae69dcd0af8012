"""The blocks of a large job's distance pass as tasks spread over a Dask cluster.

A job running on a cluster worker (:mod:`engine.jobs.dask`) sets a :class:`DaskBlocks` executor
(:func:`engine.algorithms.blocks.using`). When a pass is large enough to split, its arguments are
scattered once, each block becomes a task that any worker may run, and the job's task leaves the
worker's thread pool while it waits (:func:`distributed.worker_client`), so that its own worker
computes blocks too. Partial results are gathered and combined as they complete, one at a time;
progress rises with each combined block, and the cancel check runs at least every 0.2 s: a cancel
drops the blocks not yet combined (a block already running on a worker finishes there, and its result
is released).
"""

from __future__ import annotations

import queue
import uuid
from collections.abc import Sequence
from typing import Any

import distributed

from engine.algorithms.blocks import Block, BlockExecutor, BlockFunction, Combine
from engine.models import CancelCheck, ProgressCallback
from engine.progress import check_cancel, report

BLOCK_KEY = "phylodash-block"  # the start of every block task's key
_TICK = 0.2  # seconds between two cancel checks while blocks compute


class DaskBlocks(BlockExecutor):
    """Computes the blocks of a split pass as tasks of the cluster the current task runs on.

    Parameters
    ----------
    split_above : int or None
        Locus comparisons above which a pass is split (see :class:`~engine.algorithms.blocks.BlockExecutor`).
    pieces : int
        Blocks per split pass: a few per worker, so that a slow worker does not hold the pass up and
        progress moves in small steps.

    Only usable inside a task of a Dask cluster (it calls :func:`distributed.worker_client`).
    """

    def run(self, function: BlockFunction, shared: tuple[Any, ...], blocks: Sequence[Block],
            combine: Combine, *, progress: ProgressCallback | None = None,
            cancel: CancelCheck | None = None) -> None:
        """See :meth:`BlockExecutor.run`: every block is a task, combined here as it completes."""
        total = max(1, sum(last - first for first, last in blocks))
        finished: queue.SimpleQueue[distributed.Future] = queue.SimpleQueue()
        with distributed.worker_client() as client:
            arguments = client.scatter(list(shared), hash=False)
            name = f"{BLOCK_KEY}-{uuid.uuid4().hex}"
            futures = {client.submit(function, *arguments, first, last, key=f"{name}-{first}", pure=False):
                       (first, last) for first, last in blocks}
            for future in futures:
                future.add_done_callback(finished.put)
            try:
                done = 0
                for _ in futures:
                    future = _next(finished, cancel)
                    block = futures[future]
                    combine(block, future.result())
                    future.release()
                    done += block[1] - block[0]
                    report(progress, done / total)
            finally:
                client.cancel([future for future in futures if not future.done()])
                for future in [*futures, *arguments]:
                    future.release()


def _next(finished: queue.SimpleQueue[distributed.Future], cancel: CancelCheck | None) -> distributed.Future:
    """The next block task that completes; CancelledError as soon as ``cancel()`` says so."""
    while True:
        check_cancel(cancel)
        try:
            return finished.get(timeout=_TICK)
        except queue.Empty:
            continue
