"""Posting moves and what they do to stock; each returns the ``Change``s that push notifications report.

checkout  -> ``awaiting_packaging`` (``posting_created``), reserved += quantity (one posting per warehouse).
ship      -> ``awaiting_deliver``; several packages split the posting into new ones (parent ->
             ``cancelled_from_split_pending``; the reservation moves to the parts).
cancel    -> ``cancelled``: reserved -= quantity, present unchanged (after handover: nothing to release).
handover  -> ``delivering``: the units leave the warehouse: present -= quantity, reserved -= quantity.
deliver   -> ``delivered`` (via handover when still ``awaiting_deliver``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .errors import ApiError, invalid
from .models import CANCELLABLE, SHIPPED, LAST_MILE_SUBSTATUS, Line, Posting, Product, now
from .store import Store


@dataclass
class Change:
    """One event a push reports: ``new`` posting, ``cancelled`` or ``state`` changed. The posting's substatus
    and change time are captured when the change is made (one call may move a posting twice)."""

    kind: str
    posting: Posting
    old_state: str = ""
    reason: dict | None = None
    new_state: str = field(init=False)
    changed_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.new_state, self.changed_at = self.posting.substatus, self.posting.status_changed_at


class OutOfStock(Exception):
    """The marketplace's own listing shows fewer units than the checkout asks for."""


def _demand(store: Store, lines: list[dict]) -> dict[int, int]:
    """``{product_id: quantity}`` of a checkout; unknown, unready or archived offers are out of stock."""
    wanted: dict[int, int] = {}
    for line in lines:
        product = store.by_offer(str(line.get("sku", "")))
        quantity = int(line.get("quantity", 1) or 0)
        if product is None or product.state != "price_sent" or product.archived or quantity < 1:
            raise OutOfStock(str(line.get("sku", "")))
        wanted[product.product_id] = wanted.get(product.product_id, 0) + quantity
    return wanted


def _pick_warehouse(product: Product, quantity: int) -> int:
    for warehouse_id, stock in product.stocks.items():
        if stock.available >= quantity:
            return warehouse_id
    raise OutOfStock(product.offer_id)


def checkout(store: Store, lines: list[dict], *, buyer: dict, delivery: dict, payment: str, rfbs: bool,
             in_process_at: datetime | None = None, shipment_date: datetime | None = None
             ) -> tuple[list[Posting], list[Change]]:
    """A buyer's order: lines grouped by warehouse into postings, each line's units reserved."""
    with store.lock:
        by_warehouse: dict[int, list[tuple[Product, int]]] = {}
        for product_id, quantity in _demand(store, lines).items():
            product = store.products[product_id]
            by_warehouse.setdefault(_pick_warehouse(product, quantity), []).append((product, quantity))
        order_id, order_number = store.next_order()
        created = now()
        postings = []
        for warehouse_id, picks in by_warehouse.items():
            for product, quantity in picks:
                product.stock(warehouse_id).reserved += quantity
            postings.append(store.add_posting(Posting(
                store.next_posting_number(order_number), order_id, order_number, warehouse_id,
                rfbs or store.warehouses[warehouse_id].is_rfbs,
                [Line(p.product_id, p.sku, p.offer_id, p.name, p.price, q) for p, q in picks],
                in_process_at or created, shipment_date or created + timedelta(days=1), buyer, delivery, payment)))
        return postings, [Change("new", posting) for posting in postings]


def _release(store: Store, posting: Posting) -> None:
    for line in posting.lines:
        stock = store.products[line.product_id].stock(posting.warehouse_id)
        stock.reserved = max(stock.reserved - line.quantity, 0)
    posting.holds_reserve = False


def _consume(store: Store, posting: Posting) -> None:
    for line in posting.lines:
        stock = store.products[line.product_id].stock(posting.warehouse_id)
        stock.present = max(stock.present - line.quantity, 0)
        stock.reserved = max(stock.reserved - line.quantity, 0)
    posting.holds_reserve = False


