"""In-memory state of the CDEK sandbox: tokens, orders, print jobs, webhook subscriptions.

Asynchronous work is settled lazily: every API request first calls :meth:`Store.tick`, which
finishes the order validations and print jobs whose delay has passed (``ORDER_DELAY`` /
``PRINT_DELAY``; None means only ``POST /__sandbox__/process`` settles them).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid as uuidlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

#: Russian names of the statuses the sandbox uses, and their deprecated numeric webhook codes.
STATUS_NAMES = {
    "ACCEPTED": ("Принят", None), "CREATED": ("Создан", 1), "REMOVED": ("Удален", 2),
    "INVALID": ("Некорректный заказ", None),
    "RECEIVED_AT_SHIPMENT_WAREHOUSE": ("Принят на склад отправителя", 3),
    "READY_FOR_SHIPMENT_IN_SENDER_CITY": ("Готов к отправке в городе-отправителе", 6),
    "TAKEN_BY_TRANSPORTER_FROM_SENDER_CITY": ("Сдан перевозчику в городе-отправителе", 7),
    "SENT_TO_RECIPIENT_CITY": ("Отправлен в город-получатель", 8),
    "ACCEPTED_IN_RECIPIENT_CITY": ("Встречен в городе-получателе", 9),
    "ACCEPTED_AT_RECIPIENT_CITY_WAREHOUSE": ("Принят на склад доставки", 10),
    "ACCEPTED_AT_PICK_UP_POINT": ("Принят на склад до востребования", 12),
    "TAKEN_BY_COURIER": ("Выдан на доставку", 11), "DELIVERED": ("Вручен", 4), "NOT_DELIVERED": ("Не вручен", 5),
    "RETURNED_TO_RECIPIENT_CITY_WAREHOUSE": ("Возвращен на склад доставки", 18),
    "POSTOMAT_POSTED": ("Заложен в постамат", None), "POSTOMAT_RECEIVED": ("Изъят из постамата клиентом", None),
}
PRINT_NAMES = {"ACCEPTED": "Принят", "PROCESSING": "Формируется", "READY": "Сформирован",
               "REMOVED": "Истекло время жизни ссылки", "INVALID": "Некорректный запрос"}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def new_uuid() -> str:
    return str(uuidlib.uuid4())


@dataclass
class Order:
    uuid: str
    body: dict
    created: float
    state: str = "ACCEPTED"  # of the CREATE request: ACCEPTED -> SUCCESSFUL | INVALID
    errors: list = field(default_factory=list)
    cdek_number: str = ""
    statuses: list = field(default_factory=list)  # newest first
    requests: list = field(default_factory=list)
    is_return: bool = False

    @property
    def status(self) -> str:
        return self.statuses[0]["code"] if self.statuses else ""

    def add_status(self, code: str, city: str = "Офис СДЭК") -> dict:
        entry = {"code": code, "name": STATUS_NAMES.get(code, (code, None))[0], "date_time": now_iso(),
                 "city": city, "deleted": False}
        self.statuses.insert(0, entry)
        return entry


@dataclass
class PrintJob:
    uuid: str
    orders: list
    body: dict
    created: float
    statuses: list = field(default_factory=list)  # oldest first, as CDEK lists print statuses
    errors: list = field(default_factory=list)
    ready_at: float = 0.0

    @property
    def status(self) -> str:
        return self.statuses[-1]["code"] if self.statuses else ""

    def add_status(self, code: str) -> None:
        self.statuses.append({"code": code, "name": PRINT_NAMES[code], "date_time": now_iso()})


class Store:
    def __init__(self, number_start: int):
        self.lock = threading.RLock()
        self.number_start = number_start
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tokens: dict[str, float] = {}
            self.orders: dict[str, Order] = {}
            self.print_jobs: dict[str, PrintJob] = {}
            self.webhooks: dict[str, dict] = {}
            self.next_number = self.number_start
            self.calls: Counter[str] = Counter()

    def issue_token(self, ttl: float) -> str:
        token = "sandbox." + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + ttl
        return token

    def token_valid(self, token: str) -> bool:
        with self.lock:
            return self.tokens.get(token, 0) > time.monotonic()

    def add_order(self, body: dict) -> Order:
        order = Order(new_uuid(), body, time.monotonic())
        order.requests.append({"request_uuid": new_uuid(), "type": "CREATE", "date_time": now_iso(), "state": "ACCEPTED"})
        order.add_status("ACCEPTED")
        with self.lock:
            self.orders[order.uuid] = order
        return order

    def settle(self, order: Order, errors: list) -> None:
        """Finish the validation of ``order``: SUCCESSFUL with a cdek_number, or INVALID."""
        order.state = "INVALID" if errors else "SUCCESSFUL"
        order.requests[0].update(state=order.state, **({"errors": errors} if errors else {}))
        order.errors = errors
        if errors:
            order.add_status("INVALID")
            return
        order.cdek_number = str(self.next_number)
        self.next_number += 1
        order.add_status("CREATED")

    def find(self, **keys: str) -> Order | None:
        """By ``uuid``, ``cdek_number`` or ``im_number`` (the most recent order with that number)."""
        with self.lock:
            if keys.get("uuid"):
                return self.orders.get(keys["uuid"])
            found = [o for o in self.orders.values()
                     if (keys.get("cdek_number") and o.cdek_number == keys["cdek_number"])
                     or (keys.get("im_number") and str(o.body.get("number")) == keys["im_number"])]
            return max(found, key=lambda o: o.created) if found else None
