"""Carrier tracking -> shipments -> orders -> stock.

Updates come from polling (every open shipment, in the carrier's batch size) or from a carrier
webhook (re-fetched from the carrier before it is believed). A shipment never moves backwards;
``returned`` and ``cancelled`` are exits. The order follows: in transit or waiting at a pickup point
-> ``shipped`` (held units leave on hand), ``delivered``, ``returned`` (units back on hand, journaled).
"""

from __future__ import annotations

from sqlalchemy import select

from connector.carriers import client_for
from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Channel, Order, Shipment
from connector.orders import move_order
from connector.shipping import TRACKING_STATES, TrackingUpdate, advances
from connector.stock import listings_for
from workers import context
from workers.effects import Effects
from workers.marketplace_status import enqueue_all, order_moved
from workers.queue import mark_dirty

OPEN = ("created", "confirmed", "in_transit", "ready_for_pickup")
ORDER_STATUS = {"in_transit": "shipped", "ready_for_pickup": "shipped", "delivered": "delivered", "returned": "returned"}
POLL_BATCH = 100


def apply_update(account_name: str, update: TrackingUpdate) -> str:
    """Apply one tracking update to the shipment carrying its number (and its order)."""
    with transaction(context.engine()) as session:
        shipment = session.scalar(select(Shipment).where(Shipment.carrier == account_name,
                                                         Shipment.tracking_number == update.tracking_number))
        if shipment is None:
            return "unknown tracking number"
        if not advances(shipment.status, update.status):
            return f"kept {shipment.status}"
        shipment.status, shipment.raw_status = update.status, update.raw_status
        order = session.get(Order, shipment.order_id)
        touched, effects = set(), Effects()
        if update.status in ORDER_STATUS and order.status != ORDER_STATUS[update.status]:
            result = move_order(session, order, ORDER_STATUS[update.status],
                                reason=f"parcel {update.status.replace('_', ' ')} ({shipment.carrier})")
            touched = result.touched_skus
            if order.status == ORDER_STATUS[update.status]:
                order_moved(session, order, effects)
        pairs = listings_for(session, touched)
    mark_dirty(context.redis(), pairs)
    enqueue_all(effects.intents)
    return update.status


def poll_all() -> str:
    """Scheduled: ask each carrier about its open shipments, ``POLL_BATCH`` numbers a call."""
    with transaction(context.engine()) as session:
        accounts = list(session.scalars(select(Channel).where(Channel.kind == "carrier")))
        open_numbers = {a.name: list(session.scalars(select(Shipment.tracking_number).where(
            Shipment.carrier == a.name, Shipment.status.in_(OPEN), Shipment.tracking_number != "")))
            for a in accounts}
    applied = 0
    for account in accounts:
        numbers = open_numbers[account.name]
        try:
            carrier = client_for(account, context.settings().http_timeout)
            for start in range(0, len(numbers), POLL_BATCH):
                for update in carrier.track(numbers[start:start + POLL_BATCH]):
                    applied += apply_update(account.name, update) in TRACKING_STATES
        except StockbridgeError:
            continue  # the next poll tries again; push jobs record channel errors
    return f"{applied} tracking changes applied"
