"""Marketplace orders mirrored into the shop's WooCommerce, so the owner sees every order in one admin.

Per marketplace account, ``settings["mirror_to"]`` names the shop. The shared ledger already holds the
order's units, so WooCommerce must never move stock for a mirror: not at creation, not when it is
cancelled (``wc_increase_stock_levels`` gives back what an order's line items took), not when a line
is edited (``wc_maybe_adjust_line_item_product_stock``). Line items linked to products always take
part in that bookkeeping (the ``_reduced_stock`` item meta skips the reduction, but a cancellation then
gives the units back and any edit of the item adjusts again), so every line of a mirror is a FEE line:
"name [SKU] × quantity" with the line total and ``SKU``/``Quantity`` meta. The owner sees the whole
order, its buyer, address, totals and status; WooCommerce's stock is left to the ledger's pushes.

The order meta ``_stockbridge_origin`` = ``<account>:<order id>`` marks a mirror: our WooCommerce handler
never reserves for one (:func:`handle_mirror_event`). WooCommerce has no idempotency key, so a retry
first looks for an order with that meta among those modified since the intent was written. Status
follows the marketplace order (``woo_mirror_status``, read first). The shop owner completing a mirror
moves the marketplace order to ``shipped``; cancelling one raises an alert (the cancellation must be
made, with a reason, in the marketplace).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from connector import alerts, channels, intents
from connector.db import transaction
from connector.errors import TransientError
from connector.marketplaces import TITLES
from connector.models import Channel, Intent, Order, utcnow
from connector.orders import move_order
from workers import context
from workers.effects import Effects

WOO_STATUS = {"new": "on-hold", "confirmed": "on-hold", "awaiting_payment": "pending", "paid": "processing",
              "packed": "processing", "shipped": "completed", "delivered": "completed", "cancelled": "cancelled",
              "returned": "refunded"}
ORIGIN_META = "_stockbridge_origin"


def origin_of(payload: dict) -> str | None:
    """The ``<account>:<order id>`` a WooCommerce order body mirrors, or None for the shop's own order."""
    return next((str(m.get("value")) for m in payload.get("meta_data") or [] if m.get("key") == ORIGIN_META), None)


def on_marketplace_order(session, channel: Channel, order: Order, effects: Effects) -> None:
    """Mirror ``order`` (or its new status) into the shop named by ``mirror_to``, after the commit."""
    target = (channel.settings or {}).get("mirror_to")
    if not target:
        return
    shop = channels.by_name(session, target)
    if shop is None or shop.kind != "woocommerce":
        alerts.raise_alert(session, kind="channel_failing", key=f"mirror-config:{channel.id}", channel_id=channel.id,
                           message=f"{channel.name}: mirror_to names {target!r}, which is not a WooCommerce shop")
        return
    mirror = session.scalar(select(Intent).where(Intent.key == f"mirror:{order.id}"))
    if mirror is None and order.status == "cancelled":
        return  # never shown in the shop: nothing to mirror
    status = WOO_STATUS[order.status]
    kind, key = ("woo_mirror", f"mirror:{order.id}") if mirror is None else \
        ("woo_mirror_status", f"mirror-status:{order.id}:{status}")
    intent = intents.ensure(session, kind=kind, channel=shop, order=order, key=key,
                            payload={"order_id": order.id, "status": status, "origin": f"{channel.name}:{order.external_id}",
                                     "since": utcnow().isoformat()})
    if intent.status == "pending":
        effects.intents.append((intent.id, f"mirror {channel.name} order {order.number} into {shop.name} ({status})"))


# --------------------------------------------------------------------------- performers (workers.intents)

def create_mirror(client, _external_id: str, payload: dict) -> str:
    """Look for the mirror (an earlier attempt may have created it), else ``POST /orders``; returns its id."""
    found = _find(client, payload["origin"], datetime.fromisoformat(payload["since"]))
    if found is not None:
        return str(found)
    return str(client.create_order(_body(payload["order_id"], payload["origin"]))["id"])


def _find(client, origin: str, since: datetime) -> int | None:
    start = (since - timedelta(minutes=10)).replace(microsecond=0).isoformat()
    for page in client.iter_orders_modified_after(start):
        for candidate in page:
            if origin_of(candidate) == origin:
                return int(candidate["id"])
    return None


