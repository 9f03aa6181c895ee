"""Rozetka's answer envelope: ``{"success": true, "content": ...}`` or
``{"success": false, "errors": {"message", "code", "details"}}``.

Quirk: business errors come with HTTP 200 and ``success: false``; only auth (401), the rate limit (429),
unknown routes (404) and server trouble use other HTTP statuses. Yii2-style paging lives here too.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

#: Fault/HTTP status -> (message, code) of the error body (codes from the apidoc "Опис помилок" where
#: one fits; 429 and the rest [unv]).
HTTP_ERRORS: dict[int, tuple[str, int]] = {
    400: ("incorrect_data_format", 1002),
    401: ("incorrect_token", 1020),
    403: ("access_denied", 1010),
    404: ("not_found", 5404),
    405: ("method_not_allowed", 0),
    429: ("too_many_requests", 429),
    500: ("server_error", 0),
    502: ("server_error", 0),
    503: ("technical_maintenance", 5503),
    504: ("gateway_timeout", 0),
}


def ok(content: Any, status: int = 200):
    """``{"success": true, "content": content}``."""
    response = jsonify({"success": True, "content": content})
    response.status_code = status
    return response


def fail(message: str, code: int, details: Any = None, status: int = 200, with_details: bool = True):
    """``{"success": false, "errors": {"message", "code", "details"}}`` (HTTP 200 unless told)."""
    errors: dict[str, Any] = {"message": message, "code": code}
    if with_details:
        errors["details"] = [] if details is None else details
    response = jsonify({"success": False, "errors": errors})
    response.status_code = status
    return response


def http_error(status: int, retry_after: int | None = None):
    """The envelope for an HTTP-level error (faults, 404/405); 429 carries ``Retry-After``.

    The 429 body is exactly ``{"message": "too_many_requests", "code": 429}`` (no ``details``, as the
    contract writes it)."""
    message, code = HTTP_ERRORS.get(status, ("server_error", 0) if status >= 500 else ("incorrect_data_format", 1002))
    response = fail(message, code, status=status, with_details=status != 429)
    if status == 429:
        response.headers["Retry-After"] = str(max(1, int(retry_after or 1)))
    return response


def page_number(raw: str | None) -> int:
    """``?page=`` (1-based); anything that is not a positive integer is page 1."""
    try:
        return max(1, int(str(raw)))
    except (TypeError, ValueError):
        return 1


def paginate(rows: list, page: int, per_page: int) -> tuple[list, dict]:
    """One page and its ``_meta``. Yii2 quirk [unv]: a page past the end answers the LAST page (and says
    so in ``currentPage``), so loop over ``pageCount``, never "until an empty page"."""
    total = len(rows)
    page_count = (total + per_page - 1) // per_page
    page = min(page, max(page_count, 1))
    start = (page - 1) * per_page
    meta = {"totalCount": total, "pageCount": page_count, "currentPage": page, "perPage": per_page}
    return rows[start:start + per_page], meta
