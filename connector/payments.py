"""Payments core: a shop's gateway accounts, payment rows and their state moves (no network I/O).

A shop's accounts live in ``channel.credentials["przelewy24"]`` (``merchant_id, pos_id, api_key, crc,
base_url``) and ``channel.credentials["payu"]`` (``pos_id, client_id, client_secret, second_key,
base_url``); its options in ``channel.settings["payments"]`` (:data:`DEFAULT_OPTIONS`). One
:class:`~connector.models.Payment` row per attempt at a gateway, keyed by (gateway, session id): the
session id is OUR reference (P24 ``sessionId``, PayU ``extOrderId``), new for every attempt because
both gateways refuse a reused one, and ``session_pattern`` maps it back to the shop's order id.

The row holds what WE expect (``amount``/``currency`` copied from the order when the attempt
starts), never what a notice claims: P24 ``transaction/verify`` is called with our amount
(``reference/payments.md`` fact 8) and a notice with another amount is refused, not paid.
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector import alerts, intents
from connector.clients.payu import PayUClient
from connector.clients.przelewy24 import Przelewy24Client
from connector.errors import ConfigurationError, PermanentError, TransientError
from connector.models import Channel, Intent, Order, Payment, utcnow
from mappers.payments import PAYU, PRZELEWY24, PaymentNotice, from_minor, to_minor

GATEWAYS = {"p24": PRZELEWY24, PRZELEWY24: PRZELEWY24, "payu": PAYU}
TITLES = {PRZELEWY24: "Przelewy24", PAYU: "PayU"}
REQUIRED = {PRZELEWY24: ("merchant_id", "pos_id", "api_key", "crc"),
            PAYU: ("pos_id", "client_id", "client_secret", "second_key")}
DEFAULT_OPTIONS = {"allow_md5": False, "auto_refund": False, "poll_after_minutes": 15,
                   "session_pattern": r"^(?P<order>\d+)(?:[_-].*)?$"}
#: Orders that must not take money: a payment for them is refused and, once captured, refunded.
CLOSED_ORDER = ("cancelled", "returned")
#: Orders a payment link may be created for.
PAYABLE_ORDER = ("new", "confirmed", "awaiting_payment")
REFUND_OPEN = ("requested", "done")


class UnknownSession(PermanentError):
    """A notice names a session id that maps to no order of this shop."""


class OrderNotYetKnown(TransientError):
    """A notice for an order the shop's webhook has not delivered yet: wait with backoff."""

    def __init__(self, message: str, *, order_ref: str):
        super().__init__(message)
        self.order_ref = order_ref


def gateway_name(value: str) -> str:
    """``p24``/``przelewy24``/``payu`` -> the gateway's canonical name; ValueError otherwise."""
    try:
        return GATEWAYS[value.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown gateway {value!r} (p24 or payu)") from None


def account(channel: Channel, gateway: str) -> dict | None:
    """The shop's account at ``gateway`` when every required key is present, else None."""
    creds = (channel.credentials or {}).get(gateway)
    if not isinstance(creds, dict) or not all(creds.get(key) not in (None, "") for key in REQUIRED[gateway]):
        return None
    return creds


def options(channel: Channel) -> dict:
    """``channel.settings["payments"]`` over :data:`DEFAULT_OPTIONS`."""
    return {**DEFAULT_OPTIONS, **((channel.settings or {}).get("payments") or {})}


def order_ref(channel: Channel, session_id: str) -> str | None:
    """The shop order id inside ``session_id`` (``session_pattern``'s ``order`` group), or None."""
    return match_order_ref(options(channel)["session_pattern"], session_id)


def match_order_ref(pattern: str, session_id: str) -> str | None:
    try:
        match = re.match(pattern, session_id or "")
    except (re.error, TypeError):
        return None
    return match.group("order") if match and "order" in match.groupdict() else None


def new_session_id(order: Order, gateway: str) -> str:
    """``<order id>-<p24|payu>-<random>``: fresh per attempt (P24 and PayU refuse a reused one)."""
    short = "p24" if gateway == PRZELEWY24 else "payu"
    return f"{order.external_id}-{short}-{secrets.token_hex(5)}"


def notify_url(channel: Channel, gateway: str) -> str:
    """Where the gateway posts notices: ``<public_url>/webhooks/<gateway>/<shop>``."""
    base = ((channel.settings or {}).get("public_url") or "").rstrip("/")
    if not base:
        raise ConfigurationError(f"shop {channel.name} has no public URL: run 'stockbridge pay setup "
                                 f"{channel.name} --public-url https://...' (or 'shop connect')")
    return f"{base}/webhooks/{gateway}/{channel.name}"


_clients: dict[tuple, object] = {}


def client(channel: Channel, gateway: str, timeout: float | tuple[float, float]):
    """A client for the shop's account (no call made). PayU clients are kept per account so the
    12 h OAuth token is reused (pitfall 17); a changed key makes a new client."""
    creds = account(channel, gateway)
    if creds is None:
        raise ConfigurationError(f"shop {channel.name} has no {TITLES[gateway]} account (stockbridge pay setup)")
    key = (gateway, tuple(sorted((k, str(v)) for k, v in creds.items())), timeout)
    if key not in _clients:
        if len(_clients) > 64:
            _clients.clear()
        if gateway == PRZELEWY24:
            _clients[key] = Przelewy24Client(creds["pos_id"], creds["merchant_id"], creds["api_key"], creds["crc"],
                                             creds.get("base_url") or "https://secure.przelewy24.pl", timeout=timeout)
        else:
            _clients[key] = PayUClient(creds["pos_id"], creds["client_id"], creds["client_secret"],
                                       creds["second_key"], creds.get("base_url") or "https://secure.payu.com",
                                       timeout=timeout)
    return _clients[key]


# --------------------------------------------------------------------------- rows

def find(session: Session, gateway: str, session_id: str, *, lock: bool = False) -> Payment | None:
    query = select(Payment).where(Payment.gateway == gateway, Payment.session_id == session_id)
    return session.scalar(query.with_for_update() if lock else query)


def find_by_gateway_order(session: Session, gateway: str, gateway_order_id: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.gateway == gateway,
                                                Payment.gateway_order_id == gateway_order_id).with_for_update())


