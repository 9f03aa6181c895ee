"""Orders: creation, updates, status transitions, trash - WooCommerce style.

* ``POST /orders`` fires ``order.created`` *and* ``order.updated`` (the
  webhook twins); the requested status is applied as a transition from
  ``pending``, so creating a ``processing`` order reduces stock right away.
* ``set_paid: true`` runs ``payment_complete()``: ``date_paid`` and the
  transaction id are set and a pending/on-hold/failed/cancelled order moves
  to ``processing``.
* Every save sets ``date_modified`` with second resolution and fires
  ``order.updated``; a status change also fires
  ``action.woocommerce_order_status_changed`` and adds the
  "Order status changed from X to Y." note.
* ``DELETE`` without ``force`` trashes (status ``trash``, ``order.deleted``
  with body ``{"id": N}``); with ``force=true`` the order is gone and no
  webhook fires.  Restoring from the trash fires ``order.restored``.
"""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import Any

from .catalog import merge_meta
from .fields import coerce
from .models import (ORDER_STATUS_LABELS, ORDER_STATUSES, PAID_STATUSES,
                     PAYMENT_COMPLETE_STATUSES, STOCK_REDUCING_STATUSES, LineItem, Order, now)
from .order_stock import add_note, adjust_line_stock, reduce_stock, release_removed_items, restore_stock
from .serialize import display_name, needs_payment
from .store import Shop
from .wpjson import WPError, money, php_intval

BILLING_KEYS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state",
                "postcode", "country", "email", "phone")
SHIPPING_KEYS = tuple(key for key in BILLING_KEYS if key != "email")
ORDER_SCHEMA: dict[str, Any] = {
    "status": ("enum", ORDER_STATUSES), "currency": "string", "customer_id": "integer",
    "customer_note": "string", "billing": "object", "shipping": "object",
    "payment_method": "string", "payment_method_title": "string", "transaction_id": "string",
    "set_paid": "boolean", "meta_data": "array", "line_items": "array",
    "shipping_lines": "array", "fee_lines": "array",
}


def _order_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "wc_order_" + "".join(secrets.choice(alphabet) for _ in range(13))


def _address(keys: tuple[str, ...], current: dict[str, str], posted: Any) -> dict[str, str]:
    address = {key: current.get(key, "") for key in keys}
    if isinstance(posted, dict):
        address.update({key: str(value) for key, value in posted.items() if key in keys})
    return address


def _resolve_product(shop: Shop, posted: dict[str, Any]):
    """``get_product_id()``: sku, else product_id, else variation_id."""
    if posted.get("sku"):
        product = shop.product_by_sku(str(posted["sku"]))
    elif posted.get("variation_id"):
        product = shop.product(posted["variation_id"])
    elif posted.get("product_id"):
        product = shop.product(posted["product_id"])
    else:
        raise WPError("woocommerce_rest_required_product_reference", "Product ID or SKU is required.", 400)
    if product is None or product.type == "variable":
        raise WPError("woocommerce_rest_invalid_product_id", "Invalid product ID.", 400)
    return product


def build_line_item(shop: Shop, posted: Any) -> LineItem:
    """A new ``line_item`` priced from the product (``wc_get_price_excluding_tax``)."""
    if not isinstance(posted, dict):
        raise WPError("woocommerce_rest_required_product_reference", "Product ID or SKU is required.", 400)
    product = _resolve_product(shop, posted)
    quantity = php_intval(posted.get("quantity", 1))
    line_total = money(Decimal(product.price or "0") * quantity)
    parent = shop.parent_of(product)
    item = LineItem(id=0, kind="line_item", name=display_name(shop, product),
                    product_id=parent.id if parent else product.id,
                    variation_id=product.id if parent else 0, quantity=quantity,
                    subtotal=money(posted.get("subtotal", line_total)),
                    total=money(posted.get("total", line_total)))
    for attr in product.attributes if parent else []:
        value = attr["option"].lower() if attr["id"] else attr["option"]
        item.meta.append({"id": 0, "key": attr["slug"], "value": value,
                          "display_key": attr["name"], "display_value": attr["option"]})
    _posted_meta(item, posted)
    return item


