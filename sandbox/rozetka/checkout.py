"""Buyer-side moves: checkout (``POST /__sandbox__/orders``), order events and the order trickle.

Checkout: Rozetka never sells what it does not show, so a line asking for more than the item's
``stock_quantity`` refuses the whole order (409 ``out_of_stock``); otherwise the order is placed in status 1
(``payment``: "cod" -> ``payment_type`` "cash", "online" -> "online"; "unpaid" -> "online" in status 55,
awaiting payment) and the items' ``stock_quantity`` drops by the units bought. Cancellations and returns do
NOT put units back [unv]: the seller's own stock push is the truth.
"""

from __future__ import annotations

import random
import secrets
import threading

from .clock import day
from .seed import delivery, random_buyer
from .store import Order, Store

PAYMENTS = {"cod": ("cash", 1), "cash": ("cash", 1), "online": ("online", 1), "unpaid": ("online", 55)}
#: action -> (new status, statuses it may happen in) [unv: the sources]
EVENTS: dict[str, tuple[int, frozenset[int]]] = {
    "buyer_cancel": (45, frozenset({1, 26, 47, 55, 2, 61})),
    "handed": (3, frozenset({2, 61})),
    "delivering": (4, frozenset({3})),
    "at_pickup": (5, frozenset({3, 4})),
    "delivered": (6, frozenset({3, 4, 5})),
    "not_picked_up": (11, frozenset({4, 5})),
    "refused": (12, frozenset({4, 5})),
    "returned": (19, frozenset({3, 4, 5, 11, 12, 30})),
    "reserve_expired": (30, frozenset({5})),
}
BUYER_FIELDS = ("first_name", "last_name", "second_name", "phone")


class BuyerError(Exception):
    """A refused control request: HTTP ``status`` with ``body``."""

    def __init__(self, status: int, body: dict):
        super().__init__(body.get("error"))
        self.status, self.body = status, body


def _lines(store: Store, raw: object) -> list[tuple]:
    if not isinstance(raw, list) or not raw:
        raise BuyerError(400, {"error": "invalid_lines", "message": "lines: [{sku, quantity}] required"})
    wanted: dict[str, int] = {}
    for line in raw:
        sku = str(line.get("sku", "")) if isinstance(line, dict) else ""
        quantity = line.get("quantity", 1) if isinstance(line, dict) else 0
        if sku not in store.by_sku:
            raise BuyerError(400, {"error": "unknown_sku", "sku": sku})
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise BuyerError(400, {"error": "invalid_quantity", "sku": sku})
        wanted[sku] = wanted.get(sku, 0) + quantity
    for sku, quantity in wanted.items():
        if quantity > store.by_sku[sku].stock_quantity:
            raise BuyerError(409, {"error": "out_of_stock", "sku": sku,
                                   "available": max(0, store.by_sku[sku].stock_quantity)})
    return [(store.by_sku[sku], quantity) for sku, quantity in wanted.items()]


def place_order(store: Store, body: dict, rng: random.Random | None = None) -> Order:
    """A buyer checkout (see the module docstring). Raises BuyerError (400/409)."""
    rng = rng or random.Random()
    payment = str(body.get("payment", "cod"))
    if payment not in PAYMENTS:
        raise BuyerError(400, {"error": "invalid_payment", "allowed": sorted(PAYMENTS)})
    payment_type, status = PAYMENTS[payment]
    given = body.get("buyer") if isinstance(body.get("buyer"), dict) else {}
    buyer = {**random_buyer(rng), **{k: str(given[k]) for k in BUYER_FIELDS if k in given}}
    wanted_delivery = body.get("delivery") if isinstance(body.get("delivery"), dict) else {}
    place = delivery(rng, wanted_delivery)
    place["recipient_title"] = place["recipient_title"] or f"{buyer['last_name']} {buyer['first_name']}"
    with store.lock:
        lines = _lines(store, body.get("lines"))
        return store.new_order(status, payment_type, buyer, place, lines, str(body.get("comment", "")))


def apply_event(store: Store, order: Order, action: str, body: dict) -> None:
    """``POST /__sandbox__/orders/<id>/event``: a buyer/carrier move; bumps ``changed`` (unless ``lose``).

    ``buyer_edit`` changes ``buyer`` fields (``{"buyer": {"phone": ...}}``) without a status change;
    ``handed`` needs a TTN (the order's, or ``"ttn"`` in the body); ``at_pickup`` sets ``reserve_date``."""
    with store.lock:
        if action == "buyer_edit":
            given = body.get("buyer") if isinstance(body.get("buyer"), dict) else {}
            order.buyer.update({k: str(given[k]) for k in BUYER_FIELDS if k in given})
            store.touch(order)
            return
        if action not in EVENTS:
            raise BuyerError(400, {"error": "unknown_action", "allowed": sorted([*EVENTS, "buyer_edit"])})
        target, sources = EVENTS[action]
        if order.status not in sources:
            raise BuyerError(409, {"error": "event_not_allowed", "status": order.status,
                                   "allowed_from": sorted(sources)})
        if action == "handed":
            order.ttn = str(body.get("ttn") or order.ttn)
            if not order.ttn:
                raise BuyerError(409, {"error": "ttn_required"})
        if action == "at_pickup":
            order.delivery["reserve_date"] = day(store.clock.time() + 5 * 86400)
        store.set_status(order, target)
        store.touch(order)


class OrderTrickle:
    """Every ``interval`` seconds a random checkout: 1-2 in-stock items, 1-2 units each (skipped when short)."""

    def __init__(self, store: Store, interval: float, seed: int | None = None) -> None:
        self.store, self.interval = store, float(interval)
        self.rng = random.Random(seed if seed is not None else secrets.randbits(32))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rozetka-sandbox-trickle", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _body(self) -> dict | None:
        with self.store.lock:
            buyable = [item.price_offer_id for item in self.store.items.values() if item.stock_quantity > 0]
        if not buyable:
            return None
        picks = self.rng.sample(buyable, k=min(len(buyable), self.rng.choice((1, 1, 2))))
        return {"lines": [{"sku": sku, "quantity": self.rng.randint(1, 2)} for sku in picks],
                "payment": self.rng.choices(("cod", "online", "unpaid"), weights=(6, 3, 1))[0]}

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            body = self._body()
            if body is None:
                continue
            try:
                place_order(self.store, body, self.rng)
            except BuyerError:
                continue