def _packages(posting: Posting, packages: object) -> list[list[tuple[Line, int]]]:
    """``packages[].products[] {product_id, quantity}`` as lines; ``product_id`` is Ozon's SKU (the docs'
    meaning) or the product_id of the catalog. Every unit of the posting must be in exactly one package."""
    if not isinstance(packages, list) or not packages:
        raise invalid("packages must not be empty")
    parsed, counted = [], {id(line): 0 for line in posting.lines}
    for package in packages:
        items = package.get("products") if isinstance(package, dict) else None
        if not isinstance(items, list) or not items:
            raise invalid("packages[].products must not be empty")
        content = []
        for item in items:
            ref, quantity = (item.get("product_id"), item.get("quantity")) if isinstance(item, dict) else (0, 0)
            line = next((l for l in posting.lines if str(ref) in (str(l.sku), str(l.product_id))), None)
            if line is None or not isinstance(quantity, int) or quantity < 1:
                raise invalid(f"PRODUCT_NOT_IN_POSTING: {ref}")
            counted[id(line)] += quantity
            content.append((line, quantity))
        parsed.append(content)
    if any(counted[id(line)] != line.quantity for line in posting.lines):
        raise invalid("INCORRECT_PRODUCTS_QUANTITY: the packages must hold every unit of the posting")
    return parsed


def ship(store: Store, posting: Posting, packages: object) -> tuple[list[str], list[Change]]:
    """``/v4/posting/fbs/ship``: pack; one package keeps the number, several split the posting."""
    with store.lock:
        if posting.status != "awaiting_packaging":
            raise invalid("POSTING_ALREADY_SHIPPED" if posting.status in SHIPPED else "INVALID_POSTING_STATE")
        parsed = _packages(posting, packages)
        if len(parsed) == 1:
            old = posting.move("awaiting_deliver")
            return [posting.posting_number], [Change("state", posting, old)]
        old = posting.move("cancelled_from_split_pending")
        posting.holds_reserve = False
        changes, numbers = [Change("state", posting, old)], []
        for content in parsed:
            part = store.add_posting(Posting(
                store.next_posting_number(posting.order_number), posting.order_id, posting.order_number,
                posting.warehouse_id, posting.rfbs,
                [Line(l.product_id, l.sku, l.offer_id, l.name, l.price, q) for l, q in content],
                posting.in_process_at, posting.shipment_date, posting.buyer, posting.delivery, posting.payment,
                parent_posting_number=posting.posting_number))
            changes.append(Change("state", part, part.move("awaiting_deliver")))
            numbers.append(part.posting_number)
        return numbers, changes


INITIATORS = {"seller": "Продавец", "client": "Покупатель", "ozon": "Ozon"}


def cancel(store: Store, posting: Posting, reason_id: int, title: str, message: str,
           kind: str = "seller") -> list[Change]:
    """Cancel: reserved units are released (present unchanged); after handover nothing is released."""
    with store.lock:
        after_ship = not posting.holds_reserve and posting.status in ("delivering", "driver_pickup")
        if posting.holds_reserve:
            _release(store, posting)
        posting.cancellation = {"cancel_reason_id": reason_id, "cancel_reason": title, "cancellation_type": kind,
                                "cancelled_after_ship": after_ship, "affect_cancellation_rating": kind == "seller",
                                "cancellation_initiator": INITIATORS.get(kind, kind)}
        old = posting.move("cancelled")
        return [Change("cancelled", posting, old, {"id": reason_id, "message": message or title})]


def handover(store: Store, posting: Posting) -> list[Change]:
    """``awaiting_deliver -> delivering``: the units leave the warehouse (present and reserved drop)."""
    with store.lock:
        if posting.status != "awaiting_deliver":
            raise ApiError(400, "INVALID_POSTING_STATE")
        _consume(store, posting)
        posting.delivering_date = now()
        return [Change("state", posting, posting.move("delivering"))]


def last_mile(store: Store, posting: Posting) -> list[Change]:
    """rFBS ``delivering -> last mile`` (status stays ``delivering``; substatus ``posting_in_courier_service``)."""
    with store.lock:
        if posting.status != "delivering":
            raise ApiError(400, "INVALID_POSTING_STATE")
        return [Change("state", posting, posting.move("delivering", LAST_MILE_SUBSTATUS))]


def deliver(store: Store, posting: Posting) -> list[Change]:
    """``delivering -> delivered``; from ``awaiting_deliver`` through a handover first."""
    with store.lock:
        changes = handover(store, posting) if posting.status == "awaiting_deliver" else []
        if posting.status != "delivering":
            raise ApiError(400, "INVALID_POSTING_STATE")
        return changes + [Change("state", posting, posting.move("delivered"))]


def arbitrate(store: Store, posting: Posting) -> list[Change]:
    """A dispute opens: ``arbitration`` (stock unchanged)."""
    with store.lock:
        if posting.status in ("cancelled", "delivered", "cancelled_from_split_pending", "arbitration"):
            raise ApiError(400, "INVALID_POSTING_STATE")
        return [Change("state", posting, posting.move("arbitration"))]


def cancellable(posting: Posting) -> bool:
    return posting.status in CANCELLABLE
