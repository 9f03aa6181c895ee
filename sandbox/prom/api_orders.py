"""Order endpoints of Prom's public API v1 (Bearer auth, faults and rate limit are applied in ``app``)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from . import validation
from .models import Order
from .respond import API_PREFIX, json_body, not_found, sandbox, view
from .serialize import order_json, status_options
from .store import Store

bp = Blueprint("prom_orders", __name__, url_prefix=API_PREFIX)


def _custom_ids() -> set[int]:
    return set(sandbox().config["CUSTOM_STATUSES"])


def note_call(order: Order, store: Store, **details) -> None:
    """Remember a seller call on ``order`` (``GET /__sandbox__/orders`` shows them)."""
    with store.lock:
        order.seller_calls.append({"method": request.method, "path": request.path, "time": store.now().isoformat(),
                                   **details})


@bp.get("/orders/list")
def list_orders():
    """``GET /orders/list`` -> ``{"orders": [...]}``, id DESC; ``last_id`` = only ids below it (the cursor).

    Filters: ``status``, ``date_from``/``date_to`` (date_created), ``last_modified_from``/``_to``
    (date_modified), all inclusive. A queued ``duplicate`` repeats each order of a non-empty answer twice.
    """
    wanted = validation.order_filter(request.args, _custom_ids())
    page = validation.page(request.args)
    direction = validation.sort_dir(request.args)
    store, rendering = sandbox().store, view()
    with store.lock:
        orders = store.list_orders(wanted, page)
        if direction == "asc":
            orders.reverse()
        if orders and store.take_duplicate():
            orders = [order for order in orders for _ in range(2)]
        return jsonify({"orders": [order_json(order, rendering) for order in orders]})


@bp.get("/orders/<int:order_id>")
def get_order(order_id: int):
    """``GET /orders/{id}`` -> ``{"order": {...}}``; unknown -> 404 ``{"error": "Not found"}``."""
    store = sandbox().store
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            return not_found()
        note_call(order, store)
        return jsonify({"order": order_json(order, view())})


def _change_status(store: Store, order: Order, change: validation.StatusChange) -> bool:
    """One order of a set_status call; False = left out of ``processed_ids``.

    A canceled order stays canceled [unv]; the same status again is processed without a change.
    """
    if order.status == "canceled" and change.status != "canceled":
        return False
    if order.status == change.status:
        return True
    order.status = change.status
    if change.status == "canceled":
        order.cancellation = (change.reason, change.text)
    store.touch(order)
    return True


@bp.post("/orders/set_status")
def set_status():
    """``POST /orders/set_status {"ids", "status", "cancellation_reason"?, "cancellation_text"?}``.

    -> 200 ``{"processed_ids": [...]}`` (quirk: unknown or unchangeable ids are just left out).
    """
    change = validation.status_change(json_body(), _custom_ids())
    store = sandbox().store
    processed = []
    with store.lock:
        for order_id in change.ids:
            order = store.orders.get(order_id)
            if order is None:
                continue
            done = _change_status(store, order, change)
            note_call(order, store, status=change.status, cancellation_reason=change.reason,
                      cancellation_text=change.text, processed=done)
            if done:
                processed.append(order_id)
    return jsonify({"processed_ids": processed})


@bp.get("/order_status_options/list")
def order_status_options():
    """``GET /order_status_options/list`` -> ``{"order_status_options": [{"id", "name", "title"}]}`` [unv]."""
    return jsonify({"order_status_options": status_options(view())})


@bp.post("/delivery/save_declaration_id")
def save_declaration_id():
    """``POST /delivery/save_declaration_id {"order_id", "declaration_id", "delivery_type"}``.

    -> ``{"status": "success"}``; sets ``delivery_provider_data.declaration_number`` and ``provider``,
    ``unified_status`` becomes ``created`` [unv]; the order's status does not move (Prom never completes
    orders itself). Unknown order -> 404.
    """
    order_id, number, delivery_type = validation.declaration(json_body())
    store = sandbox().store
    with store.lock:
        order = store.orders.get(order_id)
        if order is None:
            return not_found()
        delivery = order.delivery
        if (delivery.get("declaration_number"), delivery["provider"]) != (number, delivery_type):
            delivery.update(declaration_number=number, provider=delivery_type, unified_status="created")
            store.touch(order)
        note_call(order, store, declaration_id=number, delivery_type=delivery_type)
    return jsonify({"status": "success"})
