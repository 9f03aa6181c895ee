"""Ozon Seller API (FBS/rFBS postings, stocks) payloads <-> the canonical model (pure, no I/O).

Quirks (``reference/marketplaces.md`` section 3, pitfalls 10-13): a *posting* (shipment) is the order,
not Ozon's ``order_id`` (a split creates new posting numbers, pitfall 13); postings carry no change
time, so the inbox key is (posting, status, substatus) plus a content digest; prices are strings with
four or six decimals ("279.0000"); Ozon orders are prepaid (Ozon collects the money, even when the
buyer pays at the pickup point); stock updates answer per pair inside HTTP 200 (``updated`` /
``errors[]``, pitfall 11) and ``stock`` excludes what Ozon reserved (pitfall 12).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from connector.canonical import CanonicalLine, CanonicalOrder
from connector.marketplaces import Offer, PushResult, StockPush
from mappers.common import iso_utc

#: Ozon posting ``status`` -> canonical (section 6). Absent (arbitration, client_arbitration, new values):
#: None, so the core keeps the order's state and alerts.
STATUS_MAP = {
    "awaiting_registration": "new", "acceptance_in_progress": "new", "awaiting_verification": "new",
    "awaiting_approve": "new", "awaiting_packaging": "paid", "awaiting_deliver": "packed",
    "delivering": "shipped", "driver_pickup": "shipped", "sent_by_seller": "shipped", "delivered": "delivered",
    "cancelled": "cancelled", "cancelled_from_split_pending": "cancelled", "not_accepted": "cancelled",
}
#: Statuses deliberately left unmapped (a dispute: keep the state, alert the operator).
KEPT = ("arbitration", "client_arbitration")
#: ``tpl_integration_type`` of postings Ozon's logistics delivers (FBS); anything else is rFBS (seller delivers).
OZON_LOGISTICS = "ozon"
#: The posting fields an inbox key digests: a change to any of them is a new order state.
DIGESTED = ("status", "substatus", "products", "delivery_method", "tracking_number", "cancellation",
            "shipment_date", "delivering_date", "parent_posting_number", "customer", "addressee")
COUNTRIES = {"россия": "RU", "беларусь": "BY", "казахстан": "KZ", "армения": "AM", "кыргызстан": "KG"}
BATCH = 100
CENT = Decimal("0.01")


def money(text) -> Decimal:
    """"279.0000" / "1259" / 1259 -> Decimal to the kopek; raises ValidationError otherwise."""
    try:
        amount = Decimal(str(text).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(f"not an amount: {text!r}") from exc
    if not amount.is_finite():
        raise ValidationError(f"not an amount: {text!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


_when = iso_utc  # ISO 8601 -> naive UTC (mappers.common)


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class ProductSchema(_Base):
    sku = fields.Integer(required=True, strict=True)
    offer_id = fields.String(required=True, validate=validate.Length(min=1))
    name = fields.String(load_default="", allow_none=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    price = fields.Raw(required=True)
    currency_code = fields.String(load_default="RUB", allow_none=True)


class DeliveryMethodSchema(_Base):
    id = fields.Integer(load_default=0, allow_none=True)
    name = fields.String(load_default="", allow_none=True)
    warehouse_id = fields.Integer(required=True)
    warehouse = fields.String(load_default="", allow_none=True)
    tpl_provider_id = fields.Integer(load_default=0, allow_none=True)
    tpl_provider = fields.String(load_default="", allow_none=True)


class PostingSchema(_Base):
    """The v3 FBS posting (``/v3/posting/fbs/unfulfilled/list``, ``/list``, ``/get``)."""

    posting_number = fields.String(required=True, validate=validate.Length(min=1))
    order_id = fields.Integer(load_default=0, allow_none=True)
    order_number = fields.String(load_default="", allow_none=True)
    parent_posting_number = fields.String(load_default="", allow_none=True)
    status = fields.String(required=True)
    substatus = fields.String(load_default="", allow_none=True)
    delivery_method = fields.Nested(DeliveryMethodSchema, required=True)
    tracking_number = fields.String(load_default="", allow_none=True)
    tpl_integration_type = fields.String(load_default=OZON_LOGISTICS, allow_none=True)
    in_process_at = fields.String(load_default=None, allow_none=True)
    shipment_date = fields.String(load_default=None, allow_none=True)
    is_express = fields.Boolean(load_default=False, allow_none=True)
    products = fields.List(fields.Nested(ProductSchema), required=True, validate=validate.Length(min=1))
    customer = fields.Dict(load_default=None, allow_none=True)
    addressee = fields.Dict(load_default=None, allow_none=True)
    analytics_data = fields.Dict(load_default=None, allow_none=True)


_POSTING = PostingSchema()


def canonical_status(raw: str) -> str | None:
    return STATUS_MAP.get(raw)


def is_rfbs(posting: dict) -> bool:
    """rFBS = the seller delivers (own carrier: tracking and delivery statuses are ours to send)."""
    return (posting.get("tpl_integration_type") or OZON_LOGISTICS) != OZON_LOGISTICS


def _lines(products: list[dict], warehouse_id: int) -> tuple[CanonicalLine, ...]:
    """One line per product, keyed by Ozon's int ``sku`` (``#2`` for a repeat); pushed to ``offer_id`` @ warehouse."""
    lines, seen = [], {}
    for item in products:
        key = str(item["sku"])
        seen[key] = seen.get(key, 0) + 1
        lines.append(CanonicalLine(
            line_key=key if seen[key] == 1 else f"{key}#{seen[key]}", sku=item["offer_id"].strip(),
            quantity=item["quantity"], unit_price=money(item["price"]), name=item.get("name") or "",
            product_ref=item["offer_id"].strip(), variation_ref=str(warehouse_id)))
    return tuple(lines)


