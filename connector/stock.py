"""Channel figures and channel-side stock changes.

The figure a channel shows is ``available - buffer`` (never below zero). Every figure we pushed in the
last minutes counts as an echo (WooCommerce delivers the echoes of quick successive pushes late and out
of order; the caller passes them in). WooCommerce quirks
(``reference/woocommerce.md`` section B and pitfalls): ``stock_quantity`` is absolute, our own
pushes echo back as ``product.updated``, and WooCommerce itself lowers stock when an order is paid,
so a changed figure right after an order for that SKU is the shop's own bookkeeping, not a manual
edit. Anything else is a manual edit, handled by the ``manual_edit_policy`` setting: ``accept``
(default; on hand follows the shop and the change is journaled) or ``ignore`` (our figure is pushed
back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from connector import alerts, ledger
from connector.canonical import ProductStock, synthetic_sku
from connector.models import Channel, Listing, Order, OrderLine, utcnow
from connector.orders import learn_listing, reserve_waiting, waiting_units


@dataclass
class ProductOutcome:
    status: str  # processed | ignored
    note: str
    touched_skus: set[str] = field(default_factory=set)
    force_push: set[str] = field(default_factory=set)


def count_stock(session: Session, sku: str, quantity: int, cause: ledger.Cause, *, shown: bool = False) -> set[str]:
    """Set ``sku``'s count; a SKU new to the ledger lets the orders waiting for it reserve.

    ``shown``: ``quantity`` is what a channel shows, which already excludes the orders it sold (the
    rule of the catalog import: on hand = shown + reserved), so the waiting orders' units are added.
    Otherwise it is a physical count. Returns the SKUs whose figure those orders changed.
    """
    new = ledger.levels(session, sku) is None
    ledger.set_on_hand(session, sku, quantity + (waiting_units(session, sku) if new and shown else 0), cause)
    touched: set[str] = set()
    for result in reserve_waiting(session, {sku}) if new else ():
        alerts.raise_order_alerts(session, result.order.channel, result)
        touched |= result.touched_skus
    return touched


def channel_figure(on_hand: int, reserved: int, buffer: int) -> int:
    return max(on_hand - reserved - buffer, 0)


def figure_for(session: Session, listing: Listing) -> int | None:
    """What ``listing`` should show now, or None when the SKU is not in the ledger."""
    found = ledger.levels(session, listing.sku)
    return None if found is None else channel_figure(found[0], found[1], listing.buffer)


def listings_for(session: Session, skus: set[str]) -> list[tuple[int, str]]:
    """(channel id, sku) of every listing carrying one of ``skus``."""
    if not skus:
        return []
    rows = session.execute(select(Listing.channel_id, Listing.sku).where(Listing.sku.in_(sorted(skus))))
    return [(row[0], row[1]) for row in rows]


def _recent_order_for(session: Session, channel: Channel, sku: str, window_seconds: int) -> bool:
    since = utcnow() - timedelta(seconds=window_seconds)
    return session.scalar(select(exists().where(
        OrderLine.order_id == Order.id, Order.channel_id == channel.id, OrderLine.sku == sku,
        Order.updated_at >= since)))


def apply_product_stock(session: Session, channel: Channel, product: ProductStock, *, event_id: int | None,
                        policy: str, echo_window_seconds: int, recently_pushed: frozenset[int] = frozenset()
                        ) -> ProductOutcome:
    """A channel reported a product's stock (``product.updated``); decide echo, own change or manual edit."""
    sku = product.sku or synthetic_sku(channel.name, product.product_ref, product.variation_ref)
    listing = learn_listing(session, channel, sku, product.product_ref, product.variation_ref)
    if not product.manage_stock or product.quantity is None:
        return ProductOutcome("ignored", f"{sku}: stock not managed in {channel.name}")
    listing.last_seen = product.quantity
    found = ledger.levels(session, sku)
    if found is None:
        cause = ledger.Cause(f"initial figure from {channel.name}", event_id=event_id)
        touched = count_stock(session, sku, product.quantity + listing.buffer, cause, shown=True)
        listing.last_pushed = product.quantity
        return ProductOutcome("processed", f"{sku}: new SKU, on hand {product.quantity} from {channel.name}",
                              {sku} | touched)
    if product.quantity in recently_pushed:  # a late echo of an earlier push of ours
        return ProductOutcome("ignored", f"{sku}: echo of our earlier figure {product.quantity}")
    return _compare(session, channel, listing, product.quantity, found, event_id, policy, echo_window_seconds)


def _compare(session: Session, channel: Channel, listing: Listing, quantity: int, found: tuple[int, int],
             event_id: int | None, policy: str, window: int) -> ProductOutcome:
    sku, (on_hand, reserved) = listing.sku, found
    figure = channel_figure(on_hand, reserved, listing.buffer)
    if quantity in (figure, listing.last_pushed):
        return ProductOutcome("ignored", f"{sku}: echo of our figure {quantity}")
    if _recent_order_for(session, channel, sku, window):
        return ProductOutcome("ignored", f"{sku}: {channel.name} changed its own stock after an order; "
                                         f"our figure {figure} is pushed back", force_push={sku})
    if policy != "accept":
        return ProductOutcome("ignored", f"{sku}: manual edit to {quantity} in {channel.name} overridden "
                                         f"by policy; {figure} pushed back", force_push={sku})
    target = max(quantity + listing.buffer + reserved, reserved)
    cause = ledger.Cause(f"manual edit in {channel.name}", event_id=event_id,
                         note=f"{channel.name} showed {quantity}, we showed {listing.last_pushed}")
    ledger.set_on_hand(session, sku, target, cause)
    listing.last_pushed = quantity
    return ProductOutcome("processed", f"{sku}: manual edit accepted, on hand {on_hand} -> {target}", {sku})
