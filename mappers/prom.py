"""Prom.ua public API v1 payloads <-> the canonical model (pure, no I/O).

Quirks (``reference/marketplaces.md`` section 4, pitfalls 17-18): prices are strings with a currency
suffix ("244 грн", "1 244,50 грн"); quantities are floats (1.0); statuses may be seller-defined
``custom-<id>`` (mapped through the account's ``status_map`` setting, else unknown: kept + alert);
there is no "shipped" status: a declaration (TTN) with a moving ``unified_status`` means shipped;
stock updates answer ``processed_ids``/``errors`` inside HTTP 200.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from connector.canonical import CanonicalLine, CanonicalOrder
from connector.errors import UnsupportedOperation
from connector.marketplaces import Offer, PushResult, StatusChange, StockPush
from mappers.common import iso_utc

#: Prom order status -> canonical (section 6); ``pending`` depends on the payment (see :func:`canonical_status`).
STATUS_MAP = {"received": "confirmed", "paid": "paid", "delivered": "delivered", "canceled": "cancelled",
              "draft": "new"}
#: ``delivery_provider_data.unified_status`` values that mean the parcel is on its way / arrived [unv list].
MOVING = {"on_the_way", "in_transit", "at_branch", "arrived", "ready_for_pickup"}
COD_NAMES = ("наложен", "накладен", "при отриманн", "при получени", "післяплат")
CARRIER_TYPES = {"novaposhta": "nova_poshta", "ukrposhta": "ukrposhta", "meest": "meest", "justin": "justin"}
CURRENCIES = {"грн": "UAH", "₴": "UAH", "uah": "UAH", "руб": "RUB", "₽": "RUB", "zł": "PLN", "usd": "USD", "$": "USD"}
BATCH = 100


def money(text) -> tuple[Decimal, str]:
    """("1 244,50 грн") -> (Decimal("1244.50"), "UAH"); plain numbers pass; raises ValidationError otherwise."""
    if isinstance(text, (int, float)):
        return Decimal(str(text)), "UAH"
    raw = str(text or "").strip()
    number = re.sub(r"[\s\u00a0\u202f]", "", re.sub(r"[^\d,.\s\u00a0\u202f-]", "", raw)).replace(",", ".")
    try:
        amount = Decimal(number) if number else Decimal("0")
    except InvalidOperation as exc:
        raise ValidationError(f"not an amount: {raw!r}") from exc
    suffix = re.sub(r"[\d\s,.\u00a0\u202f-]", "", raw).lower()
    return amount, CURRENCIES.get(suffix, "UAH")


_when = iso_utc  # ISO 8601 -> naive UTC (mappers.common)


def modified_at(order: dict) -> datetime | None:
    """``date_modified`` as naive UTC."""
    return _when(order.get("date_modified"))


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class ProductSchema(_Base):
    id = fields.Raw(required=True)
    external_id = fields.String(load_default="", allow_none=True)
    sku = fields.String(load_default="", allow_none=True)
    name = fields.String(load_default="", allow_none=True)
    price = fields.Raw(load_default="0")
    quantity = fields.Float(required=True)


class OrderSchema(_Base):
    """``GET /orders/list`` items and ``GET /orders/{id}`` ``order``."""

    id = fields.Integer(required=True)
    date_created = fields.String(load_default=None, allow_none=True)
    date_modified = fields.String(load_default=None, allow_none=True)
    status = fields.String(required=True)
    price = fields.Raw(load_default="0")
    products = fields.List(fields.Nested(ProductSchema), required=True)
    payment_option = fields.Dict(load_default=None, allow_none=True)
    payment_data = fields.Dict(load_default=None, allow_none=True)
    delivery_option = fields.Dict(load_default=None, allow_none=True)
    delivery_provider_data = fields.Dict(load_default=None, allow_none=True)
    delivery_address = fields.String(load_default="", allow_none=True)
    client_first_name = fields.String(load_default="", allow_none=True)
    client_last_name = fields.String(load_default="", allow_none=True)
    phone = fields.String(load_default="", allow_none=True)
    email = fields.String(load_default="", allow_none=True)


_ORDER = OrderSchema()


def _quantity(value: float, product_id) -> int:
    if value != int(value) or value < 0:
        raise ValidationError({"products": f"product {product_id}: quantity {value} is not a whole number of units"})
    return int(value)


def _lines(products: list[dict]) -> tuple[CanonicalLine, ...]:
    lines, seen = [], {}
    for item in products:
        key = str(item["id"])
        seen[key] = seen.get(key, 0) + 1
        external = (item.get("external_id") or "").strip()
        lines.append(CanonicalLine(
            line_key=key if seen[key] == 1 else f"{key}#{seen[key]}", sku=external or (item.get("sku") or "").strip(),
            quantity=_quantity(item["quantity"], item["id"]), unit_price=money(item["price"])[0],
            name=item.get("name") or "", product_ref=external))
    return tuple(lines)


def is_cod(data: dict) -> bool:
    name = str((data.get("payment_option") or {}).get("name") or "").lower()
    return not data.get("payment_data") and any(word in name for word in COD_NAMES)


def payment_status(data: dict) -> str:
    paid = str((data.get("payment_data") or {}).get("status") or "")
    if paid == "refunded":
        return "refunded"
    if paid in ("paid", "paid_out") or data["status"] == "paid":
        return "paid"
    return "pending"


def canonical_status(data: dict, status_map: dict | None = None) -> str | None:
    """The most specific reading (section 6): refunds and parcels on their way win over the order status."""
    raw, delivery = data["status"], data.get("delivery_provider_data") or {}
    if payment_status(data) == "refunded":
        return "returned"
    if raw in (status_map or {}):
        base = status_map[raw]
    elif raw == "pending":
        online_unpaid = bool(data.get("payment_data")) and payment_status(data) != "paid"
        base = "awaiting_payment" if online_unpaid else ("paid" if payment_status(data) == "paid" else "new")
    else:
        base = STATUS_MAP.get(raw)
    unified = str(delivery.get("unified_status") or "")
    if base not in (None, "cancelled", "delivered") and delivery.get("declaration_number") and unified in MOVING:
        return "shipped"
    if base not in (None, "cancelled") and unified == "delivered":
        return "delivered"
    return base


def order_from_prom(payload: dict, status_map: dict | None = None) -> tuple[CanonicalOrder, str]:
    """(canonical order, payment status) of a Prom order; raises ValidationError on a malformed one."""
    data = _ORDER.load(payload)
    total, currency = money(data["price"])
    delivery = data.get("delivery_provider_data") or {}
    address = delivery.get("recipient_address") or {}
    cod = is_cod(data)
    canon = CanonicalOrder(
        external_id=str(data["id"]), number=str(data["id"]), status=canonical_status(data, status_map),
        raw_status=data["status"], currency=currency, total=total, updated_at=_when(data["date_modified"]),
        placed_at=_when(data["date_created"]), lines=_lines(data["products"]),
        payment_method="cod" if cod else ("prom_payment" if data.get("payment_data") else "other"),
        cod_amount=total if cod else None,
        buyer={"first_name": data["client_first_name"] or "", "last_name": data["client_last_name"] or "",
               "phone": data["phone"] or "", "email": data["email"] or ""},
        shipping_address={"first_name": data["client_first_name"] or "", "last_name": data["client_last_name"] or "",
                          "address_1": data["delivery_address"] or "", "city": address.get("city_name") or "",
                          "country": "UA", "phone": data["phone"] or ""},
        delivery={"method_id": f"prom:{delivery.get('provider') or (data.get('delivery_option') or {}).get('id', '')}",
                  "method_title": (data.get("delivery_option") or {}).get("name") or "",
                  "meta": {"warehouse_ref": delivery.get("recipient_warehouse_id") or address.get("warehouse_id") or "",
                           "city_ref": address.get("city_id") or ""}})
    return canon, payment_status(data)


def inbox_key(order: dict) -> str:
    """(order id, status, date_modified) plus a digest: a lost change keeps its old date_modified (quirk)."""
    digest = hashlib.sha256(json.dumps(order, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"order:{order.get('id')}:{order.get('status')}:{order.get('date_modified')}:{digest}"


def stock_bodies(pushes: list[StockPush]) -> list[list[dict]]:
    """``POST /products/edit_by_external_id`` bodies (JSON arrays), ``BATCH`` items each."""
    items = [{"id": p.ref, "quantity_in_stock": max(p.figure, 0),
              "presence": "available" if p.figure > 0 else "not_available"} for p in pushes]
    return [items[i:i + BATCH] for i in range(0, len(items), BATCH)]


def stock_results(pushes: list[StockPush], answer: dict) -> list[PushResult]:
    """Per listing: accepted when its external id is in ``processed_ids``, else the error Prom named."""
    processed = {str(ref) for ref in answer.get("processed_ids") or []}
    errors = {str(k): str(v) for k, v in (answer.get("errors") or {}).items()}
    return [PushResult(p.listing_id, p.figure) if p.ref in processed else
            PushResult(p.listing_id, p.figure, error=f"Prom refused {p.ref}: {errors.get(p.ref, 'not processed')}")
            for p in pushes]


def offer_from_prom(product: dict) -> Offer | None:
    """A product for the SKU mapping; only products with an external id can take stock updates."""
    external = str(product.get("external_id") or "").strip()
    if not external:
        return None
    quantity = product.get("quantity_in_stock")
    on_sale = product.get("presence", "available") in ("available", "order")
    return Offer(ref=external, sku=external, name=str(product.get("name") or ""),
                 quantity=(int(quantity) if on_sale else 0) if isinstance(quantity, (int, float)) else None)


def status_request(change: StatusChange, order: dict) -> tuple[str, dict] | None:
    """(path, body) that tells Prom ``change``, or None when the order already shows it (looked up first).

    confirmed -> ``received``; packed/shipped -> the TTN via ``/delivery/save_declaration_id`` (Prom has no
    packed or shipped status: without a TTN there is nothing to say, UnsupportedOperation); delivered ->
    ``delivered`` (Prom does not complete orders itself); cancelled -> ``canceled`` with the reason.
    """
    oid = order["id"]
    if change.target in ("packed", "shipped"):
        if not change.tracking_number:
            raise UnsupportedOperation(f"Prom.ua has no '{change.target}' status; only the TTN tells it")
        declared = (order.get("delivery_provider_data") or {}).get("declaration_number")
        if declared == change.tracking_number:
            return None
        return "/delivery/save_declaration_id", {"order_id": oid, "declaration_id": change.tracking_number,
                                                  "delivery_type": CARRIER_TYPES.get(change.carrier, "nova_poshta")}
    target = {"confirmed": "received", "delivered": "delivered", "cancelled": "canceled"}[change.target]
    if order.get("status") == target:
        return None
    body = {"ids": [oid], "status": target}
    if target == "canceled":
        reason = "not_available" if change.reason == "out_of_stock" else "another"
        body.update(cancellation_reason=reason,
                    cancellation_text=None if reason == "not_available" else "Скасовано продавцем / cancelled by seller")
    return "/orders/set_status", body
