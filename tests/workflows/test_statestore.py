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


async def test_a_redis_that_accepts_but_never_answers_is_reported_within_the_timeout():
    """A hung Redis (or a half-open connection) must not hang the webhook: every round trip has its limit."""
    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader, writer):  # reads commands, answers nothing
        accepted.append(writer)
        while await reader.read(4096):
            pass

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisStateStore(f"redis://127.0.0.1:{port}/0", "linli-test:", timeout_s=0.3)
    calls = {
        "get": lambda: store.get("k"),
        "set": lambda: store.set("k", "v", 5),
        "incr": lambda: store.incr("n", 5),
        "claim": lambda: store.claim_message("dedup:1", "processing", 60, lock_key="openid:o1", lock_timeout_s=10,
                                             prefetch=["conv:o1"]),
    }
    try:
        for name, call in calls.items():
            started = asyncio.get_running_loop().time()
            with pytest.raises(StateStoreUnavailable):
                await call()
            assert asyncio.get_running_loop().time() - started < 2, name
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await store.close()
    assert accepted  # the store did connect: it was the answer that never came


# --- the webhook's two round trips: claim_message, then a turn whose writes leave with the unlock ---------------


async def test_a_message_is_claimed_once_and_the_owner_keys_come_with_the_claim(store):
    await store.set("conv:o1", '{"dialog": "repair"}')
    first = await store.claim_message("dedup:m1", "processing", 5, lock_key="openid:o1", lock_timeout_s=5,
                                      prefetch=["conv:o1", "owner:o1"])
    again = await store.claim_message("dedup:m1", "processing", 5, lock_key="openid:o1", lock_timeout_s=5,
                                      prefetch=["conv:o1", "owner:o1"])
    assert first.first and not again.first and again.previous == "processing"
    async with store.turn("openid:o1", claim=first, timeout_s=5, defer=["conv:o1", "owner:o1"]) as turn:
        assert await store.get_many(["conv:o1", "owner:o1"]) == ['{"dialog": "repair"}', None]
        await store.set("conv:o1", '{"dialog": null}', 60)
        assert await store.get("conv:o1") == '{"dialog": null}'  # a turn reads its own writes
        await store.set("owner:o1", "stale profile", 60)
        await store.delete("owner:o1")  # a binding changed: the deferred profile must not come back
        turn.write_after("dedup:m1", "done:好的", 30)
    assert await store.get("conv:o1") == '{"dialog": null}' and await store.get("owner:o1") is None
    assert await store.get("dedup:m1") == "done:好的"
    async with store.turn("openid:o1", claim=None, timeout_s=0.5, defer=[]):  # the lock was released
        pass


async def test_a_turn_that_fails_writes_nothing_and_releases_the_lock(store):
    claim = await store.claim_message("dedup:m2", "processing", 5, lock_key="openid:o2", lock_timeout_s=5,
                                      prefetch=["conv:o2"])
    with pytest.raises(RuntimeError):
        async with store.turn("openid:o2", claim=claim, timeout_s=5, defer=["conv:o2"]) as turn:
            await store.set("conv:o2", "half-done", 60)
            turn.write_after("dedup:m2", "done:x", 30)
            raise RuntimeError("the bot broke")
    assert await store.get("conv:o2") in (None, "half-done")  # memory writes through; Redis defers and drops it
    async with store.turn("openid:o2", claim=None, timeout_s=0.5, defer=[]):
        pass


async def test_while_the_owner_is_busy_the_claim_waits_for_the_lock_in_the_turn(store):
    async with store.lock("openid:o3", timeout_s=5):
        claim = await store.claim_message("dedup:m3", "processing", 5, lock_key="openid:o3", lock_timeout_s=5,
                                          prefetch=["conv:o3"])
        assert claim.first and claim.token is None
    async with store.turn("openid:o3", claim=claim, timeout_s=1, defer=["conv:o3"]):
        await store.set("conv:o3", "next", 60)
    assert await store.get("conv:o3") == "next"
