"""Push stock figures to a channel: coalesced, batched, latest value wins.

``push_channel`` pops every dirty SKU of the channel, reads the figures from the ledger at push
time (so a burst of changes sends only the latest), skips figures equal to what we pushed last
(unless forced) and sends WooCommerce batch updates: simple products through ``/products/batch``,
variations through ``/products/<parent>/variations/batch``, 100 items a request. One pusher per
channel at a time (a Redis lock), so an older figure can never overtake a newer one.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import select

from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Channel, Listing, utcnow
from connector.stock import figure_for
from mappers import woocommerce as woo
from workers import context
from workers.queue import dirty_key, push_flag, trigger_push
from workers.woocommerce_events import client_for

log = logging.getLogger(__name__)
LOCK_TIMEOUT = 120


def push_channel(channel_id: int) -> str:
    """Job: send every dirty figure of one channel."""
    redis = context.redis()
    redis.delete(push_flag(channel_id))
    with redis.lock(f"sb:push-lock:{channel_id}", timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_TIMEOUT):
        skus, forced = _pop_dirty(redis, channel_id)
        if not skus:
            return "nothing to push"
        try:
            sent = _push(channel_id, skus, forced)
        except StockbridgeError:
            _restore_dirty(redis, channel_id, skus, forced)
            raise
    if redis.scard(dirty_key(channel_id)) or redis.scard(dirty_key(channel_id, force=True)):
        trigger_push(redis, channel_id)
    return f"{sent} figures sent"


def _pop_dirty(redis, channel_id: int) -> tuple[set[str], set[str]]:
    pipe = redis.pipeline()
    for key in (dirty_key(channel_id), dirty_key(channel_id, force=True)):
        pipe.smembers(key)
        pipe.delete(key)
    plain, _, forced, _ = pipe.execute()
    forced = {s.decode() for s in forced}
    return {s.decode() for s in plain} | forced, forced


def _restore_dirty(redis, channel_id: int, skus: set[str], forced: set[str]) -> None:
    pipe = redis.pipeline()
    if skus - forced:
        pipe.sadd(dirty_key(channel_id), *(skus - forced))
    if forced:
        pipe.sadd(dirty_key(channel_id, force=True), *forced)
    pipe.execute()


def _push(channel_id: int, skus: set[str], forced: set[str]) -> int:
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        plan = _plan(session, channel, skus, forced)
        client = client_for(channel, context.settings()) if plan else None
    if not plan:
        return 0
    results = {}
    try:
        for parent, items in plan.items():
            updates = [woo.stock_update(l_var, l_prod, figure) for (_, l_prod, l_var, figure) in items]
            for item, result in zip(items, client.batch_update_stock(parent, updates)):
                results[item[0]] = (item[3], result.get("error"))
    except StockbridgeError as exc:
        _record_channel(channel_id, error=f"{type(exc).__name__}: {exc}")
        raise
    _record_results(channel_id, results)
    return len(results)


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


def _record_results(channel_id: int, results: dict[int, tuple[int, dict | None]]) -> None:
    now = utcnow()
    with transaction(context.engine()) as session:
        for listing_id, (figure, error) in results.items():
            listing = session.get(Listing, listing_id)
            if error:
                listing.push_error = f"{error.get('code')}: {error.get('message')}"[:500]
                continue
            listing.last_pushed, listing.last_pushed_at, listing.push_error = figure, now, None
        channel = session.get(Channel, channel_id)
        channel.last_success_at = now


def _record_channel(channel_id: int, error: str) -> None:
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        channel.last_error, channel.last_error_at = error[:500], utcnow()
