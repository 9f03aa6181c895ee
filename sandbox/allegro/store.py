"""The sandbox's state: offers, checkout forms, the order event journal, async operations, commands.

One re-entrant lock (``Store.lock``) guards every read-modify-write; the background worker and the
request threads both take it. Offer ids and event sequence numbers never restart (not even on
``reset``), so a cursor or an offer id from before a reset is unknown afterwards, as on a fresh account.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .replies import now, stamp

OFFER_STATUSES = ("ACTIVE", "ENDED", "ACTIVATING", "INACTIVE")
CALL_LOG_LIMIT = 20000          # the calls log keeps the newest entries only


@dataclass
class Offer:
    """``/sale/product-offers/{id}``: one listing; ``external.id`` is the seller SKU."""

    id: str
    sku: str
    name: str
    price: str
    available: int
    status: str = "ACTIVE"
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)

    @property
    def buyable(self) -> int:
        """What buyers can buy now: the stock of an ACTIVE offer, else nothing."""
        return self.available if self.status == "ACTIVE" else 0

    def apply(self, available: int | None = None, status: str | None = None) -> str | None:
        """Stock first (0 ENDS an ACTIVE/ACTIVATING offer; > 0 never re-activates), then publication
        (ACTIVE needs stock >= 1). The refusal code, or None when applied."""
        if status == "ACTIVE" and (self.available if available is None else available) < 1:
            return "OfferStockTooLow"
        if available is not None:
            self.available = available
            if available == 0 and self.status in ("ACTIVE", "ACTIVATING"):
                self.status = "ENDED"
        if status is not None:
            self.status = status
        self.updated_at = now()
        return None

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "external": {"id": self.sku},
                "stock": {"available": self.available, "unit": "UNIT"},
                "publication": {"status": self.status},
                "sellingMode": {"format": "BUY_NOW", "price": {"amount": self.price, "currency": "PLN"}},
                "createdAt": stamp(self.created_at), "updatedAt": stamp(self.updated_at)}


@dataclass
class Form:
    """A checkout form: ``body`` is the JSON Allegro serves (mutated in place under the lock)."""

    id: str
    body: dict
    bought_at: datetime
    shipments: list[dict] = field(default_factory=list)

    def new_revision(self) -> None:
        """Every change gets a fresh 8-hex-digit revision (never the previous one)."""
        old = self.body.get("revision")
        revision = old
        while revision == old:
            revision = secrets.token_hex(4)
        self.body["revision"] = revision


def event_id(seq: int) -> str:
    """Opaque event id: unpadded base64 of the decimal sequence number (like ``MTEzMjQzODU3NA``)."""
    return base64.b64encode(str(seq).encode()).decode().rstrip("=")


def event_seq(text: str) -> int | None:
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if decoded.isdigit() else None


@dataclass
class Command:
    """A quantity-change or publication command (GeneralReport + its tasks)."""

    id: str
    kind: str                    # "quantity" | "publication"
    tasks: list[dict]
    created_at: datetime = field(default_factory=now)
    completed_at: datetime | None = None

    def report(self) -> dict:
        done = [t for t in self.tasks if t["status"] != "NEW"]
        return {"id": self.id, "createdAt": stamp(self.created_at),
                "completedAt": stamp(self.completed_at) if self.completed_at else None,
                "taskCount": {"total": len(self.tasks), "success": sum(t["status"] == "SUCCESS" for t in done),
                              "failed": sum(t["status"] == "FAIL" for t in done)}}


class Store:
    """All marketplace state of one sandbox."""

    def __init__(self, first_offer_id: int = 7893457231, first_event_seq: int = 1132438574,
                 seller_id: str = "873910812") -> None:
        self.lock = threading.RLock()
        self.seller_id = seller_id
        self._next_offer = first_offer_id
        self._seq = first_event_seq - 1
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.offers: dict[str, Offer] = {}
            self.forms: dict[str, Form] = {}
            self.events: list[dict] = []
            self._event_seqs: list[int] = []      # ascending, parallel to ``events``
            self.cursor_base, self.base_time = self._seq, now()
            self.operations: dict[str, dict] = {}
            self.commands: dict[str, dict[str, Command]] = {"quantity": {}, "publication": {}}
            self.calls: list[dict] = []
            self.lose_events = 0
            self.duplicate_answers = 0

    # offers -------------------------------------------------------------------------------------------
    def add_offer(self, sku: str, name: str, price: str, quantity: int, status: str | None = None) -> Offer:
        with self.lock:
            offer = Offer(str(self._next_offer), sku, name, price, quantity,
                          status or ("ACTIVE" if quantity > 0 else "INACTIVE"))
            self._next_offer += 1
            self.offers[offer.id] = offer
            return offer

    def offer_by_sku(self, sku: str) -> Offer | None:
        """The offer of a SKU (an ACTIVE one first: Allegro allows several offers per ``external.id``)."""
        with self.lock:
            matches = [o for o in self.offers.values() if o.sku == sku]
            return next((o for o in matches if o.status == "ACTIVE"), matches[0] if matches else None)

    def set_stock(self, offer: Offer, available: int) -> None:
        """Stock change; 0 on an ACTIVE/ACTIVATING offer ends it (Allegro ends sold-out offers)."""
        with self.lock:
            offer.apply(available=available)

    # the journal --------------------------------------------------------------------------------------
    def emit(self, form: Form, kind: str) -> dict | None:
        """Write an order event for ``form`` as it is now; None when a ``lose`` fault swallows it."""
        with self.lock:
            if self.lose_events > 0:
                self.lose_events -= 1
                return None
            self._seq += 1
            body = form.body
            buyer = {key: copy.deepcopy(body["buyer"].get(key))
                     for key in ("id", "email", "login", "guest", "preferences")}
            event = {"id": event_id(self._seq),
                     "order": {"seller": {"id": self.seller_id}, "buyer": buyer,
                               "lineItems": copy.deepcopy(body["lineItems"]),
                               "checkoutForm": {"id": form.id, "revision": body["revision"]},
                               "marketplace": copy.deepcopy(body["marketplace"])},
                     "type": kind, "occurredAt": stamp(now())}
            self.events.append(event)
            self._event_seqs.append(self._seq)
            return event

    def events_after(self, seq: int | None, types: set[str], limit: int) -> list[dict]:
        """Events after ``seq`` (exclusive; None = from the oldest kept), oldest first."""
        with self.lock:
            start = 0 if seq is None else bisect.bisect_right(self._event_seqs, seq)
            found = []
            for index in range(start, len(self.events)):
                event = self.events[index]
                if not types or event["type"] in types:
                    found.append(event)
                    if len(found) >= limit:
                        break
            return copy.deepcopy(found)

    def known_cursor(self, seq: int) -> bool:
        """A cursor the journal can continue from: an event id it wrote, or the empty journal's start."""
        with self.lock:
            index = bisect.bisect_left(self._event_seqs, seq)
            return seq == self.cursor_base or (index < len(self._event_seqs) and self._event_seqs[index] == seq)

    def latest_event(self) -> dict:
        """``GET /order/event-stats``: the newest event, or the start cursor of an empty journal [unv]."""
        with self.lock:
            if self.events:
                return {"id": self.events[-1]["id"], "occurredAt": self.events[-1]["occurredAt"]}
            return {"id": event_id(self.cursor_base), "occurredAt": stamp(self.base_time)}

    def take_duplicate(self) -> bool:
        with self.lock:
            if self.duplicate_answers <= 0:
                return False
            self.duplicate_answers -= 1
            return True

    # calls log ----------------------------------------------------------------------------------------
    def log_call(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.calls.append({"method": method, "path": path, "status": status, "time": stamp(now())})
            if len(self.calls) > CALL_LOG_LIMIT:
                del self.calls[:len(self.calls) - CALL_LOG_LIMIT]

    def snapshot(self, value: Any) -> Any:
        with self.lock:
            return copy.deepcopy(value)
