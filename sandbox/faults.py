"""Injected failures: ``POST /__sandbox__/fail {"status": 500 | "timeout" | "lost", "count": N, "path": ""}``.

- a number: the next N API requests get that HTTP status (the sandbox's own error body) and
  are not processed;
- ``"timeout"``: the next N requests hang HANG_SECONDS and are then answered 504, unprocessed;
- ``"lost"``: the next N requests ARE processed (the sandbox acts on them), then the
  answer is held HANG_SECONDS: the client times out and never learns the result.
``path`` limits the fault to requests whose path starts with it. ``FaultQueue`` adds ``retry_after`` (the
``Retry-After`` of an injected 429) for the marketplace sandboxes.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Fault:
    """One queued fault: an HTTP status or a mode, the path prefix it waits for, a Retry-After to send."""

    mode: int | str
    path: str = ""
    retry_after: float | None = None


class FaultQueue:
    """Faults that may carry ``Retry-After`` (the marketplace sandboxes' ``/__sandbox__/fail``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()

    def add(self, mode: object, count: int = 1, path: str = "", retry_after: float | None = None) -> int:
        """Queue ``count`` faults; answers the queue length. ValueError on a bad mode or Retry-After."""
        if isinstance(mode, str) and mode.isdigit():
            mode = int(mode)
        if mode not in MODES and not (isinstance(mode, int) and not isinstance(mode, bool) and 400 <= mode <= 599):
            raise ValueError("status must be an HTTP status 400-599, 'timeout' or 'lost'")
        if retry_after is not None and (isinstance(retry_after, bool) or not isinstance(retry_after, (int, float))
                                        or retry_after < 0):
            raise ValueError("retry_after must be a number of seconds")
        with self._lock:
            self._queue.extend([Fault(mode, str(path or ""), retry_after)] * max(0, int(count)))
            return len(self._queue)

    def take(self, *paths: str) -> Fault | None:
        """The first queued fault whose prefix matches one of ``paths`` (removed from the queue)."""
        with self._lock:
            for index, fault in enumerate(self._queue):
                if any(path.startswith(fault.path) for path in paths):
                    del self._queue[index]
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()


def drop_connection(environ: dict) -> bool:
    """Close the client's socket so the held answer never arrives; False without one (the Flask test client)."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True
