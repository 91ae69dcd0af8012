"""PageCache: answers kept per key for the newest revision, concurrent misses share one build, errors are
not kept."""

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
        answers = await asyncio.gather(*(cache.answer("k", 1, build) for _ in range(20)))
        answers.append(await cache.answer("k", 1, build))
        return answers

    assert asyncio.run(scenario()) == [b"[1]"] * 21 and len(builds) == 1


def test_old_keys_are_dropped_and_failures_are_not_kept() -> None:
    async def scenario() -> None:
        cache = PageCache(size=2)
        for key in ("a", "b", "c"):
            await cache.answer(key, 1, lambda key=key: asyncio.sleep(0, key.encode()))
        assert await cache.answer("a", 1, lambda: asyncio.sleep(0, b"new")) == b"new"  # "a" was dropped
        assert await cache.answer("c", 1, lambda: asyncio.sleep(0, b"other")) == b"c"  # "c" was kept

        async def fail() -> bytes:
            raise RuntimeError("store unavailable")

        with pytest.raises(RuntimeError):
            await cache.answer("d", 1, fail)
        assert await cache.answer("d", 1, lambda: asyncio.sleep(0, b"ok")) == b"ok"

    asyncio.run(scenario())


def test_a_new_revision_of_one_key_replaces_its_answer_and_leaves_the_others() -> None:
    async def scenario() -> None:
        cache = PageCache(size=100)
        for key in "abc":
            await cache.answer(key, 1, lambda key=key: asyncio.sleep(0, key.encode()))
        assert await cache.answer("a", 2, lambda: asyncio.sleep(0, b"a2")) == b"a2"
        assert await cache.answer("a", 2, lambda: asyncio.sleep(0, b"built again")) == b"a2"
        assert await cache.answer("b", 1, lambda: asyncio.sleep(0, b"built again")) == b"b"  # b kept
        assert len(cache._answers) == 3  # a's answer of revision 1 was replaced, not kept beside

        async def slow() -> bytes:  # built for revision 2 while revision 3 of the same key is asked for
            await asyncio.sleep(0.05)
            return b"c2"

        late = asyncio.ensure_future(cache.answer("c", 2, slow))
        await asyncio.sleep(0.01)
        assert await cache.answer("c", 3, lambda: asyncio.sleep(0, b"c3")) == b"c3"
        assert await late == b"c2" and cache._answers["c"] == (3, b"c3")  # a stale answer is not kept
        assert await cache.answer("c", 3, lambda: asyncio.sleep(0, b"built again")) == b"c3"

    asyncio.run(scenario())


def test_keys_are_forgotten_with_their_answers() -> None:
    async def scenario() -> None:
        cache = PageCache(size=2)
        for key in "abcd":
            await cache.answer(key, 1, lambda key=key: asyncio.sleep(0, key.encode()))

        async def fail() -> bytes:
            raise RuntimeError("store unavailable")

        with pytest.raises(RuntimeError):
            await cache.answer("e", 1, fail)
        assert list(cache._answers) == ["c", "d"] and set(cache._asked) == {"c", "d"}

    asyncio.run(scenario())
