"""Injected failures: ``POST /__sandbox__/fail {"status": 500 | "timeout" | "lost", "count": N, "path": ""}``.

- a number: the next N API requests get that HTTP status (the sandbox's own error body) and
  are not processed;
- ``"timeout"``: the next N requests hang HANG_SECONDS and are then answered 504, unprocessed;
- ``"lost"``: the next N requests ARE processed (the sandbox acts on them), then the
  answer is held HANG_SECONDS: the client times out and never learns the result.
``path`` limits the fault to requests whose path starts with it.
"""

from __future__ import annotations

import threading
from collections import deque

MODES = ("timeout", "lost")


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[int | str, str]] = deque()

    def add(self, mode: int | str, count: int = 1, path: str = "") -> int:
        if mode not in MODES and not (isinstance(mode, int) and 400 <= mode <= 599):
            raise ValueError("status must be an HTTP status 400-599, 'timeout' or 'lost'")
        with self._lock:
            self._queue.extend([(mode, path or "")] * max(0, int(count)))
            return len(self._queue)

    def take(self, path: str) -> int | str | None:
        """The fault for this request, if one is queued for its path."""
        with self._lock:
            for index, (mode, prefix) in enumerate(self._queue):
                if path.startswith(prefix):
                    del self._queue[index]
                    return mode
        return None

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
