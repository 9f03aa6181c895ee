"""``/__sandbox__/*``: test-control endpoints (no authentication).

See the package docstring for the request/response shapes.  These endpoints
do things a test needs but a real shop only does through its admin, its
checkout or its network: reset state, seed a catalog, lose or fail webhook
deliveries, stop/flush the delivery queue, read the delivery log, place a
checkout order, restore a trashed order.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from .orders import restore_order
from .seed import CATALOGS, place_order
from .serialize import order_json, webhook_internals
from .wpjson import WPError, php_intval

bp = Blueprint("wc_sandbox_control", __name__, url_prefix="/__sandbox__")


def _state():
    return current_app.extensions["wc_sandbox"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _seed(name: str | None) -> list[int]:
    if not name:
        return []
    if name not in CATALOGS:
        raise WPError("woocommerce_sandbox_unknown_catalog",
                      f"Unknown catalog {name!r}; known: {', '.join(CATALOGS)}.", 400)
    return CATALOGS[name](_state().shop)


def stock_snapshot(shop) -> dict[str, Any]:
    """``{sku: stock_quantity}`` for managed items plus ``_by_id`` for all of them."""
    snapshot: dict[str, Any] = {}
    by_id: dict[str, int | None] = {}
    with shop.lock:
        for product in sorted(shop.products.values(), key=lambda p: p.id):
            if not product.manage_stock or product.status == "trash":
                continue
            by_id[str(product.id)] = product.stock_quantity
            if product.sku:
                snapshot[product.sku] = product.stock_quantity
    snapshot["_by_id"] = by_id
    return snapshot


@bp.post("/reset")
def reset():
    """Empty the shop (ids restart), clear queue/log/nonces, then re-seed."""
    state = _state()
    body = _body()
    state.sender.reset()
    state.shop.clear()
    state.auth.nonces.clear()
    seeded = _seed(body.get("seed", state.config.get("SEED")))
    return jsonify({"ok": True, "seeded": seeded})


@bp.post("/seed")
def seed():
    """Add a catalog (default ``demo``) to the current state."""
    created = _seed(str(_body().get("catalog", "demo")))
    return jsonify({"created": created, "stock": stock_snapshot(_state().shop)})


@bp.post("/drop")
def drop():
    """Lose the next N deliveries in the network (each counts as a failure)."""
    count = php_intval(_body().get("count", 1))
    _state().sender.inject("timeout", count)
    return jsonify({"queued_faults": len(_state().sender.faults)})


@bp.post("/fail")
def fail():
    """Answer the next N deliveries with ``status`` (an HTTP code or ``"timeout"``)."""
    body = _body()
    outcome = body.get("status", 500)
    outcome = "timeout" if outcome == "timeout" else php_intval(outcome)
    _state().sender.inject(outcome, php_intval(body.get("count", 1)))
    return jsonify({"queued_faults": len(_state().sender.faults)})


@bp.post("/hold")
def hold():
    """Pause (``{"hold": true}``) or resume the delivery runner."""
    held = bool(_body().get("hold", True))
    _state().sender.hold(held)
    return jsonify({"held": held})


@bp.post("/flush")
def flush():
    """Block until the delivery queue is empty (max ``timeout`` s, default 30)."""
    timeout = min(float(_body().get("timeout", 30)), 30.0)
    result = _state().sender.flush(timeout)
    status = 200 if result["flushed"] else (409 if result["held"] else 504)
    return jsonify(result), status


@bp.get("/deliveries")
def deliveries():
    """Delivery/ping log, oldest first; filters ``webhook_id``, ``topic``, ``kind``, ``since``."""
    args = request.args
    entries = _state().sender.entries()
    if "webhook_id" in args:
        entries = [e for e in entries if str(e["webhook_id"]) == args["webhook_id"]]
    if "topic" in args:
        entries = [e for e in entries if e["topic"] == args["topic"]]
    if "kind" in args:
        entries = [e for e in entries if e["kind"] == args["kind"]]
    if "since" in args:
        entries = [e for e in entries if e["seq"] > php_intval(args["since"])]
    if args.get("bodies") not in ("1", "true"):
        for entry in entries:
            entry.pop("body", None)
    return jsonify({"deliveries": entries})


@bp.get("/stock")
def stock():
    """Current stock of every managed product and variation."""
    return jsonify(stock_snapshot(_state().shop))


@bp.get("/webhooks")
def webhooks():
    """Webhooks with the fields REST hides (secret, failure_count, pending_delivery)."""
    shop = _state().shop
    with shop.lock:
        return jsonify({"webhooks": [webhook_internals(w) for w in sorted(shop.webhooks.values(),
                                                                            key=lambda w: w.id)]})


@bp.post("/orders")
def checkout():
    """Place an order like a shopper at checkout; 201 with the REST order."""
    state = _state()
    order = place_order(state.shop, _body())
    with state.shop.lock:
        return jsonify(order_json(state.shop, order)), 201


@bp.post("/orders/<int:order_id>/restore")
def restore(order_id: int):
    """Restore a trashed order (admin "Restore"): fires ``order.restored``."""
    shop = _state().shop
    with shop.lock:
        order = shop.order(order_id)
        if order is None:
            raise WPError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        restore_order(shop, order)
        return jsonify(order_json(shop, order))
