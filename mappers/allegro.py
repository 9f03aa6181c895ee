"""Allegro REST payloads <-> the canonical model (pure, no I/O).

Facts (``reference/marketplaces.md`` section 1, sections 6-7): an order is a checkout form whose state is
TWO fields, the buyer's checkout ``status`` (BOUGHT, FILLED_IN, READY_FOR_PROCESSING, CANCELLED) and
the seller's ``fulfillment.status`` (NEW set before payment: the two are always read together); a
cancelled checkout wins over a stale fulfillment (pitfall 5); ``updatedAt`` is not bumped by
fulfillment changes (pitfall 4), so inbox keys come from the journal event id or the form ``revision``.
Stock goes out in quantity-change commands keyed by OUR UUID (a retry of the same logical change reuses
it; 409 = it exists), FIXED values >= 1 only; zero is a PATCH that ends the offer, and an ended offer
takes stock but stays ended until it is activated (pitfall 7).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from connector.canonical import CanonicalLine, CanonicalOrder
from connector.marketplaces import Offer, PushResult, StatusChange, StockPush
from mappers.common import iso_utc

COD = "CASH_ON_DELIVERY"
#: Checkout forms still moving through the seller's hands (the sweep lists these, pitfall 3).
OPEN_FULFILLMENT = ("NEW", "PROCESSING", "READY_FOR_SHIPMENT", "READY_FOR_PICKUP", "SUSPENDED")
UNPAID_CHECKOUT = ("BOUGHT", "FILLED_IN")
#: fulfillment.status -> canonical once the checkout is READY_FOR_PROCESSING (section 6); NEW and
#: PROCESSING depend on the payment (:func:`canonical_status`).
FULFILLMENT_MAP = {"SUSPENDED": "confirmed", "READY_FOR_SHIPMENT": "packed", "READY_FOR_PICKUP": "packed",
                   "SENT": "shipped", "PICKED_UP": "delivered", "CANCELLED": "cancelled", "RETURNED": "returned"}
#: Our target -> the fulfillment status that says it; the rank says what is "further" (never go back).
TARGETS = {"confirmed": "PROCESSING", "packed": "READY_FOR_SHIPMENT", "shipped": "SENT", "delivered": "PICKED_UP",
           "cancelled": "CANCELLED"}
FULFILLMENT_RANK = {"NEW": 0, "PROCESSING": 1, "SUSPENDED": 1, "READY_FOR_SHIPMENT": 2, "READY_FOR_PICKUP": 2,
                    "SENT": 3, "PICKED_UP": 4}
FINAL_FULFILLMENT = ("CANCELLED", "RETURNED")
#: Our carrier integration -> Allegro carrierId (``GET /order/carriers``); anything else is OTHER + name.
CARRIERS = {"inpost": "INPOST", "dhl_poland": "DHL", "dhl": "DHL", "dpd": "DPD", "poczta_polska": "POCZTA_POLSKA"}
COMMAND_BATCH = 1000
NAMESPACE = uuid.UUID("5d0c1f6e-8a47-4a53-9b0e-3f6b2d8c4a11")  # Stockbridge's, for uuid5 command ids


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class MoneySchema(_Base):
    amount = fields.Decimal(required=True)
    currency = fields.String(load_default="PLN")


class LineOfferSchema(_Base):
    id = fields.String(required=True)
    name = fields.String(load_default="", allow_none=True)
    external = fields.Dict(load_default=None, allow_none=True)


class LineItemSchema(_Base):
    id = fields.String(required=True)
    offer = fields.Nested(LineOfferSchema, required=True)
    quantity = fields.Integer(required=True, strict=True)
    price = fields.Nested(MoneySchema, load_default=None, allow_none=True)
    boughtAt = fields.String(load_default=None, allow_none=True)


class CheckoutFormSchema(_Base):
    """``GET /order/checkout-forms/{id}`` (fixture ``checkout_form_response.json``) and the list's items."""

    id = fields.String(required=True)
    status = fields.String(required=True)
    fulfillment = fields.Dict(load_default=None, allow_none=True)
    payment = fields.Dict(load_default=None, allow_none=True)
    buyer = fields.Dict(load_default=None, allow_none=True)
    delivery = fields.Dict(load_default=None, allow_none=True)
    lineItems = fields.List(fields.Nested(LineItemSchema), required=True)
    summary = fields.Dict(load_default=None, allow_none=True)
    updatedAt = fields.String(load_default=None, allow_none=True)
    revision = fields.String(load_default="", allow_none=True)


