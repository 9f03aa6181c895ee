"""Manual channels (Oozor): the operator's CSV of orders into the inbox, the stock figures out as CSV.

Imported orders go through the same inbox as every other channel (dedup key: order id, status and a
digest of the rows), so importing a file twice changes nothing and a later file with new statuses moves
the orders on; the worker applies them like any order (reserve, flag out-of-stock, alert).
The export writes ``available - buffer`` for every SKU and remembers it as the channel's last figure.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector import inbox, ledger
from connector.models import Channel, StockItem, utcnow
from connector.orders import learn_listing
from connector.stock import channel_figure
from mappers import manual


def import_orders(engine, channel: Channel, text: str) -> tuple[int, int]:
    """(new order states stored, orders read); raises ValidationError before storing anything."""
    bodies = manual.orders_from_csv(text)
    stored = 0
    for body in bodies:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        stored += inbox.record(engine, channel_id=channel.id, source="manual", topic="order", resource_id=body["id"],
                               dedup_key=manual.inbox_key(body), body=raw, meta={"via": "csv"}) is not None
    return stored, len(bodies)


def export_stock(session: Session, channel: Channel) -> tuple[str, int]:
    """(CSV text, rows): every SKU's figure for ``channel``, recorded as what it was last given."""
    rows, now = [], utcnow()
    for item in session.scalars(select(StockItem).where(StockItem.warehouse == ledger.DEFAULT_WAREHOUSE)
                                .order_by(StockItem.sku)):
        listing = learn_listing(session, channel, item.sku, "", "")
        figure = channel_figure(item.on_hand, item.reserved, listing.buffer)
        listing.last_pushed, listing.last_pushed_at = figure, now
        rows.append((item.sku, figure, ""))
    return manual.stock_csv(rows), len(rows)
