"""Periodic jobs: the pull behind every push.

- ``sweep_inbox``: events stuck in ``received`` (their drain job or flag lost with Redis, a worker
  killed mid-batch) are triggered again.
- ``expire_holds``: unpaid holds past ``expires_at`` give their units back (WooCommerce's hold-stock).
- ``reconcile_figures``: every listing whose last pushed figure differs from the ledger's figure is
  marked dirty again (a lost push, a Redis restart, a failed batch item).
"""

from __future__ import annotations

from sqlalchemy import case, select

from connector import inbox, ledger
from connector.db import transaction
from connector.models import Channel, Listing, StockItem, utcnow
from connector.stock import listings_for
from workers import context
from workers.queue import drain_flag, mark_dirty, trigger_drain

SWEEP_AGE_SECONDS = 15


def sweep_inbox() -> str:
    with transaction(context.engine()) as session:
        stuck = inbox.channels_with_due_events(session, SWEEP_AGE_SECONDS)
        names = {c.id: c.name for c in session.scalars(select(Channel).where(Channel.id.in_(stuck)))} if stuck else {}
    redis = context.redis()
    for channel_id in stuck:
        redis.delete(drain_flag(channel_id))
        trigger_drain(redis, channel_id, names[channel_id])
    return f"{len(stuck)} channels re-triggered"


def expire_holds() -> str:
    touched: set[str] = set()
    with transaction(context.engine()) as session:
        for res in ledger.expired_holds(session, utcnow()):
            cause = ledger.Cause("unpaid hold expired", order_id=res.order_id)
            ledger.release_reservation(session, res, cause, state="expired")
            touched.add(res.sku)
        pairs = listings_for(session, touched)
    mark_dirty(context.redis(), pairs)
    return f"{len(touched)} SKUs released from expired holds"


def drifted_listings(session) -> list[tuple[int, str]]:
    """(channel id, sku) whose last pushed figure is not the ledger's figure."""
    figure = StockItem.on_hand - StockItem.reserved - Listing.buffer
    figure = case((figure < 0, 0), else_=figure)
    rows = session.execute(
        select(Listing.channel_id, Listing.sku).join(StockItem, StockItem.sku == Listing.sku)
        .where((Listing.last_pushed.is_(None)) | (Listing.last_pushed != figure))
        .where(Listing.product_ref != "", Listing.product_ref != "0")
    )
    return [(row[0], row[1]) for row in rows]


def reconcile_figures() -> str:
    with transaction(context.engine()) as session:
        pairs = drifted_listings(session)
    mark_dirty(context.redis(), pairs)
    return f"{len(pairs)} figures re-queued"
