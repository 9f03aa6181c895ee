"""In-memory state of the PayU sandbox: OAuth tokens, orders and refunds."""

from __future__ import annotations

import itertools
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

#: An order's status may only move up this ladder; COMPLETED and CANCELED are final.
STATUS_RANK = {"NEW": 0, "PENDING": 1, "WAITING_FOR_CONFIRMATION": 2, "COMPLETED": 3, "CANCELED": 3}


def payu_time(moment: datetime | None = None) -> str:
    """``2020-07-02T09:19:03.896+02:00``-style timestamps (UTC here)."""
    return (moment or datetime.now(timezone.utc)).isoformat(timespec="milliseconds")


@dataclass
class Refund:
    refund_id: str
    ext_refund_id: str | None
    amount: int
    currency: str
    description: str
    created: str = field(default_factory=payu_time)
    status: str = "PENDING"
    status_time: str = field(default_factory=payu_time)

    def as_json(self) -> dict:
        return {"refundId": self.refund_id, "extRefundId": self.ext_refund_id, "amount": str(self.amount),
                "currencyCode": self.currency, "description": self.description, "creationDateTime": self.created,
                "status": self.status, "statusDateTime": self.status_time}


@dataclass
class Order:
    order_id: str
    ext_order_id: str
    pos_id: str
    notify_url: str | None
    continue_url: str | None
    customer_ip: str
    description: str
    currency: str
    total_amount: int
    buyer: dict | None
    products: list
    created: str = field(default_factory=payu_time)
    status: str = "NEW"
    payment_id: str = ""
    refunds: list[Refund] = field(default_factory=list)

    def as_json(self) -> dict:
        """The order as ``GET /orders/{id}`` and the notifications show it (amounts as strings)."""
        data = {"orderId": self.order_id, "extOrderId": self.ext_order_id, "orderCreateDate": self.created,
                "notifyUrl": self.notify_url, "customerIp": self.customer_ip, "merchantPosId": self.pos_id,
                "description": self.description, "currencyCode": self.currency,
                "totalAmount": str(self.total_amount), "status": self.status, "products": self.products}
        if self.buyer:
            data["buyer"] = self.buyer
        if self.status != "NEW":
            data["payMethod"] = {"type": "PBL"}
        return {key: value for key, value in data.items() if value is not None}

    def refundable(self) -> int:
        return self.total_amount - sum(r.amount for r in self.refunds if r.status != "CANCELED")


class Store:
    """Tokens, orders by id and by (POS, extOrderId). Guard with ``lock``."""

    def __init__(self):
        self.lock = threading.RLock()
        self.tokens: dict[str, tuple[str, float]] = {}
        self.orders: dict[str, Order] = {}
        self.ext_ids: dict[tuple[str, str], str] = {}
        self._refund_ids = itertools.count(5_000_000_001)
        self._payment_ids = itertools.count(151_471_228)

    def issue_token(self, client_id: str, ttl: int) -> str:
        token = str(uuid.uuid4())
        self.tokens[token] = (client_id, time.monotonic() + ttl)
        return token

    def token_valid(self, token: str) -> bool:
        entry = self.tokens.get(token)
        return entry is not None and time.monotonic() < entry[1]

    def new_order_id(self) -> str:
        letters = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(10))
        return f"{letters}{datetime.now(timezone.utc):%y%m%d}GUEST000P01"

    def add(self, order: Order) -> None:
        self.orders[order.order_id] = order
        self.ext_ids[(order.pos_id, order.ext_order_id)] = order.order_id

    def new_refund_id(self) -> str:
        return str(next(self._refund_ids))

    def new_payment_id(self) -> str:
        return str(next(self._payment_ids))

    def reset(self) -> None:
        self.tokens.clear()
        self.orders.clear()
        self.ext_ids.clear()