def of_order(session: Session, order_id: int) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)))


def reusable_link(session: Session, order: Order, gateway: str) -> Payment | None:
    """A pending attempt at ``gateway`` with a link, still for the order's current total and currency."""
    for payment in reversed(of_order(session, order.id)):
        if payment.gateway == gateway and payment.status == "pending" and payment.link \
                and to_minor(payment.amount) == to_minor(order.total) and payment.currency == order.currency:
            return payment
    return None


def start(session: Session, channel: Channel, order: Order, gateway: str, session_id: str | None = None) -> Payment:
    """A new pending attempt expecting the order's total, in the order's currency."""
    payment = Payment(channel_id=channel.id, order_id=order.id, order_ref=order.external_id, gateway=gateway,
                      session_id=session_id or new_session_id(order, gateway), amount=order.total,
                      currency=order.currency, status="pending", raw_status="")
    session.add(payment)
    session.flush()
    return payment


def for_notice(session: Session, channel: Channel, notice: PaymentNotice) -> Payment:
    """The payment a transaction notice is about, created from its order when the session is new.

    The session id must map to an order of this shop (``session_pattern``): no match is an
    UnknownSession; an order not received yet is a TransientError, so the event waits with backoff
    and applies when the order arrives.
    """
    payment = find(session, notice.gateway, notice.reference, lock=True)
    if payment is not None:
        if payment.channel_id != channel.id:
            raise UnknownSession(f"unknown session {notice.reference}: it belongs to another shop")
        return payment
    ref = order_ref(channel, notice.reference) if len(notice.reference) <= 100 else None
    if ref is None:
        raise UnknownSession(f"unknown session {notice.reference!r}: it does not match the shop's session_pattern")
    order = session.scalar(select(Order).where(Order.channel_id == channel.id, Order.external_id == ref))
    if order is None:
        raise OrderNotYetKnown(f"unknown session {notice.reference}: order {ref} not yet known", order_ref=ref)
    return start(session, channel, order, notice.gateway, notice.reference)


def expected_minor(payment: Payment) -> int:
    return to_minor(payment.amount)


def mismatch(payment: Payment, notice: PaymentNotice) -> str | None:
    """Why the notice's amount or currency is not what we expect, compared in minor units."""
    if notice.currency.upper() != payment.currency.upper():
        return f"currency {notice.currency} instead of {payment.currency}"
    if notice.amount_minor != expected_minor(payment):
        return f"amount {notice.amount} {notice.currency} instead of {money(payment.amount)} {payment.currency}"
    return None


def money(amount: Decimal) -> str:
    """``Decimal("1.005")`` -> ``"1.01"``: shown rounded as it is charged (half up, ``to_minor``)."""
    return str(from_minor(to_minor(Decimal(amount))))


def label(channel: Channel, order: Order | None, payment: Payment) -> str:
    """How alerts name a payment: shop, order number, gateway and session (no personal data)."""
    number = order.number if order is not None else payment.order_ref
    return f"{channel.name} order {number}: {TITLES[payment.gateway]} payment {payment.session_id}"


# --------------------------------------------------------------------------- state moves

def add_flag(order: Order, flag: str) -> None:
    if flag not in (order.flags or []):
        order.flags = [*(order.flags or []), flag]


