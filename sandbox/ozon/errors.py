"""Ozon's error body ``{"code": int, "message": str, "details": []}`` (gRPC-style codes) and request parsing.

Codes: 3 invalid argument (HTTP 400), 4 deadline exceeded (504), 5 not found (404), 7 permission denied (403),
8 resource exhausted (429), 12 unimplemented (405), 13 internal (500), 14 unavailable (502/503),
16 unauthenticated (401).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 10, 429: 8, 500: 13, 502: 14, 503: 14, 504: 4}
DEFAULT_MESSAGES = {400: "invalid request", 404: "Not Found", 405: "Method Not Allowed",
                    429: "You have reached request rate limit per second", 500: "Internal Server Error",
                    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
PER_SECOND = "You have reached request rate limit per second"
PER_MINUTE = "You have reached request rate limit per minute"


class ApiError(Exception):
    """Raised by handlers; rendered as Ozon's error body with the HTTP status."""

    def __init__(self, status: int, message: str, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = GRPC_CODES.get(status, 2) if code is None else code


def error_response(status: int, message: str | None = None, code: int | None = None) -> Response:
    """``{"code", "message", "details": []}`` with HTTP ``status``."""
    response = jsonify({"code": GRPC_CODES.get(status, 2) if code is None else code,
                        "message": message or DEFAULT_MESSAGES.get(status, "error"), "details": []})
    response.status_code = status
    return response


def invalid(message: str) -> ApiError:
    """A validation failure: HTTP 400, code 3."""
    return ApiError(400, message, 3)


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as ``{}``; anything else -> 400 code 3 (the
    gateway's ``proto: syntax error``)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise invalid("proto: syntax error: the request body must be a JSON object")
    return body
