"""Rozetka Seller API payloads <-> the canonical model (pure, no I/O).

Quirks (``reference/marketplaces.md`` section 2, pitfalls 15-16): order ids and status ids are ints, money
is a string ("640.00"), ``created``/``changed`` are "YYYY-MM-DD HH:MM:SS" in Kyiv local time without an
offset (converted to naive UTC here, at the edge); ``purchases``/``delivery``/``status_available`` exist
only when the search asked for them (``expand``); the status id is the most specific field (section 6 table),
an id the table does not list keeps its ``status_group`` meaning; stock updates answer ``success: false``
with per-item errors while the other items ARE applied (partial success). After a TTN is set Rozetka
tracks the parcel itself: no further statuses are pushed (pitfall 15).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from connector.canonical import CanonicalLine, CanonicalOrder
from connector.errors import PermanentError, UnsupportedOperation
from connector.lifecycle import RANK
from connector.marketplaces import Offer, PushResult, StatusChange, StockPush

KYIV = ZoneInfo("Europe/Kyiv")
STAMP = "%Y-%m-%d %H:%M:%S"
BATCH = 100
#: What every order read asks for: lines, delivery and the statuses the seller may move it to.
EXPAND = "purchases,delivery,status_available"
#: Rozetka status id -> canonical (section 6 table); 68 "received in part" counts as delivered.
_GROUPS = {
    "new": (1, 52, 53, 79),
    "confirmed": (26, 46, 47, 70, 54, 27, 15),
    "awaiting_payment": (55,),
    "packed": (2, 56, 61, 80),
    "shipped": (3, 4, 5, 76, 57, 58, 59, 60, 62, 63, 64, 65, 66, 67, 69, 73, 74, 78, 81, 82),
    "delivered": (6, 87, 68),
    "cancelled": (7, 13, 16, 17, 18, 20, 24, 25, 28, 29, 31, 33, 37, 38, 40, 42, 43, 44, 45, 49, 50, 51, 72, 75,
                  77, 88),
    "returned": (11, 12, 19, 30, 71, 83, 84, 85, 86, 89, 90, 91),
}
STATUS_MAP = {status: canonical for canonical, ids in _GROUPS.items() for status in ids}
#: ``status_group`` of an id the table does not know: 2 successful, 3 unsuccessful, 1 in progress (unknown).
GROUP_MAP = {2: "delivered", 3: "cancelled"}
CONFIRMED, PACKED_TTN, PACKING, OUT_OF_STOCK = 26, 61, 2, 42
REFUNDED = frozenset({72})  # "cancelled, money refunded"
TRACKS = "Rozetka tracks the parcel itself"
#: Keys that change without the order changing (someone opened it in the cabinet or via the API).
VOLATILE = ("is_viewed",)


# -- time at the edge ---------------------------------------------------------------------------------------
def from_kyiv(text) -> datetime | None:
    """"2019-12-17 17:34:58" (Kyiv local) -> naive UTC; empty -> None; anything else -> ValidationError."""
    if not text:
        return None
    try:
        local = datetime.strptime(str(text).strip(), STAMP)
    except ValueError as exc:
        raise ValidationError(f"not a Rozetka date: {text!r}") from exc
    return local.replace(tzinfo=KYIV).astimezone(UTC).replace(tzinfo=None)


def kyiv_stamp(moment: datetime) -> str:
    """Naive UTC -> the Kyiv "YYYY-MM-DD HH:MM:SS" the search filters take. A local time that occurs twice
    (the autumn DST hour) steps back one hour, so a ``*_from`` bound can never skip that hour."""
    local = moment.replace(tzinfo=UTC).astimezone(KYIV)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        local = (moment - timedelta(hours=1)).replace(tzinfo=UTC).astimezone(KYIV)
    return local.strftime(STAMP)


def changed_at(order: dict) -> datetime | None:
    """``changed`` as naive UTC, None when unreadable (the poll's cursor skips it; ingest reports the order)."""
    try:
        return from_kyiv(order.get("changed"))
    except ValidationError:
        return None


def money(value) -> Decimal:
    """"640.00" (or a JSON number) -> Decimal; raises ValidationError otherwise."""
    try:
        amount = Decimal(str(value).strip()) if value not in (None, "") else Decimal(0)
    except InvalidOperation as exc:
        raise ValidationError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValidationError(f"not an amount: {value!r}")
    return amount


# -- schemas ------------------------------------------------------------------------------------------------
class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class ItemSchema(_Base):
    id = fields.Integer(load_default=None, allow_none=True)
    price_offer_id = fields.String(load_default="", allow_none=True)
    article = fields.String(load_default="", allow_none=True)


class PurchaseSchema(_Base):
    id = fields.Integer(required=True)
    quantity = fields.Integer(required=True, strict=False)
    price = fields.Raw(load_default="0")
    item_id = fields.Integer(load_default=None, allow_none=True)
    item_name = fields.String(load_default="", allow_none=True)
    item = fields.Nested(ItemSchema, load_default=dict)


class OrderSchema(_Base):
    """``GET /orders/search`` items and ``GET /orders/{id}`` content, read with ``expand=purchases,delivery``."""

    id = fields.Integer(required=True)
    created = fields.String(load_default=None, allow_none=True)
    changed = fields.String(load_default=None, allow_none=True)
    amount = fields.Raw(load_default="0")
    status = fields.Integer(required=True)
    status_group = fields.Integer(load_default=None, allow_none=True)
    ttn = fields.String(load_default="", allow_none=True)
    user_phone = fields.String(load_default="", allow_none=True)
    recipient_phone = fields.String(load_default="", allow_none=True)
    user_title = fields.Dict(load_default=dict, allow_none=True)
    recipient_title = fields.Dict(load_default=dict, allow_none=True)
    payment_type = fields.String(load_default="", allow_none=True)
    purchases = fields.List(fields.Nested(PurchaseSchema), required=True, error_messages={
        "required": "missing: the order was read without expand=purchases (quirk: the key is then absent)"})
    delivery = fields.Dict(load_default=None, allow_none=True)


_ORDER = OrderSchema()


# -- orders -------------------------------------------------------------------------------------------------
def canonical_status(status: int, status_group: int | None = None) -> str | None:
    """Section 6 table; an unlisted id keeps its group's meaning (2 delivered, 3 cancelled), else None."""
    if status in STATUS_MAP:
        return STATUS_MAP[status]
    return GROUP_MAP.get(status_group)


def payment_status(data: dict) -> str:
    """"online" is paid unless the order still awaits it (55); cash is paid once delivered (COD collected)."""
    status, canonical = data["status"], canonical_status(data["status"], data.get("status_group"))
    if data.get("payment_type") == "online":
        if status in REFUNDED:
            return "refunded"
        return "pending" if status == 55 else "paid"
    return "paid" if canonical == "delivered" else "pending"


def _line(purchase: dict) -> CanonicalLine:
    item = purchase.get("item") or {}
    sku = (item.get("price_offer_id") or "").strip() or (item.get("article") or "").strip()
    ref = purchase.get("item_id") or item.get("id")
    if purchase["quantity"] < 0:
        raise ValidationError({"purchases": f"purchase {purchase['id']}: negative quantity"})
    return CanonicalLine(line_key=str(purchase["id"]), sku=sku, quantity=purchase["quantity"],
                         unit_price=money(purchase["price"]), name=purchase.get("item_name") or "",
                         product_ref=str(ref) if ref else "")


def _people(data: dict) -> tuple[dict, dict]:
    """(buyer, shipping_address): the buyer's names and phone; the recipient's at the delivery place."""
    user, recipient = data.get("user_title") or {}, data.get("recipient_title") or data.get("user_title") or {}
    delivery = data.get("delivery") or {}
    city = delivery.get("city") or {}
    street = ", ".join(str(p) for p in (delivery.get("place_street"), delivery.get("place_house"),
                                          delivery.get("place_flat")) if p)
    buyer = {"first_name": user.get("first_name") or "", "last_name": user.get("last_name") or "",
             "phone": data.get("user_phone") or "", "email": ""}
    address = {"first_name": recipient.get("first_name") or "", "last_name": recipient.get("last_name") or "",
               "phone": data.get("recipient_phone") or data.get("user_phone") or "", "address_1": street,
               "city": city.get("name_ua") or city.get("name") or "", "postcode": "", "country": "UA"}
    return buyer, address


def _delivery(raw: dict | None) -> dict:
    """``{"method_id": "rozetka:<delivery_service_id>", "method_title", "meta": {warehouse_ref, city}}``."""
    if not raw:
        return {}
    city = raw.get("city") or {}
    return {"method_id": f"rozetka:{raw.get('delivery_service_id') or ''}",
            "method_title": raw.get("delivery_service_name") or "",
            "meta": {"warehouse_ref": raw.get("ref_id") or "", "city": city.get("name_ua") or city.get("name") or ""}}


def order_from_rozetka(payload: dict) -> tuple[CanonicalOrder, str]:
    """(canonical order, payment status) of a Rozetka order; raises ValidationError on a malformed one."""
    data = _ORDER.load(payload)
    total, cod = money(data["amount"]), data.get("payment_type") == "cash"
    buyer, address = _people(data)
    canon = CanonicalOrder(
        external_id=str(data["id"]), number=str(data["id"]),
        status=canonical_status(data["status"], data.get("status_group")), raw_status=str(data["status"]),
        currency="UAH", total=total, updated_at=from_kyiv(data["changed"]), placed_at=from_kyiv(data["created"]),
        lines=tuple(_line(p) for p in data["purchases"]),
        payment_method="cod" if cod else ("rozetka_online" if data.get("payment_type") == "online" else "other"),
        cod_amount=total if cod else None, buyer=buyer, shipping_address=address,
        delivery=_delivery(data.get("delivery")))
    return canon, payment_status(data)


def inbox_key(order: dict) -> str:
    """(order id, status, changed) plus a digest: a lost change keeps its old ``changed`` (Rozetka's clock lag)."""
    stable = {k: v for k, v in order.items() if k not in VOLATILE}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return f"order:{order.get('id')}:{order.get('status')}:{order.get('changed')}:{digest}"


# -- stock and offers ---------------------------------------------------------------------------------------
def stock_item(push: StockPush) -> dict:
    """One ``PUT /items/mass-update`` UpdatingItem; ValueError when the ref is not an ``rz_item_id``."""
    return {"item_rz_id": int(push.ref), "stock_quantity": max(push.figure, 0)}


def _reasons(entry) -> str:
    """``{"reason": [{"id": 1, "value": ["Товар не знайдено"]}]}`` -> "Товар не знайдено"."""
    reasons = entry.get("reason") if isinstance(entry, dict) else None
    words = [str(v) for r in reasons or [] if isinstance(r, dict) for v in (r.get("value") or [])]
    return "; ".join(dict.fromkeys(words)) or "refused without a reason"


def _item_key(push: StockPush) -> str:
    """The key Rozetka's per-item errors use: the item id as a string."""
    return str(int(push.ref))


def stock_results(pushes: list[StockPush], errors: dict) -> list[PushResult]:
    """Per listing: refused when its item id is among the per-item ``errors``, else accepted (partial success)."""
    errors = {str(key): value for key, value in (errors or {}).items()}
    results = []
    for push in pushes:
        refused = errors.get(_item_key(push))
        results.append(PushResult(push.listing_id, push.figure) if refused is None else
                       PushResult(push.listing_id, push.figure,
                                  error=f"Rozetka refused item {push.ref}: {_reasons(refused)}"))
    return results


def offer_from_rozetka(item: dict) -> Offer | None:
    """A ``GET /goods/all`` item for the SKU mapping; stock is pushed to its ``rz_item_id``."""
    if not item.get("rz_item_id"):
        return None
    quantity = item.get("stock_quantity")
    return Offer(ref=str(item["rz_item_id"]),
                 sku=str(item.get("price_offer_id") or "").strip() or str(item.get("article") or "").strip(),
                 name=str(item.get("name_ua") or item.get("name") or ""),
                 quantity=int(quantity) if isinstance(quantity, (int, float)) else None)


# -- status back --------------------------------------------------------------------------------------------
def _available(order: dict) -> list[int]:
    return [int(row["child_id"]) for row in order.get("status_available") or [] if row.get("child_id") is not None]


def _describe(order: dict) -> str:
    name = (order.get("status_data") or {}).get("name_uk") or ""
    return f"status {order.get('status')}" + (f" ({name})" if name else "")


def _move(order: dict, status: int, ttn: str = "") -> tuple[dict, str]:
    """A ``PUT /orders/{id}`` body moving to ``status``; PermanentError when it is not in ``status_available``."""
    available = _available(order)
    if status not in available:
        raise PermanentError(f"Rozetka order {order['id']} is in {_describe(order)}; status {status} is not "
                             f"available from there (available: {', '.join(map(str, available)) or 'none'})")
    body = {"status": status, **({"ttn": ttn} if ttn else {})}
    return body, f"status {status}" + (" with the TTN" if ttn else "")


def _current(order: dict) -> str | None:
    return canonical_status(int(order["status"]), order.get("status_group"))


def _plan_packed(order: dict, tracking: str) -> tuple[dict | None, str]:
    """TTN with 61 when available, else with 2 (Rozetka moves it on to 61 itself); pitfall 15."""
    current, ttn = _current(order), (order.get("ttn") or "").strip()
    if current in ("shipped", "delivered"):
        return None, TRACKS
    if not tracking:
        return (None, "already packed") if current == "packed" else _move(order, PACKING)
    if current == "packed" and ttn == tracking:
        return None, "already packed with this TTN"
    if current == "packed" and ttn:
        return {"ttn": tracking}, "TTN replaced"
    if PACKED_TTN in _available(order):
        return _move(order, PACKED_TTN, tracking)
    if PACKING in _available(order):
        return _move(order, PACKING, tracking)
    return _move(order, PACKED_TTN, tracking)


def _plan_tracked(order: dict, change: StatusChange) -> tuple[dict | None, str]:
    """shipped / delivered: Rozetka follows the parcel by its TTN; without one, a tracking number is sent."""
    if (order.get("ttn") or "").strip() or _current(order) in ("shipped", "delivered"):
        return None, TRACKS
    if change.target == "shipped" and change.tracking_number:
        return _plan_packed(order, change.tracking_number.strip())
    raise UnsupportedOperation(f"Rozetka has no seller status for {change.target} without a TTN: it follows "
                               "the parcel by the TTN set with status 61")


def _plan_confirmed(order: dict) -> tuple[dict | None, str]:
    current = _current(order)
    if current in RANK and current not in ("new", "awaiting_payment"):
        return None, "already confirmed"
    return _move(order, CONFIRMED)


def _plan_cancelled(order: dict, reason: str) -> tuple[dict | None, str]:
    """Out of stock -> 42 "Немає в наявності"; any other reason has no single Rozetka status."""
    if _current(order) in ("cancelled", "returned"):
        return None, "already cancelled"
    if reason == "out_of_stock":
        return _move(order, OUT_OF_STOCK)
    available = ", ".join(map(str, _available(order))) or "none"
    raise UnsupportedOperation(f"Rozetka has no cancel status for reason {reason or 'other'!r}; available from "
                               f"status {order.get('status')}: {available}")


def status_request(change: StatusChange, order: dict) -> tuple[dict | None, str]:
    """(``PUT /orders/{id}`` body, what it does) telling Rozetka ``change``, or (None, why nothing is needed).

    ``order`` is read with ``expand=status_available`` first. Raises PermanentError for a status the
    order cannot take now, UnsupportedOperation for a change Rozetka has no word for."""
    if change.target == "packed":
        return _plan_packed(order, change.tracking_number.strip())
    if change.target in ("shipped", "delivered"):
        return _plan_tracked(order, change)
    if change.target == "confirmed":
        return _plan_confirmed(order)
    if change.target == "cancelled":
        return _plan_cancelled(order, change.reason)
    raise UnsupportedOperation(f"Rozetka has no status for {change.target!r}")
