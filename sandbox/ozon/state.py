"""``OzonSandbox``: everything one app owns (``app.extensions["ozon_sandbox"]``) and the glue between
posting moves and push notifications."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.faults import FaultQueue

from . import lifecycle
from .lifecycle import Change
from .limits import RateLimits
from .models import Posting, now, stamp_ms
from .push import PushSender
from .seed import CATALOGS, OrderTrickle, random_buyer
from .serialize import cancelled_push, new_posting_push, posting_json, state_changed_push
from .store import Store


@dataclass
class OzonSandbox:
    config: dict[str, Any]
    store: Store
    faults: FaultQueue
    limits: RateLimits
    pushes: PushSender
    trickle: OrderTrickle | None = None
    rng: random.Random = field(default_factory=random.Random)
    _duplicates: int = 0
    _calls: list[dict] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def seller_id(self) -> int | str:
        """Pushes carry ``seller_id`` = CLIENT_ID as an int."""
        client_id = str(self.config["CLIENT_ID"])
        return int(client_id) if client_id.isdigit() else client_id

    @property
    def pair_interval(self) -> float:
        return float(self.config["PAIR_INTERVAL"])

    # ---- postings

    def posting_json(self, posting: Posting, flags: dict[str, bool]) -> dict:
        return posting_json(posting, self.store.warehouses[posting.warehouse_id], flags)

    def emit(self, changes: list[Change]) -> None:
        """Queue the push notification of every change; callers hold the store lock, so pushes are queued in
        the order of the moves (the push thread never takes the store lock)."""
        for change in changes:
            posting = change.posting
            if change.kind == "new":
                body = new_posting_push(posting, self.seller_id)
            elif change.kind == "cancelled":
                body = cancelled_push(posting, change.old_state, change.new_state, change.changed_at,
                                      change.reason or {}, self.seller_id)
            else:
                body = state_changed_push(posting, change.new_state, change.changed_at, self.seller_id)
            self.pushes.send(body)

    def checkout(self, lines: list[dict], buyer: dict | None = None, delivery: dict | None = None,
                 payment: str = "online", rfbs: bool = False, in_process_at: datetime | None = None,
                 shipment_date: datetime | None = None) -> list[Posting]:
        """A buyer's order (raises ``lifecycle.OutOfStock``); Ozon reserves the units and pushes TYPE_NEW_POSTING."""
        with self.store.lock:
            postings, changes = lifecycle.checkout(
                self.store, lines, buyer={**random_buyer(self.rng), **(buyer or {})}, delivery=dict(delivery or {}),
                payment=payment, rfbs=rfbs, in_process_at=in_process_at, shipment_date=shipment_date)
            self.emit(changes)
        return postings

    # ---- feed glitches and the call log

    def duplicate(self, count: int) -> int:
        with self._lock:
            self._duplicates += max(0, int(count))
            return self._duplicates

    def take_duplicate(self) -> bool:
        """True (once per queued duplicate) when this list answer repeats its postings."""
        with self._lock:
            if self._duplicates <= 0:
                return False
            self._duplicates -= 1
            return True

    def log_call(self, method: str, path: str, status: int, numbers: list[str]) -> None:
        """One seller API call: the global log, and the ``calls`` of every posting it named."""
        entry = {"method": method, "path": path, "status": status, "time": stamp_ms(now())}
        with self._lock:
            self._calls.append(entry)
        with self.store.lock:
            for number in numbers:
                posting = self.store.postings.get(number)
                if posting is not None:
                    posting.calls.append(dict(entry))

    def calls(self) -> list[dict]:
        with self._lock:
            return [dict(entry) for entry in self._calls]

    # ---- lifecycle of the sandbox itself

    def reset(self, seed: str | None) -> list[dict]:
        """Empty state (warehouse kept), faults, limits, feed glitches, pushes and calls cleared; then seed."""
        self.store.reset()
        self.faults.reset()
        self.limits.reset()
        self.pushes.reset(self.config.get("PUSH_URL"))
        with self._lock:
            self._duplicates = 0
            self._calls.clear()
        return self.seed(seed)

    def seed(self, name: str | None) -> list[dict]:
        if not name:
            return []
        if name not in CATALOGS:
            raise ValueError(f"unknown seed {name!r}; known: {', '.join(CATALOGS)}")
        return CATALOGS[name](self.store)

    def start_trickle(self, interval: float) -> None:
        if interval > 0 and self.trickle is None:
            self.trickle = OrderTrickle(self.store, self.checkout, interval, self.config.get("TRICKLE_SEED"))
            self.trickle.start()

    def close(self) -> None:
        """Stop the trickle and the push thread."""
        if self.trickle is not None:
            self.trickle.stop()
        self.pushes.close()
