"""Push stock figures to a channel: coalesced, batched, latest value wins.

``push_channel`` pops every dirty SKU of the channel, reads the figures from the ledger at push
time (so a burst of changes sends only the latest), skips figures equal to what we pushed last
(unless forced) and sends WooCommerce batch updates: simple products through ``/products/batch``,
variations through ``/products/<parent>/variations/batch``, 100 items a request. One pusher per
channel at a time (a Redis lock), so an older figure can never overtake a newer one.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

from sqlalchemy import select

from connector import alerts
from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Channel, Listing, utcnow
from connector.stock import figure_for
from mappers import woocommerce as woo
from workers import context
from workers import metrics_store
from workers.queue import dirty_key, dirty_since_key, push_flag, remember_pushed, trigger_push
from workers.woocommerce_events import client_for

log = logging.getLogger(__name__)
LOCK_TIMEOUT = 120


def push_channel(channel_id: int) -> str:
    """Job: send every dirty figure of one channel."""
    redis = context.redis()
    redis.delete(push_flag(channel_id))
    with redis.lock(f"sb:push-lock:{channel_id}", timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_TIMEOUT):
        skus, forced, since = _pop_dirty(redis, channel_id)
        if not skus:
            return "nothing to push"
        try:
            sent = _push(channel_id, skus, forced)
        except StockbridgeError:
            _restore_dirty(redis, channel_id, skus, forced, since)
            raise
        _observe_propagation(redis, channel_id, sent, since)
    if redis.scard(dirty_key(channel_id)) or redis.scard(dirty_key(channel_id, force=True)):
        trigger_push(redis, channel_id)
    return f"{len(sent)} figures sent"


def _pop_dirty(redis, channel_id: int) -> tuple[set[str], set[str], dict[str, float]]:
    """Take the dirty SKUs (plain and forced) and when each became dirty, atomically."""
    keys = (dirty_key(channel_id), dirty_key(channel_id, force=True), dirty_since_key(channel_id))
    pipe = redis.pipeline()
    pipe.smembers(keys[0])
    pipe.smembers(keys[1])
    pipe.hgetall(keys[2])
    pipe.delete(*keys)
    plain, forced, since, _ = pipe.execute()
    forced = {s.decode() for s in forced}
    return {s.decode() for s in plain} | forced, forced, {k.decode(): float(v) for k, v in since.items()}


def _observe_propagation(redis, channel_id: int, sent: set[str], since: dict[str, float]) -> None:
    now, pipe = time.time(), redis.pipeline(transaction=False)
    for sku in sent:
        if sku in since:
            metrics_store.observe(redis, "propagation_seconds", now - since[sku], pipe=pipe, channel=str(channel_id))
    pipe.execute()


def _restore_dirty(redis, channel_id: int, skus: set[str], forced: set[str], since: dict[str, float]) -> None:
    pipe = redis.pipeline()
    for sku, first in since.items():
        pipe.hsetnx(dirty_since_key(channel_id), sku, first)
    if skus - forced:
        pipe.sadd(dirty_key(channel_id), *(skus - forced))
    if forced:
        pipe.sadd(dirty_key(channel_id, force=True), *forced)
    pipe.execute()


def _push(channel_id: int, skus: set[str], forced: set[str]) -> set[str]:
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        plan = _plan(session, channel, skus, forced)
        client = client_for(channel, context.settings()) if plan else None
    if not plan:
        return set()
    results = {}
    try:
        for parent, items in plan.items():
            updates = [woo.stock_update(l_var, l_prod, figure) for (_, l_prod, l_var, figure) in items]
            for item, result in zip(items, client.batch_update_stock(parent, updates)):
                results[item[0]] = (item[3], result.get("error"))
    except StockbridgeError as exc:
        _record_channel(channel_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return _record_results(channel_id, results)


def _plan(session, channel: Channel, skus: set[str], forced: set[str]) -> dict[int | None, list[tuple]]:
    """Group changed figures by variation parent: {parent id or None: [(listing id, product, variation, figure)]}."""
    plan: dict[int | None, list[tuple]] = defaultdict(list)
    listings = session.scalars(select(Listing).where(Listing.channel_id == channel.id, Listing.sku.in_(sorted(skus))))
    for listing in listings:
        figure = figure_for(session, listing)
        if figure is None or (figure == listing.last_pushed and listing.sku not in forced):
            continue
        if not listing.product_ref or listing.product_ref == "0":
            continue
        parent = int(listing.product_ref) if listing.variation_ref not in ("", "0") else None
        plan[parent].append((listing.id, listing.product_ref, listing.variation_ref, figure))
    return plan


def _record_results(channel_id: int, results: dict[int, tuple[int, dict | None]]) -> set[str]:
    """Store what each listing now shows; returns the SKUs the channel accepted."""
    now, accepted = utcnow(), set()
    with transaction(context.engine()) as session:
        for listing_id, (figure, error) in results.items():
            listing = session.get(Listing, listing_id)
            if error:
                listing.push_error = f"{error.get('code')}: {error.get('message')}"[:500]
                continue
            listing.last_pushed, listing.last_pushed_at, listing.push_error = figure, now, None
            accepted.add(listing.sku)
            remember_pushed(context.redis(), channel_id, listing.sku, figure)
        channel = session.get(Channel, channel_id)
        channel.last_success_at = now
        alerts.resolve(session, f"channel-failing:{channel_id}")
    return accepted


def _record_channel(channel_id: int, error: str) -> None:
    with transaction(context.engine()) as session:
        record_channel_error(session, session.get(Channel, channel_id), error)


def record_channel_error(session, channel: Channel, error: str) -> None:
    """Remember a channel's last error for the console and raise (or bump) its "failing" alert."""
    channel.last_error, channel.last_error_at = error[:500], utcnow()
    alerts.raise_alert(session, kind="channel_failing", key=f"channel-failing:{channel.id}", channel_id=channel.id,
                       message=f"{channel.name}: calls are failing ({error[:200]})")
