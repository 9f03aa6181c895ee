"""Injected latency and failures for a sandbox's API (shared by the P24 and PayU sandboxes).

``POST /__sandbox__/delay {"seconds": 2.0, "path": "/api/v1/transaction/register"}``: API requests
(optionally only those whose path starts with ``path``) sleep that long *before* being handled, so
a client read timeout still leaves the request processed afterwards, like a slow real gateway.
``{"seconds": 0}`` clears it.

``POST /__sandbox__/fail {"status": 503, "count": 2, "retry_after": 7}``: the next ``count`` API
requests are answered with that status (and ``Retry-After`` when given) without being processed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Response, jsonify


class Faults:
    """Thread-safe fault state; ``apply`` is called from a ``before_request`` hook."""

    def __init__(self, delay: float = 0.0):
        self._lock = threading.Lock()
        self.delay = float(delay)
        self.delay_path = ""
        self._failures: deque[tuple[int, float | None]] = deque()

    def set_delay(self, seconds: float, path: str = "") -> None:
        with self._lock:
            self.delay, self.delay_path = max(0.0, float(seconds)), path or ""

    def add_failures(self, status: int, count: int = 1, retry_after: float | None = None) -> int:
        with self._lock:
            self._failures.extend([(int(status), retry_after)] * max(0, int(count)))
            return len(self._failures)

    def reset(self) -> None:
        with self._lock:
            self.delay, self.delay_path = 0.0, ""
            self._failures.clear()

    def apply(self, path: str, error_body: Callable[[int], dict]) -> Response | None:
        """Sleep if a delay applies to ``path``; return the injected failure response, if any."""
        with self._lock:
            delay = self.delay if path.startswith(self.delay_path) else 0.0
            failure = self._failures.popleft() if self._failures else None
        if delay:
            time.sleep(delay)
        if failure is None:
            return None
        status, retry_after = failure
        response = jsonify(error_body(status))
        response.status_code = status
        if retry_after is not None:
            response.headers["Retry-After"] = f"{retry_after:g}"
        return response
