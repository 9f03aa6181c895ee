"""Payment notices from the inbox -> payments and orders (``workers.ingest.HANDLERS``).

Sources ``przelewy24`` (topics ``transaction``, ``refund``, and ``status`` from the pull) and ``payu``
(``order``, ``refund``). A signed notice is not a payment:

* P24: ``PUT /api/v1/transaction/verify`` with OUR expected amount comes first; only its success
  marks the payment paid (``reference/payments.md`` facts 7-8). Verifying again is harmless, so a
  timed-out verify is retried with the event's backoff and cannot capture twice.
* PayU: COMPLETED is read back with ``GET /api/v2_1/orders/{id}`` and must show our amount
  (read-back lag: the event waits and retries, pitfall 13); WAITING_FOR_CONFIRMATION is captured.
  Statuses never go down (``payu_supersedes``): PENDING after COMPLETED is stale (pitfall 12).

A paid payment moves the order to ``paid`` (``move_order`` drops the hold's expiry) and records a
``woo_paid`` intent (``workers.intents``). A wrong amount or currency, a closed order or a second
payment for a paid order parks the payment as ``mismatch``, flags the order and alerts; nothing here
restocks, and a refunded payment never becomes paid again.
"""

from __future__ import annotations

import json

from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connector import intents, payments
from connector.errors import TransientError
from connector.models import Channel, InboxEvent, Order, Payment
from connector.orders import lock_order, move_order
from connector.settings import Settings
from mappers import payments as maps
from mappers.payments import CAPTURE, CANCELLED, PAYU, PENDING, PRZELEWY24, REFUNDED, PaymentNotice
from workers import context
from workers.effects import Effects

#: Gateway calls made while an event's transaction is open get at most this read timeout.
GATEWAY_TIMEOUT = (5.0, 15.0)
#: How long the Redis hint "a notice waits for order N" lives (the event's backoff gives up sooner).
WAITING_TTL = 6 * 3600


def gateway_timeout(cfg: Settings) -> tuple[float, float]:
    return (min(GATEWAY_TIMEOUT[0], cfg.http_timeout), min(GATEWAY_TIMEOUT[1], cfg.http_timeout))


# --------------------------------------------------------------------------- entry points

def handle_przelewy24(session: Session, channel: Channel, event: InboxEvent, cfg: Settings):
    """``transaction`` (urlStatus notice), ``status`` (transaction/by/sessionId from the pull), ``refund``."""
    payload = json.loads(event.body)
    if event.topic == "refund":
        return _refund(session, channel, maps.from_p24_refund_notification(payload))
    notice = maps.from_p24_transaction(payload) if event.topic == "status" else maps.from_p24_notification(payload)
    if notice.status == PENDING:
        return "ignored", "no payment at the gateway yet", Effects()
    if notice.status == REFUNDED:
        return _refunded_by_status(session, channel, notice)
    payment, order = _payment_and_order(session, channel, notice)
    early = _settled(payment, notice) or _refusal(session, channel, order, payment, notice, "notified")
    if early:
        return early
    payments.client(channel, PRZELEWY24, gateway_timeout(cfg)).verify(
        session_id=payment.session_id, order_id=int(notice.transaction_id),
        amount=payments.expected_minor(payment), currency=payment.currency)
    return _paid(session, channel, order, payment, notice, "verified")


def handle_payu(session: Session, channel: Channel, event: InboxEvent, cfg: Settings):
    """``order`` (a status change, pushed or pulled) and ``refund`` notices."""
    notice = maps.from_payu_notification(json.loads(event.body))
    if notice.kind == "refund":
        return _refund(session, channel, notice)
    payment, order = _payment_and_order(session, channel, notice)
    early = _payu_stale(payment, notice) or _settled(payment, notice)
    if early:
        return early
    if notice.status == CANCELLED:
        payment.status, payment.raw_status = "cancelled", notice.raw_status
        return "processed", "PayU cancelled the payment (no money taken)", Effects()
    if notice.status == PENDING and notice.action != CAPTURE:
        payment.raw_status, payment.gateway_order_id = notice.raw_status, notice.transaction_id
        return "processed", f"PayU status {notice.raw_status}", Effects()
    early = _refusal(session, channel, order, payment, notice, notice.raw_status)
    if early:
        return early
    client = payments.client(channel, PAYU, gateway_timeout(cfg))
    if notice.action == CAPTURE:
        client.capture(notice.transaction_id)
        payment.raw_status, payment.gateway_order_id = notice.raw_status, notice.transaction_id
        return "processed", "captured at PayU; COMPLETED will follow", Effects()
    reason = _payu_read_back(client.retrieve_order(notice.transaction_id), payment)
    if reason:
        return "failed", payments.refuse(session, channel, order, payment, flag="payment_mismatch", reason=reason,
                                         transaction_id=notice.transaction_id), Effects()
    return _paid(session, channel, order, payment, notice, notice.raw_status)


