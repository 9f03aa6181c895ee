"""Perform outbound intents (``workers.queue.enqueue_intent``), idempotently.

Each kind names its performer (``PERFORMERS``) and, when its calls do not go to a WooCommerce shop,
the client it needs (``CLIENTS``: ``mp_status`` talks to a marketplace, ``workers.marketplace_status``).
A payload's ``woo_order_id`` names the shop order when it is not the intent's own order (a
marketplace order's mirror, ``workers.mirror``).

``woo_order_note``: ``GET /orders/<id>/notes`` first; if a note with our exact text exists, it was
created by an earlier attempt whose answer we lost, so we only record it. ``woo_paid``: the order is
read first and only set paid when it does not show our transaction yet. ``payment_refund``: the
gateway's refund API, repeating OUR stored key on every retry (P24 answers "Request already exists",
PayU the same refund). Payment links (``create_payment_link``) write the payment row before the
gateway call and reuse a pending link instead of creating a second one.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connector import payments
from connector.clients.przelewy24 import DuplicateRefundRequest, RefundItem
from connector.db import transaction
from connector.errors import PermanentError, StockbridgeError
from connector.models import Channel, Intent, Order, Payment
from mappers.payments import PRZELEWY24, to_minor
from workers import context, marketplace_status, mirror
from workers.woocommerce_events import client_for

log = logging.getLogger(__name__)


def perform_intent(intent_id: int) -> str:
    """Job: carry out one pending intent. Transient errors propagate so RQ's retry handler re-runs it."""
    with transaction(context.engine()) as session:
        intent = session.get(Intent, intent_id)
        if intent is None or intent.status != "pending":
            return "nothing to do"
        channel, order = session.get(Channel, intent.channel_id), session.get(Order, intent.order_id)
        kind, payload = intent.kind, dict(intent.payload)
        client = CLIENTS.get(kind, _woo_client)(channel)
        external_id = payload.get("woo_order_id") or (order.external_id if order else None)
    try:
        remote_ref = PERFORMERS[kind](client, external_id, payload)
    except StockbridgeError as exc:
        _record_error(intent_id, exc)
        raise
    with transaction(context.engine()) as session:
        intent = session.get(Intent, intent_id)
        intent.status, intent.remote_ref, intent.last_error = "done", str(remote_ref), None
    return f"done ({remote_ref})"


def _record_error(intent_id: int, exc: StockbridgeError) -> None:
    with transaction(context.engine()) as session:
        intent = session.get(Intent, intent_id)
        intent.attempts += 1
        intent.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if exc.retry == "permanent":
            intent.status = "failed"


def _woo_order_note(client, order_external_id: str, payload: dict) -> str:
    for note in client.list_order_notes(order_external_id):
        if note.get("note") == payload["note"]:
            return str(note.get("id"))
    return str(client.add_order_note(order_external_id, payload["note"], customer_note=False).get("id"))




TRACKING_META = "_wc_shipment_tracking_items"


def _woo_tracking(client, order_external_id: str, payload: dict) -> str:
    """Customer-visible note + the WooCommerce Shipment Tracking plugin's meta, each looked up before writing."""
    from connector.shipping import CARRIER_TITLES, TRACKING_URLS

    number, carrier = payload["tracking_number"], payload["carrier"]
    url = TRACKING_URLS.get(carrier, "{}").format(number)
    title = CARRIER_TITLES.get(carrier, carrier)
    if not any(number in (n.get("note") or "") for n in client.list_order_notes(order_external_id)):
        client.add_order_note(order_external_id, f"Przesyłka / Відправлення / Отправление: {title} {number} — {url}",
                              customer_note=True)
    order = client.get_order(order_external_id)
    items = next((m.get("value") or [] for m in order.get("meta_data", []) if m.get("key") == TRACKING_META), [])
    if not any(i.get("tracking_number") == number for i in items):
        item = {"tracking_provider": "", "custom_tracking_provider": title, "custom_tracking_link": url,
                "tracking_number": number, "date_shipped": "", "tracking_id": f"sb-{payload['shipment_id']}"}
        client.update_order(order_external_id, {"meta_data": [{"key": TRACKING_META, "value": [*items, item]}]})
    return number


def _woo_paid(client, order_external_id: str, payload: dict) -> str:
    """``PUT /orders/<id>`` ``{"set_paid": true, "transaction_id"}`` unless the order already shows our
    transaction id and a paid status (an earlier attempt whose answer we lost), then the private note."""
    transaction_id = payload["transaction_id"]
    current = client.get_order(order_external_id)
    if current.get("transaction_id") != transaction_id or current.get("status") not in ("processing", "completed"):
        client.update_order(order_external_id, {"set_paid": True, "transaction_id": transaction_id})
    _woo_order_note(client, order_external_id, {"note": payload["note"]})
    return transaction_id


def _payment_refund(_client, _order_external_id: str, payload: dict) -> str:
    """The gateway's refund API with OUR idempotency key (see ``issue_refund``)."""
    return issue_refund(payload["payment_id"])


def _woo_client(channel: Channel):
    return client_for(channel, context.settings())


PERFORMERS = {"woo_order_note": _woo_order_note, "woo_tracking": _woo_tracking, "woo_paid": _woo_paid,
              "payment_refund": _payment_refund, "mp_status": marketplace_status.perform,
              "woo_mirror": mirror.create_mirror, "woo_mirror_status": mirror.mirror_status}
#: Intent kinds whose calls do not go to the intent's WooCommerce shop (default: ``_woo_client``).
CLIENTS = {"mp_status": marketplace_status.marketplace_handle}


# --------------------------------------------------------------------------- payment links and refunds

