"""Test controls of the Prom sandbox (no auth, JSON in and out, under ``/__sandbox__``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, jsonify

from ..controls import json_options, problem
from .checkout import Refused, apply_event, place_order
from .models import PRESENCES, iso
from .respond import sandbox, view
from .seed import CATALOGS
from .serialize import order_json

bp = Blueprint("prom_control", __name__, url_prefix="/__sandbox__")


def _count() -> int:
    count = json_options().get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise Refused(400, {"error": "count must be a non-negative integer"})
    return count


@bp.errorhandler(Refused)
def _refused(exc: Refused):
    return jsonify(exc.body), exc.status


@bp.post("/reset")
def reset():
    """``{"seed": "demo"|null}`` (default: config ``SEED``) -> empty state, ids restart, faults cleared."""
    options = json_options()
    seed = options.get("seed", sandbox().config["SEED"])
    if seed is not None and seed not in CATALOGS:
        return problem(400, f"unknown seed {seed!r}; known: {', '.join(CATALOGS)}")
    return jsonify({"ok": True, "seeded": sandbox().reset(seed)})


def _listing(item: dict) -> dict:
    sku, quantity = item.get("sku"), item.get("quantity", 0)
    if not isinstance(sku, str) or not sku or not (quantity is None or (isinstance(quantity, int) and quantity >= 0)):
        raise Refused(400, {"error": "each item needs a sku and a quantity >= 0 (or null)", "item": item})
    if item.get("presence", "available") not in PRESENCES:
        raise Refused(400, {"error": "presence: " + "|".join(PRESENCES), "item": item})
    try:
        price = Decimal(str(item.get("price", "100")))
    except InvalidOperation:
        raise Refused(400, {"error": "price must be a decimal string", "item": item}) from None
    return {"sku": sku, "quantity": quantity, "price": price, "presence": item.get("presence", "available"),
            "names": (str(item.get("name") or sku), str(item.get("name_ru") or item.get("name") or sku))}


@bp.post("/listings")
def listings():
    """``{"items": [{"sku", "quantity", "name", "price", "presence"?, "name_ru"?}]}`` -> Prom products keyed
    by ``external_id`` = sku (an existing one is updated) -> ``{"created": [{"sku", "ref", ...}]}``."""
    items = json_options().get("items")
    if not isinstance(items, list):
        return problem(400, "items must be a list")
    specs = [_listing(item if isinstance(item, dict) else {}) for item in items]
    store, created = sandbox().store, []
    with store.lock:
        for spec in specs:
            product = store.product_by_external_id(spec["sku"])
            existed = product is not None
            if product is None:
                product = store.add_product(spec["sku"], spec["names"], spec["price"], spec["quantity"],
                                            spec["presence"])
            else:
                product.name_uk, product.name_ru = spec["names"]
                product.price, product.quantity_in_stock = spec["price"], spec["quantity"]
                product.presence, product.date_modified = spec["presence"], store.now()
            created.append({"sku": spec["sku"], "ref": product.id, "id": product.id, "prom_sku": product.sku,
                            "quantity_in_stock": product.quantity_in_stock, "presence": product.presence,
                            "existed": existed})
    return jsonify({"created": created})


@bp.get("/stock")
def stock():
    """``{"<sku>": units buyable now (0 unless available/order; null = unlimited), "_detail": {...}}``."""
    store = sandbox().store
    snapshot: dict = {}
    detail: dict = {}
    with store.lock:
        for product in sorted(store.products.values(), key=lambda p: p.id):
            snapshot[product.external_id] = product.buyable()
            detail[product.external_id] = {"id": product.id, "presence": product.presence,
                                           "quantity_in_stock": product.quantity_in_stock,
                                           "price": str(product.price), "date_modified": iso(product.date_modified)}
    snapshot["_detail"] = detail
    return jsonify(snapshot)


@bp.post("/orders")
def checkout():
    """A buyer checkout (see ``checkout.py``): 201 with the order as the API shows it, plus ``"_id"``."""
    store = sandbox().store
    order = place_order(store, json_options())
    with store.lock:
        return jsonify({**order_json(order, view()), "_id": order.id}), 201


@bp.post("/orders/<int:order_id>/event")
def event(order_id: int):
    """``{"action": "buyer_cancel"|"custom"|"ttn_on_the_way"|"ttn_delivered"|"refund"|"pay", "status"?}``.

    ``custom`` moves the order to ``"status"`` (a defined ``custom-<id>``; default the first one).
    """
    state = sandbox()
    with state.store.lock:
        order = state.store.orders.get(order_id)
        if order is None:
            return problem(404, "unknown order")
        custom = json_options().get("status") or f"custom-{min(state.config['CUSTOM_STATUSES'])}"
        if custom not in {f"custom-{number}" for number in state.config["CUSTOM_STATUSES"]}:
            return problem(400, "status must be one of the CUSTOM_STATUSES, e.g. custom-137639")
        apply_event(state.store, order, str(json_options().get("action", "")), custom)
        return jsonify({**order_json(order, view()), "_id": order.id})


def _summary(order) -> dict:
    cancellation = order.cancellation
    return {"id": order.id, "status": order.status, "payment": order.payment,
            "payment_status": order.payment_status, "provider": order.delivery["provider"],
            "declaration_number": order.delivery.get("declaration_number"),
            "unified_status": order.delivery.get("unified_status"),
            "cancellation_reason": cancellation[0] if cancellation else None,
            "cancellation_text": cancellation[1] if cancellation else None,
            "date_created": iso(order.date_created), "date_modified": iso(order.date_modified),
            "lines": [{"sku": line.external_id, "quantity": line.quantity} for line in order.lines],
            "calls": list(order.seller_calls)}


@bp.get("/orders")
def orders():
    """``{"orders": [...]}``, oldest first: status, TTN, cancellation and the seller calls made on each."""
    store = sandbox().store
    with store.lock:
        return jsonify({"orders": [_summary(o) for o in sorted(store.orders.values(), key=lambda o: o.id)]})


@bp.get("/calls")
def calls():
    """The seller API call log, oldest first: ``[{"method", "path", "status", "time"}]`` (a bare list)."""
    store = sandbox().store
    with store.lock:
        return jsonify(list(store.calls))


@bp.post("/fail")
def fail():
    """``{"status": 500|429|503|"timeout"|"lost", "count": 1, "path": "", "retry_after": 7}`` (``limits.py``)."""
    options = json_options()
    try:
        queued = sandbox().faults.add(options.get("status", 500), int(options.get("count", 1)),
                                      str(options.get("path") or ""), options.get("retry_after"))
    except (TypeError, ValueError) as exc:
        return problem(400, str(exc))
    return jsonify({"queued": queued})


@bp.post("/lose")
def lose():
    """``{"count": N}``: the next N order changes keep their old ``date_modified``."""
    store = sandbox().store
    with store.lock:
        store.lose += _count()
        return jsonify({"lose": store.lose})


@bp.post("/duplicate")
def duplicate():
    """``{"count": N}``: the next N non-empty ``orders/list`` answers repeat each order twice."""
    store = sandbox().store
    with store.lock:
        store.duplicate += _count()
        return jsonify({"duplicate": store.duplicate})


@bp.post("/rate")
def rate():
    """``{"limit": N|null, "window": 60, "block": 60}``: the rate limit (see ``limits.py``)."""
    options = json_options()
    try:
        settings = sandbox().limiter.configure(options.get("limit"), float(options.get("window", 60)),
                                               float(options.get("block", 60)))
    except (TypeError, ValueError) as exc:
        return problem(400, str(exc))
    return jsonify(settings)