# --------------------------------------------------------------------------- steps

def _payment_and_order(session: Session, channel: Channel, notice: PaymentNotice) -> tuple[Payment, Order]:
    try:
        payment = payments.for_notice(session, channel, notice)
    except payments.OrderNotYetKnown as exc:
        key, ref = _waiting_key(channel.id), exc.order_ref
        _hint(lambda redis: redis.pipeline().sadd(key, ref).expire(key, WAITING_TTL).execute())
        raise
    order = session.get(Order, payment.order_id) if payment.order_id else None
    if order is None:
        raise payments.UnknownSession(f"unknown session {payment.session_id}: payment has no order")
    return payment, lock_order(session, channel.id, order.external_id)


def _settled(payment: Payment, notice: PaymentNotice):
    """Already paid (a repeat: nothing to do) or refunded (never paid again): the event's answer, or None."""
    if payment.refund_status in payments.REFUND_OPEN:
        note = f"payment {payment.session_id} refund {payment.refund_status}; notice changes nothing"
        return "stale", note, Effects()
    if payment.status == "paid":
        return "ignored", f"payment {payment.session_id} already paid", Effects()
    return None


def _payu_stale(payment: Payment, notice: PaymentNotice):
    """A PayU status at or below the one we hold (out-of-order delivery) changes nothing."""
    if payment.status == "mismatch" and payment.raw_status == notice.raw_status:
        return None  # an operator's replay re-checks a parked payment
    current = payment.raw_status if payment.raw_status in maps.PAYU_STATUS_RANK else None
    if maps.payu_supersedes(current, notice.raw_status):
        return None
    return "stale", f"PayU {notice.raw_status} after {payment.raw_status} ignored", Effects()


def _refusal(session: Session, channel: Channel, order: Order, payment: Payment, notice: PaymentNotice, raw: str):
    """Closed order, a second payment, or another amount/currency: park and alert, never pay."""
    flag, reason = _problem(session, order, payment, notice)
    if flag is None:
        return None
    note = payments.refuse(session, channel, order, payment, flag=flag, reason=reason,
                           transaction_id=notice.transaction_id, raw_status=raw)
    effects = Effects()
    if flag != "payment_mismatch" and payments.propose_refund(session, channel, order, payment):
        _maybe_auto_refund(session, channel, payment, effects)
    elif flag != "payment_mismatch" and payment.gateway == PRZELEWY24:
        note += " (not verified: P24 keeps the money at the buyer's disposal)"
    return "failed", note, effects


def _problem(session: Session, order: Order, payment: Payment, notice: PaymentNotice) -> tuple[str | None, str]:
    if order.status in payments.CLOSED_ORDER:
        return "payment_for_cancelled_order", f"the order is {order.status}"
    other = session.scalar(select(Payment.session_id).where(
        Payment.order_id == order.id, Payment.id != payment.id, Payment.status == "paid",
        Payment.refund_status != "done"))
    if other:
        return "payment_duplicate", f"the order is already paid by {other}"
    reason = payments.mismatch(payment, notice)
    return ("payment_mismatch", reason) if reason else (None, "")


def _payu_read_back(order: dict, payment: Payment) -> str | None:
    """The order as PayU holds it must be COMPLETED for our amount; a lagging read-back retries."""
    status = order.get("status")
    if status in ("NEW", "PENDING", "WAITING_FOR_CONFIRMATION"):
        raise TransientError(f"PayU read-back still shows {status}")
    if status != "COMPLETED":
        return f"PayU shows the order {status}"
    return payments.mismatch(payment, maps.from_payu_order(order))


def _paid(session: Session, channel: Channel, order: Order, payment: Payment, notice: PaymentNotice, raw: str):
    payments.mark_paid(payment, notice.transaction_id, raw)
    order.payment_status = "paid"
    result = move_order(session, order, "paid", reason=f"paid by {payments.TITLES[payment.gateway]}")
    effects = Effects()
    effects.touch(session, result.touched_skus)
    note = (f"Stockbridge: payment {payments.money(payment.amount)} {payment.currency} confirmed by "
            f"{payments.TITLES[payment.gateway]} (transaction {notice.transaction_id}, session {payment.session_id}).")
    intent = intents.ensure(session, kind="woo_paid", channel=channel, order=order, key=f"woo-paid:{payment.id}",
                            payload={"transaction_id": notice.transaction_id, "note": note})
    if intent.status == "pending":
        effects.intents.append((intent.id, f"mark {channel.name} order {order.number} paid"))
    return "processed", f"paid ({payments.TITLES[payment.gateway]} {notice.transaction_id})", effects


