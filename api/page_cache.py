"""Encoded answers kept until what they show changes: a busy list is encoded once, not per request.

Each answer is kept with the revision it was built at (for a project's job list, the store's revision
of that project): asked for at another revision, it is built again and replaces the old one, so a
change to one project leaves the answers about the others in place. Requests that miss the same key at
the same revision at the same time share one encoding (the others wait for it) instead of each
encoding the list again. Access checks are not cached: the handler makes them on every request before
asking here. Used from the IOLoop only (no lock needed).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable


class PageCache:
    """At most ``size`` encoded answers, each at the revision last asked for its key, the least recently
    used dropped first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._asked: dict[Hashable, Hashable] = {}  # key -> the revision last asked for (kept or being built)
        self._pending: dict[tuple[Hashable, Hashable], asyncio.Future[bytes]] = {}

    async def answer(self, key: Hashable, revision: Hashable, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The answer kept under ``key`` at ``revision``; else the one being built for it; else
        ``await build()`` (kept unless ``key`` was asked for at another revision meanwhile)."""
        self._asked[key] = revision
        kept = self._answers.get(key)
        if kept is not None and kept[0] == revision:
            self._answers.move_to_end(key)
            return kept[1]
        pending = self._pending.get((key, revision))
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[(key, revision)] = future
        try:
            built = await build()
        except BaseException as error:
            del self._pending[(key, revision)]
            self._tidy(key)
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        del self._pending[(key, revision)]
        future.set_result(built)
        if self._asked.get(key) == revision:
            self._answers[key] = (revision, built)
            self._answers.move_to_end(key)
        else:  # asked for at another revision meanwhile: this answer is stale already
            self._tidy(key)
        while len(self._answers) > self.size:
            self._tidy(self._answers.popitem(last=False)[0])
        return built

    def _tidy(self, key: Hashable) -> None:
        """Forget which revision ``key`` was asked at when nothing is kept or being built for it."""
        if key not in self._answers and not any(pending == key for pending, _ in self._pending):
            self._asked.pop(key, None)
