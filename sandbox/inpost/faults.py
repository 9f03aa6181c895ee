"""Injected latency, failures and lost answers for the courier sandboxes (shared with ``sandbox.dhl_poland``).

``POST /__sandbox__/delay {"seconds": 2.0, "path": "/v1/"}``: API requests (optionally only those
whose path starts with ``path``) sleep that long *before* being handled. ``{"seconds": 0}`` clears.

``POST /__sandbox__/fail {"status": 503, "count": 2}``: the next ``count`` API requests are answered
with that status without being processed. ``{"status": "timeout"}`` makes them hang for
``HANG_SECONDS`` (then 504), so a client read timeout fires; nothing is processed either.

``POST /__sandbox__/lose_answer {"count": 1}``: the next ``count`` creates ARE processed (the
shipment exists) but the connection is closed before any answer is written: "created remotely,
the answer was lost". The client sees a dropped connection and must look the shipment up.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Response


class Faults:
    """Thread-safe fault state; ``apply`` runs in a ``before_request`` hook."""

    def __init__(self, delay: float = 0.0, hang_seconds: float = 5.0):
        self._lock = threading.Lock()
        self.delay, self.delay_path = float(delay), ""
        self.hang_seconds = float(hang_seconds)
        self._failures: deque[int | str] = deque()
        self._lost_answers = 0

    def set_delay(self, seconds: float, path: str = "") -> None:
        with self._lock:
            self.delay, self.delay_path = max(0.0, float(seconds)), path or ""

    def add_failures(self, status: int | str, count: int = 1) -> int:
        """Queue ``count`` failures: an HTTP status (>= 400) or ``"timeout"``; the queue length."""
        kind = "timeout" if status == "timeout" else int(status)
        if kind != "timeout" and not 400 <= kind <= 599:
            raise ValueError("status must be an HTTP error status or 'timeout'")
        with self._lock:
            self._failures.extend([kind] * max(0, int(count)))
            return len(self._failures)

    def lose_answers(self, count: int = 1) -> int:
        with self._lock:
            self._lost_answers += max(0, int(count))
            return self._lost_answers

    def take_lost_answer(self) -> bool:
        """True (once per queued loss) when this create's answer must be dropped."""
        with self._lock:
            if self._lost_answers <= 0:
                return False
            self._lost_answers -= 1
            return True

    def reset(self) -> None:
        with self._lock:
            self.delay, self.delay_path = 0.0, ""
            self._failures.clear()
            self._lost_answers = 0

    def apply(self, path: str, respond: Callable[[int], Response]) -> Response | None:
        """Sleep if a delay applies to ``path``; the injected failure response, if one is queued."""
        with self._lock:
            delay = self.delay if path.startswith(self.delay_path) else 0.0
            failure = self._failures.popleft() if self._failures else None
        if delay:
            time.sleep(delay)
        if failure is None:
            return None
        if failure == "timeout":
            time.sleep(self.hang_seconds)
            return respond(504)
        return respond(int(failure))


def drop_connection(environ: dict) -> None:
    """Close the client's connection now; werkzeug's later write fails quietly (connection dropped).

    Needs werkzeug's server (``werkzeug.socket`` in the environ), which is how the sandboxes run.
    """
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("lose_answer needs the werkzeug server (python -m sandbox.<carrier>)")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
