"""In-memory records of the fake shop and the WooCommerce constants they use.

Dates are naive UTC ``datetime`` values with *second* resolution, like the
MySQL ``datetime`` columns behind WooCommerce: two changes within the same
second leave the same ``date_modified_gmt``.  The site timezone is UTC, so
``date_x`` and ``date_x_gmt`` are always equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

WC_VERSION = "9.4.0"
WP_VERSION = "6.5.5"
HOOKSHOT_USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"

ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled",
                  "refunded", "failed", "checkout-draft")
ORDER_STATUS_LABELS = {
    "pending": "Pending payment", "processing": "Processing", "on-hold": "On hold",
    "completed": "Completed", "cancelled": "Cancelled", "refunded": "Refunded",
    "failed": "Failed", "checkout-draft": "Draft", "trash": "Trash",
}
# wc-stock-functions.php: which status transitions reduce / restore stock.
STOCK_REDUCING_STATUSES = ("processing", "on-hold", "completed")
STOCK_RESTORING_STATUSES = ("cancelled", "pending")
PAID_STATUSES = ("processing", "completed")
EDITABLE_STATUSES = ("pending", "on-hold", "auto-draft", "checkout-draft")
PAYMENT_COMPLETE_STATUSES = ("on-hold", "pending", "failed", "cancelled", "checkout-draft")

# Topic -> hooks, WooCommerce 9.4 (WC_Webhook::get_default_topic_hooks()).
TOPIC_HOOKS: dict[str, list[str]] = {
    "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
    "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
    "coupon.deleted": ["wp_trash_post"],
    "coupon.restored": ["untrashed_post"],
    "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
    "customer.deleted": ["delete_user"],
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product",
                        "woocommerce_new_product_variation"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product",
                        "woocommerce_update_product_variation"],
    "product.deleted": ["wp_trash_post"],
    "product.restored": ["untrashed_post"],
}
WEBHOOK_STATUSES = ("active", "paused", "disabled")

# get_woocommerce_currency_symbol(): stored as HTML entities, decoded in order JSON.
CURRENCY_SYMBOL_ENTITIES = {
    "PLN": "&#122;&#322;", "UAH": "&#8372;", "EUR": "&euro;", "USD": "&#36;",
    "GBP": "&pound;", "CZK": "&#75;&#269;", "HUF": "&#70;&#116;", "RON": "lei",
}
CURRENCY_SYMBOLS = {
    "PLN": "zł", "UAH": "₴", "EUR": "€", "USD": "$", "GBP": "£", "CZK": "Kč",
    "HUF": "Ft", "RON": "lei",
}


def now() -> datetime:
    """Current UTC time truncated to the second (MySQL ``datetime`` resolution)."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def iso(value: datetime | None) -> str | None:
    """``wc_rest_prepare_date_response``: ISO 8601 without offset."""
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else None


def topic_is_valid(topic: str) -> bool:
    """``wc_is_webhook_valid_topic()`` for the core and ``action.*`` topics."""
    if topic.startswith("action."):
        hook = topic[len("action."):]
        return hook.startswith("woocommerce_") or hook.startswith("wc_")
    return topic in TOPIC_HOOKS


@dataclass
class Meta:
    """A ``meta_data`` row (``{id, key, value}``)."""

    id: int
    key: str
    value: Any


@dataclass
class Product:
    """A simple or variable product, or a variation (``type == "variation"``)."""

    id: int
    type: str
    name: str
    date_created: datetime
    date_modified: datetime
    parent_id: int = 0
    slug: str = ""
    sku: str = ""
    status: str = "publish"
    regular_price: str = ""
    sale_price: str = ""
    description: str = ""
    short_description: str = ""
    manage_stock: bool = False
    stock_quantity: int | None = None
    manual_stock_status: str = "instock"
    backorders: str = "no"
    weight: str = ""
    total_sales: int = 0
    attributes: list[dict[str, Any]] = field(default_factory=list)
    meta_data: list[Meta] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    pre_trash_status: str = ""

    @property
    def price(self) -> str:
        """Active price: the sale price when set."""
        return self.sale_price or self.regular_price


@dataclass
class LineItem:
    """An order ``line_item`` (or a shipping/fee line, see ``kind``)."""

    id: int
    kind: str
    name: str
    product_id: int = 0
    variation_id: int = 0
    quantity: int = 0
    subtotal: str = "0.00"
    total: str = "0.00"
    method_id: str = ""
    method_title: str = ""
    instance_id: str = ""
    meta: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Note:
    """An order note (a WordPress comment)."""

    id: int
    order_id: int
    note: str
    customer_note: bool
    author: str
    date_created: datetime


@dataclass
class Order:
    """A shop order."""

    id: int
    status: str
    currency: str
    order_key: str
    date_created: datetime
    date_modified: datetime
    created_via: str = "rest-api"
    customer_id: int = 0
    customer_note: str = ""
    billing: dict[str, str] = field(default_factory=dict)
    shipping: dict[str, str] = field(default_factory=dict)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    customer_ip_address: str = ""
    customer_user_agent: str = ""
    date_paid: datetime | None = None
    date_completed: datetime | None = None
    meta_data: list[Meta] = field(default_factory=list)
    items: list[LineItem] = field(default_factory=list)
    stock_reduced: bool = False
    pre_trash_status: str = ""

    def lines(self, kind: str) -> list[LineItem]:
        """Items of one kind: ``line_item``, ``shipping`` or ``fee``."""
        return [item for item in self.items if item.kind == kind]


@dataclass
class Webhook:
    """A row of ``wc_webhooks``."""

    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    date_created: datetime
    date_modified: datetime | None = None
    api_version: int = 3
    failure_count: int = 0
    pending_delivery: bool = True
    user_id: int = 1

    @property
    def resource(self) -> str:
        """``order`` for ``order.updated``; ``action`` for custom topics."""
        return self.topic.split(".", 1)[0]

    @property
    def event(self) -> str:
        """``updated`` for ``order.updated``; the hook name for ``action.*``."""
        parts = self.topic.split(".", 1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def hooks(self) -> list[str]:
        """WordPress hooks this webhook listens to."""
        if self.resource == "action":
            return [self.event]
        return list(TOPIC_HOOKS.get(self.topic, []))
