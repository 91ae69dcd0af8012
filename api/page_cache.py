"""Encoded answers kept until the store changes: a busy list is encoded once, not per request.

Answers are kept for one revision of the store: asked for a newer one, the cache drops every answer
it holds (they are stale, and would only take memory until pushed out). Requests that miss the same
key at the same time share one encoding (the others wait for it) instead of each encoding the list
again. Access checks are not cached: the handler makes them on every request before asking here.
Used from the IOLoop only (no lock needed).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable


class PageCache:
    """At most ``size`` encoded answers of the newest revision seen, the least recently used dropped
    first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._revision: Hashable = None
        self._answers: OrderedDict[Hashable, bytes] = OrderedDict()
        self._pending: dict[Hashable, asyncio.Future[bytes]] = {}

    async def answer(self, key: Hashable, revision: Hashable, build: Callable[[], Awaitable[bytes]]) -> bytes:
        """The answer kept under ``key`` at ``revision``; else the one being built for it; else
        ``await build()`` (kept unless a newer revision was asked for meanwhile)."""
        if revision != self._revision:
            self._answers.clear()
            self._revision = revision
        key = (key, revision)
        kept = self._answers.get(key)
        if kept is not None:
            self._answers.move_to_end(key)
            return kept
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            built = await build()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else needs to
            raise
        finally:
            del self._pending[key]
        future.set_result(built)
        if revision == self._revision:
            self._answers[key] = built
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)
        return built