def _body(order_id: int, origin: str) -> dict:
    with transaction(context.engine()) as session:
        order = session.get(Order, order_id)
        account, title = order.channel.name, TITLES.get(order.channel.kind, order.channel.kind)
        return {"status": WOO_STATUS[order.status], "currency": order.currency, "set_paid": order.payment_status == "paid",
                "payment_method": order.payment_method, "payment_method_title": f"{title} ({order.payment_method})",
                "billing": _address(order.buyer), "shipping": _address(order.shipping_address),
                "fee_lines": [_fee(line) for line in order.lines if line.quantity > 0],
                "customer_note": f"{title} {account}: {order.number}",
                "meta_data": [{"key": ORIGIN_META, "value": origin},
                              {"key": "Marketplace", "value": f"{title} {account} {order.number}"}]}


def _fee(line) -> dict:
    """One order line as a fee line: no product link, so WooCommerce's stock bookkeeping never sees it."""
    return {"name": f"{line.name or line.sku} [{line.sku}] × {line.quantity}",
            "total": f"{line.unit_price * line.quantity:.2f}",
            "meta_data": [{"key": "SKU", "value": line.sku}, {"key": "Quantity", "value": str(line.quantity)}]}


def _address(data: dict) -> dict:
    keys = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country",
            "email", "phone")
    return {k: str(data.get(k) or "") for k in keys if data.get(k)}


def mirror_status(client, _external_id: str, payload: dict) -> str:
    """``PUT /orders/<mirror>`` to the status, unless the mirror already shows it (read first)."""
    woo_id = _mirror_id(payload["order_id"])
    current = client.get_order(woo_id)
    if current.get("status") == payload["status"]:
        return f"{woo_id} already {payload['status']}"
    client.update_order(woo_id, {"status": payload["status"]})
    return f"{woo_id} {payload['status']}"


def mirror_of(session, order: Order) -> tuple[Channel | None, str | None]:
    """(shop, WooCommerce order id) of ``order``'s mirror once it exists, else (None, None)."""
    mirror = session.scalar(select(Intent).where(Intent.key == f"mirror:{order.id}", Intent.status == "done"))
    return (session.get(Channel, mirror.channel_id), mirror.remote_ref) if mirror else (None, None)


def _mirror_id(order_id: int) -> str:
    with transaction(context.engine()) as session:
        mirror = session.scalar(select(Intent).where(Intent.key == f"mirror:{order_id}"))
        if mirror is None or mirror.status != "done":
            raise TransientError(f"the mirror of order #{order_id} is not created yet")
        return mirror.remote_ref


# --------------------------------------------------------------------------- the shop's webhooks of a mirror

def handle_mirror_event(session, shop: Channel, payload: dict, origin: str):
    """A WooCommerce event about a mirror: never a shop order; the owner's own changes go to the origin."""
    account, _, external_id = origin.partition(":")
    order = session.scalar(select(Order).join(Channel).where(Channel.name == account, Order.external_id == external_id))
    effects = Effects()
    if order is None:
        return "ignored", f"mirror of {origin}, which is unknown here", effects
    status = payload.get("status")
    if status == WOO_STATUS.get(order.status):
        return "ignored", f"mirror of {origin} ({status}): no change", effects
    if status == "completed" and order.status in ("new", "confirmed", "paid", "packed"):
        from workers.marketplace_status import order_moved

        result = move_order(session, order, "shipped", reason=f"mirror completed in {shop.name}")
        effects.touch(session, result.touched_skus)
        order_moved(session, order, effects)
        return "processed", f"{origin} shipped: the mirror was completed in {shop.name}", effects
    if status == "cancelled" and order.status != "cancelled":
        alerts.raise_alert(session, kind="unknown_status", key=f"mirror-cancel:{order.id}", channel_id=order.channel_id,
                           order_id=order.id, message=f"{shop.name}: the mirror of {account} order {order.number} was "
                                                      f"cancelled in the shop; cancel it in {account} with a reason")
    return "ignored", f"mirror of {origin}: shop status {status} not mirrored back", effects
