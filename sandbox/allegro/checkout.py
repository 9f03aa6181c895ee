"""Buyer-side life of a checkout form: purchase (BOUGHT -> FILLED_IN -> READY_FOR_PROCESSING), payment,
cancellation, return, and the seller's fulfillment changes; each change writes its journal event.

Quirks kept: the offer's stock drops at BOUGHT and a sold-out offer ENDS; a cancel does not give stock
back [unv]; fulfillment changes (seller PUT or Allegro's RETURNED) get a new revision and a
``FULFILLMENT_STATUS_CHANGED`` event but do NOT bump ``updatedAt`` (pitfall 4).
"""

from __future__ import annotations

import random
import secrets
import string
import uuid
from datetime import timedelta
from decimal import Decimal

from .replies import now, stamp
from .store import Form, Offer, Store

BUYERS = [  # first, last, street, city, post code, phone
    ("Zażółć", "Gęślowska", "ul. Świętokrzyska 12/4", "Łódź", "90-001", "+48 600 100 200"),
    ("Jędrzej", "Kaźmierczak", "ul. Żeglarska 7", "Gdańsk", "80-831", "+48 501 234 567"),
    ("Małgorzata", "Wiśniewska-Łęcka", "al. Róż 3 m. 15", "Kraków", "31-008", "+48 602 345 678"),
    ("Grzegorz", "Brzęczyszczykiewicz", "ul. Źródlana 21", "Wrocław", "50-142", "+48 790 111 222"),
    ("Ґалина", "Щукіна", "ul. Grunwaldzka 182", "Poznań", "60-166", "+48 512 987 654"),
]
LOCKERS = [("POZ08A", "Stacja paliw", "Grunwaldzka 108", "60-166", "Poznań"),
           ("KRA01M", "Przy Żabce", "Długa 12", "31-147", "Kraków"),
           ("WAW22N", "Parking Biedronki", "Puławska 145", "02-715", "Warszawa"),
           ("LOD14A", "Obok apteki", "Piotrkowska 220", "90-361", "Łódź")]
#: (kind, cash on delivery) -> delivery method id, name, cost (ids are stable sandbox UUIDs [unv]).
METHODS = {("locker", False): ("1fa56f79-4b6a-4821-a6f2-ca9c16d5c925", "Allegro Paczkomaty InPost", "9.99"),
           ("locker", True): ("2488f7b7-5d1c-4d65-b85c-4cbcf253fd93", "Allegro Paczkomaty InPost pobranie", "13.99"),
           ("courier", False): ("7203cb90-864c-4cda-bf08-dc883f0c78ad", "Allegro Kurier DPD", "14.99"),
           ("courier", True): ("259b3d05-6bbf-4b05-8ba3-0e4de9e2b6d1", "Allegro Kurier DPD pobranie", "18.99")}
PAYMENTS = ("online", "cod", "unpaid")
_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


class CheckoutRefused(Exception):
    def __init__(self, status: int, error: str, **extra) -> None:
        super().__init__(error)
        self.status, self.error, self.extra = status, error, extra


def money(amount: Decimal | str) -> dict:
    return {"amount": str(Decimal(amount).quantize(Decimal("0.01"))), "currency": "PLN"}


def _buyer(rng: random.Random, override: dict) -> dict:
    first, last, street, city, post, phone = rng.choice(BUYERS)
    login = (first[:1] + last).translate(_ASCII).lower()
    login = login if login.isascii() else f"kupujacy{rng.randint(100, 999)}"
    local = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(10))
    buyer = {"id": str(rng.randint(10**7, 10**8 - 1)), "email": f"{local}+{secrets.token_hex(4)}@allegromail.pl",
             "login": f"{login}_{rng.randint(1, 99)}", "firstName": first, "lastName": last, "companyName": None,
             "guest": False, "personalIdentity": None, "phoneNumber": phone, "preferences": {"language": "pl-PL"},
             "address": {"street": street, "city": city, "postCode": post, "countryCode": "PL"}}
    return {**buyer, **override}


def _delivery(rng: random.Random, override: dict, buyer: dict, cod: bool) -> dict:
    kind = "locker" if "pickupPoint" in override else "courier" if "address" in override else \
        override.get("type", "locker")
    kind = kind if kind in ("locker", "courier") else "locker"
    method_id, name, cost = METHODS[(kind, cod)]
    address = buyer.get("address") or {}
    moment = now()
    delivery = {
        "address": {"firstName": buyer.get("firstName"), "lastName": buyer.get("lastName"),
                    "street": address.get("street"), "city": address.get("city"), "zipCode": address.get("postCode"),
                    "countryCode": address.get("countryCode", "PL"), "companyName": None,
                    "phoneNumber": "".join(c for c in str(buyer.get("phoneNumber", "")) if c.isdigit())[-9:],
                    "modifiedAt": None, **(override.get("address") or {})},
        "method": {"id": method_id, "name": name, **(override.get("method") or {})},
        "pickupPoint": None, "cost": money(override.get("cost", cost)),
        "time": {"from": None, "to": None, "guaranteed": None,
                 "dispatch": {"from": stamp(moment), "to": stamp(moment + timedelta(days=1))}},
        "smart": False, "calculatedNumberOfPackages": 1}
    if kind == "locker":
        code, description, street, post, city = rng.choice(LOCKERS)
        point = override.get("pickupPoint") or {}
        code = str(point.get("id", code))
        delivery["pickupPoint"] = {"id": code, "name": f"Paczkomat {code}", "description": description,
                                   "address": {"street": street, "zipCode": post, "city": city, "countryCode": "PL"},
                                   **point}
    return delivery


