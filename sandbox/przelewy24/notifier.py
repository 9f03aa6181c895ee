"""Outgoing notifications with a gateway's retry schedule, sent from one background thread.

Generic on purpose: the Przelewy24 and the PayU sandbox both use it. A ``Delivery`` is one
notification (one body) that is POSTed at the offsets of its schedule, counted in minutes from the
first attempt, until it is acknowledged (``ack`` statuses; PayU: HTTP 200), cancelled (P24: a
successful ``transaction/verify`` with ``cancel(key)``) or the schedule is exhausted.

``time_scale`` compresses time: a minute of schedule lasts ``60 * time_scale`` seconds, so 0.001
turns P24's 450-minute schedule into 27 s and 0.00001 into 0.27 s. The delivery log records the
scheduled minute of every attempt, so tests can check the schedule itself, not only the count.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import requests

Builder = Callable[[], tuple[bytes, dict[str, str]]]


@dataclass
class Delivery:
    """One notification and its retry state. ``build`` runs once, just before the first attempt."""

    id: int
    key: str
    kind: str
    url: str
    build: Builder
    offsets: tuple[float, ...]
    ack: frozenset[int] | None
    first_due: float
    attempt: int = 0
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None  # acknowledged | cancelled | exhausted

    def due(self, scale_seconds: float) -> float:
        return self.first_due + self.offsets[self.attempt] * scale_seconds


class Notifier:
    """Schedules, sends and logs deliveries. Thread-safe; the sender thread starts on first use."""

    def __init__(self, *, time_scale: float = 1.0, timeout: float = 10.0, log_size: int = 10_000):
        self.minute = 60.0 * float(time_scale)
        self.timeout = timeout
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, int]] = []
        self._active: dict[int, Delivery] = {}
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._log: deque[dict] = deque(maxlen=log_size)
        self._in_flight = 0
        self._fast_forward = 0
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._session = requests.Session()

    # ---- scheduling

    def schedule(self, *, key: str, kind: str, url: str, build: Builder, offsets_minutes: tuple[float, ...],
                 ack: frozenset[int] | None = None, delay_minutes: float = 0.0) -> int:
        """Queue a notification; the first attempt is ``delay_minutes`` from now. Returns its id.

        ``offsets_minutes`` starts with 0 (the first attempt); ``ack`` is the set of HTTP statuses
        that end it (None: only ``cancel`` or the end of the schedule do).
        """
        with self._cond:
            delivery = Delivery(next(self._ids), key, kind, url, build, tuple(offsets_minutes), ack,
                                time.monotonic() + delay_minutes * self.minute)
            self._active[delivery.id] = delivery
            self._push(delivery)
            self._ensure_thread()
            return delivery.id

    def cancel(self, key: str) -> int:
        """End every pending delivery with this key (no further attempts). Returns how many."""
        with self._cond:
            ended = [d for d in self._active.values() if d.key == key]
            for delivery in ended:
                self._finish(delivery, "cancelled")
            self._cond.notify_all()
            return len(ended)

    def _push(self, delivery: Delivery) -> None:
        heapq.heappush(self._heap, (delivery.due(self.minute), next(self._seq), delivery.id))
        self._cond.notify_all()

    def _finish(self, delivery: Delivery, outcome: str) -> None:
        delivery.outcome = outcome
        self._active.pop(delivery.id, None)

    # ---- the sender thread

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run, name="sandbox-notifier", daemon=True)
            self._thread.start()

    def _next(self) -> Delivery | None:
        """Block until a delivery is due (or the notifier stops); None means stop."""
        with self._cond:
            while not self._stopped:
                while self._heap and self._heap[0][2] not in self._active:
                    heapq.heappop(self._heap)
                if self._heap:
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0 or self._fast_forward:
                        delivery = self._active[heapq.heappop(self._heap)[2]]
                        self._in_flight += 1
                        return delivery
                    self._cond.wait(min(wait, 1.0))
                else:
                    self._cond.wait(1.0)
            return None

    def _run(self) -> None:
        while (delivery := self._next()) is not None:
            try:
                if delivery.body is None:
                    delivery.body, delivery.headers = delivery.build()
                status, error, millis = self._post(delivery)
            except Exception as exc:  # noqa: BLE001 - a broken builder must not kill the thread
                status, error, millis = None, f"{type(exc).__name__}: {exc}", 0
            with self._cond:
                self._in_flight -= 1
                self._record(delivery, status, error, millis)
                self._advance(delivery, status)
                self._cond.notify_all()

    def _post(self, delivery: Delivery) -> tuple[int | None, str | None, int]:
        started = time.monotonic()
        try:
            response = self._session.post(delivery.url, data=delivery.body, headers=delivery.headers,
                                          timeout=self.timeout, allow_redirects=False)
            status, error = response.status_code, None
        except requests.RequestException as exc:
            status, error = None, type(exc).__name__
        return status, error, int((time.monotonic() - started) * 1000)

    def _acknowledged(self, delivery: Delivery, status: int | None) -> bool:
        if status is None:
            return False
        return status in delivery.ack if delivery.ack is not None else False

    def _advance(self, delivery: Delivery, status: int | None) -> None:
        if delivery.outcome is not None:  # cancelled while it was being sent
            return
        if self._acknowledged(delivery, status):
            self._finish(delivery, "acknowledged")
        elif delivery.attempt + 1 >= len(delivery.offsets):
            self._finish(delivery, "exhausted")
        else:
            delivery.attempt += 1
            self._push(delivery)

    def _record(self, delivery: Delivery, status: int | None, error: str | None, millis: int) -> None:
        self._log.append({
            "seq": next(self._seq), "delivery": delivery.id, "kind": delivery.kind, "key": delivery.key,
            "url": delivery.url, "attempt": delivery.attempt + 1,
            "scheduled_minute": delivery.offsets[delivery.attempt],
            "elapsed_s": round(time.monotonic() - delivery.first_due, 4),
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "status": status, "error": error, "ok": status is not None and 200 <= status < 300,
            "duration_ms": millis, "body": (delivery.body or b"").decode("utf-8", "replace"),
        })

    # ---- inspection and control

    def log(self, *, key: str | None = None, kind: str | None = None, bodies: bool = False) -> list[dict]:
        """Attempts so far, oldest first (bodies only when asked)."""
        with self._cond:
            entries = [dict(e) for e in self._log
                       if (key is None or e["key"] == key) and (kind is None or e["kind"] == kind)]
        if not bodies:
            for entry in entries:
                entry.pop("body")
        return entries

    def pending(self) -> int:
        with self._cond:
            return len(self._active) + self._in_flight

    def flush(self, timeout: float = 30.0, *, fast_forward: bool = False) -> bool:
        """Wait until nothing is queued or in flight; ``fast_forward`` sends every remaining attempt
        at once instead of waiting for its time. False when ``timeout`` ran out first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._fast_forward += int(fast_forward)
            self._cond.notify_all()
            try:
                while self._active or self._in_flight:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(min(left, 0.5))
                return True
            finally:
                self._fast_forward -= int(fast_forward)

    def reset(self) -> None:
        """Forget every pending delivery and the log."""
        with self._cond:
            self._active.clear()
            self._heap.clear()
            self._log.clear()
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop the sender thread (pending deliveries are dropped)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._session.close()
