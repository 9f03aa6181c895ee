"""Thread-safe in-memory state of one Ozon seller account: one ``RLock`` guards everything.

Numbering: ``product_id`` from 900000001, Ozon ``sku`` from 1500100001, ``order_id`` from 600000001,
``order_number`` ``"NNNNNNNN-NNNN"`` and posting numbers ``"<order_number>-<n>"`` (``n`` from 1; split
parts take the next free ``n`` of their order) [unv: Ozon's own digits are opaque].
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

from .models import Posting, Product, Warehouse

DEMO_WAREHOUSE = Warehouse(22142605386000, "Склад на Ленина", False)
RFBS_WAREHOUSE = Warehouse(22142605386001, "Склад на Ленина (доставка продавцом)", True)
DEFAULT_PRICE = Decimal("1000")


class Store:
    """Warehouses, products (by product_id) and postings (by posting number, in creation order)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.warehouses: dict[int, Warehouse] = {DEMO_WAREHOUSE.id: Warehouse(**vars(DEMO_WAREHOUSE))}
            self.products: dict[int, Product] = {}
            self.postings: dict[str, Posting] = {}
            self.pair_updated: dict[tuple[int, int], float] = {}  # (product_id, warehouse_id) -> monotonic
            self.order_parts: dict[str, int] = {}  # order_number -> highest posting index used
            self._products = 0
            self._orders = 0

    # ---- warehouses and products

    @property
    def default_warehouse(self) -> Warehouse:
        with self.lock:
            return next(iter(self.warehouses.values()))

    def rfbs_warehouse(self) -> Warehouse:
        """The seller's rFBS warehouse (own delivery), created the first time something needs it."""
        with self.lock:
            found = next((w for w in self.warehouses.values() if w.is_rfbs), None)
            if found is None:
                found = self.warehouses[RFBS_WAREHOUSE.id] = Warehouse(**vars(RFBS_WAREHOUSE))
            return found

    def list_product(self, offer_id: str, name: str | None, price: Decimal | None, quantity: int, warehouse_id: int,
                     state: str = "price_sent") -> Product:
        """Create (or update) the product ``offer_id`` with ``quantity`` buyable units in the warehouse:
        present = quantity + reserved. A new product without name/price is named after the offer, 1000 RUB."""
        with self.lock:
            product = self.by_offer(offer_id)
            if product is None:
                self._products += 1
                product = Product(900_000_000 + self._products, offer_id, 1_500_100_000 + self._products,
                                  str(name or offer_id), price if price is not None else DEFAULT_PRICE, state)
                self.products[product.product_id] = product
            else:
                product.name = str(name or product.name)
                product.price = price if price is not None else product.price
                product.state = state
            stock = product.stock(warehouse_id)
            stock.present = max(int(quantity), 0) + stock.reserved
            return product

    def by_offer(self, offer_id: str) -> Product | None:
        with self.lock:
            return next((p for p in self.products.values() if p.offer_id == offer_id), None)

    def by_product_id(self, product_id: int) -> Product | None:
        with self.lock:
            return self.products.get(product_id)

    def by_sku(self, sku: int) -> Product | None:
        with self.lock:
            return next((p for p in self.products.values() if p.sku == sku), None)

    def sorted_products(self) -> list[Product]:
        with self.lock:
            return sorted(self.products.values(), key=lambda p: p.product_id)

    # ---- the per-pair throttle of /v2/products/stocks

    def pair_wait(self, product: Product, warehouse_id: int, interval: float) -> float:
        """Seconds until the pair may be updated again (0 = now)."""
        with self.lock:
            last = self.pair_updated.get((product.product_id, warehouse_id))
        return 0.0 if last is None else max(0.0, last + interval - time.monotonic())

    def set_stock(self, product: Product, warehouse_id: int, stock: int) -> None:
        """``/v2/products/stocks`` semantics: ``stock`` excludes reserved units, so present = stock + reserved."""
        with self.lock:
            holder = product.stock(warehouse_id)
            holder.present = stock + holder.reserved
            self.pair_updated[(product.product_id, warehouse_id)] = time.monotonic()

    # ---- postings

    def next_order(self) -> tuple[int, str]:
        """A fresh ``(order_id, order_number)``."""
        with self.lock:
            self._orders += 1
            number = f"{73_000_000 + self._orders * 137:08d}-{self._orders % 10_000:04d}"
            self.order_parts[number] = 0
            return 600_000_000 + self._orders, number

    def next_posting_number(self, order_number: str) -> str:
        with self.lock:
            self.order_parts[order_number] = self.order_parts.get(order_number, 0) + 1
            return f"{order_number}-{self.order_parts[order_number]}"

    def add_posting(self, posting: Posting) -> Posting:
        with self.lock:
            self.postings[posting.posting_number] = posting
            return posting

    def posting(self, number: str) -> Posting | None:
        with self.lock:
            return self.postings.get(str(number))

    def all_postings(self) -> list[Posting]:
        with self.lock:
            return list(self.postings.values())

    def warehouse(self, warehouse_id: int) -> Warehouse | None:
        with self.lock:
            return self.warehouses.get(warehouse_id)
