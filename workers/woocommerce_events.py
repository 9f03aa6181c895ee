"""WooCommerce inbox events -> the core. Returns ``(status, note, effects)`` for the inbox row.

Topics: ``order.created|updated|restored`` carry the full order; ``order.deleted`` carries only
``{"id": N}`` and fires on trash only, so the order is re-read from the shop before we cancel it
(a later ``order.restored`` may already have undone the trash); ``product.created|updated`` report a
product or variation's stock.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from connector import alerts, intents
from connector.clients.woocommerce import WooCommerceClient, WooSettings
from connector.errors import NotFound
from connector.models import Channel, InboxEvent
from connector.orders import apply_order, cancel_order, lock_order
from connector.canonical import synthetic_sku
from connector.settings import Settings
from connector.stock import apply_product_stock
from mappers import woocommerce as woo
from workers import context, mirror
from workers.effects import Effects
from workers.queue import recently_pushed
from workers.payment_events import on_order_applied
from workers.shipping import plan_if_ready


def client_for(channel: Channel, cfg: Settings) -> WooCommerceClient:
    creds = channel.credentials
    return WooCommerceClient(WooSettings(channel.base_url, creds["consumer_key"], creds["consumer_secret"],
                                         timeout=cfg.http_timeout))


def handle_woo_event(session: Session, channel: Channel, event: InboxEvent, cfg: Settings):
    payload = json.loads(event.body)
    if event.topic in ("order.created", "order.updated", "order.restored"):
        return _order(session, channel, event, payload, cfg)
    if event.topic == "order.deleted":
        return _order_trashed(session, channel, event, payload, cfg)
    if event.topic in ("product.created", "product.updated"):
        return _product(session, channel, event, payload, cfg)
    return "ignored", f"topic {event.topic} is not handled", Effects()


def _order(session: Session, channel: Channel, event: InboxEvent, payload: dict, cfg: Settings):
    origin = mirror.origin_of(payload)
    if origin:  # a marketplace order we mirrored into this shop: its stock is held by the origin order
        return mirror.handle_mirror_event(session, channel, payload, origin)
    canon = woo.order_from_woo(payload)
    result = apply_order(session, channel, canon, payment_status=woo.payment_status(canon.raw_status),
                         event_id=event.id, hold_minutes=int(channel.settings.get("hold_minutes", cfg.hold_minutes)),
                         reopen=event.topic == "order.restored", reopen_raw=woo.REOPENABLE_RAW)
    effects = Effects()
    if result.outcome == "stale":
        return "stale", result.note, effects
    effects.touch(session, result.touched_skus)
    alerts.raise_order_alerts(session, channel, result)
    effects.refusals = len(result.short_skus)
    plan_if_ready(session, channel, result.order, effects)
    on_order_applied(session, result.order, effects)
    if result.short_skus:
        intent = intents.ensure(session, kind="woo_order_note", channel=channel, order=result.order,
                                key=f"oos-note:{result.order.id}:{','.join(sorted(result.short_skus))}",
                                payload={"note": woo.out_of_stock_note(result.short_skus)})
        if intent.status == "pending":
            effects.intents.append((intent.id, f"add out-of-stock note to {channel.name} order {canon.number}"))
    return "processed", result.describe(), effects


def _order_trashed(session: Session, channel: Channel, event: InboxEvent, payload: dict, cfg: Settings):
    order_id = str(woo.deleted_id(payload))
    order = lock_order(session, channel.id, order_id)
    if order is None:
        return "ignored", f"order {order_id} is unknown here", Effects()
    try:
        current = client_for(channel, cfg).get_order(order_id)
        still_trashed = current.get("status") == "trash"
    except NotFound:
        still_trashed = True  # deleted for good after the trash
    if not still_trashed:
        return "stale", f"order {order_id} is {current.get('status')} in the shop now (restored)", Effects()
    result = cancel_order(session, order, event_id=event.id, reason="order trashed in shop")
    order.raw_status = "trash"
    effects = Effects()
    effects.touch(session, result.touched_skus)
    return "processed", result.note, effects


def _product(session: Session, channel: Channel, event: InboxEvent, payload: dict, cfg: Settings):
    product = woo.product_from_woo(payload)
    policy = channel.settings.get("manual_edit_policy", cfg.manual_edit_policy)
    sku = product.sku or synthetic_sku(channel.name, product.product_ref, product.variation_ref)
    outcome = apply_product_stock(session, channel, product, event_id=event.id, policy=policy,
                                  echo_window_seconds=cfg.echo_window_seconds,
                                  recently_pushed=recently_pushed(context.redis(), channel.id, sku))
    effects = Effects()
    effects.touch(session, outcome.touched_skus)
    effects.force_push(channel.id, outcome.force_push)
    return outcome.status, outcome.note, effects
