"""Order stock handling, after ``wc-stock-functions.php``.

* Entering ``processing``, ``on-hold`` or ``completed`` (or
  ``payment_complete()``) reduces stock once per order
  (``wc_maybe_reduce_stock_levels``): every line whose product or
  variation manages stock (or whose parent does) is decremented, the line
  gets an ``_reduced_stock`` item meta, the order is flagged and a system
  note "Stock levels reduced: ..." is added.  Each stock change saves the
  product, so ``product.updated`` fires for it (not for a variable parent
  that does not hold the stock).
* Entering ``cancelled`` or ``pending`` after a reduction restores exactly
  the ``_reduced_stock`` quantities (``wc_maybe_increase_stock_levels``).
  WooCommerce core does *not* restore on ``refunded`` or ``failed``; the
  ``RESTORE_STOCK_STATUSES`` config key can widen the list for experiments.
* REST creation never checks availability: stock may go negative.
* Editing line quantities of an order whose stock is reduced adjusts stock
  by the difference (``wc_maybe_adjust_line_item_product_stock``).
"""

from __future__ import annotations

from typing import Iterable

from .catalog import adjust_stock
from .models import LineItem, Note, Order, now
from .serialize import stock_holder
from .store import Shop


def item_meta_value(item: LineItem, key: str) -> str | None:
    """Value of an item meta row, None when absent."""
    return next((row["value"] for row in item.meta if row["key"] == key), None)


def set_item_meta(shop: Shop, item: LineItem, key: str, value: str) -> None:
    """Add or update a visible-key item meta row (display_* mirror key/value)."""
    for row in item.meta:
        if row["key"] == key:
            row["value"] = row["display_value"] = value
            return
    item.meta.append({"id": shop.next_meta_id(), "key": key, "value": value,
                      "display_key": key, "display_value": value})


def delete_item_meta(item: LineItem, key: str) -> None:
    """Remove every meta row with ``key``."""
    item.meta[:] = [row for row in item.meta if row["key"] != key]


def add_note(shop: Shop, order: Order, text: str, customer_note: bool = False,
             author: str = "WooCommerce") -> Note:
    """``WC_Order::add_order_note()``; system notes are authored "WooCommerce"."""
    note = Note(id=shop.next_note_id(), order_id=order.id, note=text,
                customer_note=customer_note, author=author, date_created=now())
    shop.notes.setdefault(order.id, []).append(note)
    return note


def _label(shop: Shop, item: LineItem) -> str:
    product = shop.product(item.variation_id or item.product_id)
    sku = f" ({product.sku})" if product and product.sku else ""
    return f"{item.name}{sku}"


def _change_line_stock(shop: Shop, item: LineItem, delta: int) -> str | None:
    """Apply ``delta`` to the stock behind a line; returns the note fragment."""
    product = shop.product(item.variation_id or item.product_id)
    holder = stock_holder(shop, product) if product else None
    if holder is None or delta == 0:
        return None
    old, new = adjust_stock(shop, holder, delta)
    return f"{_label(shop, item)} {old}&rarr;{new}"


def reduce_stock(shop: Shop, order: Order) -> None:
    """``wc_maybe_reduce_stock_levels()``."""
    if order.stock_reduced:
        return
    changes = []
    for item in order.lines("line_item"):
        if item_meta_value(item, "_reduced_stock") not in (None, "", "0", 0):  # PHP truthiness
            continue
        change = _change_line_stock(shop, item, -item.quantity)
        if change:
            set_item_meta(shop, item, "_reduced_stock", str(item.quantity))
            changes.append(change)
    order.stock_reduced = True
    if changes:
        add_note(shop, order, "Stock levels reduced: " + ", ".join(changes))


def restore_stock(shop: Shop, order: Order) -> None:
    """``wc_maybe_increase_stock_levels()``: give back what was reduced."""
    if not order.stock_reduced:
        return
    changes = []
    for item in order.lines("line_item"):
        reduced = item_meta_value(item, "_reduced_stock")
        if reduced is None:
            continue
        change = _change_line_stock(shop, item, int(reduced))
        delete_item_meta(item, "_reduced_stock")
        if change:
            changes.append(change)
    order.stock_reduced = False
    if changes:
        add_note(shop, order, "Stock levels increased: " + ", ".join(changes))


def adjust_line_stock(shop: Shop, order: Order, item: LineItem) -> None:
    """``wc_maybe_adjust_line_item_product_stock()`` after a quantity edit."""
    if order.status not in ("processing", "completed", "on-hold"):
        return
    reduced = item_meta_value(item, "_reduced_stock")
    already = int(reduced) if reduced is not None else 0
    change = _change_line_stock(shop, item, already - item.quantity)
    if change is None:
        return
    if item.quantity:
        set_item_meta(shop, item, "_reduced_stock", str(item.quantity))
    else:
        delete_item_meta(item, "_reduced_stock")
    add_note(shop, order, "Adjusted stock: " + change)


def release_removed_items(shop: Shop, order: Order, removed: Iterable[LineItem]) -> None:
    """Deleting a line whose stock was reduced gives the stock back."""
    for item in removed:
        reduced = item_meta_value(item, "_reduced_stock")
        if reduced is not None:
            change = _change_line_stock(shop, item, int(reduced))
            if change:
                add_note(shop, order, "Deleted " + change)