def _posted_meta(item: LineItem, posted: dict[str, Any]) -> None:
    """``prepare_line_items()`` / ``set_item()``: posted ``meta_data`` rows are added or updated on the item
    before the order is saved, so an ``_reduced_stock`` sent at creation is seen by the stock reduction
    that the status change triggers (``wc_reduce_stock_levels`` skips such items)."""
    for meta in posted.get("meta_data", []) or []:
        if not isinstance(meta, dict) or "key" not in meta:
            continue
        row = next((r for r in item.meta if r["key"] == str(meta["key"])), None)
        if row is None:
            item.meta.append({"id": 0, "key": str(meta["key"]), "value": meta.get("value"),
                              "display_key": str(meta["key"]), "display_value": meta.get("value")})
        else:
            row["value"] = row["display_value"] = meta.get("value")


def _build_extra_line(kind: str, posted: Any) -> LineItem:
    posted = posted if isinstance(posted, dict) else {}
    item = LineItem(id=0, kind=kind, name=str(posted.get("name", "")),
                    method_id=str(posted.get("method_id", "")),
                    method_title=str(posted.get("method_title", "")),
                    instance_id=str(posted.get("instance_id", "")), total=money(posted.get("total", 0)))
    _posted_meta(item, posted)
    return item


def _attach(shop: Shop, order: Order, items: list[LineItem]) -> None:
    for item in items:
        item.id = shop.next_item_id()
        for row in item.meta:
            row["id"] = shop.next_meta_id()
        order.items.append(item)


def _apply_fields(shop: Shop, order: Order, data: dict[str, Any]) -> None:
    for name in ("currency", "customer_note", "payment_method", "payment_method_title",
                 "transaction_id", "customer_id"):
        if name in data:
            setattr(order, name, data[name])
    if "billing" in data:
        order.billing = _address(BILLING_KEYS, order.billing, data["billing"])
    if "shipping" in data:
        order.shipping = _address(SHIPPING_KEYS, order.shipping, data["shipping"])
    if "meta_data" in data:
        merge_meta(shop, order.meta_data, data["meta_data"])


def transition(shop: Shop, order: Order, status: str, note: bool = True) -> None:
    """``WC_Order::status_transition()`` with the core stock hooks."""
    old = order.status
    if status == old:
        return
    order.status = status
    stamp = now()
    if status in PAID_STATUSES and order.date_paid is None:
        order.date_paid = stamp
    if status == "completed":
        order.date_completed = stamp
    if note and old:
        add_note(shop, order, f"Order status changed from {ORDER_STATUS_LABELS.get(old, old)} to "
                              f"{ORDER_STATUS_LABELS.get(status, status)}.")
    if old:
        shop.emit("action.woocommerce_order_status_changed", order.id)
    if status in STOCK_REDUCING_STATUSES:
        reduce_stock(shop, order)
    elif status in shop.restore_stock_statuses:
        restore_stock(shop, order)


def payment_complete(shop: Shop, order: Order, transaction_id: str = "") -> None:
    """``WC_Order::payment_complete()``."""
    if order.status not in PAYMENT_COMPLETE_STATUSES:
        return
    if transaction_id:
        order.transaction_id = transaction_id
    if order.date_paid is None:
        order.date_paid = now()
    transition(shop, order, "processing")
    reduce_stock(shop, order)


