"""Stock drift check: what every shop listing really shows, against the ledger's figure.

A difference means a push was lost, a manual edit's webhook was lost, or the shop changed stock by
itself. The check journals what it found (a zero-delta journal row naming both figures) and pushes
the ledger's figure; a manual edit whose webhook never arrived is thereby overridden, which is why it
is journaled where the operator looks ("why does channel X show N").
"""

from __future__ import annotations

from sqlalchemy import select

from connector import ledger
from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Channel, JournalEntry, Listing, utcnow
from connector.stock import figure_for
from mappers import woocommerce as woo
from workers import context
from workers.queue import mark_dirty
from workers.woocommerce_events import client_for


def drift_check_all() -> str:
    with transaction(context.engine()) as session:
        ids = list(session.scalars(select(Channel.id).where(Channel.kind == "woocommerce")))
    fixed = 0
    for channel_id in ids:
        try:
            fixed += drift_check_channel(channel_id)
        except StockbridgeError:
            continue  # recorded by the next push / catch-up on this channel
    return f"{fixed} drifted figures corrected"


def shop_figures(client) -> dict[tuple[str, str], int | None]:
    """(product ref, variation ref) -> stock_quantity for every product and variation of the shop."""
    figures = {}
    page, pages = 1, 1
    while page <= pages:
        items, _total, pages = client.products_page(page)
        for item in items:
            if item.get("type") == "variable":
                for variation in client.variations(item["id"]):
                    view = woo.product_from_woo({**variation, "type": "variation", "parent_id": item["id"]})
                    figures[(view.product_ref, view.variation_ref)] = view.quantity
            view = woo.product_from_woo(item)
            figures[(view.product_ref, view.variation_ref)] = view.quantity
        page += 1
    return figures


def drift_check_channel(channel_id: int) -> int:
    with transaction(context.engine()) as session:
        client = client_for(session.get(Channel, channel_id), context.settings())
    shown = shop_figures(client)
    drifted = []
    with transaction(context.engine()) as session:
        channel = session.get(Channel, channel_id)
        for listing in session.scalars(select(Listing).where(Listing.channel_id == channel_id)):
            figure, actual = figure_for(session, listing), shown.get((listing.product_ref, listing.variation_ref))
            if figure is None or actual is None or actual == figure:
                continue
            _journal_drift(session, channel, listing, actual, figure)
            listing.last_seen = actual
            drifted.append((channel_id, listing.sku))
    mark_dirty(context.redis(), [], force=set(drifted))
    return len(drifted)


def _journal_drift(session, channel: Channel, listing: Listing, actual: int, figure: int) -> None:
    on_hand, reserved = ledger.levels(session, listing.sku)
    session.add(JournalEntry(sku=listing.sku, warehouse=ledger.DEFAULT_WAREHOUSE, delta_on_hand=0, delta_reserved=0,
                             on_hand_after=on_hand, reserved_after=reserved, reason=f"drift check on {channel.name}",
                             note=f"{channel.name} showed {actual}, ledger figure {figure}; pushed {figure}",
                             created_at=utcnow()))
