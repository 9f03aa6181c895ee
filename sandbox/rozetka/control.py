"""Test controls of the Rozetka sandbox: ``/__sandbox__/*``, no auth, JSON in and out (manual in ``__init__``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app, jsonify, request

from .checkout import BuyerError, apply_event, place_order
from .clock import stamp
from .orders_api import snapshot
from .seed import CATALOGS
from .serialize import order_json
from .store import money

bp = Blueprint("rozetka_control", __name__, url_prefix="/__sandbox__")
FULL_EXPAND = {"purchases", "delivery", "status_available", "order_status_history", "user"}


def _state():
    return current_app.extensions["rozetka_sandbox"]


def _body() -> dict:
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else {}


def _problem(status: int, body: dict):
    response = jsonify(body)
    response.status_code = status
    return response


def _count(body: dict) -> int:
    try:
        return max(0, int(body.get("count", 1)))
    except (TypeError, ValueError):
        return 1


@bp.post("/reset")
def reset():
    """``{"seed": "demo"|null, "tokens": false}`` (default: config SEED): empty state, then the catalog.
    Session tokens survive unless ``"tokens": true``."""
    state, body = _state(), _body()
    seed = body["seed"] if "seed" in body else state.config.get("SEED")
    if seed and seed not in CATALOGS:
        return _problem(400, {"error": "unknown_seed", "known": sorted(CATALOGS)})
    state.reset()
    if body.get("tokens") is True:
        state.sessions.clear()
    return jsonify({"ok": True, "seeded": CATALOGS[seed](state.store) if seed else []})


@bp.post("/listings")
def listings():
    """``{"items": [{"sku", "quantity", "name", "name_ru"?, "price", "article"?}]}`` -> items keyed by SKU
    (an existing SKU is updated) -> ``{"created": [{"sku", "ref" (= rz_item_id), "rz_item_id", "existing"}]}``."""
    created, store = [], _state().store
    for spec in _body().get("items") or []:
        sku, quantity = str(spec.get("sku") or "") if isinstance(spec, dict) else "", spec.get("quantity", 0)
        try:
            price = Decimal(str(spec.get("price", "100.00")))
        except InvalidOperation:
            return _problem(400, {"error": "invalid_price", "sku": sku})
        if not sku or isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            return _problem(400, {"error": "invalid_item", "item": spec})
        name = str(spec.get("name") or sku)
        item, new = store.upsert_item(sku, quantity, name, str(spec.get("name_ru") or name), price,
                                      article=str(spec.get("article", "")))
        created.append({"sku": sku, "ref": item.rz_item_id, "rz_item_id": item.rz_item_id,
                        "stock_quantity": item.stock_quantity, "existing": not new})
    return jsonify({"created": created})


@bp.get("/stock")
def stock():
    """``{"<sku>": stock_quantity, "_detail": {"<sku>": {"rz_item_id", "stock_quantity"}}}``."""
    store, answer, detail = _state().store, {}, {}
    with store.lock:
        for item in sorted(store.items.values(), key=lambda i: i.rz_item_id):
            answer[item.price_offer_id] = max(0, item.stock_quantity)
            detail[item.price_offer_id] = {"rz_item_id": item.rz_item_id, "stock_quantity": item.stock_quantity,
                                           "available": item.available, "price": money(item.price)}
    return jsonify({**answer, "_detail": detail})


@bp.post("/orders")
def checkout():
    """A buyer checkout -> 201 the order (every expand) + ``"_id"``; 409 ``out_of_stock``; 400 bad lines."""
    state = _state()
    try:
        order = place_order(state.store, _body())
    except BuyerError as refused:
        return _problem(refused.status, refused.body)
    with state.store.lock:
        return _problem(201, {**order_json(order, FULL_EXPAND), "_id": order.id})


@bp.post("/orders/<int:order_id>/event")
def event(order_id: int):
    """``{"action": "buyer_cancel"|"handed"|"delivering"|"at_pickup"|"delivered"|"not_picked_up"|"refused"|
    "returned"|"reserve_expired"|"buyer_edit", ...}`` -> the order; 404 unknown, 409 not from this status."""
    state, body = _state(), _body()
    order = state.store.orders.get(order_id)
    if order is None:
        return _problem(404, {"error": "unknown_order"})
    try:
        apply_event(state.store, order, str(body.get("action", "")), body)
    except BuyerError as refused:
        return _problem(refused.status, refused.body)
    with state.store.lock:
        return jsonify({**order_json(order, FULL_EXPAND), "_id": order.id})


@bp.get("/orders")
def orders():
    return jsonify({"orders": snapshot(_state().store)})


@bp.get("/calls")
def calls():
    """Seller API calls, oldest first: ``{"calls": [{"method", "path", "query", "status", "time", "fault"?}]}``."""
    store = _state().store
    with store.lock:
        return jsonify({"calls": list(store.calls)})


@bp.post("/fail")
def fail():
    """``{"status": 500|429|503|"timeout"|"lost", "count": 1, "path": "", "retry_after": 2}`` (``limits.py``)."""
    body = _body()
    try:
        queued = _state().faults.add(body.get("status", 500), _count(body), str(body.get("path") or ""),
                                     max(1, int(body.get("retry_after", 2))))
    except (TypeError, ValueError) as exc:
        return _problem(400, {"error": str(exc)})
    return jsonify({"queued": queued})


@bp.post("/lose")
def lose():
    """``{"count": N}``: the next N order changes keep their old ``changed``."""
    store = _state().store
    with store.lock:
        store.lose += _count(_body())
        return jsonify({"lose": store.lose})


@bp.post("/duplicate")
def duplicate():
    """``{"count": N}``: the next N ``/orders/search`` answers list each order twice."""
    store = _state().store
    with store.lock:
        store.duplicate += _count(_body())
        return jsonify({"duplicate": store.duplicate})


@bp.post("/rate")
def rate():
    """``{"limit": N|null, "window": 60, "block": 60}`` (``limits.py``); null or 0 turns it off."""
    body = _body()
    try:
        settings = _state().limiter.configure(body.get("limit"), float(body.get("window", 60)),
                                              float(body.get("block", 60)))
    except (TypeError, ValueError) as exc:
        return _problem(400, {"error": str(exc)})
    return jsonify(settings)


@bp.post("/expire_tokens")
def expire_tokens():
    """Every session token expires now (the next call with one answers 401 6001); the static token lives on."""
    return jsonify({"expired": _state().sessions.expire_all()})


@bp.post("/clock")
def clock():
    """``{"shift": seconds}``: move the sandbox clock (stamps, token expiry, rate windows) -> ``{"now"}``."""
    try:
        now = _state().clock.shift(float(_body().get("shift", 0)))
    except (TypeError, ValueError) as exc:
        return _problem(400, {"error": str(exc)})
    return jsonify({"now": stamp(now)})
