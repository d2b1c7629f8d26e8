"""The webhook's two Redis round trips (workflows.statestore: claim_message, then a turn whose writes leave with the
unlock), CPU per message under four client configurations measured in one process, interleaved, so load from other
work on the machine falls on all of them alike.

    .venv/bin/python benchmarks/redis_round_trips.py [--rounds 12] [--messages 1000] [--concurrency 10]

Configurations: redis-py's Python reply parser or hiredis; redis-py's socket_timeout (a wait_for task per send, a
timeout per read) or none (the store's own asyncio.timeout per round trip, as RedisStateStore does). The first is
what the store did before issue 21's follow-up; the last is what it does now. Needs Redis at 127.0.0.1:6379 (or
LINLI_BENCH_REDIS); keys under a prefix of their own, deleted after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REDIS = os.environ.get("LINLI_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PREFIX = f"linli-bench-rt:{os.getpid()}:"
CONVERSATION = '{"dialog":"bind","slot_index":1,"values":{"community":1},"stage":"slot","choices":[]}' * 3


def store_with(parser: type, socket_timeout: float | None):
    """A RedisStateStore whose client is built with these options (the store's own code otherwise)."""
    import redis.asyncio as redis

    from workflows.statestore import RedisStateStore

    store = RedisStateStore(REDIS, PREFIX)
    store._redis = redis.from_url(REDIS, decode_responses=True, socket_timeout=socket_timeout,
                                  socket_connect_timeout=2, health_check_interval=30, parser_class=parser)
    store._unlock = store._redis.register_script(store._UNLOCK)
    store._claim = store._redis.register_script(store._CLAIM)
    return store


async def messages(store, count: int, concurrency: int) -> float:
    """CPU microseconds per message: claim + a turn writing the conversation and the answer for retries."""
    async def owner(n: int) -> None:
        for i in range(count // concurrency):
            openid = f"o{n}x{i}"
            keys = [f"conv:{openid}", f"owner:{openid}"]
            dedup = f"dedup:{uuid.uuid4().hex}"
            claim = await store.claim_message(dedup, "processing", 60, lock_key=f"openid:{openid}",
                                              lock_timeout_s=10, prefetch=keys)
            async with store.turn(f"openid:{openid}", claim=claim, timeout_s=10, defer=keys) as turn:
                await store.set(keys[0], CONVERSATION, 600)
                turn.write_after(dedup, "done:好的", 30)

    started = time.process_time()
    await asyncio.gather(*(owner(n) for n in range(concurrency)))
    return (time.process_time() - started) / count * 1e6


async def main(rounds: int, count: int, concurrency: int) -> None:
    import redis.asyncio as redis
    from redis._parsers import _AsyncHiredisParser, _AsyncRESP3Parser

    variants = {"python parser, socket_timeout (before)": store_with(_AsyncRESP3Parser, 2.0),
                "hiredis, socket_timeout": store_with(_AsyncHiredisParser, 2.0),
                "python parser, store's timeout": store_with(_AsyncRESP3Parser, None),
                "hiredis, store's timeout (now)": store_with(_AsyncHiredisParser, None)}
    figures: dict[str, list[float]] = {name: [] for name in variants}
    try:
        for store in variants.values():
            await messages(store, 200, concurrency)  # connections made, scripts loaded
        for _ in range(rounds):
            for name, store in variants.items():
                figures[name].append(await messages(store, count, concurrency))
    finally:
        for store in variants.values():
            await store.close()
        client = redis.from_url(REDIS)
        async for key in client.scan_iter(match=PREFIX + "*", count=1000):
            await client.delete(key)
        await client.aclose()
    baseline = statistics.median(next(iter(figures.values())))
    print(f"\nRedis round trips of one webhook message, {rounds} interleaved rounds of {count} messages at "
          f"{concurrency} concurrent, CPU per message (this process: client side only)")
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"  {name:40s} median {median:6.0f} us   min {min(values):6.0f} us   {median / baseline:5.2f}x")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    import uvloop

    uvloop.run(main(args.rounds, args.messages, args.concurrency))