def create_order(shop: Shop, params: dict[str, Any], strict: bool = True,
                 created_via: str = "rest-api") -> Order:
    """``POST /orders``: validates everything first, then stores and fires hooks."""
    if params.get("id"):
        raise WPError("woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400)
    data = coerce(params, ORDER_SCHEMA, strict)
    items = [build_line_item(shop, posted) for posted in data.get("line_items", [])]
    items += [_build_extra_line("shipping", posted) for posted in data.get("shipping_lines", [])]
    items += [_build_extra_line("fee", posted) for posted in data.get("fee_lines", [])]
    stamp = now()
    order = Order(id=shop.next_post_id(), status="pending", currency=shop.currency,
                  order_key=_order_key(), date_created=stamp, date_modified=stamp,
                  created_via=created_via, billing=_address(BILLING_KEYS, {}, None),
                  shipping=_address(SHIPPING_KEYS, {}, None))
    _apply_fields(shop, order, data)
    _attach(shop, order, items)
    shop.orders[order.id] = order
    shop.emit("order.created", order.id)
    requested = data.get("status", "pending")
    if requested != "pending":
        order.status = ""
        transition(shop, order, requested)
    if data.get("set_paid") is True:
        payment_complete(shop, order, str(data.get("transaction_id", "")))
    shop.emit("order.updated", order.id)
    return order


def _edit_line_items(shop: Shop, order: Order, posted_items: list[Any]) -> None:
    """V3 ``set_item()``: add lines, change quantities, ``quantity: 0`` removes."""
    new_items, removed = [], []
    for posted in posted_items:
        if not isinstance(posted, dict):
            continue
        if not posted.get("id"):
            new_items.append(build_line_item(shop, posted))
            continue
        item = next((line for line in order.lines("line_item") if line.id == php_intval(posted["id"])), None)
        if item is None:
            raise WPError("woocommerce_rest_invalid_item_id", "Order item ID provided is not associated "
                                                              "with order.", 400)
        quantity = php_intval(posted.get("quantity", item.quantity))
        if quantity == 0:
            removed.append(item)
            continue
        _posted_meta(item, posted)
        unit = Decimal(item.total) / item.quantity if item.quantity else Decimal(0)
        item.quantity = quantity
        item.subtotal = money(posted.get("subtotal", unit * quantity))
        item.total = money(posted.get("total", unit * quantity))
        adjust_line_stock(shop, order, item)
    order.items[:] = [item for item in order.items if item not in removed]
    release_removed_items(shop, order, removed)
    _attach(shop, order, new_items)
    for item in new_items:
        adjust_line_stock(shop, order, item)


def update_order(shop: Shop, order: Order, params: dict[str, Any], strict: bool = True) -> Order:
    """``PUT /orders/<id>``: fires ``order.updated`` (plus status side effects)."""
    data = coerce(params, ORDER_SCHEMA, strict)
    _apply_fields(shop, order, data)
    if "line_items" in data:
        _edit_line_items(shop, order, data["line_items"])
    if "shipping_lines" in data or "fee_lines" in data:
        _attach(shop, order, [_build_extra_line("shipping", p) for p in data.get("shipping_lines", [])]
                + [_build_extra_line("fee", p) for p in data.get("fee_lines", [])])
    if "status" in data:
        transition(shop, order, data["status"])
    if data.get("set_paid") is True and needs_payment(order):
        payment_complete(shop, order, str(data.get("transaction_id", "")))
    order.date_modified = now()
    shop.emit("order.updated", order.id)
    return order


def delete_order(shop: Shop, order: Order, force: bool) -> None:
    """Trash (``order.deleted``) or, with ``force``, delete silently."""
    if force:
        shop.orders.pop(order.id, None)
        shop.notes.pop(order.id, None)
        return
    if order.status == "trash":
        raise WPError("woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410)
    order.pre_trash_status, order.status = order.status, "trash"
    order.date_modified = now()
    shop.emit("order.deleted", order.id)


def restore_order(shop: Shop, order: Order) -> Order:
    """Untrash (admin "Restore"): previous status back, fires ``order.restored``."""
    if order.status != "trash":
        raise WPError("woocommerce_sandbox_not_trashed", "The order is not in the trash.", 400)
    order.status, order.pre_trash_status = order.pre_trash_status or "pending", ""
    order.date_modified = now()
    shop.emit("order.restored", order.id)
    return order
