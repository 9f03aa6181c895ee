"""Thread-safe in-memory state of the Prom sandbox: one ``RLock`` guards every read-modify-write.

Also the feed faults of ``POST /__sandbox__/lose`` (the next N order changes keep their old
``date_modified``) and ``/duplicate`` (the next N non-empty ``orders/list`` answers repeat each order).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .models import Order, Product

CALL_LOG_LIMIT = 10_000
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def article(number: int) -> str:
    """Prom's own product code (``sku``), deliberately unlike the seller's SKU (``external_id``)."""
    text = ""
    while number:
        number, digit = divmod(number, 36)
        text = _BASE36[digit] + text
    return text[-5:]


@dataclass(frozen=True)
class Page:
    """A ``last_id`` page: ids below ``last_id`` (when given), newest (highest id) first, ``limit`` of them."""

    limit: int = 100
    last_id: int | None = None

    def cut(self, items: list) -> list:
        ordered = sorted(items, key=lambda item: item.id, reverse=True)
        if self.last_id is not None:
            ordered = [item for item in ordered if item.id < self.last_id]
        return ordered[:self.limit]


@dataclass(frozen=True)
class OrderFilter:
    """``orders/list`` filters: ``status``, ``date_from/to`` (created), ``last_modified_from/to``; inclusive."""

    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    modified_from: datetime | None = None
    modified_to: datetime | None = None

    def __call__(self, order: Order) -> bool:
        return ((self.status is None or order.status == self.status)
                and _within(order.date_created, self.created_from, self.created_to)
                and _within(order.date_modified, self.modified_from, self.modified_to))


def _within(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment <= end)


class Store:
    """Products and orders by id, the feed faults and the seller call log."""

    def __init__(self, first_order_id: int = 338_390_711, first_product_id: int = 2_555_951_101):
        self.lock = threading.RLock()
        self.first_order_id, self.first_product_id = first_order_id, first_product_id
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.products: dict[int, Product] = {}
            self.orders: dict[int, Order] = {}
            self.calls: list[dict] = []
            self.lose = self.duplicate = 0
            self._next_order, self._next_product = self.first_order_id, self.first_product_id
            self._next_client = 289_664_789
            self._clients: dict[str, int] = {}
            self._last_moment = datetime.now(timezone.utc)

    def now(self) -> datetime:
        """UTC now, strictly increasing (two changes never share a ``date_modified``)."""
        with self.lock:
            moment = max(datetime.now(timezone.utc), self._last_moment + timedelta(microseconds=1))
            self._last_moment = moment
            return moment

    # products -----------------------------------------------------------------------------------
    def add_product(self, external_id: str, names: tuple[str, str], price: Decimal, quantity: int | None,
                    presence: str = "available", group: tuple[int, str] | None = None,
                    variation_group_id: int | None = None) -> Product:
        with self.lock:
            number = self._next_product
            self._next_product += 1
            product = Product(number, external_id, article(number), names[0], names[1], price, quantity, presence,
                              self.now(), group, variation_group_id)
            self.products[number] = product
            return product

    def product_by_external_id(self, external_id: str) -> Product | None:
        with self.lock:
            return next((p for p in self.products.values() if p.external_id == external_id), None)

    def list_products(self, page: Page, group_id: int | None = None) -> list[Product]:
        with self.lock:
            found = [p for p in self.products.values() if group_id is None or (p.group and p.group[0] == group_id)]
            return page.cut(found)

    # orders -------------------------------------------------------------------------------------
    def client_id(self, phone: str) -> int:
        """One Prom client id per buyer phone."""
        with self.lock:
            if phone not in self._clients:
                self._clients[phone] = self._next_client
                self._next_client += 1
            return self._clients[phone]

    def next_order_id(self) -> int:
        with self.lock:
            number = self._next_order
            self._next_order += 1
            return number

    def add_order(self, order: Order) -> Order:
        with self.lock:
            self.orders[order.id] = order
            return order

    def list_orders(self, wanted: OrderFilter, page: Page) -> list[Order]:
        with self.lock:
            return page.cut([order for order in self.orders.values() if wanted(order)])

    def touch(self, order: Order) -> bool:
        """Bump ``date_modified`` after a change, unless a ``lose`` fault swallows it; True if bumped."""
        with self.lock:
            if self.lose > 0:
                self.lose -= 1
                return False
            order.date_modified = self.now()
            return True

    def take_duplicate(self) -> bool:
        """True (once per queued ``duplicate``) when this non-empty list answer repeats its orders."""
        with self.lock:
            if self.duplicate <= 0:
                return False
            self.duplicate -= 1
            return True

    # call log -----------------------------------------------------------------------------------
    def log_call(self, entry: dict) -> None:
        with self.lock:
            self.calls.append(entry)
            del self.calls[:-CALL_LOG_LIMIT]
