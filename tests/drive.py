"""Driving Parameterized models in tests: set parameters, then wait for the work they set off.

A model's watchers may be coroutines (Panel and param schedule them on the running event loop) and
they run blocking calls in threads; :func:`act` sets parameters inside an event loop and returns
once nothing is left running on it, re-raising what a watcher raised.
"""

from __future__ import annotations

import asyncio
from typing import Any

import param


async def settled(timeout: float = 60) -> None:
    """Wait until no other task runs on this loop (the models' watchers and what they started)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: set[asyncio.Task] = set()
    quiet = 0
    while quiet < 3:  # a watcher may schedule another one as it ends: wait for three empty turns
        pending = {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}
        seen |= pending
        quiet = 0 if pending else quiet + 1
        assert loop.time() < deadline, f"still running after {timeout} s: {pending}"
        await asyncio.sleep(0.01)
    for task in seen:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def act(model: param.Parameterized, **values: Any) -> None:
    """Set ``values`` on ``model`` at once (an event parameter set to True acts) and wait for the
    work they set off."""

    async def drive() -> None:
        model.param.update(**values)
        await settled()

    asyncio.run(drive())
