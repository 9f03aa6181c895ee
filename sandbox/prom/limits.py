"""Injected faults (queued in ``sandbox.faults.FaultQueue``) and the rate limit of the Prom sandbox.

``POST /__sandbox__/fail {"status": 500|429|503|"timeout"|"lost", "count": N, "path": "/orders",
"retry_after": 7}``: the next N API requests whose path starts with ``path`` (with or without the
``/api/v1`` prefix) get that answer, unprocessed; ``429`` is Prom's rate-limit answer with
``Retry-After`` (default ``RETRY_AFTER``, 1 s); ``timeout`` hangs HANG_SECONDS then 504; ``lost``
processes the request, holds the answer HANG_SECONDS and then drops the connection.

``POST /__sandbox__/rate {"limit": N, "window": 60, "block": 60}``: Prom's limits are undocumented, so
the sandbox's own: more than ``limit`` authorised requests within ``window`` seconds -> 429 ``{"error":
"Too many requests"}`` with ``Retry-After`` for ``block`` seconds (``limit`` 0/null = off, the default).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque



class RateLimiter:
    """A sliding window of request times; exceeding it blocks every request for ``block`` seconds."""

    def __init__(self, limit: int | None = None, window: float = 60.0, block: float = 60.0):
        self._lock = threading.Lock()
        self.configure(limit, window, block)

    def configure(self, limit: int | None, window: float = 60.0, block: float = 60.0) -> dict:
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
            raise ValueError("limit must be a non-negative integer or null")
        if float(window) <= 0 or float(block) < 0:
            raise ValueError("window must be > 0 and block >= 0 seconds")
        with self._lock:
            self.limit, self.window, self.block = (limit or None), float(window), float(block)
            self._hits: deque[float] = deque()
            self._blocked_until = 0.0
            return self.settings()

    def settings(self) -> dict:
        return {"limit": self.limit, "window": self.window, "block": self.block}

    def check(self) -> float | None:
        """Count this request; the seconds to wait when it is refused, else None."""
        now = time.monotonic()
        with self._lock:
            if self.limit is None:
                return None
            if now < self._blocked_until:
                return self._blocked_until - now
            while self._hits and self._hits[0] <= now - self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                self._hits.clear()
                self._blocked_until = now + self.block
                return self.block
            self._hits.append(now)
            return None


def retry_after_header(seconds: float) -> str:
    """Whole seconds, at least 1 when there is anything to wait."""
    return str(max(1, math.ceil(seconds)) if seconds > 0 else 0)