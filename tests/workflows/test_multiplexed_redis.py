"""The state store's Redis connection: one connection for every task, replies handed back in order, failures
reported to the callers that were waiting and the next call connecting afresh (workflows.multiplexed_redis)."""

import asyncio
import hashlib
import uuid

import hiredis
import pytest

from workflows.multiplexed_redis import MultiplexedRedis, _parse_url
from workflows.statestore import RedisStateStore, StateStoreUnavailable


@pytest.fixture
async def client(redis_url):
    redis = MultiplexedRedis(redis_url, connect_timeout_s=2, reply_timeout_s=2)
    yield redis
    await redis.close()


async def test_concurrent_callers_each_get_their_own_replies_over_one_connection(client, redis_prefix):
    async def write_and_read(n: int) -> tuple[str, str]:
        key = f"{redis_prefix}k{n}"
        _, value = await client.execute(("SET", key, f"值{n}", "PX", 5000), ("GET", key))
        (echo,) = await client.execute(("ECHO", f"e{n}"))
        return value, echo

    results = await asyncio.gather(*(write_and_read(n) for n in range(200)))
    assert results == [(f"值{n}", f"e{n}") for n in range(200)]
    (clients,) = await client.execute(("CLIENT", "ID"))
    (again,) = await client.execute(("CLIENT", "ID"))
    assert clients == again  # the same connection all along


async def test_a_caller_that_gives_up_does_not_shift_the_replies_of_the_others(client, redis_prefix):
    await client.execute(("SET", f"{redis_prefix}a", "A"), ("SET", f"{redis_prefix}b", "B"))
    slow = asyncio.ensure_future(client.execute(("GET", f"{redis_prefix}a")))
    after = asyncio.ensure_future(client.execute(("GET", f"{redis_prefix}b")))
    slow.cancel()
    assert await after == ["B"]
    assert await client.execute(("GET", f"{redis_prefix}a")) == ["A"]


async def test_error_replies_come_back_in_place(client, redis_prefix):
    key = f"{redis_prefix}list"
    replies = await client.execute(("RPUSH", key, "x"), ("GET", key), ("LLEN", key))
    assert replies[0] == 1 and replies[2] == 1
    assert isinstance(replies[1], hiredis.ReplyError) and "WRONGTYPE" in str(replies[1])


async def test_multi_exec_in_one_batch_stays_atomic_among_concurrent_callers(redis_url, redis_prefix):
    store = RedisStateStore(redis_url, redis_prefix)
    try:
        counts = await asyncio.gather(*(store.incr("tries", ttl_s=5) for _ in range(100)))
        assert sorted(counts) == list(range(1, 101))
    finally:
        await store.close()


async def test_a_killed_connection_fails_its_callers_and_the_next_call_reconnects(client, redis_url):
    (first_id,) = await client.execute(("CLIENT", "ID"))
    other = MultiplexedRedis(redis_url, connect_timeout_s=2, reply_timeout_s=2)
    try:
        waiting = asyncio.ensure_future(client.execute(("BLPOP", f"linli-test:{uuid.uuid4().hex}", 5)))
        await asyncio.sleep(0.05)
        assert await other.execute(("CLIENT", "KILL", "ID", first_id)) == [1]
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(waiting, 2)
    finally:
        await other.close()
    (second_id,) = await client.execute(("CLIENT", "ID"))
    assert second_id != first_id


async def test_a_script_redis_does_not_have_is_sent_whole_once(redis_url, redis_prefix):
    """After a Redis restart (or SCRIPT FLUSH) EVALSHA answers NOSCRIPT: the claim and the unlock still work."""

    class FreshScripts(RedisStateStore):  # scripts no Redis has seen: their first EVALSHA gets NOSCRIPT
        _CLAIM = RedisStateStore._CLAIM + f"-- {uuid.uuid4().hex}\n"
        _UNLOCK = RedisStateStore._UNLOCK + f" -- {uuid.uuid4().hex}"

    store = FreshScripts(redis_url, redis_prefix)
    try:
        claim = await store.claim_message("dedup:m1", "processing", 5, lock_key="openid:o1", lock_timeout_s=5,
                                          prefetch=["conv:o1"])
        assert claim.first and claim.token
        async with store.turn("openid:o1", claim=claim, timeout_s=5, defer=["conv:o1"]) as turn:
            await store.set("conv:o1", "{}", 60)
            turn.write_after("dedup:m1", "done:好的", 5)
        assert await store.get_many(["conv:o1", "dedup:m1", "lock:openid:o1"]) == ["{}", "done:好的", None]
        loaded = await store._redis.execute(("SCRIPT", "EXISTS",
                                             hashlib.sha1(FreshScripts._UNLOCK.encode()).hexdigest()))
        assert loaded == [[1]]
    finally:
        await store.close()


def test_urls_give_the_address_and_the_set_up_commands():
    assert _parse_url("redis://127.0.0.1:6379/0") == ({"host": "127.0.0.1", "port": 6379}, [])
    assert _parse_url("redis://:s%40cret@redis.local/3") == ({"host": "redis.local", "port": 6379},
                                                             [("AUTH", "s@cret"), ("SELECT", 3)])
    assert _parse_url("redis://linli:pw@h:6380?db=2")[1] == [("AUTH", "linli", "pw"), ("SELECT", 2)]
    assert _parse_url("unix:///run/redis.sock?db=1") == ({"path": "/run/redis.sock"}, [("SELECT", 1)])
    target, _ = _parse_url("rediss://h:6390/0")
    assert target["port"] == 6390 and target["ssl"] is not None
    with pytest.raises(ValueError):
        _parse_url("http://h/0")


async def test_a_wrong_password_is_reported_as_unavailable():
    store = RedisStateStore("redis://:not-the-password@127.0.0.1:6379/0", "linli-test:")
    try:
        with pytest.raises(StateStoreUnavailable):
            await store.get("anything")
    finally:
        await store.close()
