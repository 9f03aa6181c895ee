"""Status and tracking back to the marketplaces, each in its own vocabulary and allowed sequence.

Our canonical changes become ``mp_status`` intents (one per order and change, deduplicated by key),
performed by ``workers.intents`` through the marketplace's adapter, which reads the order first and
sends only what it does not show yet (no marketplace has idempotency keys for these calls). Sources:

- a tracking number exists (label created): ``packed`` with the number and carrier (Allegro waybill +
  READY_FOR_SHIPMENT, Rozetka TTN -> 61, Ozon ship/tracking, Prom declaration);
- the carrier reports the parcel moving or delivered: ``shipped`` / ``delivered``;
- the shared stock cannot cover a marketplace order: ``cancelled`` with reason ``out_of_stock`` when the
  account's ``out_of_stock`` setting is ``cancel`` (else only the alert);
- the shop owner completes a mirrored order in WooCommerce: ``shipped``.
"""

from __future__ import annotations

from dataclasses import asdict

from connector import intents
from connector.errors import UnsupportedOperation
from connector.marketplaces import KINDS, StatusChange, is_marketplace
from connector.models import Order
from workers import context
from workers.marketplaces import adapter_for
from workers.queue import enqueue_intent

#: Canonical statuses a marketplace is told about when we move an order (returns are the marketplace's).
SENDABLE = ("confirmed", "packed", "shipped", "delivered", "cancelled")


def tell(session, order: Order, change: StatusChange) -> tuple[int, str] | None:
    """Record the intent to tell ``order``'s marketplace ``change``; (intent id, description) to enqueue after
    the commit, or None (not a marketplace order, a manual channel, or already told)."""
    channel = order.channel
    if channel.kind not in KINDS or channel.kind == "manual":
        return None
    intent = intents.ensure(session, kind="mp_status", channel=channel, order=order,
                            key=f"mp-status:{order.id}:{change.key()}", payload=asdict(change))
    if intent.status != "pending":
        return None
    return intent.id, f"tell {channel.name} order {order.number}: {change.target}"


def order_moved(session, order: Order, effects) -> None:
    """We moved a marketplace order ourselves (its parcel is moving, delivered, back): tell the marketplace and
    the shop mirror. ``effects.intents`` are enqueued after the commit."""
    from workers import mirror

    if not is_marketplace(order.channel):
        return
    if order.status in SENDABLE:
        effects.intents.extend(filter(None, [tell(session, order, StatusChange(order.status))]))
    mirror.on_marketplace_order(session, order.channel, order, effects)


def enqueue_all(queued: list[tuple[int, str] | None]) -> None:
    """Enqueue the intents :func:`tell` recorded, once their transaction has committed."""
    for item in filter(None, queued):
        enqueue_intent(context.redis(), *item)


def marketplace_handle(channel):
    """The (adapter, client) pair ``perform`` works with (``workers.intents`` builds it per intent)."""
    adapter = adapter_for(channel.kind)
    return adapter, adapter.client(channel, context.settings(), context.redis(), context.engine())


def perform(handle, external_id: str, payload: dict) -> str:
    """Send one change; a change the marketplace has no word for is done with a note, not failed."""
    adapter, client = handle
    try:
        return adapter.send(client, external_id, StatusChange(**payload))
    except UnsupportedOperation as exc:
        return f"not sent: {exc}"[:120]
