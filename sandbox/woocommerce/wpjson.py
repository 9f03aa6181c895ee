"""WordPress-flavoured JSON and REST plumbing shared by every sandbox endpoint.

WordPress answers REST requests (and WooCommerce builds webhook bodies) with
``wp_json_encode()``: compact JSON where every non-ASCII character becomes a
``\\uXXXX`` escape and every ``/`` becomes ``\\/``.  Re-serialising the parsed
JSON in Python never gives the same bytes back, which is exactly why a
receiver must verify webhook signatures over the raw body.  This module
reproduces that encoding, the ``{"code", "message", "data": {"status"}}``
error envelope of ``WP_Error`` and the small PHP coercions (``intval``,
``wc_string_to_bool``, ``$_GET`` parsing) that the sandbox needs in order to
behave like PHP rather than like Python.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote_plus

from flask import Response

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


def php_json(payload: Any) -> bytes:
    """Encode like PHP's ``json_encode`` with WordPress defaults.

    Non-ASCII is escaped as ``\\uXXXX`` (lower-case hex, surrogate pairs
    outside the BMP) and ``/`` as ``\\/``.  A slash can only occur inside a
    JSON string, so escaping it on the serialised text is safe.
    """
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


class WPError(Exception):
    """A ``WP_Error`` that the Flask error handler turns into a REST response."""

    def __init__(self, code: str, message: str, status: int = 400,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body WordPress sends for this error."""
        data: dict[str, Any] = {"status": self.status}
        data.update(self.extra)
        return {"code": self.code, "message": self.message, "data": data}


def wp_response(payload: Any, status: int = 200,
                headers: dict[str, str] | None = None) -> Response:
    """A REST response encoded the way ``WP_REST_Server`` encodes it."""
    response = Response(php_json(payload), status=status, content_type=JSON_CONTENT_TYPE)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Access-Control-Expose-Headers"] = "X-WP-Total, X-WP-TotalPages, Link"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: WPError) -> Response:
    """Render a :class:`WPError`."""
    return wp_response(error.body(), status=error.status, headers=error.headers)


def invalid_params(errors: dict[str, tuple[str, str]]) -> WPError:
    """400 ``rest_invalid_param`` listing every bad argument (WP 5.7+ shape).

    ``errors`` maps the parameter to ``(rest_code, message)``.
    """
    return WPError(
        "rest_invalid_param", f"Invalid parameter(s): {', '.join(errors)}", 400,
        params={name: message for name, (_, message) in errors.items()},
        details={name: {"code": code, "message": message, "data": {"param": name}}
                 for name, (code, message) in errors.items()},
    )


def invalid_param(param: str, message: str, rest_code: str = "rest_invalid_type") -> WPError:
    """400 ``rest_invalid_param`` for a single argument."""
    return invalid_params({param: (rest_code, message)})


def missing_params(names: list[str]) -> WPError:
    """400 ``rest_missing_callback_param`` for required arguments."""
    return WPError("rest_missing_callback_param",
                   f"Missing parameter(s): {', '.join(names)}", 400, params=names)


# --------------------------------------------------------------------------
# PHP coercions
# --------------------------------------------------------------------------

_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")


def php_intval(value: Any) -> int:
    """PHP ``intval()``: ``"12abc"`` -> 12, ``"abc"`` -> 0, ``5.9`` -> 5."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if value is None:
        return 0
    match = _LEADING_INT.match(str(value))
    return int(match.group(1)) if match else 0


def wc_string_to_bool(value: Any) -> bool:
    """WooCommerce ``wc_string_to_bool()``."""
    if isinstance(value, bool):
        return value
    if value == 1:
        return True
    return isinstance(value, str) and value.lower() in ("yes", "true", "1")


def rest_is_integer(value: Any) -> bool:
    """WordPress ``rest_is_integer()``: ints, integral floats and numeric strings."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, str):
        try:
            return Decimal(value.strip()) == Decimal(value.strip()).to_integral_value()
        except InvalidOperation:
            return False
    return False


def rest_is_boolean(value: Any) -> bool:
    """WordPress ``rest_is_boolean()``."""
    if isinstance(value, bool):
        return True
    if isinstance(value, str):
        return value.lower() in ("false", "true", "0", "1", "")
    if isinstance(value, int):
        return value in (0, 1)
    return False


def rest_to_bool(value: Any) -> bool:
    """WordPress ``rest_sanitize_boolean()``."""
    if isinstance(value, str):
        return value.lower() not in ("false", "0", "")
    return bool(value)


def money(value: Any, dp: int = 2) -> str:
    """WooCommerce money string: ``"39.9"`` -> ``"39.90"`` (``wc_format_decimal``)."""
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        amount = Decimal("0")
    return str(amount.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP))


def php_number(value: Decimal | float) -> int | float:
    """A float that PHP would print as an int when it is integral (``120`` not ``120.0``)."""
    number = float(value)
    return int(number) if number.is_integer() else number


def php_parse_query(query_string: str) -> dict[str, Any]:
    """Parse a query string like PHP fills ``$_GET``.

    A repeated scalar key keeps its last value (which is why the Python
    client's duplicated parameters are harmless), ``key[]`` builds a list and
    ``key[sub]`` a dict.
    """
    result: dict[str, Any] = {}
    for pair in filter(None, re.split(r"[&;]", query_string)):
        raw_key, _, raw_value = pair.partition("=")
        key, value = unquote_plus(raw_key), unquote_plus(raw_value)
        if not key:
            continue
        base, _, rest = key.partition("[")
        if not rest:
            result[base] = value
            continue
        sub = rest.split("]", 1)[0]
        container = result.get(base)
        if sub == "":
            container = container if isinstance(container, list) else []
            container.append(value)
        else:
            container = container if isinstance(container, dict) else {}
            container[sub] = value
        result[base] = container
    return result


def parse_list(value: Any) -> list[str]:
    """WordPress ``wp_parse_list()``: arrays stay, strings split on commas/spaces."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if str(item) != ""]
    if isinstance(value, dict):
        return [str(item) for item in value.values()]
    return [part for part in re.split(r"[\s,]+", str(value)) if part]
