"""The webhook's two Redis round trips (workflows.statestore: claim_message, then a turn whose writes leave with the
unlock), client CPU per message, redis-py against the state store's multiplexed connection, measured in one
process, interleaved, so load from other work on the machine falls on both alike.

    .venv/bin/python benchmarks/redis_round_trips.py [--rounds 12] [--messages 2000] [--concurrency 10 50]

- "redis-py": what RedisStateStore did until issue 21's last step: the claim script through redis-py's Script
  (EVALSHA), then a non-transactional pipeline (SET conversation, SET answer, EVALSHA unlock), hiredis parser,
  no socket_timeout, one asyncio.timeout per round trip;
- "store (multiplexed)": RedisStateStore itself: the same commands over workflows.multiplexed_redis.
Needs Redis at 127.0.0.1:6379 (or LINLI_BENCH_REDIS); keys under a prefix of their own, deleted after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workflows.statestore import RedisStateStore  # noqa: E402

REDIS = os.environ.get("LINLI_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PREFIX = f"linli-bench-rt:{os.getpid()}:"
CONVERSATION = '{"dialog":"bind","slot_index":1,"values":{"community":1},"stage":"slot","choices":[]}' * 3


class RedisPyRoundTrips:
    """The claim and the turn's writes through redis-py, as the store sent them before (same scripts, same keys)."""

    def __init__(self) -> None:
        import redis.asyncio as redis

        self.redis = redis.from_url(REDIS, decode_responses=True, socket_timeout=None, socket_connect_timeout=2,
                                    health_check_interval=30)
        self.claim = self.redis.register_script(RedisStateStore._CLAIM)
        self.unlock = self.redis.register_script(RedisStateStore._UNLOCK)

    async def message(self, openid: str, dedup: str) -> None:
        token = os.urandom(16).hex()
        keys = [PREFIX + dedup, f"{PREFIX}lock:openid:{openid}", f"{PREFIX}conv:{openid}", f"{PREFIX}owner:{openid}"]
        async with asyncio.timeout(2):
            await self.claim(keys=keys, args=["processing", 60000, token, 15000])
        async with asyncio.timeout(2), self.redis.pipeline(transaction=False) as pipe:
            pipe.set(keys[2], CONVERSATION, px=600000)
            pipe.set(keys[0], "done:好的", px=30000)
            pipe.evalsha(self.unlock.sha, 1, keys[1], token)
            await pipe.execute()

    async def close(self) -> None:
        await self.redis.aclose()


class StoreRoundTrips:
    def __init__(self) -> None:
        self.store = RedisStateStore(REDIS, PREFIX)

    async def message(self, openid: str, dedup: str) -> None:
        keys = [f"conv:{openid}", f"owner:{openid}"]
        claim = await self.store.claim_message(dedup, "processing", 60, lock_key=f"openid:{openid}",
                                               lock_timeout_s=10, prefetch=keys)
        async with self.store.turn(f"openid:{openid}", claim=claim, timeout_s=10, defer=keys) as turn:
            await self.store.set(keys[0], CONVERSATION, 600)
            turn.write_after(dedup, "done:好的", 30)

    async def close(self) -> None:
        await self.store.close()


async def messages(variant, count: int, concurrency: int) -> float:
    """CPU microseconds per message: claim + a turn writing the conversation and the answer for retries."""
    async def owner(n: int) -> None:
        for i in range(count // concurrency):
            await variant.message(f"o{n}x{i}", f"dedup:{os.urandom(8).hex()}")

    started = time.process_time()
    await asyncio.gather(*(owner(n) for n in range(concurrency)))
    return (time.process_time() - started) / count * 1e6


async def main(rounds: int, count: int, levels: list[int]) -> None:
    import redis.asyncio as redis

    variants = {"redis-py (before)": RedisPyRoundTrips(), "store (multiplexed)": StoreRoundTrips()}
    figures = {(name, level): [] for name in variants for level in levels}
    try:
        for variant in variants.values():
            await messages(variant, 200, 10)  # connections made, scripts loaded
        for _ in range(rounds):
            for level in levels:
                for name, variant in variants.items():
                    figures[name, level].append(await messages(variant, count, level))
    finally:
        for variant in variants.values():
            await variant.close()
        client = redis.from_url(REDIS)
        async for key in client.scan_iter(match=PREFIX + "*", count=1000):
            await client.delete(key)
        await client.aclose()
    print(f"\nRedis round trips of one webhook message, {rounds} interleaved rounds of {count} messages, client CPU "
          "per message (this process only)")
    for level in levels:
        baseline = statistics.median(figures[next(iter(variants)), level])
        for name in variants:
            values = figures[name, level]
            median = statistics.median(values)
            print(f"  {level:>3} concurrent  {name:22s} median {median:6.0f} us   min {min(values):6.0f} us   "
                  f"{median / baseline:5.2f}x")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[10, 50])
    args = parser.parse_args()
    import uvloop

    uvloop.run(main(args.rounds, args.messages, args.concurrency))
