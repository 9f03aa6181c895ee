"""Injected faults and the rate limit of the Rozetka sandbox (both thread-safe).

``POST /__sandbox__/fail {"status": 500|429|503|"timeout"|"lost", "count": N, "path": "/orders",
"retry_after": 7}``: the next N API requests whose path starts with ``path`` get that answer. A status is
answered at once with the Rozetka envelope (429 with ``Retry-After: retry_after``), unprocessed;
``"timeout"`` hangs HANG_SECONDS then answers 504, unprocessed; ``"lost"`` IS processed, then the answer is
held HANG_SECONDS and the connection dropped (the client never learns the result). Faults are
queued in ``sandbox.faults.FaultQueue``.

``POST /__sandbox__/rate {"limit": N, "window": 60, "block": 60}``: Rozetka documents no limit, so it is off
by default [unv]; once set, more than ``limit`` API requests within ``window`` seconds block every request for
``block`` seconds: HTTP 429, ``Retry-After`` = the seconds left of the block (``block`` on the first refusal).
"""

from __future__ import annotations

import math
import threading
from collections import deque

from .clock import Clock



class RateLimiter:
    """A sliding window of request times; over the limit -> blocked for ``block`` seconds."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.configure(None)

    def configure(self, limit: int | None, window: float = 60, block: float = 60) -> dict:
        """``limit`` None or 0 turns the limit off. The settings in force."""
        with self._lock:
            self.limit = int(limit) if limit else None
            self.window, self.block = max(0.001, float(window)), max(1.0, float(block))
            self._hits: deque[float] = deque()
            self._blocked_until = 0.0
            return self.settings()

    def settings(self) -> dict:
        return {"limit": self.limit, "window": self.window, "block": self.block}

    def hit(self) -> int | None:
        """Count one request; the Retry-After seconds when it is refused, else None."""
        with self._lock:
            if not self.limit:
                return None
            now = self._clock.time()
            if now < self._blocked_until:
                return max(1, math.ceil(self._blocked_until - now))
            while self._hits and self._hits[0] <= now - self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                self._blocked_until = now + self.block
                self._hits.clear()
                return max(1, math.ceil(self.block))
            self._hits.append(now)
            return None