_FORM = CheckoutFormSchema()
_MONEY = MoneySchema()


when = iso_utc  # ISO 8601 -> naive UTC (mappers.common)


def stamp(moment: datetime) -> str:
    """Naive UTC -> the form Allegro's filters take (``updatedAt.gte``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def fulfillment_status(form: dict) -> str:
    return str((form.get("fulfillment") or {}).get("status") or "NEW")


def is_cod(form: dict) -> bool:
    return str((form.get("payment") or {}).get("type") or "") == COD


def payment_status(form: dict) -> str:
    """"paid" for a non-COD form that Allegro shows paid (``paidAmount`` > 0, or READY_FOR_PROCESSING: "payment
    completed"), else "pending" (cash on delivery is collected by the carrier)."""
    paid = (form.get("payment") or {}).get("paidAmount") or {}
    if is_cod(form):
        return "pending"
    try:
        received = Decimal(str(paid.get("amount") or 0)) > 0
    except ArithmeticError as exc:
        raise ValidationError("payment.paidAmount is not an amount") from exc
    return "paid" if received or form.get("status") == "READY_FOR_PROCESSING" else "pending"


def canonical_status(form: dict) -> str | None:
    """Checkout status + fulfillment status (section 6); None for a value we do not know (kept + alert)."""
    checkout, fulfillment = form["status"], fulfillment_status(form)
    if checkout == "CANCELLED" or fulfillment == "CANCELLED":
        return "cancelled"
    if checkout in UNPAID_CHECKOUT:
        return "awaiting_payment"
    if checkout != "READY_FOR_PROCESSING":
        return None
    if fulfillment in ("NEW", "PROCESSING"):
        if is_cod(form):
            return "new" if fulfillment == "NEW" else "confirmed"
        return "paid"
    return FULFILLMENT_MAP.get(fulfillment)


def _money(value, what: str) -> tuple[Decimal, str]:
    if not value:
        return Decimal(0), "PLN"
    data = _MONEY.load(value) if isinstance(value, dict) else None
    if data is None:
        raise ValidationError(f"{what} is not an amount")
    return data["amount"], data["currency"]


def _lines(items: list[dict]) -> tuple[CanonicalLine, ...]:
    lines = []
    for item in items:
        if item["quantity"] < 1:
            raise ValidationError({"lineItems": f"line {item['id']}: quantity {item['quantity']} is not positive"})
        external = str((item["offer"].get("external") or {}).get("id") or "").strip()
        lines.append(CanonicalLine(line_key=item["id"], sku=external, quantity=item["quantity"],
                                   unit_price=(item.get("price") or {}).get("amount", Decimal(0)),
                                   name=item["offer"].get("name") or "", product_ref=item["offer"]["id"]))
    return tuple(lines)


def _placed_at(items: list[dict]) -> datetime | None:
    moments = [when(item.get("boughtAt")) for item in items if item.get("boughtAt")]
    return min(moments) if moments else None


def _people(data: dict) -> tuple[dict, dict]:
    """(buyer, shipping address) in our keys; they stay in the database, never in logs."""
    buyer, address = data.get("buyer") or {}, (data.get("delivery") or {}).get("address") or {}
    home = buyer.get("address") or {}
    person = {"first_name": buyer.get("firstName") or "", "last_name": buyer.get("lastName") or "",
              "phone": buyer.get("phoneNumber") or "", "email": buyer.get("email") or "",
              "company": buyer.get("companyName") or ""}
    ship = {"first_name": address.get("firstName") or person["first_name"],
            "last_name": address.get("lastName") or person["last_name"],
            "company": address.get("companyName") or "",
            "address_1": address.get("street") or home.get("street") or "",
            "city": address.get("city") or home.get("city") or "",
            "postcode": address.get("zipCode") or home.get("postCode") or "",
            "country": address.get("countryCode") or home.get("countryCode") or "PL",
            "phone": address.get("phoneNumber") or person["phone"]}
    return person, ship


def _delivery(data: dict) -> dict:
    delivery = data.get("delivery") or {}
    method, point = delivery.get("method") or {}, delivery.get("pickupPoint") or {}
    return {"method_id": str(method.get("id") or ""), "method_title": str(method.get("name") or ""),
            "meta": {"pickup_point": str(point.get("id") or ""), "pickup_point_name": str(point.get("name") or ""),
                     "method_id": str(method.get("id") or ""), "method_name": str(method.get("name") or "")}}


def order_from_allegro(payload: dict) -> tuple[CanonicalOrder, str]:
    """(canonical order, payment status) of a checkout form; raises ValidationError on a malformed one."""
    data = _FORM.load(payload)
    total, currency = _money((data.get("summary") or {}).get("totalToPay"), "summary.totalToPay")
    cod, paid = is_cod(data), payment_status(data)
    buyer, ship = _people(data)
    canon = CanonicalOrder(
        external_id=data["id"], number=data["id"], status=canonical_status(data),
        raw_status=f"{data['status']}/{fulfillment_status(data)}", currency=currency, total=total,
        updated_at=when(data.get("updatedAt")), placed_at=_placed_at(data["lineItems"]),
        lines=_lines(data["lineItems"]), payment_method="cod" if cod else "allegro",
        transaction_id=str((data.get("payment") or {}).get("id") or "") if paid == "paid" else "",
        cod_amount=total if cod else None, buyer=buyer, shipping_address=ship, delivery=_delivery(data))
    return canon, paid


# -- the journal and the sweep ---------------------------------------------------------------------

def event_key(event: dict) -> str:
    """Inbox key of a journal event: its id (DESIGN section 5: marketplace + event id)."""
    return f"event:{event['id']}"


def form_key(form: dict) -> str:
    """Inbox key of a swept form: its revision changes on every change, ``updatedAt`` does not (pitfall 4)."""
    return f"form:{form['id']}:{form.get('revision') or ''}"


def event_form_id(event: dict) -> str:
    try:
        return str(event["order"]["checkoutForm"]["id"])
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"journal event {event.get('id')!r} names no checkout form") from exc


