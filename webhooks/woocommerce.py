"""``POST /webhooks/woocommerce/<shop>``: WooCommerce's deliveries, acknowledged only once stored.

Pipeline (DESIGN section 2): size limit (413) -> unknown shop (404) -> the unsigned form-encoded
ping ``webhook_id=N`` answered with exactly 200 (anything else keeps WooCommerce re-pinging, fact 5)
-> ``X-WC-Webhook-Signature`` over the raw bytes, constant time (401) -> JSON (400) -> inbox row
under a unique dedup key -> drain trigger -> 200. Headers are read case-insensitively (proxies
lower-case them). A valid delivery we cannot use is still answered 2xx and recorded, because
WooCommerce disables a webhook after 7 failures in a row and never retries.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from connector import inbox
from connector.inbox import InboxUnavailable
from connector.models import utcnow
from mappers import woocommerce as woo
from webhooks.signing import woo_signature_valid
from workers.queue import trigger_drain

log = logging.getLogger(__name__)
bp = Blueprint("woocommerce_webhooks", __name__)

HANDLED_TOPICS = {"order.created", "order.updated", "order.deleted", "order.restored",
                  "product.created", "product.updated"}
PING = re.compile(rb"^webhook_id=\d+$")
#: product.* events wait this long so the order that changed the stock is applied first.
PRODUCT_GRACE_SECONDS = 3


def _reply(status: int, message: str, **extra):
    return jsonify({"status": status, "message": message, **extra}), status


@bp.post("/<shop_name>")
def receive(shop_name: str):
    shop = current_app.extensions["stockbridge.shops"].get(shop_name)
    if shop is None or shop.kind != "woocommerce":
        return _reply(404, f"unknown shop {shop_name!r}")
    raw = request.get_data(cache=False)
    signature = request.headers.get("X-WC-Webhook-Signature")
    if signature is None and PING.match(raw.strip()):
        return _reply(200, "pong")
    if not signature:
        return _reply(401, "missing X-WC-Webhook-Signature")
    if not woo_signature_valid(shop.webhook_secret, raw, signature):
        return _reply(401, "signature does not match this shop's webhook secret")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _reply(400, "body is not valid JSON")
    if not isinstance(body, dict):
        return _reply(400, "body is not a JSON object")
    return _store(shop, request.headers.get("X-WC-Webhook-Topic", "").strip().lower(), body, raw)


def _store(shop, topic: str, body: dict, raw: bytes):
    headers = request.headers
    meta = {"webhook_id": headers.get("X-WC-Webhook-ID", ""), "delivery_id": headers.get("X-WC-Webhook-Delivery-ID", ""),
            "source": headers.get("X-WC-Webhook-Source", "")}
    handled = topic in HANDLED_TOPICS
    grace = utcnow() + timedelta(seconds=PRODUCT_GRACE_SECONDS) if topic.startswith("product.") else None
    try:
        event_id = inbox.record(
            current_app.extensions["stockbridge.engine"], channel_id=shop.id, source="woocommerce", topic=topic or "?",
            resource_id=str(body.get("id", "")), dedup_key=woo.inbox_key(topic, body, raw, meta["delivery_id"]),
            body=raw, meta=meta, status="received" if handled else "ignored",
            error=None if handled else f"topic {topic or '(none)'} is not handled", not_before=grace)
    except (SQLAlchemyError, InboxUnavailable):
        log.exception("inbox write failed for shop %s", shop.name)
        return _reply(503, "could not store the event; not acknowledged")
    if event_id is None:
        return _reply(200, "duplicate delivery; already stored")
    if handled:
        _trigger(shop)
    return _reply(200, "stored" if handled else "ignored topic recorded", event=event_id)


def _trigger(shop) -> None:
    """Best effort: the row is committed, so a Redis failure only delays it until the sweeper runs."""
    try:
        trigger_drain(current_app.extensions["stockbridge.redis"], shop.id, shop.name)
    except RedisError:
        log.warning("redis unavailable; event for shop %s left for the sweeper", shop.name)
