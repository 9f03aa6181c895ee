"""WooCommerce REST v3 payloads <-> the canonical model (pure, no I/O).

Webhook bodies for ``order.*`` and ``product.*`` are exactly the REST representation
(``reference/woocommerce.md`` fact 12). Money arrives as strings with ``dp`` decimals and becomes
``Decimal``; ``price`` is a JSON number, so it goes through ``str()`` first. ``*_gmt`` dates are UTC
without an offset. Unknown fields are ignored: WooCommerce adds fields in every release.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from connector.canonical import CanonicalLine, CanonicalOrder, ProductStock

MAX_QUANTITY = 2**31 - 1

#: WooCommerce order status -> canonical lifecycle status (``reference/marketplaces.md`` section 6).
STATUS_MAP = {
    "pending": "awaiting_payment",
    "on-hold": "confirmed",
    "processing": "paid",
    "completed": "delivered",
    "cancelled": "cancelled",
    "failed": "cancelled",
    "refunded": "returned",
    "trash": "cancelled",
}
PAID_STATUSES = {"processing", "completed"}
#: Statuses from which WooCommerce itself lets an order be paid again or restored.
REOPENABLE_RAW = {"failed", "trash", "cancelled"}


class WooDecimal(fields.Field):
    """A money value sent as a string ("19.99") or a number (35.91)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, ""):
            return Decimal("0")
        try:
            return Decimal(str(value))
        except (InvalidOperation, ValueError) as exc:
            raise ValidationError(f"not a decimal amount: {value!r}") from exc