def event_meta(event: dict) -> dict:
    return {"event": event.get("type"), "event_id": event.get("id")}


# -- stock ----------------------------------------------------------------------------------------

def seq(push: StockPush) -> int:
    return int((push.state or {}).get("seq") or 0)


def is_ended(push: StockPush) -> bool:
    return bool((push.state or {}).get("ended"))


def command_id(scope: str, kind: str, figure: int, pushes: list[StockPush]) -> str:
    """uuid5 over (account, kind, figure, sorted (offer, listing seq)): a retry of the same logical change
    reuses the id (Allegro answers 409: read its report), a new change (seq moved on) gets a new one."""
    pairs = sorted({(p.ref, seq(p)) for p in pushes})
    return str(uuid.uuid5(NAMESPACE, f"{scope}|{kind}|{figure}|" + ",".join(f"{r}@{s}" for r, s in pairs)))


def plan_quantity(pushes: list[StockPush]) -> list[tuple[int, list[StockPush]]]:
    """Figures >= 1 grouped by figure (FIXED takes one value per command), ``COMMAND_BATCH`` offers each."""
    groups: dict[int, list[StockPush]] = defaultdict(list)
    for push in pushes:
        groups[push.figure].append(push)
    return [(figure, items[i:i + COMMAND_BATCH]) for figure, items in sorted(groups.items())
            for i in range(0, len(items), COMMAND_BATCH)]


def _criteria(pushes: list[StockPush]) -> list[dict]:
    refs = list(dict.fromkeys(p.ref for p in pushes))
    return [{"type": "CONTAINS_OFFERS", "offers": [{"id": ref} for ref in refs]}]


def quantity_body(figure: int, pushes: list[StockPush]) -> dict:
    """``PUT /sale/offer-quantity-change-commands/{id}`` body (fixture ``..._put_request.json``)."""
    return {"modification": {"changeType": "FIXED", "value": figure}, "offerCriteria": _criteria(pushes)}


def publication_body(action: str, pushes: list[StockPush]) -> dict:
    """``PUT /sale/offer-publication-commands/{id}`` body: ACTIVATE an ended offer again (pitfall 7)."""
    return {"publication": {"action": action}, "offerCriteria": _criteria(pushes)}


def zero_stock_body() -> dict:
    """``PATCH /sale/product-offers/{id}``: the only way to show zero (commands refuse it); the offer ends."""
    return {"stock": {"available": 0, "unit": "UNIT"}}


def ends_offer(answer: dict) -> bool:
    """Whether stock 0 ends the offer (so that stock > 0 must ACTIVATE it again): not for an INACTIVE one
    (a draft the seller never published: we must not publish it later)."""
    return str((answer.get("publication") or {}).get("status") or "") != "INACTIVE"


def is_done(report: dict) -> bool:
    """A GeneralReport is final when ``completedAt`` is set or every task has an outcome."""
    counts = report.get("taskCount") or {}
    total = int(counts.get("total") or 0)
    return bool(report.get("completedAt")) or (total > 0 and int(counts.get("success") or 0) +
                                               int(counts.get("failed") or 0) >= total)


