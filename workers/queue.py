"""Queues, job naming and the coalescing triggers.

Three queues, drained in this order by every worker: ``stock`` (pushes to channels: latency
matters most), ``ingest`` (inbox events), ``outbound`` (notes and other calls that create things).

Coalescing: a trigger sets a short-lived Redis flag with ``SET NX`` and enqueues one job only when
the flag was not already set; the job deletes the flag before it starts reading, so anything that
arrives while it runs triggers a new job. Under load the webhook ack path therefore costs one
``SET NX`` instead of an enqueue. The flag expires, and the sweeper re-triggers from the database,
so a lost flag or job delays work but never loses it.
"""

from __future__ import annotations

import time

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError

from workers.retry import OUTBOUND_RETRY

QUEUE_NAMES = ("stock", "ingest", "outbound")
FLAG_TTL = 30
RESULT_TTL = 300
FAILURE_TTL = 7 * 24 * 3600


def queue(redis: Redis, name: str) -> Queue:
    return Queue(name, connection=redis)


def _enqueue(redis: Redis, queue_name: str, func: str, *args, description: str, retry=None, timeout: int = 300):
    return queue(redis, queue_name).enqueue(
        func, *args, description=description, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
        job_timeout=timeout, retry=retry,
    )


def drain_flag(channel_id: int) -> str:
    return f"sb:drain:{channel_id}"


def trigger_drain(redis: Redis, channel_id: int, channel_name: str) -> bool:
    """Make sure a drain job for the channel's inbox is queued; True if this call enqueued it."""
    if not redis.set(drain_flag(channel_id), 1, nx=True, ex=FLAG_TTL):
        return False
    remember_channel_name(redis, channel_id, channel_name)
    _enqueue(redis, "ingest", "workers.ingest.drain_inbox", channel_id,
             description=f"process new events from {channel_name}")
    return True


def dirty_key(channel_id: int, force: bool = False) -> str:
    return f"sb:dirty:{'force:' if force else ''}{channel_id}"


def dirty_since_key(channel_id: int) -> str:
    """When each dirty SKU first became dirty (for the propagation-delay histogram)."""
    return f"sb:dirty-since:{channel_id}"


def push_flag(channel_id: int) -> str:
    return f"sb:push:{channel_id}"


def mark_dirty(redis: Redis, pairs: list[tuple[int, str]], force: set[tuple[int, str]] = frozenset()) -> None:
    """Record that these (channel id, SKU) figures may have changed and make sure pushers run."""
    if not pairs and not force:
        return
    now = time.time()
    pipe = redis.pipeline(transaction=False)
    for channel_id, sku in pairs:
        pipe.sadd(dirty_key(channel_id), sku)
        pipe.hsetnx(dirty_since_key(channel_id), sku, now)
    for channel_id, sku in force:
        pipe.sadd(dirty_key(channel_id, force=True), sku)
        pipe.hsetnx(dirty_since_key(channel_id), sku, now)
    pipe.execute()
    for channel_id in sorted({c for c, _ in pairs} | {c for c, _ in force}):
        trigger_push(redis, channel_id)


def remember_channel_name(redis: Redis, channel_id: int, name: str) -> None:
    redis.hset("sb:channel-names", str(channel_id), name)


def channel_label(redis: Redis, channel_id: int) -> str:
    """The channel's name for job descriptions (falls back to its id; names are cached by the drain)."""
    name = redis.hget("sb:channel-names", str(channel_id))
    return name.decode() if name else f"channel #{channel_id}"


def trigger_push(redis: Redis, channel_id: int) -> bool:
    if not redis.set(push_flag(channel_id), 1, nx=True, ex=FLAG_TTL):
        return False
    _enqueue(redis, "stock", "workers.stock_push.push_channel", channel_id,
             description=f"push stock figures to {channel_label(redis, channel_id)}", retry=OUTBOUND_RETRY)
    return True


def enqueue_intent(redis: Redis, intent_id: int, description: str) -> None:
    """One job per intent; the deterministic id keeps a double enqueue from running twice at once."""
    try:
        queue(redis, "outbound").enqueue(
            "workers.intents.perform_intent", intent_id, job_id=f"intent-{intent_id}", unique=True,
            description=description, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL, job_timeout=120,
            retry=OUTBOUND_RETRY,
        )
    except DuplicateJobError:
        pass


def enqueue_replay(redis: Redis, event_id: int, channel_id: int, channel_name: str) -> None:
    """Operator replay: the event is back to ``received``; the drain picks it up."""
    redis.delete(drain_flag(channel_id))
    trigger_drain(redis, channel_id, channel_name)


ECHO_MEMORY_SECONDS = 300


def _pushed_key(channel_id: int, sku: str) -> str:
    return f"sb:pushed:{channel_id}:{sku}"


def remember_pushed(redis, channel_id: int, sku: str, figure: int) -> None:
    """Keep the figures pushed in the last minutes, so their late echoes are recognised."""
    key, now = _pushed_key(channel_id, sku), time.time()
    pipe = redis.pipeline(transaction=False)
    pipe.zadd(key, {str(figure): now})
    pipe.zremrangebyscore(key, 0, now - ECHO_MEMORY_SECONDS)
    pipe.expire(key, ECHO_MEMORY_SECONDS)
    pipe.execute()


def recently_pushed(redis, channel_id: int, sku: str) -> frozenset[int]:
    members = redis.zrangebyscore(_pushed_key(channel_id, sku), time.time() - ECHO_MEMORY_SECONDS, "+inf")
    return frozenset(int(m) for m in members)