class WooDateTime(fields.Field):
    """ISO-8601 without offset, as in ``date_modified_gmt``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in (None, ""):
            return None
        try:
            return datetime.fromisoformat(str(value).replace("Z", "")).replace(tzinfo=None)
        except ValueError as exc:
            raise ValidationError(f"not an ISO date: {value!r}") from exc


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class MetaSchema(_Base):
    key = fields.String(load_default="")
    value = fields.Raw(load_default=None)


class LineItemSchema(_Base):
    id = fields.Integer(required=True)
    name = fields.String(load_default="")
    product_id = fields.Integer(load_default=0)
    variation_id = fields.Integer(load_default=0)
    quantity = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    sku = fields.String(load_default="", allow_none=True)
    price = WooDecimal(load_default=None)
    total = WooDecimal(load_default=None)


class ShippingLineSchema(_Base):
    method_id = fields.String(load_default="")
    method_title = fields.String(load_default="")
    instance_id = fields.Raw(load_default="")
    meta_data = fields.List(fields.Nested(MetaSchema), load_default=list)


class AddressSchema(_Base):
    first_name = fields.String(load_default="")
    last_name = fields.String(load_default="")
    company = fields.String(load_default="")
    address_1 = fields.String(load_default="")
    address_2 = fields.String(load_default="")
    city = fields.String(load_default="")
    state = fields.String(load_default="")
    postcode = fields.String(load_default="")
    country = fields.String(load_default="")
    email = fields.String(load_default="", allow_none=True)
    phone = fields.String(load_default="", allow_none=True)


class OrderSchema(_Base):
    """``GET /wc/v3/orders/<id>`` and the ``order.created|updated|restored`` webhook body."""

    id = fields.Integer(required=True, validate=validate.Range(min=1))
    number = fields.String(load_default="")
    status = fields.String(required=True)
    currency = fields.String(load_default="", validate=validate.Length(max=3))
    total = WooDecimal(load_default=None)
    date_modified_gmt = WooDateTime(load_default=None)
    date_created_gmt = WooDateTime(load_default=None)
    payment_method = fields.String(load_default="")
    transaction_id = fields.String(load_default="", allow_none=True)
    billing = fields.Nested(AddressSchema, load_default=dict)
    shipping = fields.Nested(AddressSchema, load_default=dict)
    line_items = fields.List(fields.Nested(LineItemSchema), required=True)
    shipping_lines = fields.List(fields.Nested(ShippingLineSchema), load_default=list)


class ProductSchema(_Base):
    """``GET /wc/v3/products/<id>`` (or a variation) and the ``product.*`` webhook body."""

    id = fields.Integer(required=True, validate=validate.Range(min=1))
    parent_id = fields.Integer(load_default=0)
    type = fields.String(load_default="simple")
    sku = fields.String(load_default="", allow_none=True)
    manage_stock = fields.Raw(load_default=False)
    stock_quantity = fields.Integer(load_default=None, allow_none=True)
    date_modified_gmt = WooDateTime(load_default=None)
    global_unique_id = fields.String(load_default="", allow_none=True)  # WooCommerce 9.2+: GTIN/EAN/UPC/ISBN


#: Built once: a schema instance builds its nested schemas on construction (reused: loading is thread-safe).
_ORDER_SCHEMA = OrderSchema()
_PRODUCT_SCHEMA = ProductSchema()


def _line(item: dict) -> CanonicalLine:
    price = item["price"] if item["price"] is not None else Decimal("0")
    return CanonicalLine(
        line_key=str(item["id"]),
        sku=(item.get("sku") or "").strip(),
        quantity=item["quantity"],
        unit_price=price,
        name=item["name"],
        product_ref=str(item["product_id"]),
        variation_ref=str(item["variation_id"] or 0),
    )


def _delivery(shipping_lines: list[dict]) -> dict:
    if not shipping_lines:
        return {}
    first = shipping_lines[0]
    meta = {m["key"]: m["value"] for m in first["meta_data"] if not str(m["key"]).startswith("_")}
    return {"method_id": first["method_id"], "method_title": first["method_title"],
            "instance_id": str(first["instance_id"] or ""), "meta": meta}


def order_from_woo(payload: dict) -> CanonicalOrder:
    """Map a WooCommerce order body; raises ``marshmallow.ValidationError`` on a malformed one."""
    data = _ORDER_SCHEMA.load(payload)
    total = data["total"] if data["total"] is not None else Decimal("0")
    return CanonicalOrder(
        external_id=str(data["id"]),
        number=data["number"] or str(data["id"]),
        status=STATUS_MAP.get(data["status"]),
        raw_status=data["status"],
        currency=data["currency"].upper(),
        total=total,
        updated_at=data["date_modified_gmt"],
        placed_at=data["date_created_gmt"],
        lines=tuple(_line(item) for item in data["line_items"]),
        payment_method=data["payment_method"],
        transaction_id=data["transaction_id"] or "",
        cod_amount=total if data["payment_method"] == "cod" else None,
        buyer=dict(data["billing"]),
        shipping_address=dict(data["shipping"]),
        delivery=_delivery(data["shipping_lines"]),
    )


def payment_status(raw_status: str) -> str:
    if raw_status in PAID_STATUSES:
        return "paid"
    if raw_status == "refunded":
        return "refunded"
    return "pending"


def product_from_woo(payload: dict) -> ProductStock:
    """Map a product or variation body to its stock view (variations carry ``parent_id``)."""
    data = _PRODUCT_SCHEMA.load(payload)
    is_variation = data["type"] == "variation"
    return ProductStock(
        product_ref=str(data["parent_id"] if is_variation else data["id"]),
        variation_ref=str(data["id"] if is_variation else 0),
        sku=(data["sku"] or "").strip(),
        manage_stock=data["manage_stock"] is True,
        quantity=data["stock_quantity"],
        updated_at=data["date_modified_gmt"],
        ean=(data["global_unique_id"] or "").strip(),
    )


def stock_update(variation_ref: str, product_ref: str, quantity: int) -> dict:
    """One item of ``POST /products/batch`` or ``/products/<pid>/variations/batch`` ``update``."""
    item_id = int(variation_ref) if variation_ref not in ("", "0") else int(product_ref)
    return {"id": item_id, "manage_stock": True, "stock_quantity": max(quantity, 0)}


def out_of_stock_note(skus: list[str]) -> str:
    """Private order note naming the SKUs the shared stock could not cover."""
    return "Stockbridge: not enough shared stock for " + ", ".join(sorted(skus)) + ". Order flagged out-of-stock."


class DeletedSchema(_Base):
    """``order.deleted`` / ``product.deleted`` bodies are only ``{"id": N}`` (fact 13)."""

    id = fields.Integer(required=True, validate=validate.Range(min=1))


_DELETED_SCHEMA = DeletedSchema()


def deleted_id(payload: dict) -> int:
    return _DELETED_SCHEMA.load(payload)["id"]


def inbox_key(topic: str, body: dict, raw: bytes, delivery_id: str) -> str:
    """DESIGN section 5: (topic, resource id, ``date_modified_gmt``) plus a digest of the content.

    The digest is taken over the parsed body re-serialised canonically, so the same order state
    fetched by the catch-up poll (plain JSON) and delivered by a webhook (PHP-escaped JSON) share a
    key, while two different bodies modified in the same second (``date_modified_gmt`` has second
    resolution) do not. Bodies without a modification time (``order.deleted`` is ``{"id":N}``) add
    the delivery id, since the same body legitimately repeats after a restore.
    """
    resource = str(body.get("id", ""))
    modified = body.get("date_modified_gmt")
    if modified:
        return f"{topic}:{resource}:{modified}:{content_digest(body)}"
    return f"{topic}:{resource}:{hashlib.sha256(raw).hexdigest()[:24]}:{delivery_id}"


def content_digest(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]