def task_outcomes(tasks: list[dict]) -> dict[str, tuple[str, str]]:
    """offer id -> (task status, plain reason) from ``GET .../tasks`` (fixture ``..._tasks_response.json``)."""
    outcomes = {}
    for task in tasks:
        errors = task.get("errors") or []
        reason = "; ".join(f"{e.get('code')}: {e.get('message') or e.get('userMessage') or ''}".strip(": ")
                           for e in errors if isinstance(e, dict)) or str(task.get("message") or "")
        outcomes[str((task.get("offer") or {}).get("id"))] = (str(task.get("status") or ""), reason)
    return outcomes


def next_state(push: StockPush, **changes) -> dict:
    """The listing state after one attempt: ``seq`` moves on (the next change gets a new command id)."""
    state = {**(push.state or {}), "seq": seq(push) + 1, **changes}
    if not state.get("ended"):
        state.pop("ended", None)
    return state


def quantity_result(push: StockPush, outcome: tuple[str, str] | None, wait: float) -> PushResult:
    """One offer's answer in a finished (or unfinished: ``outcome`` None) quantity command."""
    if outcome is None or outcome[0] not in ("SUCCESS", "FAIL"):
        return PushResult(push.listing_id, push.figure, retry_in=wait)
    if outcome[0] == "FAIL":
        return PushResult(push.listing_id, push.figure, state=next_state(push),
                          error=f"Allegro refused stock {push.figure} for offer {push.ref}: {outcome[1] or 'failed'}")
    return PushResult(push.listing_id, push.figure, state=next_state(push))


def offer_from_allegro(offer: dict) -> Offer:
    """A ``GET /sale/offers`` item for the SKU mapping: ref = offer id, sku = ``external.id``."""
    stock = (offer.get("stock") or {}).get("available")
    status = (offer.get("publication") or {}).get("status")
    return Offer(ref=str(offer["id"]), sku=str((offer.get("external") or {}).get("id") or "").strip(),
                 name=str(offer.get("name") or ""), quantity=int(stock) if isinstance(stock, int) else None,
                 active=status != "ENDED")  # a draft (INACTIVE) is the seller's: never "ended" by us


# -- status back ----------------------------------------------------------------------------------

def is_closed(form: dict) -> bool:
    """Cancelled by the buyer / Allegro, cancelled or returned: the seller has nothing more to tell."""
    return form.get("status") == "CANCELLED" or fulfillment_status(form) in FINAL_FULFILLMENT


def fulfillment_target(change: StatusChange, form: dict) -> str | None:
    """The fulfillment status to send for ``change``, or None when the form already shows it or more
    (fulfillment never moves backwards; a cancelled or returned order, or an unknown status, takes nothing).
    A cancel of a sent order is refused by the caller (:func:`too_late_to_cancel`)."""
    target, current = TARGETS[change.target], fulfillment_status(form)
    if is_closed(form) or current not in FULFILLMENT_RANK:
        return None
    if target == "CANCELLED":
        return target
    return target if FULFILLMENT_RANK[current] < FULFILLMENT_RANK[target] else None


def too_late_to_cancel(change: StatusChange, form: dict) -> bool:
    return change.target == "cancelled" and FULFILLMENT_RANK.get(fulfillment_status(form), 0) >= \
        FULFILLMENT_RANK["SENT"]


def fulfillment_body(status: str) -> dict:
    """``PUT .../fulfillment`` body (fixture ``checkout_form_fulfillment_put_request.json``)."""
    return {"status": status, **({"shipmentSummary": {"lineItemsSent": "ALL"}} if status == "SENT" else {})}


def waybill_body(change: StatusChange) -> dict:
    """``POST .../shipments`` body: carrierId from our carrier name; OTHER needs a carrierName (<= 30)."""
    carrier = CARRIERS.get(change.carrier.lower(), "OTHER")
    body = {"carrierId": carrier, "waybill": change.tracking_number.strip()}
    if carrier == "OTHER":
        body["carrierName"] = (change.carrier or "Inny przewoźnik")[:30]
    return body


def has_waybill(shipments: list[dict], waybill: str) -> bool:
    """The waybill is listed already (added by us, the carrier or Moje Allegro): adding it again duplicates it."""
    wanted = waybill.strip().upper()
    return any(str(s.get("waybill") or "").strip().upper() == wanted for s in shipments)
