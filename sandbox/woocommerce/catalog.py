"""Products and variations: what ``POST/PUT /products[...]`` does to the shop.

Behaviour reproduced from the WooCommerce 9.4 REST controllers and data
stores:

* ``stock_quantity`` is an absolute value and is only stored while the
  product manages stock; ``manage_stock: false`` clears the quantity.
* ``stock_status`` is derived from the quantity for managed items (a
  variation without its own stock follows a parent that manages stock and
  then reports ``"manage_stock": "parent"``).
* SKUs are unique across products and variations (trash excluded):
  400 ``product_invalid_sku`` "Invalid or duplicated SKU.".
* ``meta_data`` entries update the row with the same ``id`` or, without an
  id, replace every row with that key by one new row; other meta are kept.
* Hooks: creating fires only ``product.created``; every save fires
  ``product.updated``; stock changes made by orders fire ``product.updated``
  for the product or variation that holds the stock; trashing fires
  ``product.deleted`` (body ``{"id": N}``); a forced delete fires nothing.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .fields import coerce
from .models import Meta, Product, now
from .store import Shop
from .wpjson import WPError

STOCK_STATUSES = ("instock", "outofstock", "onbackorder")
PRODUCT_SCHEMA: dict[str, Any] = {
    "name": "string", "slug": "string",
    "type": ("enum", ("simple", "grouped", "external", "variable")),
    "status": ("enum", ("draft", "pending", "private", "publish", "future")),
    "description": "string", "short_description": "string", "sku": "string",
    "regular_price": "string", "sale_price": "string", "manage_stock": "boolean",
    "stock_quantity": "integer", "stock_status": ("enum", STOCK_STATUSES),
    "backorders": ("enum", ("no", "notify", "yes")), "weight": "string",
    "meta_data": "array", "attributes": "array",
}
VARIATION_SCHEMA: dict[str, Any] = {
    name: spec for name, spec in PRODUCT_SCHEMA.items()
    if name not in ("name", "slug", "type", "short_description")
}
VARIATION_SCHEMA["status"] = ("enum", ("draft", "pending", "private", "publish"))
_LATIN_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O",
                              "ß": "ss", "æ": "ae", "Æ": "AE"})


def _remove_accents(text: str) -> str:
    """``remove_accents()``: only Latin letters lose their diacritics."""
    out = []
    for ch in text.translate(_LATIN_EXTRA):
        if ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF:
            ch = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(ch)
    return "".join(out)


def sanitize_title(text: str) -> str:
    """WordPress ``sanitize_title()`` (save context).

    Latin accents are removed, other letters are percent-encoded in lower
    case (Cyrillic slugs look like ``%d1%84%d1%83...``), typographic quotes
    and guillemets disappear, dashes and spaces become ``-``.
    """
    out = []
    for ch in _remove_accents(text).lower():
        if ch.isascii():
            out.append("-" if ch == "." else ch)
        elif ch.isalnum():
            out.append("".join(f"%{byte:02x}" for byte in ch.encode("utf-8")))
        elif unicodedata.category(ch) in ("Zs", "Pd"):
            out.append("-")
    slug = re.sub(r"[^%a-z0-9 _-]", "", "".join(out))
    slug = re.sub(r"[\s-]+", "-", slug)
    return slug.strip("-")


def merge_meta(shop: Shop, rows: list[Meta], updates: list[Any]) -> None:
    """Apply ``meta_data`` from a request (``update_meta_data`` semantics)."""
    for update in updates:
        if not isinstance(update, dict) or "key" not in update:
            continue
        key, value = str(update["key"]), update.get("value")
        target = next((row for row in rows if update.get("id") and row.id == update.get("id")), None)
        if target is not None:
            target.key, target.value = key, value
            continue
        rows[:] = [row for row in rows if row.key != key]
        rows.append(Meta(shop.next_meta_id(), key, value))


def _unique_sku_suggestion(shop: Shop, sku: str) -> str:
    index = 1
    while shop.product_by_sku(f"{sku}-{index}"):
        index += 1
    return f"{sku}-{index}"


def _set_sku(shop: Shop, product: Product, sku: str) -> None:
    sku = sku.strip()
    owner = shop.product_by_sku(sku)
    if sku and owner is not None and owner.id != product.id:
        raise WPError("product_invalid_sku", "Invalid or duplicated SKU.", 400,
                      resource_id=owner.id, unique_sku=_unique_sku_suggestion(shop, sku))
    product.sku = sku


def _apply_stock(product: Product, data: dict[str, Any]) -> None:
    if "manage_stock" in data:
        product.manage_stock = bool(data["manage_stock"])
    if "backorders" in data:
        product.backorders = data["backorders"]
    if product.manage_stock:
        if "stock_quantity" in data:
            product.stock_quantity = int(data["stock_quantity"])
        elif product.stock_quantity is None:
            product.stock_quantity = 0
    else:
        product.stock_quantity = None
    if "stock_status" in data:
        product.manual_stock_status = data["stock_status"]


def _apply_common(shop: Shop, product: Product, data: dict[str, Any]) -> None:
    for name in ("status", "description", "short_description", "regular_price", "sale_price", "weight"):
        if name in data:
            setattr(product, name, data[name])
    if "sku" in data:
        _set_sku(shop, product, data["sku"])
    _apply_stock(product, data)
    if "meta_data" in data:
        merge_meta(shop, product.meta_data, data["meta_data"])


def _parent_attributes(shop: Shop, raw: list[Any]) -> list[dict[str, Any]]:
    attributes = []
    for position, attr in enumerate(item for item in raw if isinstance(item, dict)):
        known = shop.attributes.get(int(attr.get("id") or 0))
        name = known["name"] if known else str(attr.get("name", ""))
        if not name:
            continue
        attributes.append({
            "id": int(attr["id"]) if known else 0, "name": name,
            "slug": known["slug"] if known else sanitize_title(name),
            "position": int(attr.get("position", position)), "visible": bool(attr.get("visible", True)),
            "variation": bool(attr.get("variation", True)),
            "options": [str(option) for option in attr.get("options", [])],
        })
    return attributes


def _variation_attributes(parent: Product, raw: list[Any]) -> list[dict[str, Any]]:
    chosen = []
    for attr in (item for item in raw if isinstance(item, dict)):
        wanted_id, wanted_name = int(attr.get("id") or 0), str(attr.get("name", "")).lower()
        for candidate in parent.attributes:
            if (wanted_id and candidate["id"] == wanted_id) or \
                    (not wanted_id and wanted_name in (candidate["name"].lower(), candidate["slug"])):
                chosen.append({"id": candidate["id"], "name": candidate["name"],
                               "slug": candidate["slug"], "option": str(attr.get("option", ""))})
                break
    return chosen


def create_product(shop: Shop, params: dict[str, Any], strict: bool = True) -> Product:
    """``POST /products``: fires ``product.created`` only."""
    if params.get("id"):
        raise WPError("woocommerce_rest_product_exists", "Cannot create existing product.", 400)
    data = coerce(params, PRODUCT_SCHEMA, strict)
    stamp = now()
    product = Product(id=0, type=data.get("type", "simple"), name=data.get("name", ""),
                      date_created=stamp, date_modified=stamp)
    product.slug = data.get("slug") or sanitize_title(product.name)
    _apply_common(shop, product, data)
    if product.type == "variable" and "attributes" in data:
        product.attributes = _parent_attributes(shop, data["attributes"])
    product.id = shop.next_post_id()
    shop.products[product.id] = product
    shop.emit("product.created", product.id)
    return product


def update_product(shop: Shop, product: Product, params: dict[str, Any], strict: bool = True) -> Product:
    """``PUT /products/<id>`` (also reached for a variation id): fires ``product.updated``."""
    schema = VARIATION_SCHEMA if product.type == "variation" else PRODUCT_SCHEMA
    data = coerce(params, schema, strict)
    if product.type == "variation":
        return update_variation(shop, product, data, strict=False)
    for name in ("name", "slug"):
        if name in data:
            setattr(product, name, data[name])
    if "type" in data:
        product.type = data["type"]
    _apply_common(shop, product, data)
    if product.type == "variable" and "attributes" in data:
        product.attributes = _parent_attributes(shop, data["attributes"])
    product.date_modified = now()
    shop.emit("product.updated", product.id)
    return product


def delete_product(shop: Shop, product: Product, force: bool) -> None:
    """``DELETE /products/<id>``: trash (``product.deleted``) or remove (silent)."""
    if force:
        for child in list(product.children):
            shop.products.pop(child, None)
        parent = shop.parent_of(product)
        if parent is not None and product.id in parent.children:
            parent.children.remove(product.id)
        shop.products.pop(product.id, None)
        return
    if product.status == "trash":
        raise WPError("woocommerce_rest_already_trashed", "The product has already been deleted.", 410)
    product.pre_trash_status, product.status = product.status, "trash"
    product.date_modified = now()
    shop.emit("product.deleted", product.id)


def create_variation(shop: Shop, parent: Product | None, params: dict[str, Any],
                     strict: bool = True) -> Product:
    """``POST /products/<pid>/variations``: fires ``product.created`` for the variation."""
    if parent is None or parent.type == "variation":
        raise WPError("woocommerce_rest_product_variation_invalid_parent", "Invalid parent product.", 404)
    data = coerce(params, VARIATION_SCHEMA, strict)
    stamp = now()
    variation = Product(id=0, type="variation", name=parent.name, parent_id=parent.id,
                        date_created=stamp, date_modified=stamp)
    _apply_common(shop, variation, data)
    variation.attributes = _variation_attributes(parent, data.get("attributes", []))
    variation.id = shop.next_post_id()
    shop.products[variation.id] = variation
    parent.children.append(variation.id)
    parent.date_modified = stamp
    shop.emit("product.created", variation.id)
    return variation


def update_variation(shop: Shop, variation: Product, params: dict[str, Any],
                     strict: bool = True) -> Product:
    """``PUT /products/<pid>/variations/<id>``: fires ``product.updated`` (type variation)."""
    data = coerce(params, VARIATION_SCHEMA, strict)
    _apply_common(shop, variation, data)
    parent = shop.parent_of(variation)
    if parent is not None and "attributes" in data:
        variation.attributes = _variation_attributes(parent, data["attributes"])
    variation.date_modified = now()
    shop.emit("product.updated", variation.id)
    return variation


def adjust_stock(shop: Shop, holder: Product, delta: int) -> tuple[int, int]:
    """``wc_update_product_stock()`` increase/decrease: saves the product and
    fires ``product.updated`` for it.  Returns (old, new) quantity."""
    old = holder.stock_quantity or 0
    holder.stock_quantity = old + delta
    holder.date_modified = now()
    shop.emit("product.updated", holder.id)
    return old, holder.stock_quantity
