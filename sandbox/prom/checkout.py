"""Buyer- and marketplace-side moves: checkout, order events and the order trickle.

Checkout (``POST /__sandbox__/orders``) sells only what the Prom listing shows: ``presence``
``available`` (or ``order``) with enough ``quantity_in_stock`` (null = unlimited); else 409
``{"error": "out_of_stock", "sku", "available"}``. It decrements ``quantity_in_stock`` (never below 0)
and creates a ``pending`` order. Prom does not give stock back on cancellation [unv].
"""

from __future__ import annotations

import random
import secrets
import threading
from collections import Counter

from .models import DELIVERY_TYPES, Order, OrderLine
from .seed import BUYERS, CITIES, city_fields, warehouse_fields
from .store import Store

ACTIONS = ("buyer_cancel", "custom", "ttn_on_the_way", "ttn_delivered", "refund", "pay")
SOURCES = ("portal", "company_site", "company_cabinet", "mobile_app", "bigl", "mobile_catalog_app")


class Refused(Exception):
    """A control request the sandbox will not do: ``status`` and JSON ``body``."""

    def __init__(self, status: int, body: dict):
        super().__init__(body)
        self.status, self.body = status, body


def _wanted(body: dict) -> Counter:
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines:
        raise Refused(400, {"error": "invalid_lines", "message": "lines: [{sku, quantity}] with at least one line"})
    wanted: Counter = Counter()
    for line in lines:
        quantity = line.get("quantity", 1) if isinstance(line, dict) else None
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1 or not line.get("sku"):
            raise Refused(400, {"error": "invalid_lines", "message": f"bad line {line!r}"})
        wanted[str(line["sku"])] += quantity
    return wanted


def _buyer(body: dict, rng: random.Random) -> tuple[dict, str]:
    first, last, second, phone, email, city = rng.choice(BUYERS)
    given = body.get("buyer") if isinstance(body.get("buyer"), dict) else {}
    buyer = {"first_name": first, "last_name": last, "second_name": second, "phone": phone, "email": email,
             **{key: given[key] for key in ("first_name", "last_name", "second_name", "phone", "email")
                if key in given}}
    return buyer, city


def _delivery(body: dict, city: str, rng: random.Random) -> dict:
    given = body.get("delivery") if isinstance(body.get("delivery"), dict) else {}
    provider = given.get("provider", "nova_poshta")
    if provider not in DELIVERY_TYPES:
        raise Refused(400, {"error": "invalid_delivery", "message": "provider: " + "|".join(DELIVERY_TYPES)})
    city = str(given.get("city") or city)
    warehouse = str(given.get("warehouse") or f"Відділення №{rng.randint(1, 120)}")
    return {"option": provider, "provider": provider, "type": "W2W", **city_fields(city),
            **warehouse_fields(city, warehouse), "declaration_number": None, "unified_status": None}


def _take_stock(store: Store, wanted: Counter) -> list[OrderLine]:
    """Check every line against the listing, then decrement (all or nothing)."""
    products = {}
    for sku, quantity in wanted.items():
        product = store.product_by_external_id(sku)
        available = 0 if product is None else product.buyable()
        if available is not None and available < quantity:
            raise Refused(409, {"error": "out_of_stock", "sku": sku, "available": available})
        products[sku] = product
    lines = []
    for sku, quantity in wanted.items():
        product = products[sku]
        if product.quantity_in_stock is not None:
            product.quantity_in_stock = max(0, product.quantity_in_stock - quantity)
            product.date_modified = store.now()
        lines.append(OrderLine(product.id, product.external_id, product.sku, product.name_uk, product.name_ru,
                               product.price, quantity))
    return lines


def place_order(store: Store, body: dict, rng: random.Random | None = None) -> Order:
    """A buyer checkout: 201 order ``pending``; cod -> payment_data null, online -> evopay paid."""
    rng = rng or random.Random()
    wanted = _wanted(body)
    payment = body.get("payment", "cod")
    if payment not in ("cod", "online"):
        raise Refused(400, {"error": "invalid_payment", "message": "payment: online|cod"})
    buyer, city = _buyer(body, rng)
    delivery = _delivery(body, city, rng)
    source = body.get("source", "portal")
    with store.lock:
        lines = _take_stock(store, wanted)
        moment = store.now()
        paid = "paid" if body.get("paid", True) else "unpaid"
        order = Order(store.next_order_id(), moment, moment, buyer, delivery, payment,
                      paid if payment == "online" else None, moment if payment == "online" else None, lines,
                      store.client_id(buyer["phone"]), source=source if source in SOURCES else "portal",
                      client_notes=str(body.get("client_notes", "")))
        return store.add_order(order)


def apply_event(store: Store, order: Order, action: str, custom_status: str) -> None:
    """``POST /__sandbox__/orders/<id>/event``: a move made by the buyer, Prom or the carrier."""
    with store.lock:
        if action in ("buyer_cancel", "custom") and order.status == "canceled":
            raise Refused(409, {"error": "order_canceled"})
        if action == "buyer_cancel":
            order.status, order.cancellation = "canceled", ("buyers_request", None)
        elif action == "custom":
            order.status = custom_status
        elif action in ("ttn_on_the_way", "ttn_delivered"):
            if not order.delivery.get("declaration_number"):
                raise Refused(409, {"error": "no_declaration"})
            order.delivery["unified_status"] = "on_the_way" if action == "ttn_on_the_way" else "delivered"
        elif action in ("refund", "pay"):
            if order.payment != "online":
                raise Refused(409, {"error": "no_online_payment"})
            order.payment_status, order.payment_modified = ("refunded" if action == "refund" else "paid"), store.now()
        else:
            raise Refused(400, {"error": "unknown_action", "actions": list(ACTIONS)})
        store.touch(order)


class OrderTrickle:
    """Every ``interval`` seconds a random buyer buys 1-2 demo lines (quantity 1-2); short stock = skip."""

    def __init__(self, store: Store, interval: float, seed: int | None = None):
        self.store, self.interval = store, float(interval)
        self.rng = random.Random(seed if seed is not None else secrets.randbits(32))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prom-sandbox-trickle", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop, after the checkout in progress (if any) is complete."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def place_one(self) -> Order | None:
        with self.store.lock:
            skus = sorted(p.external_id for p in self.store.products.values() if (p.buyable() is None or p.buyable()))
        if not skus:
            return None
        picks = self.rng.sample(skus, k=min(len(skus), self.rng.choice((1, 1, 2))))
        body = {"lines": [{"sku": sku, "quantity": self.rng.randint(1, 2)} for sku in picks],
                "payment": self.rng.choice(("cod", "cod", "online")),
                "delivery": {"city": self.rng.choice(CITIES)}}
        try:
            return place_order(self.store, body, self.rng)
        except Refused:
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.place_one()
