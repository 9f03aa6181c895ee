"""The canonical order every mapper produces and the core consumes (DESIGN section 4).

Pure data: no I/O, no ORM. Money is ``Decimal``; quantities are ints; times are naive UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class CanonicalLine:
    line_key: str
    sku: str
    quantity: int
    unit_price: Decimal = Decimal("0")
    name: str = ""
    product_ref: str = ""
    variation_ref: str = ""


@dataclass(frozen=True)
class CanonicalOrder:
    external_id: str
    number: str
    status: str | None  # canonical lifecycle status, None = unknown raw status
    raw_status: str
    currency: str
    total: Decimal
    updated_at: datetime | None
    lines: tuple[CanonicalLine, ...] = ()
    placed_at: datetime | None = None
    payment_method: str = ""
    transaction_id: str = ""
    cod_amount: Decimal | None = None
    buyer: dict = field(default_factory=dict)
    shipping_address: dict = field(default_factory=dict)
    delivery: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProductStock:
    """A channel's view of one product or variation's stock (from a product webhook or import)."""

    product_ref: str
    variation_ref: str
    sku: str
    manage_stock: bool
    quantity: int | None
    updated_at: datetime | None
    ean: str = ""  # WooCommerce ``global_unique_id`` (GTIN/EAN), used to map marketplace offers


def synthetic_sku(channel: str, product_ref: str, variation_ref: str) -> str:
    """The SKU given to a channel product that has none (common in WooCommerce): stable per product."""
    if variation_ref in ("0", ""):
        return f"{channel}:{product_ref}"
    return f"{channel}:{product_ref}:{variation_ref}"
