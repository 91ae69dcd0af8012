"""Serialized answers kept until the store changes: a busy list is encoded once, not per request.

A key holds the store's revision, so any write to the store makes every cached answer stale;
access checks are not cached (the handler makes them on every request before asking here).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class PageCache:
    """At most ``size`` encoded answers, least recently used dropped first; thread-safe."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        """The answer stored under ``key``, or None."""
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: Hashable, answer: bytes) -> None:
        """Keep ``answer`` under ``key``."""
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
