"""What the CDEK sandbox refuses: at once (HTTP 400) or after validation (state INVALID).

Error shape ``{"code", "message"}`` with the field in brackets, as CDEK writes it
(``"[packages[0].items] is empty"``). [unv]: the sandbox knows only a few city codes
(``CITIES`` config), pick-up points look like ``MSK123``, and its tariff list is short.
"""

from __future__ import annotations

import re

DEFAULT_CITIES = {44: "Москва", 137: "Санкт-Петербург", 270: "Новосибирск"}
TARIFFS = frozenset({136, 137, 138, 139, 233, 234, 291, 293, 294, 295, 366, 368, 378, 480, 481, 482, 483, 485, 486})
POINT_RE = re.compile(r"^[A-Z]{2,5}\d{1,5}[A-Z]?$")
PHONE_RE = re.compile(r"^\+?\d{10,15}$")


def error(code: str, path: str, text: str) -> dict:
    return {"code": code, "message": f"[{path}] {text}"}


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _required(body: dict, paths: tuple[str, ...], prefix: str = "") -> list[dict]:
    return [error("v2_field_is_empty", prefix + p, "is empty") for p in paths if _empty(body.get(p))]


def _either(body: dict, a: str, b: str, multivalued: str) -> list[dict]:
    if body.get(a) and body.get(b):
        return [{"code": multivalued, "message": f"Both [{a}] and [{b}] are given"}]
    return [] if body.get(a) or body.get(b) else [error("v2_field_is_empty", b, "is empty")]


def _item_errors(item: object, path: str) -> list[dict]:
    if not isinstance(item, dict):
        return [error("v2_invalid_value_type", path, "must be an object")]
    errors = _required(item, ("name", "ware_key", "payment", "cost", "weight", "amount"), path + ".")
    if isinstance(item.get("payment"), dict) and item["payment"].get("value") is None:
        errors.append(error("v2_field_is_empty", path + ".payment.value", "is empty"))
    return errors


def _package_errors(package: object, index: int, order_type: int) -> list[dict]:
    path = f"packages[{index}]"
    if not isinstance(package, dict):
        return [error("v2_invalid_value_type", path, "must be an object")]
    errors = _required(package, ("number", "weight"), path + ".")
    if package.get("weight") is not None and (not isinstance(package["weight"], int) or package["weight"] <= 0):
        errors.append(error("v2_invalid_value_type", path + ".weight", "must be a positive integer (grams)"))
    items = package.get("items")
    if order_type == 1 and _empty(items):
        return errors + [error("v2_field_is_empty", path + ".items", "is empty")]
    return errors + [e for i, item in enumerate(items or []) for e in _item_errors(item, f"{path}.items[{i}]")]


def sync_errors(body: object) -> list[dict]:
    """Refusals of ``POST /v2/orders`` at once (HTTP 400): missing fields, wrong types."""
    if not isinstance(body, dict):
        return [{"code": "v2_bad_request", "message": "Request body must be a JSON object"}]
    errors = _required(body, ("tariff_code", "recipient", "packages"))
    if body.get("tariff_code") is not None and not isinstance(body["tariff_code"], int):
        errors.append(error("v2_invalid_value_type", "tariff_code", "must be an integer"))
    if len(str(body.get("number") or "")) > 40:
        errors.append(error("v2_invalid_format", "number", "is longer than 40 characters"))
    recipient = body.get("recipient")
    if isinstance(recipient, dict):
        errors += _required(recipient, ("name", "phones"), "recipient.")
    errors += _either(body, "delivery_point", "to_location", "v2_delivery_address_multivalued")
    errors += _either(body, "shipment_point", "from_location", "v2_shipment_address_multivalued")
    packages = body.get("packages")
    if packages is not None and not isinstance(packages, list):
        return errors + [error("v2_invalid_value_type", "packages", "must be an array")]
    order_type = body.get("type", 1)
    return errors + [e for i, p in enumerate(packages or []) for e in _package_errors(p, i, order_type)]


def _location_errors(body: dict, key: str, code: str, cities: dict) -> list[dict]:
    location = body.get(key)
    if not isinstance(location, dict):
        return []
    if location.get("code") not in cities:
        return [error(code, f"{key}.code", "location is not recognized")]
    return []


def async_errors(body: dict, cities: dict) -> list[dict]:
    """Refusals found by CDEK's asynchronous validation (the order becomes INVALID)."""
    errors = []
    if body.get("tariff_code") not in TARIFFS:
        errors.append(error("v2_tariff_not_found", "tariff_code", "tariff is not found"))
    errors += _location_errors(body, "to_location", "v2_recipient_location_not_recognized", cities)
    errors += _location_errors(body, "from_location", "v2_sender_location_not_recognized", cities)
    if body.get("delivery_point") and not POINT_RE.match(str(body["delivery_point"])):
        errors.append(error("delivery_location_is_not_recognized", "delivery_point", "is not recognized"))
    if body.get("shipment_point") and not POINT_RE.match(str(body["shipment_point"])):
        errors.append(error("shipment_location_is_not_recognized", "shipment_point", "is not recognized"))
    for i, phone in enumerate((body.get("recipient") or {}).get("phones") or []):
        if not PHONE_RE.match(str((phone or {}).get("number", "")).replace(" ", "")):
            errors.append(error("v2_invalid_format", f"recipient.phones[{i}].number", "has invalid format"))
    return errors
