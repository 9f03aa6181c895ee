"""Answers in Allegro's formats: the REST error list, OAuth errors, control-endpoint problems, timestamps.

REST bodies use ``application/vnd.allegro.public.v1+json``; every REST error is
``{"errors": [{"code", "message", "details", "path", "userMessage"}]}``. OAuth answers are plain
``application/json`` ``{"error", "error_description"}`` (RFC 6749 style).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from flask import Response, request

VND = "application/vnd.allegro.public.v1+json"
#: Default ``userMessage`` per error code (what Allegro shows a human; Polish like the real site) [unv texts].
USER_MESSAGES = {
    "NotFoundException": "Nie znaleziono zasobu.",
    "TooManyRequestsException": "Przekroczono limit zapytań. Spróbuj ponownie później.",
    "NotAcceptableException": "Nieobsługiwany format odpowiedzi.",
    "NotSupportedException": "Nieobsługiwany format treści zapytania.",
    "ConflictException": "Zasób został w międzyczasie zmieniony.",
}


class ApiError(Exception):
    """Raised by REST views; rendered as Allegro's error list."""

    def __init__(self, status: int, code: str, message: str, path: str | None = None,
                 user_message: str | None = None, details: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.path, self.details = path, details
        self.user_message = user_message or USER_MESSAGES.get(code) or message


def now() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """Allegro's time format: ``2024-05-06T10:11:12.000Z`` (UTC, milliseconds)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> datetime | None:
    """An ISO-8601 timestamp from a query parameter (``Z`` or an offset; naive = UTC); None if invalid."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def vnd(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A REST answer with Allegro's vendor content type."""
    text = "" if body is None else json.dumps(body, ensure_ascii=False)
    return Response(text, status=status, mimetype=VND, headers=headers or {})


def api_error(status: int, code: str, message: str, path: str | None = None,
              user_message: str | None = None) -> Response:
    return error_response(ApiError(status, code, message, path, user_message))


def error_response(error: ApiError) -> Response:
    entry = {"code": error.code, "message": error.message, "details": error.details, "path": error.path,
             "userMessage": error.user_message}
    return vnd({"errors": [entry]}, error.status)


def validation(message: str, path: str | None = None, status: int = 422, code: str = "VALIDATION_ERROR") -> ApiError:
    """A 422 for a body or parameter Allegro refuses (code ``VALIDATION_ERROR`` [unv] unless a spec names one)."""
    return ApiError(status, code, message, path)


def oauth_error(status: int, error: str, description: str | None = None, headers: dict | None = None) -> Response:
    body: dict[str, str] = {"error": error}
    if description:
        body["error_description"] = description
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers or {})


def plain_json(body: Any, status: int = 200) -> Response:
    """Control endpoints and OAuth successes: ``application/json``."""
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def problem(status: int, error: str, **extra: Any) -> Response:
    """A control-endpoint refusal ``{"error": ..., ...}``."""
    return plain_json({"error": error, **extra}, status)


def json_body() -> dict:
    """The REST request body as an object; 400 ``JsonParseException`` [unv code] when it is not JSON."""
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "JsonParseException", "Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JsonParseException", "Request body must be a JSON object")
    return body


def control_body() -> dict:
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else {}


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A bounded integer query parameter; 422 when malformed or out of range [unv code/status]."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation(f"{name} must be an integer", name) from None
    if not low <= value <= high:
        raise validation(f"{name} must be between {low} and {high}", name)
    return value
