"""The pull behind the payment push: ask the gateway about payments pending too long.

A notice blocked by a firewall (or a receiver that was down through every re-send) must not be a
lost sale. Scheduled ``poll_pending_payments`` takes payments still ``pending`` whose last look is
older than the shop's ``payments.poll_after_minutes`` (15) and younger than :data:`MAX_AGE`, and asks:

* P24 ``GET /api/v1/transaction/by/sessionId/{sessionId}``: status 1 (paid, not verified) and 2 are
  fed as topic ``status`` with the notification's dedup key, so a notice that did arrive makes this a
  duplicate; 0 (no payment) and 404 are nothing to do (P24 never notifies failures, pitfall 6).
* PayU ``GET /api/v2_1/orders/{orderId}``: any status past NEW is fed as topic ``order`` with the
  notification's dedup key ``payu:order:<id>:<status>``.

What is found goes through the same inbox and the same handler as a pushed notice. Only the fields
the handler reads are stored (the gateway's answer also holds the buyer's e-mail).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from marshmallow import ValidationError
from sqlalchemy import select

from connector import inbox, payments
from connector.db import transaction
from connector.errors import NotFound, StockbridgeError
from connector.models import Channel, Payment, utcnow
from mappers import payments as maps
from workers import context
from workers.payment_events import gateway_timeout
from workers.queue import trigger_drain

log = logging.getLogger(__name__)
MAX_AGE = timedelta(days=7)
BATCH = 200


def poll_pending_payments() -> str:
    """Scheduled job: query each overdue pending payment once; feed what changed into the inbox."""
    found, asked = 0, 0
    for payment_id in _due_payments():
        asked += 1
        try:
            found += _poll_one(payment_id)
        except (StockbridgeError, ValidationError) as exc:
            log.warning("payment %s: status query failed (%s)", payment_id, type(exc).__name__)
    return f"{asked} pending payments asked, {found} changes fed to the inbox"


def _due_payments() -> list[int]:
    now = utcnow()
    with transaction(context.engine()) as session:
        rows = session.execute(select(Payment.id, Payment.updated_at, Channel.settings).join(
            Channel, Channel.id == Payment.channel_id).where(
            Payment.status == "pending", Payment.created_at >= now - MAX_AGE)
            .order_by(Payment.updated_at).limit(BATCH * 5)).all()
    due = []
    for payment_id, updated_at, settings in rows:
        minutes = float(((settings or {}).get("payments") or {}).get("poll_after_minutes",
                                                                      payments.DEFAULT_OPTIONS["poll_after_minutes"]))
        if updated_at <= now - timedelta(minutes=minutes):
            due.append(payment_id)
    return due[:BATCH]


def _poll_one(payment_id: int) -> int:
    with transaction(context.engine()) as session:
        payment = session.get(Payment, payment_id)
        channel = session.get(Channel, payment.channel_id)
        payment.updated_at = utcnow()  # looked at now: next look after poll_after_minutes again
        client = payments.client(channel, payment.gateway, gateway_timeout(context.settings()))
        gateway, session_id, gateway_order_id = payment.gateway, payment.session_id, payment.gateway_order_id
        channel_id, shop, order_ref = channel.id, channel.name, payment.order_ref
    if gateway == maps.PRZELEWY24:
        item = _p24_status(client, session_id)
    else:
        item = _payu_status(client, gateway_order_id)
    if item is None:
        return 0
    topic, body, notice = item
    event_id = inbox.record(context.engine(), channel_id=channel_id, source=gateway, topic=topic,
                            resource_id=order_ref or session_id, dedup_key=notice.dedup_key,
                            body=json.dumps(body, ensure_ascii=False).encode("utf-8"), meta={"via": "poll"})
    if event_id is None:
        return 0
    trigger_drain(context.redis(), channel_id, shop)
    return 1


def _p24_status(client, session_id: str):
    try:
        data = client.by_session_id(session_id)
    except NotFound:
        return None
    body = {key: data.get(key) for key in ("sessionId", "orderId", "status", "amount", "currency")}
    notice = maps.from_p24_transaction(body)
    if notice.status == maps.PENDING:
        return None
    return "status", body, notice


def _payu_status(client, order_id: str):
    if not order_id:
        return None
    try:
        order = client.retrieve_order(order_id)
    except NotFound:
        return None
    body = {"order": {key: order.get(key) for key in ("orderId", "extOrderId", "currencyCode", "totalAmount",
                                                      "status")}}
    notice = maps.from_payu_notification(body)
    if order.get("status") == "NEW":
        return None
    return "order", body, notice
