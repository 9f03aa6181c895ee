"""Shipments: exactly one per parcel set, labels fetched server-side, tracking back to every channel.

No carrier has an idempotency key, so ``create_shipment`` runs on a written intent: it first looks
the shipment up by our own reference (an earlier attempt may have created it and died before our
commit), and only then creates. A worker killed between the carrier's answer and our commit is
therefore harmless: the retry finds the shipment and records it.
"""

from __future__ import annotations

import logging
import time

from rq.exceptions import DuplicateJobError
from sqlalchemy import select

from connector import alerts, intents
from connector.carriers import client_for
from connector.db import transaction
from connector.errors import PermanentError, StockbridgeError, UnsupportedOperation
from connector.models import Channel, Label, Order, Shipment
from connector.shipments import NoShippingRule, is_ready, plan_shipment, request_from_json
from connector.shipping import ShipmentResult, TrackingUpdate, advances
from connector.marketplaces import StatusChange, is_marketplace
from workers import context
from workers.marketplace_status import enqueue_all, tell
from workers.mirror import mirror_of
from workers.queue import queue
from workers.retry import OUTBOUND_RETRY

log = logging.getLogger(__name__)


def plan_if_ready(session, channel: Channel, order: Order, effects) -> None:
    """A ready order of a channel with shipping rules gets its shipment intent (created after the commit).

    Shops and marketplace accounts alike: ``settings["shipping_methods"]`` maps the order's delivery method."""
    settings = channel.settings or {}
    if not settings.get("shipping_methods") or not settings.get("auto_ship", True) or not is_ready(order, channel):
        return
    if any(f.startswith("out_of_stock:") for f in order.flags or []):
        return
    try:
        shipment = plan_shipment(session, order, channel)
    except NoShippingRule as exc:
        alerts.raise_alert(session, kind="shipment_failed", key=f"no-rule:{order.id}", channel_id=channel.id,
                           order_id=order.id, message=str(exc))
        return
    if shipment.status == "intent":
        effects.shipments.append((shipment.id, f"create {shipment.carrier} shipment {shipment.reference}"))


def enqueue(redis, job: str, shipment_id: int, description: str) -> None:
    """One job per (step, shipment) at a time: the deterministic id makes a second enqueue a no-op."""
    try:
        queue(redis, "outbound").enqueue(f"workers.shipping.{job}", shipment_id, description=description,
                                         job_id=f"{job}-{shipment_id}", unique=True, retry=OUTBOUND_RETRY,
                                         result_ttl=60, failure_ttl=7 * 24 * 3600, job_timeout=120)
    except DuplicateJobError:
        pass


def retry_now(redis, job: str, shipment_id: int, description: str) -> None:
    """An operator's Retry: a fresh job id, since the deterministic one may still be held by a failed job
    (kept 7 days) or by one a killed worker abandoned. Safe: the per-shipment lock and the look-up by
    reference keep it to one shipment, and a job that finds the work done returns."""
    queue(redis, "outbound").enqueue(f"workers.shipping.{job}", shipment_id, description=description,
                                     job_id=f"{job}-{shipment_id}-retry-{time.time_ns()}", retry=OUTBOUND_RETRY,
                                     result_ttl=60, failure_ttl=7 * 24 * 3600, job_timeout=120)


def _load(shipment_id: int):
    with transaction(context.engine()) as session:
        shipment = session.get(Shipment, shipment_id)
        account = session.scalar(select(Channel).where(Channel.name == shipment.carrier))
        return shipment, client_for(account, context.settings().http_timeout)


def create_shipment(shipment_id: int) -> str:
    """Job: look up by reference, else create; record the carrier's id and tracking number.

    A per-shipment Redis lock keeps two workers from creating at once; if a worker dies holding it,
    the lock expires and the retry starts with the look-up.
    """
    with context.redis().lock(f"sb:ship-create:{shipment_id}", timeout=180, blocking_timeout=180):
        return _create_locked(shipment_id)


def _create_locked(shipment_id: int) -> str:
    shipment, carrier = _load(shipment_id)
    if shipment.status != "intent":
        return f"already {shipment.status}"
    try:
        # Only a shipment tried before may exist remotely; the look-up costs calls (DHL24 has no search).
        result = carrier.find_by_reference(shipment.reference) if shipment.attempts else None
        if result is None:
            _count_attempt(shipment_id)  # committed BEFORE the call: a crash after it means "look up first"
            result = carrier.create_shipment(request_from_json(shipment.request))
    except PermanentError as exc:
        _refused(shipment_id, exc)
        return "refused by the carrier"
    _record(shipment_id, result)
    enqueue(context.redis(), "fetch_label", shipment_id, f"fetch label for shipment {shipment.reference}")
    return f"{result.status} {result.carrier_ref}"


def _count_attempt(shipment_id: int) -> None:
    with transaction(context.engine()) as session:
        session.get(Shipment, shipment_id).attempts += 1


def _record(shipment_id: int, result: ShipmentResult, *, with_status: bool = True) -> None:
    """Store what the carrier said; the status only ever moves forward (tracking statuses go through
    ``workers.tracking.apply_update`` so the order follows)."""
    with transaction(context.engine()) as session:
        shipment = session.get(Shipment, shipment_id)
        shipment.carrier_ref = result.carrier_ref or shipment.carrier_ref
        if with_status and advances(shipment.status, result.status):
            shipment.status, shipment.raw_status = result.status, result.raw_status
        shipment.tracking_number = result.tracking_number or shipment.tracking_number
        shipment.error = None