def _people(data: dict) -> tuple[dict, dict]:
    """(buyer, shipping address) from ``customer`` / ``addressee`` (null unless asked for; FBS usually hides them).

    Ozon gives one name ("Фамилия Имя Отчество"); it is kept whole in ``first_name`` rather than guessed apart."""
    customer, addressee = data.get("customer") or {}, data.get("addressee") or {}
    address = customer.get("address") or {}
    buyer = {"first_name": str(customer.get("name") or addressee.get("name") or ""), "last_name": "",
             "phone": str(customer.get("phone") or addressee.get("phone") or ""), "email": ""}
    city = address.get("city") or (data.get("analytics_data") or {}).get("city") or ""
    shipping = {"first_name": str(addressee.get("name") or buyer["first_name"]), "last_name": "",
                "phone": str(addressee.get("phone") or buyer["phone"]),
                "address_1": str(address.get("address_tail") or ""), "city": str(city),
                "postcode": str(address.get("zip_code") or ""),
                "country": COUNTRIES.get(str(address.get("country") or "").strip().lower(), "RU")}
    return buyer, shipping


def _delivery(data: dict) -> dict:
    """Method = Ozon's delivery method; meta = warehouse, 3PL provider, pickup point code (no personal data)."""
    method, analytics = data["delivery_method"], data.get("analytics_data") or {}
    address = (data.get("customer") or {}).get("address") or {}
    meta = {"warehouse_id": str(method["warehouse_id"]), "warehouse": method.get("warehouse") or "",
            "tpl_provider_id": method.get("tpl_provider_id") or 0, "tpl_provider": method.get("tpl_provider") or "",
            "tpl_integration_type": data.get("tpl_integration_type") or OZON_LOGISTICS, "rfbs": is_rfbs(data),
            "delivery_type": analytics.get("delivery_type") or "", "pvz_code": str(address.get("pvz_code") or ""),
            "provider_pvz_code": str(address.get("provider_pvz_code") or ""),
            "shipment_date": data.get("shipment_date") or "", "is_express": bool(data.get("is_express")),
            "order_number": data.get("order_number") or "",
            "parent_posting_number": data.get("parent_posting_number") or "",
            "tracking_number": data.get("tracking_number") or "", "substatus": data.get("substatus") or ""}
    return {"method_id": f"ozon:{method.get('id') or method['warehouse_id']}", "method_title": method.get("name") or "",
            "meta": meta}


def order_from_ozon(payload: dict) -> tuple[CanonicalOrder, str]:
    """(canonical order, "paid") of one posting; raises ValidationError on a malformed one.

    ``external_id`` = posting number (pitfall 13); ``updated_at`` None: postings carry no change time and the
    guarded lifecycle keeps an old state from moving the order back."""
    data = _POSTING.load(payload)
    lines = _lines(data["products"], data["delivery_method"]["warehouse_id"])
    buyer, shipping = _people(data)
    canon = CanonicalOrder(
        external_id=data["posting_number"], number=data["posting_number"], status=canonical_status(data["status"]),
        raw_status=data["status"], currency=(data["products"][0].get("currency_code") or "RUB").upper(),
        total=sum((line.unit_price * line.quantity for line in lines), Decimal("0.00")), updated_at=None,
        placed_at=_when(data["in_process_at"]), lines=lines, payment_method="ozon",
        buyer=buyer, shipping_address=shipping, delivery=_delivery(data))
    return canon, "paid"


