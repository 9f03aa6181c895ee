"""Perform outbound intents (``workers.queue.enqueue_intent``), idempotently.

``woo_order_note``: ``GET /orders/<id>/notes`` first; if a note with our exact text exists, it was
created by an earlier attempt whose answer we lost, so we only record it.
"""

from __future__ import annotations

import logging

from connector.db import transaction
from connector.errors import StockbridgeError
from connector.models import Channel, Intent, Order
from workers import context
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
        client = client_for(channel, context.settings())
        external_id = order.external_id if order else None
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


PERFORMERS = {"woo_order_note": _woo_order_note, "woo_tracking": _woo_tracking}
