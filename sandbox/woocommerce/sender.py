"""The webhook sender: WooCommerce's async delivery, reproduced.

How real WooCommerce behaves, and how this module copies it:

* **Queue, coalescing** - a change only records ``(webhook, resource id)``
  as pending (``wc_webhook_process_delivery``); nothing new is queued while
  the same pair is still pending, so several quick changes collapse into
  one delivery.  A pair that is already being delivered can be queued again.
* **Payload at send time** - the body is built by the delivery thread from
  the *current* REST representation (``build_payload()`` in ``deliver()``),
  so a delivery shows the latest state, and ``order.created`` may already
  show ``processing``.  ``*.deleted`` bodies are ``{"id": N}``; a resource
  deleted for good before sending yields the REST 404 error body.
* **Request** - ``POST``, ``Content-Type: application/json``, PHP-style JSON,
  Hookshot User-Agent, ``X-WC-Webhook-Source/-Topic/-Resource/-Event/
  -Signature/-ID/-Delivery-ID``; signature = base64(HMAC-SHA256(secret,
  body)); delivery id = HMAC-MD5(webhook id + current second), so it
  repeats within a second.  Timeout 60 s, redirects not followed, no retry.
* **Outcome** - 200..302 is success and resets ``failure_count``; anything
  else (other status, timeout, connection error, unsafe URL) is a failure:
  ``failure_count`` grows to 6 and the 7th consecutive failure sets the
  webhook to ``disabled`` (``failed_delivery()``).  A queued delivery is
  sent even if the webhook was paused meanwhile (``wc_deliver_webhook_async``
  does not check the status); only active webhooks get new items queued.
* **Ping** - after every delivery the webhook is saved, and saving an active
  webhook that is still ``pending_delivery`` sends the form-encoded ping
  (``webhook_id=<id>``, no X-WC headers, 5 s timeout); only exactly 200
  clears ``pending_delivery``.
* **One runner** - deliveries go out one at a time from a single background
  thread (Action Scheduler's default of one concurrent batch).

Test hooks: ``hold()`` stops the runner (WP-Cron not running), ``inject()``
makes upcoming deliveries fail without sending (dropped connection or a
chosen HTTP status), ``flush()`` waits for the queue to drain.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .delivery import deliver_payload, send_ping
from .models import Webhook, now
from .store import Shop

MAX_FAILURES = 5


@dataclass
class Pending:
    """One queued ``woocommerce_deliver_webhook_async`` action."""

    webhook_id: int
    arg: Any
    due: float
    generation: int


@dataclass
class SenderOptions:
    """Tunables, from the app config."""

    allow_any_port: bool = True
    timeout: float = 60.0
    ping_timeout: float = 5.0
    delay: float = 0.0
    shuffle: bool = False
    log_limit: int = 5000


class WebhookSender:
    """Queues, sends and logs webhook deliveries for one :class:`Shop`."""

    def __init__(self, shop: Shop, options: SenderOptions) -> None:
        self.shop = shop
        self.options = options
        self.cond = threading.Condition()
        self.pending: collections.OrderedDict[tuple[int, Any], Pending] = collections.OrderedDict()
        self.in_flight = 0
        self.held = False
        self.faults: collections.deque[int | str] = collections.deque()
        self.log: list[dict[str, Any]] = []
        self._seq = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="wc-sandbox-webhooks", daemon=True)
        shop.subscribe(self.enqueue)
        self._thread.start()

    # ------------------------------------------------------------------
    # queueing (called with shop.lock held)
    # ------------------------------------------------------------------
    def enqueue(self, topic: str, arg: Any) -> None:
        """Queue ``arg`` for every active webhook on ``topic`` unless already pending."""
        if not self._resource_is_valid(topic, arg):
            return
        for webhook in list(self.shop.webhooks.values()):
            if webhook.status != "active" or webhook.topic != topic:
                continue
            with self.cond:
                key = (webhook.id, arg)
                if key not in self.pending:
                    self.pending[key] = Pending(webhook.id, arg, time.monotonic() + self.options.delay,
                                                self.shop.generation)
                    self.cond.notify_all()

    def _resource_is_valid(self, topic: str, arg: Any) -> bool:
        """``is_valid_resource()``: drafts are never delivered."""
        if topic.startswith("order."):
            order = self.shop.order(arg)
            return order is None or order.status not in ("checkout-draft", "auto-draft")
        return True

    # ------------------------------------------------------------------
    # test controls
    # ------------------------------------------------------------------
    def hold(self, held: bool) -> None:
        """Stop or restart the runner (queued items stay queued)."""
        with self.cond:
            self.held = held
            self.cond.notify_all()

    def inject(self, outcome: int | str, count: int) -> None:
        """Make the next ``count`` deliveries fail without being sent.

        ``outcome`` is an HTTP status or ``"timeout"`` (a dropped connection).
        """
        with self.cond:
            self.faults.extend([outcome] * max(0, count))

    def flush(self, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until nothing is queued or in flight (returns at once when held)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while (self.pending or self.in_flight) and not self.held:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.cond.wait(min(remaining, 0.5))
            return {"flushed": not self.pending and not self.in_flight, "held": self.held,
                    "pending": len(self.pending), "in_flight": self.in_flight}

    def reset(self) -> None:
        """Drop the queue, the injected faults and the log; wait for the runner."""
        with self.cond:
            self.pending.clear()
            self.faults.clear()
            self.held = False
            deadline = time.monotonic() + self.options.timeout
            while self.in_flight and time.monotonic() < deadline:
                self.cond.wait(0.1)
            self.log.clear()

    def stop(self) -> None:
        """End the runner thread."""
        with self.cond:
            self._stopped = True
            self.cond.notify_all()

    def entries(self) -> list[dict[str, Any]]:
        """A copy of the delivery log."""
        with self.cond:
            return [dict(entry) for entry in self.log]

    # ------------------------------------------------------------------
    # runner
    # ------------------------------------------------------------------
    def _next(self) -> Pending | None:
        """Block until a queued item is due (and the runner not held); claim it."""
        with self.cond:
            while not self._stopped:
                if self.held or not self.pending:
                    self.cond.wait()
                    continue
                key = self._pick(time.monotonic())
                if key is None:
                    first_due = next(iter(self.pending.values())).due
                    self.cond.wait(max(first_due - time.monotonic(), 0.001))
                    continue
                self.in_flight += 1
                return self.pending.pop(key)
            return None

    def _pick(self, now_mono: float) -> tuple[int, Any] | None:
        """Oldest due item, or a random due one with ``shuffle`` (cond held)."""
        if not self.options.shuffle:
            key, item = next(iter(self.pending.items()))
            return key if item.due <= now_mono else None
        due = [key for key, item in self.pending.items() if item.due <= now_mono]
        return random.choice(due) if due else None

    def _run(self) -> None:
        while True:
            item = self._next()
            if item is None:
                return
            try:
                self._deliver(item)
            finally:
                with self.cond:
                    self.in_flight -= 1
                    self.cond.notify_all()

    def _take_fault(self) -> int | str | None:
        with self.cond:
            return self.faults.popleft() if self.faults else None

    def _deliver(self, item: Pending) -> None:
        with self.shop.lock:
            webhook = self.shop.webhook(item.webhook_id)
            if webhook is None or item.generation != self.shop.generation:
                return
            request = deliver_payload(self.shop, webhook, item.arg)
            home_url = self.shop.home_url
        fault = self._take_fault()
        result = request.send(self.options, fault, home_url)
        self._record("delivery", webhook, item.arg, result, request.delivery_id)
        with self.shop.lock:
            if item.generation != self.shop.generation or self.shop.webhook(webhook.id) is not webhook:
                return
            self._log_outcome(webhook, result["ok"])
            should_ping = webhook.status == "active" and webhook.pending_delivery
        if should_ping:
            self.ping(webhook.id)

    def _log_outcome(self, webhook: Webhook, ok: bool) -> None:
        """``log_delivery()`` / ``failed_delivery()`` (shop.lock held)."""
        if ok:
            webhook.failure_count = 0
        elif webhook.failure_count > MAX_FAILURES:
            webhook.status = "disabled"
        else:
            webhook.failure_count += 1
        webhook.date_modified = now()

    def ping(self, webhook_id: int) -> bool:
        """``deliver_ping()``: synchronous; exactly 200 clears ``pending_delivery``."""
        with self.shop.lock:
            webhook = self.shop.webhook(webhook_id)
            if webhook is None:
                return False
            generation = self.shop.generation
            url, home_url = webhook.delivery_url, self.shop.home_url
        result = send_ping(self.options, webhook_id, url, home_url)
        self._record("ping", webhook, None, result, None)
        with self.shop.lock:
            if result.get("status") == 200 and generation == self.shop.generation \
                    and self.shop.webhook(webhook_id) is webhook:
                webhook.pending_delivery = False
                webhook.date_modified = now()
        return result.get("status") == 200

    def _record(self, kind: str, webhook: Webhook, arg: Any, result: dict[str, Any],
                delivery: str | None) -> None:
        with self.cond:
            self._seq += 1
            entry = {"seq": self._seq, "kind": kind, "webhook_id": webhook.id,
                     "topic": webhook.topic if kind == "delivery" else None, "resource_id": arg,
                     "delivery_id": delivery, "url": result.get("url"), "status": result.get("status"),
                     "error": result.get("error"), "ok": result["ok"],
                     "dropped": result.get("dropped", False),
                     "duration_ms": result.get("duration_ms"),
                     "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                     "body": result.get("body")}
            self.log.append(entry)
            del self.log[:-self.options.log_limit]
