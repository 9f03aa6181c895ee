"""Request rate limits per Client-Id, answered 429 code 8 WITHOUT a Retry-After header (Ozon's quirk).

- every method together: ``RATE_PER_SECOND`` (50) per 1 s -> "You have reached request rate limit per second";
- ``/v2/products/stocks``: ``STOCK_UPDATES_PER_MINUTE`` (80) per 60 s -> "... per minute".

Sliding windows over the accepted requests (refused ones do not count) [unv]. ``POST /__sandbox__/rate
{"limit": N, "window": 60, "path": "/v2/products/stocks", "block": 0}`` overrides one (no ``path``: the
all-methods limit); ``block`` > 0 refuses everything on that limit for that many seconds after a refusal.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from .errors import PER_MINUTE, PER_SECOND


@dataclass
class Window:
    limit: int
    seconds: float
    message: str
    block: float = 0.0
    hits: deque = field(default_factory=deque)
    blocked_until: float = 0.0

    def take(self, moment: float) -> bool:
        """Count one request at ``moment``; False (and not counted) when over the limit."""
        if moment < self.blocked_until:
            return False
        while self.hits and self.hits[0] <= moment - self.seconds:
            self.hits.popleft()
        if len(self.hits) >= self.limit:
            if self.block > 0:
                self.blocked_until = moment + self.block
            return False
        self.hits.append(moment)
        return True


def _message(seconds: float) -> str:
    return PER_SECOND if seconds <= 1 else PER_MINUTE


class RateLimits:
    """The all-methods window plus per-path windows (prefix match)."""

    def __init__(self, per_second: int = 50, stock_per_minute: int = 80):
        self._lock = threading.Lock()
        self._defaults = (int(per_second), int(stock_per_minute))
        self.reset()

    def reset(self) -> None:
        per_second, stock_per_minute = self._defaults
        with self._lock:
            self.overall = Window(per_second, 1.0, PER_SECOND)
            self.paths: dict[str, Window] = {"/v2/products/stocks": Window(stock_per_minute, 60.0, PER_MINUTE)}

    def configure(self, limit: int, seconds: float, path: str = "", block: float = 0.0) -> dict:
        if limit < 1 or seconds <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        window = Window(int(limit), float(seconds), _message(seconds), float(block))
        with self._lock:
            if path:
                self.paths[path] = window
            else:
                self.overall = window
        return {"path": path or "*", "limit": window.limit, "window": window.seconds, "block": window.block}

    def check(self, path: str) -> str | None:
        """Count the request; the refusal message when a limit is exceeded, else None."""
        moment = time.monotonic()
        with self._lock:
            scoped = [w for prefix, w in self.paths.items() if path.startswith(prefix)]
            taken: list[Window] = []
            for window in [self.overall, *scoped]:
                if not window.take(moment):
                    for counted in taken:  # refused: not counted anywhere
                        counted.hits.pop()
                    return window.message
                taken.append(window)
        return None
