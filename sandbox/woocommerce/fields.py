"""Request-argument checking the way the WordPress REST server does it.

A single-item request is validated against the route schema *before* the
handler runs: ``{"stock_quantity": "12"}`` is accepted (numeric string) but
``"abc"`` or ``12.5`` give 400 ``rest_invalid_param``, and a price sent as a
number (``39.9``) fails with "regular_price is not of type string."

Batch endpoints are different: ``WC_REST_Controller::batch_items()`` calls
the handlers with sub-requests that are never validated, so values go
through PHP coercion instead - ``"abc"`` as a stock quantity becomes 0
(``intval``), ``39.9`` becomes ``"39.9"``.  ``coerce(..., strict=False)``
reproduces that.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Union

from .wpjson import (php_intval, invalid_params, rest_is_boolean, rest_is_integer, rest_to_bool,
                     wc_string_to_bool)

Spec = Union[str, tuple[str, tuple[str, ...]]]


def wp_sprintf_list(options: tuple[str, ...]) -> str:
    """``wp_sprintf_l``: "a, b, and c"."""
    if len(options) == 1:
        return options[0]
    if len(options) == 2:
        return f"{options[0]} and {options[1]}"
    return ", ".join(options[:-1]) + f", and {options[-1]}"


def _strict(name: str, spec: Spec, value: Any) -> tuple[Any, tuple[str, str] | None]:
    """Validate and sanitize one value; return (value, None) or (None, error)."""
    if isinstance(spec, tuple):
        options = spec[1]
        if not isinstance(value, str) or value not in options:
            return None, ("rest_not_in_enum", f"{name} is not one of {wp_sprintf_list(options)}.")
        return value, None
    if spec == "string":
        if not isinstance(value, str):
            return None, ("rest_invalid_type", f"{name} is not of type string.")
        return value, None
    if spec == "boolean":
        if not rest_is_boolean(value):
            return None, ("rest_invalid_type", f"{name} is not of type boolean.")
        return rest_to_bool(value), None
    if spec == "integer":
        if not rest_is_integer(value):
            return None, ("rest_invalid_type", f"{name} is not of type integer.")
        return int(Decimal(str(value).strip())), None
    if spec == "array":
        if not isinstance(value, list):
            return None, ("rest_invalid_type", f"{name} is not of type array.")
        return value, None
    if spec == "object":
        if not isinstance(value, dict):
            return None, ("rest_invalid_type", f"{name} is not of type object.")
        return value, None
    return value, None


def _loose(spec: Spec, value: Any) -> tuple[bool, Any]:
    """PHP coercion of an unvalidated batch value; (False, None) drops it."""
    if isinstance(spec, tuple):
        return (value in spec[1]), value
    if spec == "string":
        if isinstance(value, (dict, list)):
            return True, "Array"
        if isinstance(value, bool):
            return True, "1" if value else ""
        return True, "" if value is None else str(value)
    if spec == "boolean":
        return True, wc_string_to_bool(value)
    if spec == "integer":
        return True, php_intval(value)
    if spec == "array":
        return isinstance(value, list), value
    if spec == "object":
        return isinstance(value, dict), value
    return True, value


def coerce(params: dict[str, Any], schema: dict[str, Spec], strict: bool = True) -> dict[str, Any]:
    """Return the known arguments present in ``params``, checked per ``schema``.

    ``strict`` raises 400 ``rest_invalid_param`` naming every bad argument.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, tuple[str, str]] = {}
    for name, spec in schema.items():
        if name not in params:
            continue
        if strict:
            value, error = _strict(name, spec, params[name])
            if error:
                errors[name] = error
            else:
                clean[name] = value
        else:
            keep, value = _loose(spec, params[name])
            if keep:
                clean[name] = value
    if errors:
        raise invalid_params(errors)
    return clean