def _refused(shipment_id: int, exc: StockbridgeError) -> None:
    with transaction(context.engine()) as session:
        shipment = session.get(Shipment, shipment_id)
        shipment.status, shipment.error = "failed", str(exc)[:1000]
        alerts.raise_alert(session, kind="shipment_failed", key=f"shipment:{shipment.id}", order_id=shipment.order_id,
                           message=f"shipment {shipment.reference} refused by {shipment.carrier}: {str(exc)[:300]}")


def fetch_label(shipment_id: int) -> str:
    """Job: download the label (LabelNotReady is transient: RQ retries with backoff), then push tracking."""
    shipment, carrier = _load(shipment_id)
    if not shipment.tracking_number or shipment.status == "created":
        refreshed = carrier.get_shipment(shipment.carrier_ref)
        _record(shipment_id, refreshed)
        shipment = _load(shipment_id)[0]
    stored = {}
    for fmt, dpi in _label_formats(shipment.carrier).items():
        try:
            content = carrier.get_label(shipment.carrier_ref, fmt=fmt, size="A6", dpi=dpi)
        except UnsupportedOperation:
            if fmt == "pdf":
                raise
            continue  # Nova Poshta and CDEK print PDF only; the label station prints their PDF
        stored[fmt] = _store_label(shipment_id, fmt, content)
    with transaction(context.engine()) as session:
        shipment_row = session.get(Shipment, shipment_id)
        if shipment_row.status == "created":
            shipment_row.status = "confirmed"
    queue_tracking_push(shipment_id)
    return "labels stored: " + ", ".join(f"{fmt} {size} bytes" for fmt, size in stored.items())


def _label_formats(account_name: str) -> dict[str, int]:
    """{format: dpi}: PDF always; ZPL too when the carrier account's warehouse prints on thermal printers
    (``settings["zpl_dpi"]`` 203 or 300)."""
    with transaction(context.engine()) as session:
        account = session.scalar(select(Channel).where(Channel.name == account_name))
        dpi = (account.settings or {}).get("zpl_dpi")
    return {"pdf": 203, **({"zpl": int(dpi)} if dpi else {})}


def _store_label(shipment_id: int, fmt: str, content: bytes) -> int:
    with transaction(context.engine()) as session:
        if session.scalar(select(Label).where(Label.shipment_id == shipment_id, Label.fmt == fmt)) is None:
            session.add(Label(shipment_id=shipment_id, fmt=fmt, content=content))
    return len(content)


def queue_tracking_push(shipment_id: int) -> None:
    """Record the intents that tell the tracking number: to the shop (customer-visible note + tracking meta),
    or for a marketplace order to the marketplace (``packed`` with the number) and to its shop mirror."""
    with transaction(context.engine()) as session:
        shipment = session.get(Shipment, shipment_id)
        if not shipment.tracking_number:
            return
        order = session.get(Order, shipment.order_id)
        carrier = (shipment.request or {}).get("carrier", shipment.carrier)
        payload = {"shipment_id": shipment.id, "tracking_number": shipment.tracking_number, "carrier": carrier}
        queued = [_shop_tracking(session, order, shipment, payload)]
        if is_marketplace(order.channel):
            queued.append(tell(session, order, StatusChange("packed", shipment.tracking_number, carrier)))
    enqueue_all(queued)


def _shop_tracking(session, order: Order, shipment: Shipment, payload: dict) -> tuple[int, str] | None:
    """The ``woo_tracking`` intent for the shop order, or for the shop mirror of a marketplace order."""
    shop, woo_id = order.channel, None
    if is_marketplace(order.channel):
        shop, woo_id = mirror_of(session, order)
        if shop is None:
            return None
    intent = intents.ensure(session, kind="woo_tracking", channel=shop, order=order,
                            key=f"tracking:{shipment.id}:{shipment.tracking_number}",
                            payload={**payload, **({"woo_order_id": woo_id} if woo_id else {})})
    if intent.status != "pending":
        return None
    return intent.id, f"send tracking {shipment.tracking_number} to {shop.name} order {woo_id or order.number}"


def refresh_shipment(shipment_id: int) -> str:
    """Job: re-read a shipment from the carrier (after an unsigned webhook) and apply what changed."""
    from workers.tracking import apply_update

    shipment, carrier = _load(shipment_id)
    result = carrier.get_shipment(shipment.carrier_ref)
    in_transit = result.status not in ("created", "confirmed")
    _record(shipment_id, result, with_status=not in_transit)
    shipment = _load(shipment_id)[0]
    with transaction(context.engine()) as session:
        has_label = session.scalar(select(Label.id).where(Label.shipment_id == shipment_id)) is not None
    if shipment.tracking_number and not has_label and result.status not in ("created", "cancelled"):
        enqueue(context.redis(), "fetch_label", shipment_id, f"fetch label for shipment {shipment.reference}")
    if shipment.tracking_number and in_transit:
        apply_update(shipment.carrier, TrackingUpdate(shipment.tracking_number, result.status, result.raw_status))
    return result.status