def create_payment_link(shop: str, order_external_id: str, gateway: str) -> dict:
    """A payment link for SHOP's order: P24 ``POST /transaction/register`` or PayU ``POST /orders``
    (answered 302, read and not followed). A pending payment with a link for the same amount is
    reused. The row is committed before the call; a lost or refused answer cancels it (a new
    session id is used next time, as both gateways require). Returns ``payments.row`` + ``reused``.
    """
    gateway = payments.gateway_name(gateway)
    with transaction(context.engine()) as session:
        channel, order = _payable_order(session, shop, order_external_id)
        reused = payments.reusable_link(session, order, gateway)
        if reused is not None:
            return {**payments.row(reused), "reused": True}
        client = payments.client(channel, gateway, context.settings().http_timeout)
        request = _link_request(channel, order, gateway)
        payment = payments.start(session, channel, order, gateway)
        payment.raw_status, payment_id = "creating", payment.id
        request["session_id"] = payment.session_id
    try:
        link, gateway_order_id = _register(client, gateway, request)
    except StockbridgeError as exc:
        with transaction(context.engine()) as session:
            failed = session.get(Payment, payment_id)
            failed.status, failed.error = "cancelled", f"link not created: {exc}"[:500]
        raise
    with transaction(context.engine()) as session:
        payment = session.get(Payment, payment_id)
        payment.link, payment.gateway_order_id = link, gateway_order_id
        payment.raw_status = "registered" if gateway == PRZELEWY24 else "NEW"
        return {**payments.row(payment), "reused": False}


def _payable_order(session, shop: str, order_external_id: str) -> tuple[Channel, Order]:
    order = session.scalar(select(Order).join(Channel).where(Channel.name == shop,
                                                             Order.external_id == str(order_external_id)))
    if order is None:
        raise PermanentError(f"unknown order {shop}/{order_external_id}")
    if order.status not in payments.PAYABLE_ORDER:
        raise PermanentError(f"order {shop}/{order_external_id} is {order.status}; no payment link needed")
    if to_minor(order.total) <= 0 or not order.currency:
        raise PermanentError(f"order {shop}/{order_external_id} has no amount to pay")
    return order.channel, order


def _link_request(channel: Channel, order: Order, gateway: str) -> dict:
    """What the gateway call needs, read inside the transaction (the e-mail goes to the gateway only)."""
    back = payments.options(channel).get("return_url") or channel.base_url
    return {"amount": to_minor(order.total), "currency": order.currency, "email": (order.buyer or {}).get("email"),
            "description": f"Zamówienie {order.number} – {channel.name}", "notify_url":
            payments.notify_url(channel, gateway), "return_url": back}


def _register(client, gateway: str, request: dict) -> tuple[str, str]:
    """(link, gateway order id) from P24 register or PayU create order."""
    if gateway == PRZELEWY24:
        if not request["email"]:
            raise PermanentError("the order has no buyer e-mail; Przelewy24 requires one to register")
        registered = client.register(session_id=request["session_id"], amount=request["amount"],
                                     currency=request["currency"], description=request["description"],
                                     email=request["email"], url_return=request["return_url"],
                                     url_status=request["notify_url"])
        return registered.redirect_url, ""
    buyer = {"email": request["email"], "language": "pl"} if request["email"] else None
    created = client.create_order(ext_order_id=request["session_id"], total_amount=request["amount"],
                                  currency=request["currency"], description=request["description"],
                                  customer_ip="127.0.0.1", notify_url=request["notify_url"],
                                  continue_url=request["return_url"], buyer=buyer)
    return created.redirect_uri, created.order_id


def issue_refund(payment_id: int) -> str:
    """P24 ``POST /api/v1/transaction/refund`` (requestId = refundsUuid = our stored key) or PayU
    ``POST /api/v2_1/orders/{id}/refunds`` (extRefundId = our key). A refusal marks the refund failed
    and alerts; a lost answer raises (the retry repeats the same key). Returns the remote reference."""
    with transaction(context.engine()) as session:
        payment = session.get(Payment, payment_id)
        if payment.refund_status == "done":
            return payment.refund_request_id
        channel = session.get(Channel, payment.channel_id)
        client = payments.client(channel, payment.gateway, context.settings().http_timeout)
        call = {"gateway": payment.gateway, "key": payment.refund_request_id, "session_id": payment.session_id,
                "gateway_order_id": payment.gateway_order_id,
                "amount": to_minor(payment.refund_amount or payment.amount),
                "description": f"Zwrot {payment.order_ref}"[:35],
                "url": payments.notify_url(channel, payment.gateway) if payment.gateway == PRZELEWY24 else None}
    try:
        reference = _refund_call(client, call)
    except PermanentError as exc:
        with transaction(context.engine()) as session:
            payment = session.get(Payment, payment_id)
            payments.refund_finished(session, session.get(Channel, payment.channel_id), payment, done=False,
                                     amount=payment.refund_amount, reason=str(exc)[:300])
        raise
    with transaction(context.engine()) as session:
        payment = session.get(Payment, payment_id)
        if payment.refund_status != "done":
            payment.refund_status = "requested"
    return reference


def _refund_call(client, call: dict) -> str:
    if not call["key"]:
        raise PermanentError("refund has no idempotency key; confirm it first")
    if call["gateway"] == PRZELEWY24:
        item = RefundItem(int(call["gateway_order_id"]), call["session_id"], call["amount"], call["description"])
        try:
            client.refund(request_id=call["key"], refunds_uuid=call["key"][:35], refunds=[item], url_status=call["url"])
        except DuplicateRefundRequest:
            pass  # an earlier attempt went through; P24 keeps one refund per requestId
        return call["key"]
    refund = client.refund(call["gateway_order_id"], ext_refund_id=call["key"], amount=call["amount"],
                           description=call["description"])
    return str(refund.get("refundId") or call["key"])
