"""Push stock figures to a channel: coalesced, batched, latest value wins.

``push_channel`` pops every dirty SKU of the channel, reads the figures from the ledger at push
time (so a burst of changes sends only the latest), skips figures equal to what we pushed last
(unless forced) and sends them in the channel's own format: WooCommerce batch updates (simple
products through ``/products/batch``, variations through ``/products/<parent>/variations/batch``,
100 items a request) or the marketplace adapter's (``workers/marketplaces``). One pusher per channel
at a time (a Redis lock), so an older figure can never overtake a newer one. A figure the channel
will only take later (Ozon's one update per pair per 30 s) is pushed again when it may be.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select

from connector import alerts
from connector.db import transaction
from connector.errors import StockbridgeError
from connector.marketplaces import PushResult, StockPush
from connector.models import Channel, Listing, utcnow
from connector.stock import figure_for
from mappers import woocommerce as woo
from workers import context
from workers import metrics_store
from workers.marketplaces import adapter_for
from workers.queue import (channel_label, dirty_key, dirty_since_key, mark_dirty, push_flag, queue, remember_pushed,
                           trigger_push)
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
    """Send the changed figures through the channel's pusher; returns the SKUs the channel accepted."""
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        pushes = _changed(session, channel, skus, forced)
        send = _woo_send(channel) if channel.kind == "woocommerce" else _marketplace_send(channel)
    if not pushes:
        return set()
    try:
        results = send(pushes)
    except StockbridgeError as exc:
        _record_channel(channel_id, error=f"{type(exc).__name__}: {exc}")
        raise
    return _record_results(channel_id, results)


def _changed(session, channel: Channel, skus: set[str], forced: set[str]) -> list[StockPush]:
    """The listings among ``skus`` whose figure differs from what we pushed last (or is forced)."""
    pushes = []
    listings = session.scalars(select(Listing).where(Listing.channel_id == channel.id, Listing.sku.in_(sorted(skus)))
                               .order_by(Listing.id))
    for listing in listings:
        figure = figure_for(session, listing)
        if figure is None or (figure == listing.last_pushed and listing.sku not in forced):
            continue
        if listing.product_ref in ("", "0"):
            continue
        pushes.append(StockPush(listing.id, listing.sku, listing.product_ref, listing.variation_ref, figure,
                                dict(listing.state or {})))
    return pushes


def _woo_send(channel: Channel):
    """WooCommerce batches grouped by variation parent: {parent id or None: [pushes]}, per-item errors in a 200."""
    client = client_for(channel, context.settings())

    def send(pushes: list[StockPush]) -> list[PushResult]:
        plan: dict[int | None, list[StockPush]] = defaultdict(list)
        for push in pushes:
            plan[int(push.ref) if push.location not in ("", "0") else None].append(push)
        results = []
        for parent, items in plan.items():
            answers = client.batch_update_stock(parent, [woo.stock_update(p.location, p.ref, p.figure) for p in items])
            for push, answer in zip(items, answers):
                error = answer.get("error")
                results.append(PushResult(push.listing_id, push.figure,
                                          error=f"{error.get('code')}: {error.get('message')}" if error else ""))
        return results
    return send


def _marketplace_send(channel: Channel):
    adapter = adapter_for(channel.kind)
    client = adapter.client(channel, context.settings(), context.redis(), context.engine())
    return lambda pushes: adapter.push(client, pushes)


def _record_results(channel_id: int, results: list[PushResult]) -> set[str]:
    """Store what each listing now shows; figures not applied yet are pushed again later. Returns accepted SKUs."""
    now, accepted, later = utcnow(), set(), {}
    with transaction(context.engine()) as session:
        for result in results:
            listing = session.get(Listing, result.listing_id)
            if result.state is not None:
                listing.state = result.state
            if result.retry_in is not None:
                later[listing.sku] = max(later.get(listing.sku, 0), result.retry_in)
            elif result.error:
                listing.push_error = result.error[:500]
            else:
                listing.last_pushed, listing.last_pushed_at, listing.push_error = result.figure, now, None
                accepted.add(listing.sku)
                remember_pushed(context.redis(), channel_id, listing.sku, result.figure)
        channel = session.get(Channel, channel_id)
        channel.last_success_at = now
        alerts.resolve(session, f"channel-failing:{channel_id}")
    if later:
        push_later(channel_id, set(later), max(later.values()))
    return accepted


def push_later(channel_id: int, skus: set[str], seconds: float) -> None:
    """Figures the channel will only take after a pause (Ozon: one update per pair per 30 s)."""
    queue(context.redis(), "stock").enqueue_in(timedelta(seconds=seconds + 0.5), "workers.stock_push.push_again",
                                               channel_id, sorted(skus), description="push delayed stock figures to "
                                               f"{channel_label(context.redis(), channel_id)}", result_ttl=60)


def push_again(channel_id: int, skus: list[str]) -> str:
    """Job: the delayed figures are due; they go out with whatever else is dirty (latest figure wins)."""
    mark_dirty(context.redis(), [], force={(channel_id, sku) for sku in skus})
    return f"{len(skus)} figures due again"


def _record_channel(channel_id: int, error: str) -> None:
    with transaction(context.engine()) as session:
        record_channel_error(session, session.get(Channel, channel_id), error)


def record_channel_error(session, channel: Channel, error: str) -> None:
    """Remember a channel's last error for the console and raise (or bump) its "failing" alert."""
    channel.last_error, channel.last_error_at = error[:500], utcnow()
    alerts.raise_alert(session, kind="channel_failing", key=f"channel-failing:{channel.id}", channel_id=channel.id,
                       message=f"{channel.name}: calls are failing ({error[:200]})")
