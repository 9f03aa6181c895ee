"""The shop's in-memory state, one lock around all of it.

Every REST handler, the webhook sender and the control endpoints take
``shop.lock`` while they read or change state (it is a fake: one coarse lock
is simpler than being clever).  Changes are announced with
:meth:`Shop.emit` using webhook topic names (``order.updated``,
``product.created``, ``action.woocommerce_order_status_changed`` ...); the
webhook sender listens and queues deliveries, the way WooCommerce's topic
hooks call ``WC_Webhook::process()``.

IDs follow WordPress: products, variations and orders share one post-ID
sequence (starting at ``FIRST_POST_ID``), while order items, meta rows,
notes (comments) and webhooks each have their own counter.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from typing import Any, Callable, Iterator

from .models import STOCK_RESTORING_STATUSES, Note, Order, Product, Webhook

FIRST_POST_ID = 10
Listener = Callable[[str, Any], None]


class Shop:
    """All products, orders, notes and webhooks of the fake store."""

    def __init__(self, home_url: str, currency: str = "PLN") -> None:
        self.lock = threading.RLock()
        self.home_url = home_url if home_url.endswith("/") else home_url + "/"
        self.currency = currency
        # wc-stock-functions.php restores stock on these statuses only.
        self.restore_stock_statuses: tuple[str, ...] = STOCK_RESTORING_STATUSES
        self.listeners: list[Listener] = []
        self.generation = 0
        # wp_hash() salt: the delivery id is an HMAC of "webhook id + time()".
        self.salt = secrets.token_hex(16)
        self.clear()

    # ------------------------------------------------------------------
    # lifecycle
    # ------------------------------------------------------------------
    def clear(self) -> None:
        """Forget everything and restart every ID sequence."""
        with self.lock:
            self.products: dict[int, Product] = {}
            self.orders: dict[int, Order] = {}
            self.notes: dict[int, list[Note]] = {}
            self.webhooks: dict[int, Webhook] = {}
            self.attributes: dict[int, dict[str, str]] = {}
            self._post_ids: Iterator[int] = itertools.count(FIRST_POST_ID)
            self._item_ids: Iterator[int] = itertools.count(1)
            self._meta_ids: Iterator[int] = itertools.count(1)
            self._note_ids: Iterator[int] = itertools.count(1)
            self._webhook_ids: Iterator[int] = itertools.count(1)
            self.generation += 1

    def next_post_id(self) -> int:
        """Next ID in the shared products/variations/orders sequence."""
        return next(self._post_ids)

    def next_item_id(self) -> int:
        """Next ``woocommerce_order_items`` ID."""
        return next(self._item_ids)

    def next_meta_id(self) -> int:
        """Next meta row ID."""
        return next(self._meta_ids)

    def next_note_id(self) -> int:
        """Next comment (order note) ID."""
        return next(self._note_ids)

    def next_webhook_id(self) -> int:
        """Next ``wc_webhooks`` ID."""
        return next(self._webhook_ids)

    # ------------------------------------------------------------------
    # events
    # ------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(topic, resource_id)`` for every change."""
        self.listeners.append(listener)

    def emit(self, topic: str, arg: Any) -> None:
        """Announce a change (the hook fired inside WooCommerce)."""
        for listener in self.listeners:
            listener(topic, arg)

    # ------------------------------------------------------------------
    # look-ups
    # ------------------------------------------------------------------
    def product(self, product_id: Any) -> Product | None:
        """A product or variation by ID."""
        try:
            return self.products.get(int(product_id))
        except (TypeError, ValueError):
            return None

    def product_by_sku(self, sku: str) -> Product | None:
        """``wc_get_product_id_by_sku()`` (ignores trashed products)."""
        if not sku:
            return None
        for product in self.products.values():
            if product.sku == sku and product.status != "trash":
                return product
        return None

    def parent_of(self, product: Product) -> Product | None:
        """The variable parent of a variation."""
        return self.products.get(product.parent_id) if product.type == "variation" else None

    def variations_of(self, parent: Product) -> list[Product]:
        """A variable product's variations, in creation order."""
        return [self.products[child] for child in parent.children if child in self.products]

    def order(self, order_id: Any) -> Order | None:
        """An order by ID."""
        try:
            return self.orders.get(int(order_id))
        except (TypeError, ValueError):
            return None

    def webhook(self, webhook_id: Any) -> Webhook | None:
        """A webhook by ID."""
        try:
            return self.webhooks.get(int(webhook_id))
        except (TypeError, ValueError):
            return None

    def rest_url(self, route: str) -> str:
        """``rest_url('/wc/v3/' . route)`` with pretty permalinks."""
        return f"{self.home_url}wp-json/wc/v3/{route.lstrip('/')}"
