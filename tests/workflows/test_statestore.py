"""Both state stores behave the same: TTLs, set-if-absent, counters, sets, locks serialising, and outages reported."""

import asyncio

import pytest

from workflows.statestore import MemoryStateStore, RedisStateStore, StateStoreUnavailable


@pytest.fixture(params=["memory", "redis"])
async def store(request):
    if request.param == "memory":
        yield MemoryStateStore()
        return
    redis_url = request.getfixturevalue("redis_url")
    store = RedisStateStore(redis_url, request.getfixturevalue("redis_prefix"))
    yield store
    await store.close()


async def test_values_expire_after_their_ttl(store):
    await store.set("k", "v", ttl_s=0.05)
    assert await store.get("k") == "v"
    await asyncio.sleep(0.1)
    assert await store.get("k") is None


async def test_set_if_absent_lets_only_the_first_writer_in(store):
    results = await asyncio.gather(*(store.set_if_absent("dedup", str(i), ttl_s=5) for i in range(10)))
    assert results.count(True) == 1
    assert await store.get("dedup") == str(results.index(True))


async def test_counters_count_within_their_window(store):
    assert [await store.incr("tries", ttl_s=5) for _ in range(3)] == [1, 2, 3]


async def test_lock_runs_holders_one_at_a_time_in_order(store):
    order: list[str] = []

    async def hold(name: str, pause: float) -> None:
        async with store.lock("openid:x", timeout_s=5):
            order.append(f"{name}+")
            await asyncio.sleep(pause)
            order.append(f"{name}-")

    first = asyncio.create_task(hold("a", 0.05))
    await asyncio.sleep(0.01)
    await asyncio.gather(first, hold("b", 0))
    assert order == ["a+", "a-", "b+", "b-"]


async def test_get_many_reads_several_values_at_once_missing_ones_as_none(store):
    await store.set("a", "1", ttl_s=5)
    await store.set("c", "3")
    assert await store.get_many(["a", "b", "c"]) == ["1", None, "3"]


async def test_sets_answer_membership_of_several_members_and_go_with_delete(store):
    assert await store.in_set("members", ["x"]) == [False]
    await store.add_to_set("members", (f"m{i}" for i in range(2500)))  # more than one SADD chunk
    await store.add_to_set("members", ["x"])
    assert await store.in_set("members", ["x", "m0", "m2499", "y"]) == [True, True, True, False]
    await store.delete("members")
    assert await store.in_set("members", ["x", "m0"]) == [False, False]


async def test_redis_outage_is_reported_as_unavailable():
    store = RedisStateStore("redis://127.0.0.1:1/0", "linli-test:")  # nothing listens on port 1
    with pytest.raises(StateStoreUnavailable):
        await store.get("anything")
    with pytest.raises(StateStoreUnavailable):
        await store.ping()
    with pytest.raises(StateStoreUnavailable):
        await store.in_set("anything", ["x"])
    await store.close()