# --------------------------------------------------------------------------- refunds

def _refund(session: Session, channel: Channel, notice: PaymentNotice):
    """A refund notice (P24 status 0/1, PayU PENDING/FINALIZED/CANCELED) -> the payment's refund state."""
    payment = payments.find(session, notice.gateway, notice.reference, lock=True) if notice.reference else None
    payment = payment or payments.find_by_gateway_order(session, notice.gateway, notice.transaction_id)
    if payment is None or payment.channel_id != channel.id:
        raise payments.UnknownSession(f"refund for unknown session {notice.reference or notice.transaction_id}")
    if payment.refund_status == "done":
        return "ignored", "refund already recorded", Effects()
    if notice.status == REFUNDED:
        payments.refund_finished(session, channel, payment, done=True, amount=notice.amount)
        return "processed", f"refund of {notice.amount} {notice.currency} done", _refund_note(session, channel, payment)
    if notice.raw_status in ("rejected", "CANCELED"):
        payments.refund_finished(session, channel, payment, done=False, amount=notice.amount,
                                 reason=f"{payments.TITLES[payment.gateway]} {notice.raw_status}")
        return "processed", f"refund {notice.raw_status}", Effects()
    payment.refund_status = "requested"
    return "processed", f"refund {notice.raw_status}", Effects()


def _refunded_by_status(session: Session, channel: Channel, notice: PaymentNotice):
    """P24 status 3 (returned) from the pull: a paid payment's refund is done."""
    payment = payments.find(session, PRZELEWY24, notice.reference, lock=True)
    if payment is None or payment.status != "paid" or payment.refund_status == "done":
        return "ignored", "returned at P24; nothing to record", Effects()
    payments.refund_finished(session, channel, payment, done=True, amount=notice.amount)
    return "processed", "refund done (P24 status 3)", _refund_note(session, channel, payment)


def _refund_note(session: Session, channel: Channel, payment: Payment) -> Effects:
    effects = Effects()
    order = session.get(Order, payment.order_id) if payment.order_id else None
    if order is None:
        return effects
    text = (f"Stockbridge: refund of {payments.money(payment.refund_amount or payment.amount)} {payment.currency} "
            f"confirmed by {payments.TITLES[payment.gateway]} (session {payment.session_id}).")
    intent = intents.ensure(session, kind="woo_order_note", channel=channel, order=order,
                            key=f"refund-note:{payment.id}", payload={"note": text})
    if intent.status == "pending":
        effects.intents.append((intent.id, f"add refund note to {channel.name} order {order.number}"))
    return effects


def propose_refunds(session: Session, order: Order, effects: Effects | None = None) -> int:
    """A cancelled order's captured payments get a refund proposal (and, with ``auto_refund``, a
    refund intent queued after the commit). Returns how many were proposed. A shop order set
    ``refunded`` (canonical ``returned``) is left alone: the shop refunded it already."""
    if order.status != "cancelled":
        return 0
    channel = session.get(Channel, order.channel_id)
    proposed = 0
    for payment in payments.of_order(session, order.id):
        if payments.propose_refund(session, channel, order, payment):
            proposed += 1
            _maybe_auto_refund(session, channel, payment, effects)
    return proposed


def _maybe_auto_refund(session: Session, channel: Channel, payment: Payment, effects: Effects | None) -> None:
    if not payments.options(channel)["auto_refund"] or effects is None:
        return
    intent = payments.confirm_refund(session, payment)
    if intent.status == "pending":
        effects.intents.append((intent.id, f"refund payment {payment.session_id}"))


def on_order_applied(session: Session, order: Order, effects: Effects) -> None:
    """Called by the WooCommerce order handler after every applied order body: proposes refunds when
    the order is cancelled, and wakes payment notices that were waiting for this order to arrive.

    Which orders have waiting notices is a Redis hint (one SREM per order body instead of scanning
    the inbox); without it the notices still apply when their backoff runs out."""
    propose_refunds(session, order, effects)
    if not _hint(lambda redis: redis.srem(_waiting_key(order.channel_id), order.external_id)):
        return
    session.execute(update(InboxEvent).where(
        InboxEvent.channel_id == order.channel_id, InboxEvent.source.in_((PRZELEWY24, PAYU)),
        InboxEvent.resource_id == order.external_id, InboxEvent.status == "received",
        InboxEvent.not_before.is_not(None)).values(not_before=None).execution_options(synchronize_session=False))


def _waiting_key(channel_id: int) -> str:
    return f"sb:payments:waiting-orders:{channel_id}"


def _hint(call):
    """Best effort on Redis (a speed-up only); None when Redis is unavailable."""
    try:
        return call(context.redis())
    except RedisError:
        return None
