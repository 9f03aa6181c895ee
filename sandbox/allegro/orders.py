"""REST: the order event journal and checkout forms (``/order/...``).

``GET /order/events``      events AFTER ``from`` (exclusive), oldest first; no ``from`` (or ``from=0``) ->
    from the OLDEST event kept, not the newest (quirk, allegro-api#10347); unknown ``from`` -> 400
    ``InvalidEventIdException`` [unv]; ``type`` repeatable; ``limit`` 1..1000 (100).
``GET /order/event-stats`` ``{"latestEvent": {"id", "occurredAt"}}`` = the starting cursor of a fresh install.
``GET /order/checkout-forms[/{id}]``  list newest (boughtAt) first, filters, offset+limit <= 10000.
``PUT /order/checkout-forms/{id}/fulfillment?checkoutForm.revision=``  optimistic lock (409), 204,
    ``updatedAt`` NOT bumped (pitfall 4).
"""

from __future__ import annotations

import copy

from flask import Blueprint, Response, current_app, request

from .checkout import set_fulfillment
from .replies import ApiError, int_arg, json_body, parse_stamp, validation, vnd
from .store import Form, event_seq

bp = Blueprint("allegro_orders", __name__)
EVENT_TYPES = frozenset({"BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "BUYER_CANCELLED",
                         "FULFILLMENT_STATUS_CHANGED", "BUYER_MODIFIED", "AUTO_CANCELLED"})
CHECKOUT_STATUSES = frozenset({"BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "CANCELLED"})
SELLER_FULFILLMENT = ("NEW", "PROCESSING", "READY_FOR_SHIPMENT", "READY_FOR_PICKUP", "SENT", "PICKED_UP",
                      "CANCELLED", "SUSPENDED")
FULFILLMENT_STATUSES = frozenset(SELLER_FULFILLMENT + ("RETURNED",))
LINE_ITEMS_SENT = ("NONE", "SOME", "ALL")
MAX_WINDOW = 10000


def _store():
    return current_app.extensions["allegro_sandbox"].store


def find_form(form_id: str) -> Form:
    form = _store().forms.get(form_id)
    if form is None:
        raise ApiError(404, "NotFoundException", f"Checkout form {form_id} not found")
    return form


def _enum_args(name: str, allowed: frozenset) -> set[str]:
    values = set(request.args.getlist(name))
    if values - allowed:
        raise validation(f"Unknown {name} value(s): {', '.join(sorted(values - allowed))}", name)
    return values


@bp.get("/order/events")
def events():
    """The journal page; a ``duplicate`` fault repeats every event of the answer twice."""
    store = _store()
    limit = int_arg("limit", 100, 1, 1000)
    types = _enum_args("type", EVENT_TYPES)
    raw = request.args.get("from", "")
    with store.lock:
        seq = None
        if raw not in ("", "0"):
            seq = event_seq(raw)
            if seq is None or not store.known_cursor(seq):
                raise ApiError(400, "InvalidEventIdException", f"Invalid event id: {raw}", "from")
        found = store.events_after(seq, types, limit)
        if found and store.take_duplicate():
            found = [item for event in found for item in (event, copy.deepcopy(event))]
    return vnd({"events": found})


@bp.get("/order/event-stats")
def event_stats():
    return vnd({"latestEvent": _store().latest_event()})


@bp.get("/order/checkout-forms/<form_id>")
def checkout_form(form_id: str):
    store = _store()
    with store.lock:
        return vnd(copy.deepcopy(find_form(form_id).body))


def _time_filters() -> list[tuple[str, str, object]]:
    filters = []
    for name in ("updatedAt.gte", "updatedAt.lte", "lineItems.boughtAt.gte", "lineItems.boughtAt.lte"):
        if request.args.get(name):
            moment = parse_stamp(request.args[name])
            if moment is None:
                raise validation(f"{name} must be an ISO-8601 date-time", name)
            filters.append((name.rsplit(".", 1)[0], name.rsplit(".", 1)[1], moment))
    return filters


def _matches(form: Form, statuses: set, fulfillment: set, times: list) -> bool:
    body = form.body
    if statuses and body["status"] not in statuses:
        return False
    if fulfillment and body["fulfillment"]["status"] not in fulfillment:
        return False
    for field, op, moment in times:
        value = parse_stamp(body["updatedAt"]) if field == "updatedAt" else form.bought_at
        if (op == "gte" and value < moment) or (op == "lte" and value > moment):
            return False
    return True


@bp.get("/order/checkout-forms")
def checkout_forms():
    """``?status=&fulfillment.status=&updatedAt.gte|lte=&lineItems.boughtAt.gte|lte=&limit=1..100&offset=``."""
    statuses = _enum_args("status", CHECKOUT_STATUSES)
    fulfillment = _enum_args("fulfillment.status", FULFILLMENT_STATUSES)
    times = _time_filters()
    limit = int_arg("limit", 100, 1, 100)
    offset = int_arg("offset", 0, 0, 10**9)
    if offset + limit > MAX_WINDOW:
        raise validation(f"offset + limit must not exceed {MAX_WINDOW}", "offset", code="OffsetTooLargeException")
    store = _store()
    with store.lock:
        forms = list(store.forms.values())
        ranked = sorted(enumerate(forms), key=lambda pair: (pair[1].bought_at, pair[0]), reverse=True)
        found = [form for _, form in ranked if _matches(form, statuses, fulfillment, times)]
        page = [copy.deepcopy(form.body) for form in found[offset:offset + limit]]
    return vnd({"checkoutForms": page, "count": len(page), "totalCount": len(found)})


def _summary(body: dict) -> dict | None:
    summary = body.get("shipmentSummary")
    if summary is None:
        return None
    if not isinstance(summary, dict) or summary.get("lineItemsSent") not in LINE_ITEMS_SENT:
        raise validation("shipmentSummary.lineItemsSent must be NONE, SOME or ALL", "shipmentSummary.lineItemsSent")
    return {"lineItemsSent": summary["lineItemsSent"]}


@bp.put("/order/checkout-forms/<form_id>/fulfillment")
def fulfillment(form_id: str):
    """Seller status; stale ``checkoutForm.revision`` -> 409; RETURNED is Allegro's -> 422; same status = no-op."""
    body = json_body()
    store = _store()
    with store.lock:
        form = find_form(form_id)
        status = body.get("status")
        if status == "RETURNED":
            raise validation("Status RETURNED is set by Allegro and cannot be set by the seller", "status")
        if status not in SELLER_FULFILLMENT:
            raise validation(f"status must be one of {', '.join(SELLER_FULFILLMENT)}", "status")
        summary = _summary(body)
        revision = request.args.get("checkoutForm.revision")
        if revision is not None and revision != form.body["revision"]:
            raise ApiError(409, "ConflictException", "checkoutForm.revision is outdated", "checkoutForm.revision")
        set_fulfillment(store, form, status, summary)
    return Response(status=204)