def digest(posting: dict) -> str:
    """sha256 (16 hex) over the fields that make an order state (``DIGESTED``)."""
    content = {key: posting.get(key) for key in DIGESTED}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def inbox_key(posting: dict) -> str:
    """``posting:<number>:<status>:<substatus>:<digest>``: postings carry no change time, the digest tells
    states apart."""
    number, status, substatus = posting.get("posting_number"), posting.get("status"), posting.get("substatus") or ""
    return f"posting:{number}:{status}:{substatus}:{digest(posting)}"


# ---- stock

def stock_item(push: StockPush, warehouse_id: int) -> dict:
    """One ``/v2/products/stocks`` pair: ``stock`` is sent as is (our figure already excludes Ozon's reservations)."""
    return {"offer_id": push.ref, "stock": max(int(push.figure), 0), "warehouse_id": int(warehouse_id)}


def sent_at(push: StockPush) -> datetime | None:
    """When the pair was last accepted (``listing.state["sent_at"]``, ISO UTC)."""
    value = (push.state or {}).get("sent_at")
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


def wait_before_sending(push: StockPush, now: datetime, pair_interval: float) -> float:
    """Seconds until the pair may be sent again (0 = now): Ozon takes one update per pair per interval."""
    last = sent_at(push)
    if last is None:
        return 0.0
    return max(pair_interval - (now - last).total_seconds(), 0.0)


def _errors_text(errors: list) -> str:
    parts = [f"{e.get('code') or 'ERROR'}: {e.get('message') or ''}".strip(": ") for e in errors if isinstance(e, dict)]
    return "; ".join(parts) or "not updated"


def stock_result(push: StockPush, answer: dict | None, now: datetime, pair_interval: float) -> PushResult:
    """The pair's per-item answer (pitfall 11): updated -> accepted (state ``sent_at``); TOO_MANY_REQUESTS ->
    retry after the pair interval; anything else -> refused, in plain words."""
    if answer is None:
        return PushResult(push.listing_id, push.figure, error=f"Ozon did not answer for offer {push.ref}")
    if answer.get("updated"):
        return PushResult(push.listing_id, push.figure, state={**(push.state or {}), "sent_at": now.isoformat()})
    errors = answer.get("errors") or []
    if any(isinstance(e, dict) and e.get("code") == "TOO_MANY_REQUESTS" for e in errors):
        return PushResult(push.listing_id, push.figure, retry_in=float(pair_interval))
    where = f"offer {push.ref} at warehouse {answer.get('warehouse_id')}"
    return PushResult(push.listing_id, push.figure, error=f"Ozon refused the stock of {where}: {_errors_text(errors)}")


def result_key(offer_id, warehouse_id) -> tuple[str, str]:
    return str(offer_id), str(warehouse_id)


def offer_from_ozon(item: dict, warehouse_id) -> Offer | None:
    """A ``/v3/product/list`` item for the SKU mapping: ref = sku = offer_id, location = the account's warehouse."""
    offer_id = str(item.get("offer_id") or "").strip()
    if not offer_id or item.get("archived"):
        return None
    return Offer(ref=offer_id, sku=offer_id, name=str(item.get("name") or ""), location=str(warehouse_id))


def buyable(item: dict) -> tuple[str, int]:
    """(offer_id, present - reserved over the FBS stocks) of a ``/v4/product/info/stocks`` item: what buyers
    can buy, the figure we push (pitfall 12)."""
    fbs = [s for s in item.get("stocks") or [] if str(s.get("type", "fbs")).lower() in ("fbs", "rfbs")]
    return str(item.get("offer_id") or ""), sum(int(s.get("present") or 0) - int(s.get("reserved") or 0) for s in fbs)


# ---- status back

def ship_body(posting: dict) -> dict:
    """``/v4/posting/fbs/ship``: ONE package holding every product (no split, pitfall 13). Ozon's
    ``packages[].products[].product_id`` is the product's Ozon SKU (the posting carries no catalog id)."""
    return {"posting_number": posting["posting_number"],
            "packages": [{"products": [{"product_id": int(p["sku"]), "quantity": int(p["quantity"])}
                                       for p in posting.get("products") or []]}],
            "with": {"additional_data": False}}


def cancel_reason(reason: str, available: list[dict]) -> tuple[int, str] | None:
    """(reason id, message) for our reason among the posting's ``available`` ones: 352 out of stock, 402 other
    (a message is required); None when Ozon does not offer it now."""
    wanted, message = (352, "") if reason == "out_of_stock" else (402, "Отменено продавцом")
    ids = {int(r.get("id") or 0) for r in available if isinstance(r, dict)}
    return (wanted, message) if wanted in ids else None
