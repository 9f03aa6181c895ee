"""``/wp-json/wc/v3/orders`` routes (orders, notes, batch).

Listing supports ``page``/``per_page``/``offset``, ``status`` (``any`` =
everything but ``trash``; a comma list or ``status[]``), ``after``/
``before`` and ``modified_after``/``modified_before`` (strict comparisons,
``dates_are_gmt``), ``include``, ``orderby`` (date, id, include, modified)
and ``order``.  Unknown ids: 404 ``woocommerce_rest_shop_order_invalid_id``
on read/delete, 400 on update.  ``DELETE`` returns the order as it was;
without ``force`` it trashes it (``order.deleted`` body ``{"id": N}``),
with ``force=true`` it is gone and no webhook is sent.  Batch deletes are
forced.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, g

from . import orders
from .models import Order
from .order_stock import add_note
from .restkit import (bool_param, paged_response, query_params, request_params, rest_kind,
                      run_batch, shop)
from .serialize import note_json, order_json
from .wpjson import WPError, invalid_param, missing_params, parse_list, php_intval, wp_response

bp = Blueprint("wc_orders", __name__)
DATE_FILTERS = {"after": ("date_created", ">"), "before": ("date_created", "<"),
                "modified_after": ("date_modified", ">"), "modified_before": ("date_modified", "<")}
ORDERBY = {"id": lambda o: o.id, "include": lambda o: o.id,
           "modified": lambda o: (o.date_modified, o.id), "date": lambda o: (o.date_created, o.id),
           "title": lambda o: o.id, "slug": lambda o: o.id}


def _invalid_order(status: int) -> WPError:
    return WPError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", status)


def _parse_date(name: str, value: Any) -> datetime:
    """``rest_parse_date()``; values with an offset are converted to UTC."""
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise invalid_param(name, "Invalid date.", "rest_invalid_date") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _filters(params: dict[str, Any]) -> list[tuple[str, str, datetime]]:
    return [(field, op, _parse_date(name, params[name]))
            for name, (field, op) in DATE_FILTERS.items() if params.get(name)]


def _matches(order: Order, params: dict[str, Any], dates: list[tuple[str, str, datetime]]) -> bool:
    statuses = parse_list(params.get("status")) or ["any"]
    if "any" in statuses:
        if order.status in ("trash", "auto-draft", "checkout-draft"):
            return False
    elif order.status not in statuses:
        return False
    include = {php_intval(value) for value in parse_list(params.get("include"))}
    if include and order.id not in include:
        return False
    for field, op, limit in dates:
        value = getattr(order, field)
        if (op == ">" and not value > limit) or (op == "<" and not value < limit):
            return False
    return True


@bp.get("/orders")
@rest_kind("collection")
def list_orders():
    """``GET /orders``: paged with ``X-WP-Total``/``X-WP-TotalPages``/``Link``."""
    params = query_params()
    dates = _filters(params)
    key = ORDERBY.get(str(params.get("orderby", "date")), ORDERBY["date"])
    descending = str(params.get("order", "desc")).lower() != "asc"
    with shop().lock:
        found = [order for order in shop().orders.values() if _matches(order, params, dates)]
        found.sort(key=key, reverse=descending)
        return paged_response(found, lambda o: order_json(shop(), o), "orders", params)


@bp.post("/orders")
@rest_kind("collection")
def create_order():
    """``POST /orders`` -> 201; fires ``order.created`` and ``order.updated``."""
    params = request_params()
    with shop().lock:
        order = orders.create_order(shop(), params)
        body = order_json(shop(), order)
    return wp_response(body, 201, {"Location": shop().rest_url(f"orders/{order.id}")})


@bp.get("/orders/<int:order_id>")
@rest_kind("item")
def get_order(order_id: int):
    """``GET /orders/<id>``."""
    with shop().lock:
        order = shop().order(order_id)
        if order is None:
            raise _invalid_order(404)
        return wp_response(order_json(shop(), order))


@bp.route("/orders/<int:order_id>", methods=["PUT", "PATCH", "POST"])
@rest_kind("item")
def update_order(order_id: int):
    """``PUT /orders/<id>``: status, meta_data merge, set_paid, transaction_id ..."""
    params = request_params()
    with shop().lock:
        order = shop().order(order_id)
        if order is None:
            raise _invalid_order(400)
        orders.update_order(shop(), order, params)
        return wp_response(order_json(shop(), order))


@bp.delete("/orders/<int:order_id>")
@rest_kind("item")
def delete_order(order_id: int):
    """``DELETE /orders/<id>[?force=true]``: answers with the order as it was."""
    params = request_params()
    with shop().lock:
        order = shop().order(order_id)
        if order is None:
            raise _invalid_order(404)
        body = order_json(shop(), order)
        orders.delete_order(shop(), order, bool_param(params, "force"))
        return wp_response(body)


def _batch_update(item: dict[str, Any]) -> dict[str, Any]:
    order = shop().order(item.get("id"))
    if order is None:
        raise _invalid_order(400)
    return order_json(shop(), orders.update_order(shop(), order, item, strict=False))


def _batch_delete(item_id: Any) -> dict[str, Any]:
    order = shop().order(item_id)
    if order is None:
        raise _invalid_order(404)
    body = order_json(shop(), order)
    orders.delete_order(shop(), order, force=True)
    return body


@bp.route("/orders/batch", methods=["POST", "PUT", "PATCH"])
@rest_kind("batch")
def batch_orders():
    """``POST /orders/batch``: max 100 items, per-item errors."""
    params = request_params()
    with shop().lock:
        return run_batch(params,
                         lambda item: order_json(shop(), orders.create_order(shop(), item, strict=False)),
                         _batch_update, _batch_delete)


# ----------------------------------------------------------------------
# notes
# ----------------------------------------------------------------------
def _order_for_notes(order_id: int) -> Order:
    order = shop().order(order_id)
    if order is None:
        raise WPError("woocommerce_rest_shop_order_invalid_id", "Invalid order ID.", 404)
    return order


@bp.get("/orders/<int:order_id>/notes")
@rest_kind("collection")
def list_notes(order_id: int):
    """``GET /orders/<id>/notes[?type=any|customer|internal]``, newest first."""
    kind = str(query_params().get("type", "any"))
    with shop().lock:
        _order_for_notes(order_id)
        notes = sorted(shop().notes.get(order_id, []), key=lambda n: (n.date_created, n.id), reverse=True)
        notes = [n for n in notes if kind == "any" or n.customer_note == (kind == "customer")]
        return wp_response([note_json(shop(), note) for note in notes])


@bp.post("/orders/<int:order_id>/notes")
@rest_kind("collection")
def create_note(order_id: int):
    """``POST /orders/<id>/notes`` {note, customer_note, added_by_user} -> 201."""
    params = request_params()
    if not isinstance(params.get("note"), str) or not params["note"]:
        raise missing_params(["note"])
    customer_note = bool_param(params, "customer_note")
    added_by_user = bool_param(params, "added_by_user")
    with shop().lock:
        order = _order_for_notes(order_id)
        author = g.wc_api_key.user if added_by_user and getattr(g, "wc_api_key", None) else "WooCommerce"
        note = add_note(shop(), order, params["note"], customer_note, author)
        body = note_json(shop(), note)
    return wp_response(body, 201, {"Location": shop().rest_url(f"orders/{order_id}/notes/{note.id}")})


@bp.get("/orders/<int:order_id>/notes/<int:note_id>")
@rest_kind("item")
def get_note(order_id: int, note_id: int):
    """``GET /orders/<id>/notes/<note_id>``."""
    with shop().lock:
        _order_for_notes(order_id)
        note = next((n for n in shop().notes.get(order_id, []) if n.id == note_id), None)
        if note is None:
            raise WPError("woocommerce_rest_invalid_id", "Invalid resource ID.", 404)
        return wp_response(note_json(shop(), note))


@bp.delete("/orders/<int:order_id>/notes/<int:note_id>")
@rest_kind("item")
def delete_note(order_id: int, note_id: int):
    """``DELETE /orders/<id>/notes/<note_id>?force=true`` (notes cannot be trashed)."""
    params = request_params()
    if not bool_param(params, "force"):
        raise WPError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
    with shop().lock:
        _order_for_notes(order_id)
        notes = shop().notes.get(order_id, [])
        note = next((n for n in notes if n.id == note_id), None)
        if note is None:
            raise WPError("woocommerce_rest_invalid_id", "Invalid resource id.", 404)
        notes.remove(note)
        return wp_response(note_json(shop(), note))