def _line_item(offer: Offer, quantity: int, bought: str) -> dict:
    return {"id": str(uuid.uuid4()), "offer": {"id": offer.id, "name": offer.name, "external": {"id": offer.sku}},
            "quantity": quantity, "originalPrice": money(offer.price), "price": money(offer.price), "boughtAt": bought}


def _payment(kind: str) -> dict:
    """Unpaid so far: ``pay`` fills finishedAt/paidAmount for ONLINE; COD stays without paidAmount."""
    return {"id": str(uuid.uuid4()), "type": "CASH_ON_DELIVERY" if kind == "cod" else "ONLINE",
            "provider": None if kind == "cod" else "P24", "finishedAt": None, "paidAmount": None,
            "reconciliation": None, "features": []}


def build_form(picks: list[tuple[Offer, int]], payment: str, body: dict, rng: random.Random) -> Form:
    """A checkout form in state BOUGHT (shape of ``checkout_form_response.json``)."""
    moment = now()
    buyer = _buyer(rng, dict(body.get("buyer") or {}))
    delivery = _delivery(rng, dict(body.get("delivery") or {}), buyer, payment == "cod")
    items = [_line_item(offer, quantity, stamp(moment)) for offer, quantity in picks]
    goods = sum((Decimal(offer.price) * quantity for offer, quantity in picks), Decimal(0))
    total = money(goods + Decimal(delivery["cost"]["amount"]))
    form_id = str(uuid.uuid4())
    form_body = {"id": form_id, "messageToSeller": body.get("messageToSeller"), "buyer": buyer,
                 "payment": _payment(payment), "status": "BOUGHT",
                 "fulfillment": {"status": "NEW", "shipmentSummary": {"lineItemsSent": "NONE"}},
                 "delivery": delivery, "invoice": {"required": False, "address": None, "dueDate": None},
                 "lineItems": items, "surcharges": [], "discounts": [], "note": {"text": ""},
                 "marketplace": {"id": "allegro-pl"}, "summary": {"totalToPay": total},
                 "updatedAt": stamp(moment), "revision": secrets.token_hex(4)}
    return Form(form_id, form_body, moment)


def _picks(store: Store, lines: list) -> list[tuple[Offer, int]]:
    wanted: dict[str, int] = {}
    for line in lines:
        if not isinstance(line, dict) or not line.get("sku"):
            raise CheckoutRefused(400, "invalid_line", line=line)
        quantity = line.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise CheckoutRefused(400, "invalid_quantity", line=line)
        wanted[str(line["sku"])] = wanted.get(str(line["sku"]), 0) + quantity
    picks = []
    for sku, quantity in wanted.items():
        offer = store.offer_by_sku(sku)
        if offer is None:
            raise CheckoutRefused(404, "unknown_sku", sku=sku)
        if offer.buyable < quantity:
            raise CheckoutRefused(409, "out_of_stock", sku=sku, available=offer.buyable)
        picks.append((offer, quantity))
    return picks


def place(store: Store, body: dict, rng: random.Random | None = None) -> Form:
    """``POST /__sandbox__/orders``: what a buyer does on allegro.pl, with every journal event."""
    rng = rng or random.Random()
    payment = str(body.get("payment", "online"))
    if payment not in PAYMENTS:
        raise CheckoutRefused(400, "invalid_payment", allowed=list(PAYMENTS))
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines:
        raise CheckoutRefused(400, "lines_required")
    with store.lock:
        picks = _picks(store, lines)
        form = build_form(picks, payment, body, rng)
        store.forms[form.id] = form
        for offer, quantity in picks:
            store.set_stock(offer, offer.available - quantity)
        store.emit(form, "BOUGHT")
        step(store, form, "FILLED_IN", "FILLED_IN")
        if payment != "unpaid":
            pay(store, form)
        return form


def step(store: Store, form: Form, status: str, event: str) -> None:
    """A checkout change: status, new revision, ``updatedAt`` bumped, journal event."""
    with store.lock:
        form.body["status"] = status
        form.new_revision()
        form.body["updatedAt"] = stamp(now())
        store.emit(form, event)


def pay(store: Store, form: Form) -> None:
    """Payment done (or COD chosen): READY_FOR_PROCESSING; again on a ready form = a 2nd event (extended terms)."""
    with store.lock:
        payment = form.body["payment"]
        if payment["type"] == "ONLINE" and payment["finishedAt"] is None:
            total = form.body["summary"]["totalToPay"]
            payment.update(finishedAt=stamp(now()), paidAmount=dict(total), reconciliation=dict(total))
        step(store, form, "READY_FOR_PROCESSING", "READY_FOR_PROCESSING")


def set_fulfillment(store: Store, form: Form, status: str, summary: dict | None = None) -> bool:
    """Seller (or Allegro, RETURNED) fulfillment change; False when nothing changed (no revision, no event)."""
    with store.lock:
        fulfillment = form.body["fulfillment"]
        new_summary = {**fulfillment["shipmentSummary"], **(summary or {})}
        if fulfillment["status"] == status and new_summary == fulfillment["shipmentSummary"]:
            return False
        changed_status = fulfillment["status"] != status
        fulfillment["status"], fulfillment["shipmentSummary"] = status, new_summary
        form.new_revision()
        if changed_status:
            store.emit(form, "FULFILLMENT_STATUS_CHANGED")
        return True
