"""Injected failures: ``POST /__sandbox__/fail {"status": 500|429|503|"timeout"|"lost", "count": N,
"path": "/prefix", "retry_after": 7}``.

- a status: the next N matching API requests get it with Ozon's error body (429: code 8 "... per second")
  and are not processed; Ozon sends no Retry-After, so the header appears only when ``retry_after`` is given;
- ``"timeout"``: hang ``HANG_SECONDS``, then 504 code 4, unprocessed;
- ``"lost"``: processed, then the answer is held ``HANG_SECONDS`` and the connection is dropped (under
  the Flask test client, which has no socket, the answer becomes 504 instead).
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from dataclasses import dataclass

MODES = ("timeout", "lost")


@dataclass(frozen=True)
class Fault:
    mode: int | str
    path: str = ""
    retry_after: int | None = None


class Faults:
    def __init__(self, hang_seconds: float = 5.0):
        self.hang_seconds = float(hang_seconds)
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()

    def add(self, mode: int | str, count: int = 1, path: str = "", retry_after: int | None = None) -> int:
        if mode not in MODES and not (isinstance(mode, int) and not isinstance(mode, bool) and 400 <= mode <= 599):
            raise ValueError("status must be an HTTP status 400-599, 'timeout' or 'lost'")
        with self._lock:
            self._queue.extend([Fault(mode, path or "", retry_after)] * max(0, int(count)))
            return len(self._queue)

    def take(self, path: str) -> Fault | None:
        """The first queued fault whose path prefix matches (removed from the queue)."""
        with self._lock:
            for index, fault in enumerate(self._queue):
                if path.startswith(fault.path):
                    del self._queue[index]
                    return fault
        return None

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()


def drop_connection(environ: dict) -> bool:
    """Close the client's socket so the answer never arrives; False when there is no socket (test client)."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True
