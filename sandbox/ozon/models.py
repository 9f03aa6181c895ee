"""What the Ozon sandbox keeps: warehouses, products with per-warehouse ``present``/``reserved``, postings.

Stock model (reference section 3.10, pitfall 12): per (offer, warehouse) Ozon counts ``present`` (units
the seller has) and ``reserved`` (units in postings not yet handed over). Buyers can buy
``present - reserved``. A posting holds its units in ``reserved`` from checkout until it is cancelled
(released, present unchanged) or handed over to delivery (present and reserved both drop).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

UNFULFILLED = ("awaiting_registration", "acceptance_in_progress", "awaiting_approve", "awaiting_packaging",
               "awaiting_deliver")
STATUSES = UNFULFILLED + ("arbitration", "client_arbitration", "delivering", "driver_pickup", "delivered",
                          "cancelled", "not_accepted", "sent_by_seller", "awaiting_verification",
                          "cancelled_from_split_pending")
#: The substatus (push ``new_state`` vocabulary) each status gets in the sandbox [unv: Ozon has more].
SUBSTATUS = {"awaiting_packaging": "posting_created", "awaiting_deliver": "posting_not_in_carriage",
             "delivering": "posting_transferring_to_delivery", "delivered": "posting_delivered",
             "cancelled": "posting_canceled", "arbitration": "posting_in_arbitration",
             "cancelled_from_split_pending": "posting_split_pending"}
LAST_MILE_SUBSTATUS = "posting_in_courier_service"
#: Statuses in which the seller may still cancel (reasons 352, 400, 402 are available).
CANCELLABLE = ("awaiting_packaging", "awaiting_deliver")
#: Statuses past packaging: ``ship`` answers POSTING_ALREADY_SHIPPED there.
SHIPPED = ("awaiting_deliver", "delivering", "driver_pickup", "delivered", "sent_by_seller", "client_arbitration")


def now() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime | None) -> str | None:
    """Posting times as Ozon prints them: ``2021-08-25T10:48:38Z`` (UTC, seconds)."""
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp_ms(moment: datetime) -> str:
    """Push times: ``2021-01-26T06:56:36.294Z``."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def money(value: Decimal) -> str:
    """Posting prices are strings with four decimals: ``"1259.0000"``."""
    return f"{value.quantize(Decimal('0.0001'))}"


@dataclass
class Warehouse:
    id: int
    name: str
    is_rfbs: bool = False
    status: str = "created"


@dataclass
class Stock:
    present: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return max(self.present - self.reserved, 0)


@dataclass
class Product:
    """An Ozon product: ``offer_id`` is the seller's SKU, ``sku`` Ozon's own number."""

    product_id: int
    offer_id: str
    sku: int
    name: str
    price: Decimal
    state: str = "price_sent"  # or "not_ready": /v2/products/stocks answers PRODUCT_IS_NOT_CREATED
    archived: bool = False
    stocks: dict[int, Stock] = field(default_factory=dict)

    def stock(self, warehouse_id: int) -> Stock:
        return self.stocks.setdefault(warehouse_id, Stock())

    @property
    def present(self) -> int:
        return sum(stock.present for stock in self.stocks.values())

    @property
    def reserved(self) -> int:
        return sum(stock.reserved for stock in self.stocks.values())

    @property
    def available(self) -> int:
        return sum(stock.available for stock in self.stocks.values()) if self.state == "price_sent" else 0


@dataclass
class Line:
    """One product line of a posting."""

    product_id: int
    sku: int
    offer_id: str
    name: str
    price: Decimal
    quantity: int


@dataclass
class Posting:
    """A posting (shipment); ``holds_reserve`` while its units count in ``reserved``."""

    posting_number: str
    order_id: int
    order_number: str
    warehouse_id: int
    rfbs: bool
    lines: list[Line]
    in_process_at: datetime
    shipment_date: datetime
    buyer: dict
    delivery: dict
    payment: str = "online"
    status: str = "awaiting_packaging"
    substatus: str = "posting_created"
    previous_substatus: str = ""
    status_changed_at: datetime = field(default_factory=now)
    tracking_number: str = ""
    delivering_date: datetime | None = None
    parent_posting_number: str = ""
    holds_reserve: bool = True
    cancellation: dict | None = None
    calls: list[dict] = field(default_factory=list)

    def move(self, status: str, substatus: str | None = None) -> str:
        """Set status (and its substatus); returns the old substatus."""
        old = self.substatus
        self.status = status
        self.previous_substatus, self.substatus = old, substatus or SUBSTATUS.get(status, old)
        self.status_changed_at = now()
        return old
