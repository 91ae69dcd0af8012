"""PageCache: answers kept per key, concurrent misses share one build, errors are not kept."""

from __future__ import annotations

import asyncio

import pytest

from api.page_cache import PageCache


def test_concurrent_misses_share_one_build_and_hits_build_nothing() -> None:
    builds = []

    async def build() -> bytes:
        builds.append(1)
        await asyncio.sleep(0.05)
        return b"[1]"

    async def scenario() -> list[bytes]:
        cache = PageCache(size=2)
        answers = await asyncio.gather(*(cache.answer("k", build) for _ in range(20)))
        answers.append(await cache.answer("k", build))
        return answers

    assert asyncio.run(scenario()) == [b"[1]"] * 21 and len(builds) == 1


def test_old_keys_are_dropped_and_failures_are_not_kept() -> None:
    async def scenario() -> None:
        cache = PageCache(size=2)
        for key in ("a", "b", "c"):
            await cache.answer(key, lambda key=key: asyncio.sleep(0, key.encode()))
        assert await cache.answer("a", lambda: asyncio.sleep(0, b"new")) == b"new"  # "a" was dropped
        assert await cache.answer("c", lambda: asyncio.sleep(0, b"other")) == b"c"  # "c" was kept

        async def fail() -> bytes:
            raise RuntimeError("store unavailable")

        with pytest.raises(RuntimeError):
            await cache.answer("d", fail)
        assert await cache.answer("d", lambda: asyncio.sleep(0, b"ok")) == b"ok"

    asyncio.run(scenario())
