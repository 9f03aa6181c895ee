"""Push notifications (Ozon -> the seller's URL), sent by one background thread with retries.

Ozon POSTs unsigned JSON and expects HTTP 200 ``{"result": true}`` within ``PUSH_TIMEOUT`` (5 s). Anything else
(another status or body, a timeout, a refused connection) is retried ``PUSH_RETRIES`` times,
``PUSH_RETRY_INTERVAL`` seconds apart (Ozon: growing intervals up to 10 min, then 5 more tries; the sandbox
keeps it short) [unv]. A 4xx whose body is ``{"error": {"code": "ERROR_REQUEST_DUPLICATED"}}`` acknowledges
(the endpoint already has it). ``lose(n)``: the next n notifications are never sent (logged ``lost``).
``TYPE_PING`` (registration) is synchronous and must answer 200 ``{"version", "name", "time"}``.
Log entries (``GET /__sandbox__/pushes``): one per attempt, oldest first.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass

import requests

from .models import now, stamp, stamp_ms


@dataclass
class Push:
    id: int
    body: dict
    attempt: int = 0


def _acknowledged(response: requests.Response, ping: bool) -> bool:
    try:
        answer = response.json()
    except ValueError:
        return False
    if not isinstance(answer, dict):
        return False
    if response.status_code == 200:
        return all(key in answer for key in ("version", "name", "time")) if ping else answer.get("result") is True
    error = answer.get("error")
    return 400 <= response.status_code < 500 and isinstance(error, dict) \
        and error.get("code") == "ERROR_REQUEST_DUPLICATED"


class PushSender:
    """Queue + log; the thread starts on the first notification and stops on ``close()``."""

    def __init__(self, url: str | None, retries: int = 3, interval: float = 1.0, timeout: float = 5.0):
        self.url = url
        self.retries, self.interval, self.timeout = int(retries), float(interval), float(timeout)
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Push]] = []
        self._ids = itertools.count(1)
        self._log: list[dict] = []
        self._lose = 0
        self._busy = 0
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    # ---- queueing

    def send(self, body: dict) -> None:
        """Queue one notification (or lose it, or log it as skipped when no URL is registered)."""
        with self._cond:
            push = Push(next(self._ids), body)
            if self._lose > 0 or not self.url:
                lost = self._lose > 0
                self._lose -= 1 if lost else 0
                self._record(push, None, "lost" if lost else "no push URL registered", "lost" if lost else "skipped")
                return
            heapq.heappush(self._heap, (time.monotonic(), push.id, push))
            self._ensure_thread()
            self._cond.notify_all()

    def lose(self, count: int) -> int:
        with self._cond:
            self._lose += max(0, int(count))
            return self._lose

    def ping(self, url: str) -> dict:
        """``TYPE_PING`` to ``url`` (synchronous); the log entry (``ok`` true when the answer is right)."""
        push = Push(next(self._ids), {"message_type": "TYPE_PING", "time": stamp(now())}, attempt=1)
        status, error, ok = self._post(url, push.body, ping=True)
        with self._cond:
            return self._record(push, status, error, "acknowledged" if ok else "failed", url=url)

    # ---- the thread

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._stopped:
            self._thread = threading.Thread(target=self._run, name="ozon-sandbox-push", daemon=True)
            self._thread.start()

    def _next(self) -> Push | None:
        with self._cond:
            while not self._stopped:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    self._busy += 1
                    return heapq.heappop(self._heap)[2]
                wait = self._heap[0][0] - time.monotonic() if self._heap else None
                self._cond.wait(wait)
        return None

    def _run(self) -> None:
        while (push := self._next()) is not None:
            push.attempt += 1
            url = self.url
            status, error, ok = self._post(url, push.body) if url else (None, "no push URL registered", False)
            with self._cond:
                again = not ok and push.attempt <= self.retries and not self._stopped
                outcome = "acknowledged" if ok else ("retrying" if again else "gave_up")
                self._record(push, status, error, outcome, url=url)
                if again:
                    heapq.heappush(self._heap, (time.monotonic() + self.interval, push.id, push))
                self._busy -= 1
                self._cond.notify_all()

    def _post(self, url: str, body: dict, ping: bool = False) -> tuple[int | None, str | None, bool]:
        try:
            response = self._session.post(url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            return None, type(exc).__name__, False
        ok = _acknowledged(response, ping)
        return response.status_code, None if ok else f"not acknowledged: {response.text[:200]}", ok

    def _record(self, push: Push, status: int | None, error: str | None, outcome: str, url: str | None = None) -> dict:
        entry = {"seq": len(self._log) + 1, "id": push.id, "message_type": push.body.get("message_type"),
                 "posting_number": push.body.get("posting_number"), "attempt": push.attempt,
                 "url": url if url is not None else self.url, "http_status": status, "error": error,
                 "ok": outcome == "acknowledged", "outcome": outcome, "lost": outcome == "lost",
                 "time": stamp_ms(now()), "body": push.body}
        self._log.append(entry)
        return entry

    # ---- inspection and shutdown

    def log(self) -> list[dict]:
        with self._cond:
            return [dict(entry) for entry in self._log]

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or in flight (retries included); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def reset(self, url: str | None) -> None:
        with self._cond:
            self._heap.clear()
            self._log.clear()
            self._lose = 0
            self.url = url

    def close(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
