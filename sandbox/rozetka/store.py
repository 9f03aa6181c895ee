"""The Rozetka sandbox's state: items (the seller's goods), orders and the seller-call log, under one lock.

Every read-modify-write holds ``Store.lock`` (an RLock, so helpers nest). Ids are ints: orders from
FIRST_ORDER_ID (default 780000001), items (``rz_item_id``) from FIRST_ITEM_ID (default 410000001), purchases
from 520000001 [unv: real ids are 8-9 digit ints without a known pattern].
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from .clock import Clock, iso

CENT = Decimal("0.01")
#: (id, name ru, parent id, name uk)
DEFAULT_CATEGORY = (4630262, "Товары для дома", 2394287, "Товари для дому")


def money(value: Decimal) -> str:
    """Rozetka's money strings: ``"640.00"``."""
    return str(Decimal(value).quantize(CENT))


@dataclass
class Item:
    """A seller item as ``/goods/all`` lists it; ``price_offer_id`` is the seller's SKU."""

    rz_item_id: int
    item_id: int
    price_offer_id: str
    name_ua: str
    name_ru: str
    price: Decimal
    stock_quantity: int
    article: str = ""
    rz_group_id: int | None = None
    category: tuple[int, str, int, str] = DEFAULT_CATEGORY
    created_at: int = 0
    sold: int = 0
    updated_price: Decimal | None = None

    @property
    def available(self) -> int:
        """1 in stock, 0 not (buyers can only buy what Rozetka shows in stock)."""
        return 1 if self.stock_quantity > 0 else 0

    @property
    def url(self) -> str:
        return f"https://rozetka.com.ua/{self.rz_item_id}/p{self.rz_item_id}/"

    @property
    def photo(self) -> str:
        return f"https://content.rozetka.com.ua/goods/images/preview/{self.rz_item_id}.jpg"


@dataclass
class Purchase:
    """One order line; name and price are those at checkout."""

    id: int
    item: Item
    quantity: int
    price: Decimal
    name_ua: str
    name_ru: str


@dataclass
class Order:
    id: int
    created: int
    changed: int
    status: int
    payment_type: str                      # "cash" (COD) | "online"
    buyer: dict                            # first_name, last_name, second_name, phone, user_id
    delivery: dict                         # the expanded ``delivery`` object
    purchases: list[Purchase]
    comment: str = ""
    ttn: str = ""
    seller_comments: list[dict] = field(default_factory=list)
    history: list[tuple[int, int]] = field(default_factory=list)
    last_update_status: int = 0
    is_viewed: bool = False
    calls: list[dict] = field(default_factory=list)
    lost_changes: int = 0

    @property
    def amount(self) -> Decimal:
        return sum((p.price * p.quantity for p in self.purchases), Decimal("0"))

    @property
    def total_quantity(self) -> int:
        return sum(p.quantity for p in self.purchases)


class Store:
    """Items by ``rz_item_id`` (and SKU), orders by id, the call log, the lose/duplicate counters."""

    def __init__(self, clock: Clock, first_order_id: int = 780_000_001, first_item_id: int = 410_000_001):
        self.lock = threading.RLock()
        self.clock = clock
        self._first_order_id, self._first_item_id = first_order_id, first_item_id
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.items: dict[int, Item] = {}
            self.by_sku: dict[str, Item] = {}
            self.orders: dict[int, Order] = {}
            self.calls: deque[dict] = deque(maxlen=20_000)
            self.lose = self.duplicate = 0
            self._next_order, self._next_item = self._first_order_id, self._first_item_id
            self._next_purchase = 520_000_001

    # -- items ---------------------------------------------------------------------------------
    def upsert_item(self, sku: str, quantity: int, name_ua: str, name_ru: str | None = None,
                    price: Decimal = Decimal("100.00"), **extra) -> tuple[Item, bool]:
        """Create the item of ``sku`` or update its stock/name/price; (item, created)."""
        with self.lock:
            item = self.by_sku.get(sku)
            if item is not None:
                item.stock_quantity, item.name_ua, item.name_ru = quantity, name_ua, name_ru or name_ua
                item.price = price
                return item, False
            item = Item(self._next_item, self._next_item - self._first_item_id + 100_001, sku, name_ua,
                        name_ru or name_ua, price, quantity, created_at=self.clock.seconds(), **extra)
            self._next_item += 1
            self.items[item.rz_item_id] = item
            self.by_sku[sku] = item
            return item, True

    # -- orders --------------------------------------------------------------------------------
    def new_order(self, status: int, payment_type: str, buyer: dict, delivery: dict,
                  lines: list[tuple[Item, int]], comment: str = "") -> Order:
        """Place an order (created = changed = now) and take its units off the items' stock."""
        with self.lock:
            now = self.clock.seconds()
            purchases = []
            for item, quantity in lines:
                purchases.append(Purchase(self._next_purchase, item, quantity, item.price, item.name_ua, item.name_ru))
                self._next_purchase += 1
                item.stock_quantity -= quantity
                item.sold += quantity
            order = Order(self._next_order, now, now, status, payment_type, buyer, delivery, purchases, comment,
                          history=[(status, now)], last_update_status=now)
            self._next_order += 1
            self.orders[order.id] = order
            return order

    def set_status(self, order: Order, status: int) -> None:
        """A status change (history + ``last_update_status``); ``touch`` bumps ``changed``."""
        with self.lock:
            now = self.clock.seconds()
            order.status, order.last_update_status = status, now
            order.history.append((status, now))

    def touch(self, order: Order) -> None:
        """Bump ``changed`` - unless a ``lose`` is pending: then the change keeps the OLD ``changed``."""
        with self.lock:
            if self.lose > 0:
                self.lose -= 1
                order.lost_changes += 1
                return
            order.changed = self.clock.seconds()

    def take_duplicate(self) -> bool:
        """True (once per queued ``duplicate``) when this search answer repeats its orders."""
        with self.lock:
            if self.duplicate <= 0:
                return False
            self.duplicate -= 1
            return True

    # -- seller call log -----------------------------------------------------------------------
    def log_call(self, method: str, path: str, query: str, status: int, fault: str | None = None) -> None:
        entry = {"method": method, "path": path, "query": query, "status": status, "time": iso(self.clock.time())}
        if fault:
            entry["fault"] = fault
        with self.lock:
            self.calls.append(entry)
