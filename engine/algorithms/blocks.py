"""Block executors: where the blocks of an all-pairs distance pass are computed.

A distance pass (goeBURST's LV counts or distance matrix, GrapeTree's pair counts) walks ``units``
equal pieces of work (balanced row pairs, tiles of rows). When its executor :meth:`~BlockExecutor.split`
says so, the pass cuts them into blocks ``[first, last)``, each computed by a pure, module-level
function ``function(*shared, first, last)`` that returns a partial result (LV counts of the block, a
slab of the matrix); the pass combines the partials, in whatever order they arrive, into the same
arrays it computes in one piece otherwise. Otherwise the pass runs as it always did, in this process.

The executor is chosen by whoever runs the job, not by the algorithm: :func:`using` sets it for the
code it wraps (a context variable, so it holds for that thread or task only) and :func:`current`
reads it; by default it is an :class:`InProcess` executor that never splits. A job on a Dask cluster
uses :class:`engine.jobs.dask_blocks.DaskBlocks`, whose blocks are tasks spread over the workers.
"""

from __future__ import annotations

import contextlib
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from engine.models import CancelCheck, ProgressCallback
from engine.progress import check_cancel, report

#: Locus comparisons (pairs x loci) above which a cluster splits a distance pass by default: from a
#: cgMLST dataset of about 8,200 profiles and 3,000 loci on, whose blocks each compute for seconds,
#: while their results (a few bytes a pair) take a fraction of that to move.
SPLIT_ABOVE = 100_000_000_000

Block = tuple[int, int]
BlockFunction = Callable[..., Any]
Combine = Callable[[Block, Any], None]


class BlockExecutor(ABC):
    """Decides whether a pass is split into blocks, and computes the blocks of a split one.

    Parameters
    ----------
    split_above : int or None
        Locus comparisons (pairs x loci) above which a pass is split; None: never split.
    pieces : int
        How many blocks a split pass is cut into (fewer when it has fewer units of work).
    """

    def __init__(self, split_above: int | None = None, pieces: int = 1) -> None:
        if pieces < 1:
            raise ValueError(f"pieces must be at least 1, not {pieces}")
        self.split_above = split_above
        self.pieces = pieces

    def split(self, units: int, comparisons: int) -> list[Block] | None:
        """The blocks ``[first, last)`` that cover ``range(units)`` in about equal parts, in order, when a
        pass of ``comparisons`` locus comparisons is to be split; None when it runs in one piece.

        Examples
        --------
        >>> InProcess(split_above=100, pieces=3).split(7, 1000)
        [(0, 3), (3, 5), (5, 7)]
        >>> InProcess(split_above=100, pieces=3).split(7, 100) is None
        True
        """
        if self.split_above is None or comparisons <= self.split_above or units < 2:
            return None
        pieces = min(self.pieces, units)
        size, larger = divmod(units, pieces)  # the first ``larger`` blocks take one unit more
        bounds = [k * size + min(k, larger) for k in range(pieces + 1)]
        return list(itertools.pairwise(bounds))

    @abstractmethod
    def run(self, function: BlockFunction, shared: tuple[Any, ...], blocks: Sequence[Block],
            combine: Combine, *, progress: ProgressCallback | None = None,
            cancel: CancelCheck | None = None) -> None:
        """Compute ``function(*shared, first, last)`` for every block and call ``combine(block, partial)``
        in this thread with each partial, in any order, each once.

        ``progress(fraction)`` receives the fraction of the units whose blocks were combined; when
        ``cancel()`` returns True no more block is combined, the blocks not yet computed are dropped
        and :class:`~engine.errors.CancelledError` is raised.
        """


class InProcess(BlockExecutor):
    """Runs the blocks one after the other in this process, in order (the default: it never splits,
    unless made with a ``split_above``)."""

    def run(self, function: BlockFunction, shared: tuple[Any, ...], blocks: Sequence[Block],
            combine: Combine, *, progress: ProgressCallback | None = None,
            cancel: CancelCheck | None = None) -> None:
        """See :meth:`BlockExecutor.run`; the cancel check runs before each block."""
        total = max(1, sum(last - first for first, last in blocks))
        done = 0
        for first, last in blocks:
            check_cancel(cancel)
            combine((first, last), function(*shared, first, last))
            done += last - first
            report(progress, done / total)


_NEVER_SPLITS = InProcess()
_CURRENT: ContextVar[BlockExecutor | None] = ContextVar("phylodash_block_executor", default=None)


def current() -> BlockExecutor:
    """The executor the distance passes of this thread (or task) use: the one :func:`using` set, else
    an :class:`InProcess` one that never splits."""
    return _CURRENT.get() or _NEVER_SPLITS


@contextlib.contextmanager
def using(executor: BlockExecutor) -> Iterator[BlockExecutor]:
    """Make ``executor`` the :func:`current` one for the code in the ``with`` block (this context only)."""
    token = _CURRENT.set(executor)
    try:
        yield executor
    finally:
        _CURRENT.reset(token)
