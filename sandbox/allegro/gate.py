"""What every request to the REST API (``/order/``, ``/sale/``) and the OAuth site passes first.

Order: injected faults (``/__sandbox__/fail``) -> Bearer token (401 ``invalid_token``) -> rate limit per
Client_ID (429 ``TooManyRequestsException``, NO Retry-After, no quota headers) -> ``Accept`` (406
``NotAcceptableException``) -> ``Content-Type`` of POST/PUT/PATCH (415 ``NotSupportedException``).
The OAuth site only gets the faults. Every such call is logged for ``GET /__sandbox__/calls``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque

from flask import Response, current_app, g, request

from .replies import VND, api_error, oauth_error

API_PREFIXES = ("/order/", "/sale/")
OAUTH_PREFIX = "/auth/oauth/"
FAULT_CODES = {429: "TooManyRequestsException", 500: "InternalServerErrorException",
               502: "BadGatewayException", 503: "ServiceUnavailableException", 504: "GatewayTimeoutException"}


class RateLimiter:
    """``limit`` requests per sliding ``window`` s per Client_ID (all its tokens); over it -> blocked ``block`` s."""

    def __init__(self, limit: int, window: float, block: float) -> None:
        self._lock = threading.Lock()
        self.configure(limit, window, block)

    def configure(self, limit: int, window: float, block: float) -> None:
        with self._lock:
            self.limit, self.window, self.block = int(limit), float(window), float(block)
            self._hits: dict[str, deque[float]] = {}
            self._blocked_until: dict[str, float] = {}

    def allow(self, client_id: str) -> bool:
        """Count one request; False while the client id is blocked (the request that trips it included)."""
        with self._lock:
            moment = time.monotonic()
            if self._blocked_until.get(client_id, 0.0) > moment:
                return False
            hits = self._hits.setdefault(client_id, deque())
            while hits and hits[0] <= moment - self.window:
                hits.popleft()
            hits.append(moment)
            if len(hits) > self.limit:
                self._blocked_until[client_id] = moment + self.block
                hits.clear()
                return False
            return True

    def state(self) -> dict:
        with self._lock:
            moment = time.monotonic()
            return {"limit": self.limit, "window": self.window, "block": self.block,
                    "blocked_for": {cid: round(until - moment, 3) for cid, until in self._blocked_until.items()
                                    if until > moment}}


def _sandbox():
    return current_app.extensions["allegro_sandbox"]


def _kind(path: str) -> str | None:
    if path.startswith(API_PREFIXES):
        return "api"
    return "oauth" if path.startswith(OAUTH_PREFIX) else None


def _fault(mode) -> Response | None:
    """A queued fault's answer (None for "lost": processed, the answer is dropped in ``after``)."""
    if mode == "lost":
        g.allegro_lost = True
        return None
    if mode == "timeout":
        time.sleep(float(_sandbox().config["HANG_SECONDS"]))
        mode = 504
    status = int(mode)
    code = FAULT_CODES.get(status, "InternalServerErrorException" if status >= 500 else "BadRequestException")
    message = "Too many requests" if status == 429 else f"Injected failure (HTTP {status})"
    return api_error(status, code, message)


def _media_types(header: str) -> set[str]:
    return {part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()}


def _api_refusal() -> Response | None:
    state = _sandbox()
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client_id, reason = state.tokens.check(token.strip()) if scheme.lower() == "bearer" and token.strip() \
        else (None, "invalid")
    if client_id is None:
        challenge = f'Bearer error="invalid_token", error_description="Access token {reason}"'
        return oauth_error(401, "invalid_token", f"Access token {reason}", {"WWW-Authenticate": challenge})
    if not state.limiter.allow(client_id):
        return api_error(429, "TooManyRequestsException", "Too many requests")
    if VND not in _media_types(request.headers.get("Accept", "")):
        return api_error(406, "NotAcceptableException", f"Accept header must be {VND}")
    if request.method in ("POST", "PUT", "PATCH") and \
            VND not in _media_types(request.headers.get("Content-Type", "")):
        return api_error(415, "NotSupportedException", f"Content-Type must be {VND}")
    return None


def before() -> Response | None:
    kind = _kind(request.path)
    if kind is None:
        return None
    mode = _sandbox().faults.take(request.path)
    if mode is not None and (answer := _fault(mode)) is not None:
        return answer
    return _api_refusal() if kind == "api" else None


def after(response: Response) -> Response:
    if _kind(request.path) is None:
        return response
    _sandbox().store.log_call(request.method, request.path, response.status_code)
    if g.get("allegro_lost"):
        time.sleep(float(_sandbox().config["HANG_SECONDS"]))
        _drop_connection()
    return response


def _drop_connection() -> None:
    """Close the client's socket so the (already processed) answer never arrives (werkzeug server only)."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
