"""Payments on the order page: create a Przelewy24 / PayU link, confirm a proposed refund (POST + CSRF).

The gateway calls run through ``workers.intents`` (the payment row before the call; a pending link is
reused; a refund carries our idempotency key and is performed by a worker).
"""

from __future__ import annotations

import logging

from flask import flash, redirect, request, url_for
from redis.exceptions import RedisError

from connector import payments
from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Order, Payment
from console.web import bp, engine, redis
from workers.intents import create_payment_link
from workers.queue import enqueue_intent

log = logging.getLogger(__name__)


def order_payments(session, order_id: int) -> list[dict]:
    """The order's payments for its page, newest first."""
    return [payments.row(p) for p in reversed(payments.of_order(session, order_id))]


def _back(channel: str, external_id: str):
    return redirect(url_for("console.order", channel=channel, external_id=external_id))


@bp.post("/payments/link")
def payment_link():
    """Form fields ``channel``, ``external_id``, ``gateway`` (p24|payu): the link is shown in a message."""
    channel, external_id = request.form.get("channel", "")[:64], request.form.get("external_id", "")[:64]
    try:
        made = create_payment_link(channel, external_id, request.form.get("gateway", ""))
    except (StockbridgeError, ValueError) as exc:
        flash(f"No payment link: {exc}", "error")
        return _back(channel, external_id)
    flash(f"{made['title']} link{' (reused)' if made['reused'] else ''}: {made['link']}", "ok")
    return _back(channel, external_id)


@bp.post("/payments/<int:payment_id>/refund")
def payment_refund(payment_id: int):
    """Confirm the proposed refund of a payment: the refund intent is queued for a worker."""
    with transaction(engine()) as session:
        payment = session.get(Payment, payment_id)
        order = session.get(Order, payment.order_id) if payment is not None and payment.order_id else None
        if order is None:
            flash(f"Payment {payment_id} does not exist or has no order.", "error")
            return redirect(url_for("console.orders"))
        target = (order.channel.name, order.external_id)
        try:
            intent = payments.confirm_refund(session, payment)
        except StockbridgeError as exc:
            flash(str(exc), "error")
            return _back(*target)
        intent_id, pending = intent.id, intent.status == "pending"
    try:
        if pending:
            enqueue_intent(redis(), intent_id, f"refund payment {payment_id}")
        flash(f"Refund of payment {payment_id} requested.", "ok")
    except RedisError:
        log.warning("redis unavailable; refund intent %s waits", intent_id)
        flash(f"Refund of payment {payment_id} recorded but not sent: Redis is down; confirm again once it is "
              "back.", "error")
    return _back(*target)