def mark_paid(payment: Payment, transaction_id: str, raw_status: str) -> None:
    payment.status, payment.raw_status, payment.error = "paid", raw_status, None
    payment.gateway_order_id = transaction_id or payment.gateway_order_id
    payment.verified_at = utcnow()


def refuse(session: Session, channel: Channel, order: Order, payment: Payment, *, flag: str, reason: str,
           transaction_id: str = "", raw_status: str = "") -> str:
    """Park a payment as ``mismatch``: the order is flagged and an operator alerted. Returns the note."""
    payment.status, payment.error = "mismatch", reason[:500]
    payment.gateway_order_id = transaction_id or payment.gateway_order_id
    payment.raw_status = raw_status or payment.raw_status
    add_flag(order, flag)
    alerts.raise_alert(session, kind="payment_mismatch", key=f"payment:{payment.id}", channel_id=channel.id,
                       order_id=order.id, message=f"{label(channel, order, payment)} not accepted: {reason}")
    return f"not paid: {reason}"


def captured(payment: Payment) -> bool:
    """Whether the gateway holds money we collected: verified (P24) or COMPLETED (PayU)."""
    return payment.status == "paid" or (payment.gateway == PAYU and payment.raw_status == "COMPLETED")


def propose_refund(session: Session, channel: Channel, order: Order, payment: Payment) -> bool:
    """Mark a captured payment's refund ``proposed`` and alert the operator; False if not applicable."""
    if not captured(payment) or payment.refund_status not in ("", "failed"):
        return False
    payment.refund_status, payment.refund_amount = "proposed", payment.amount
    alerts.raise_alert(session, kind="refund_proposed", key=f"refund:{payment.id}", channel_id=channel.id,
                       order_id=order.id, message=f"{label(channel, order, payment)}: order is {order.status}; "
                       f"refund {money(payment.amount)} {payment.currency}? Confirm on the order page or with "
                       f"'stockbridge pay refund {payment.id} --confirm'")
    return True


def confirm_refund(session: Session, payment: Payment) -> Intent:
    """Store OUR idempotency key (P24 requestId/refundsUuid, PayU extRefundId) before any call and
    return the pending refund intent. Confirming again returns the same intent. A captured payment
    nobody proposed to refund (goods sent back) may be refunded too: the operator asked explicitly."""
    if payment.refund_status == "" and captured(payment):
        payment.refund_status = "proposed"
    if payment.refund_status not in ("proposed", "failed", "requested"):
        raise PermanentError(f"payment {payment.id}: no refund to confirm (refund status "
                             f"{payment.refund_status or 'none'}, payment {payment.status})")
    if not payment.refund_request_id or payment.refund_status == "failed":
        payment.refund_request_id = f"sb{payment.id}r{secrets.token_hex(8)}"  # <= 35 characters
    payment.refund_status = "requested"
    payment.refund_amount = payment.refund_amount or payment.amount
    channel = session.get(Channel, payment.channel_id)
    order = session.get(Order, payment.order_id) if payment.order_id else None
    return intents.ensure(session, kind="payment_refund", channel=channel, order=order,
                          key=f"refund:{payment.gateway}:{payment.refund_request_id}",
                          payload={"payment_id": payment.id})


def refund_finished(session: Session, channel: Channel, payment: Payment, *, done: bool, amount: Decimal,
                    reason: str = "") -> None:
    """A refund notice: ``done`` (money went back) or ``failed`` (the gateway rejected it)."""
    order = session.get(Order, payment.order_id) if payment.order_id else None
    if done:
        payment.refund_status, payment.refund_amount = "done", amount
        alerts.resolve(session, f"refund:{payment.id}")
        return
    payment.refund_status, payment.error = "failed", reason[:500]
    alerts.raise_alert(session, kind="refund_failed", key=f"refund:{payment.id}", channel_id=channel.id,
                       order_id=order.id if order else None,
                       message=f"{label(channel, order, payment)}: refund rejected by the gateway ({reason})")


def row(payment: Payment) -> dict:
    """A payment for the console, CLI and API (no personal data)."""
    return {"id": payment.id, "gateway": payment.gateway, "title": TITLES.get(payment.gateway, payment.gateway),
            "session_id": payment.session_id, "order_ref": payment.order_ref,
            "gateway_order_id": payment.gateway_order_id, "amount": money(payment.amount),
            "currency": payment.currency, "status": payment.status, "raw_status": payment.raw_status,
            "link": payment.link, "error": payment.error, "refund_status": payment.refund_status,
            "refund_amount": money(payment.refund_amount) if payment.refund_amount is not None else None,
            "created_at": payment.created_at.isoformat() + "Z" if payment.created_at else None}
