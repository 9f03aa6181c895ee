"""In-memory state of the Przelewy24 sandbox: registered transactions and refunds."""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime

#: ``transaction/by/sessionId`` statuses.
NO_PAYMENT, ADVANCE, PAID, RETURNED = 0, 1, 2, 3
#: ``refund/by/orderId`` statuses (the refund notification uses 0 done / 1 rejected instead).
REFUND_COMPLETED, REFUND_PENDING = 1, 2


def p24_time(moment: datetime) -> str:
    """P24's compact timestamp, ``YYYYMMDDHHMM``."""
    return moment.strftime("%Y%m%d%H%M")


@dataclass
class Refund:
    request_id: str
    refunds_uuid: str
    order_id: int
    session_id: str
    amount: int
    description: str
    url_status: str | None
    created: datetime = field(default_factory=datetime.now)
    status: int = REFUND_PENDING

    def as_listed(self) -> dict:
        return {"batchId": 0, "requestId": self.request_id, "date": self.created.strftime("%Y-%m-%d %H:%M:%S"),
                "login": "", "description": self.description, "status": self.status, "amount": self.amount}


@dataclass
class Transaction:
    session_id: str
    merchant_id: int
    pos_id: int
    amount: int
    currency: str
    description: str
    email: str
    url_return: str
    url_status: str | None
    token: str
    created: datetime = field(default_factory=datetime.now)
    status: int = NO_PAYMENT
    order_id: int | None = None
    paid_amount: int | None = None
    method_id: int | None = None
    statement: str = ""
    paid_at: datetime | None = None
    refunds: list[Refund] = field(default_factory=list)

    def refundable(self) -> int:
        """Paid amount not yet promised to a refund (pending refunds count)."""
        return (self.paid_amount or 0) - sum(r.amount for r in self.refunds)

    def as_found(self) -> dict:
        """The ``data`` object of ``GET transaction/by/sessionId``."""
        return {
            "orderId": self.order_id or 0, "sessionId": self.session_id, "status": self.status,
            "amount": self.paid_amount if self.paid_amount is not None else self.amount, "currency": self.currency,
            "date": p24_time(self.created), "dateOfTransaction": p24_time(self.paid_at) if self.paid_at else "",
            "clientEmail": self.email, "accountMD5": "", "paymentMethod": self.method_id or 0,
            "description": self.description, "clientName": "", "clientAddress": "", "clientCity": "",
            "clientPostcode": "", "batchId": 0, "fee": "0", "statement": self.statement,
        }


class Store:
    """Transactions by sessionId, token and orderId; refund request ids. Guard with ``lock``."""

    def __init__(self, order_id_start: int):
        self.lock = threading.RLock()
        self._order_ids = itertools.count(order_id_start)
        self.by_session: dict[str, Transaction] = {}
        self.by_token: dict[str, Transaction] = {}
        self.by_order: dict[int, Transaction] = {}
        self.refund_requests: set[str] = set()

    def add(self, tx: Transaction) -> None:
        self.by_session[tx.session_id] = tx
        self.by_token[tx.token] = tx

    def new_token(self) -> str:
        raw = secrets.token_hex(16).upper()
        return f"{raw[:10]}-{raw[10:16]}-{raw[16:22]}-{raw[22:32]}"

    def pay(self, tx: Transaction, amount: int, method_id: int, statement: str | None) -> None:
        """The buyer paid: P24 assigns the orderId (int64) and holds the money as an advance."""
        tx.order_id = next(self._order_ids)
        tx.status, tx.paid_amount, tx.method_id, tx.paid_at = ADVANCE, amount, method_id, datetime.now()
        tx.statement = statement if statement is not None else f"p24-{tx.order_id % 1000:03d}-{tx.session_id[:12]}"
        self.by_order[tx.order_id] = tx

    def reset(self) -> None:
        self.by_session.clear()
        self.by_token.clear()
        self.by_order.clear()
        self.refund_requests.clear()
