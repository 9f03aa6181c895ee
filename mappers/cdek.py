"""CDEK API v2: pure paired mapping functions (karrio style) for ``connector.clients.cdek``.

Reference: ``reference/couriers.md`` section 4; https://api-docs.cdek.ru/33828802.html (orders),
https://api-docs.cdek.ru/36969722.html (barcodes), https://confluence.cdek.ru/display/documentation/Webhooks.

CDEK validates **asynchronously**: ``POST /v2/orders`` answers 202 with ``entity.uuid`` and
``requests[{type: CREATE, state: ACCEPTED}]``; the verdict (``SUCCESSFUL`` with a
``cdek_number``, or ``INVALID`` with ``errors[{code, message}]``) comes with ``GET
/v2/orders/{uuid}``. Malformed input is refused at once with HTTP 400 and the same
``requests[].errors`` shape; a missing order is HTTP 400 (not 404) with code
``v2_entity_not_found`` (``..._im_number`` for a look-up by our number) [code: public clients].
Error messages name the field in brackets: ``"[packages[0].items] is empty"``.

Weights are grams, sizes cm; ``items[].payment.value`` is the COD per unit. Our reference is the
order ``number`` (ASCII, up to 40 characters), which CDEK does not keep unique: a look-up by
``im_number`` returns the most recent order with it. Status ``code`` strings are compared, never
the deprecated numeric ``status_code``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from connector.errors import CarrierValidationError, NotFound, TransientError
from connector.shipping import ShipmentRequest, ShipmentResult, TrackingUpdate

CARRIER = "CDEK"
LABEL_SIZES = ("A4", "A5", "A6")
NUMBER_RE = re.compile(r"^[\x21-\x7e]{1,40}$")

#: CDEK status ``code`` -> canonical state; everything else (warehouses, transit, customs) is in transit.
#: ``RETURNED_TO_*_WAREHOUSE`` is a retry at a warehouse, not a return to the sender.
STATUS_STATES = {
    "ACCEPTED": "created", "CREATED": "confirmed", "INVALID": "cancelled", "REMOVED": "cancelled",
    "ACCEPTED_AT_PICK_UP_POINT": "ready_for_pickup", "POSTOMAT_POSTED": "ready_for_pickup",
    "DELIVERED": "delivered", "POSTOMAT_RECEIVED": "delivered",
    "NOT_DELIVERED": "returned", "POSTOMAT_SEIZED": "returned",
    "SENT_TO_SENDER_CITY": "returned", "ACCEPTED_IN_SENDER_CITY": "returned",
}

#: Our words for the codes a shop meets; the bracketed CDEK path is appended.
CODE_MESSAGES = {
    "v2_field_is_empty": "is required",
    "v2_invalid_format": "has an invalid format",
    "v2_invalid_value_type": "has the wrong type",
    "v2_recipient_location_not_recognized": "CDEK does not recognise the recipient's city",
    "v2_sender_location_not_recognized": "CDEK does not recognise the sender's city",
    "delivery_location_is_not_recognized": "CDEK does not know this pick-up point",
    "shipment_location_is_not_recognized": "CDEK does not know the drop-off point",
    "v2_tariff_not_found": "the tariff is not available for this route",
    "v2_delivery_address_multivalued": "give either a pick-up point or an address, not both",
    "v2_number_items_is_more_126": "an order holds at most 126 item lines",
    "v2_entity_not_found": "not found (deleted, or never created)",
    "v2_entity_not_found_im_number": "no order with this number",
}
CODE_FIELDS = {
    "v2_recipient_location_not_recognized": "receiver.city_ref", "delivery_location_is_not_recognized": "pickup_point",
    "v2_sender_location_not_recognized": "sender.city_ref", "shipment_location_is_not_recognized": "extra.shipment_point",
    "v2_tariff_not_found": "service", "v2_delivery_address_multivalued": "pickup_point",
    "v2_number_items_is_more_126": "parcels",
}
#: CDEK request path prefix -> our field (first match wins, so longer prefixes come first).
PATH_FIELDS = (
    ("recipient.phones", "receiver.phone"), ("recipient.email", "receiver.email"), ("recipient", "receiver.name"),
    ("to_location.code", "receiver.city_ref"), ("to_location", "receiver.street"), ("delivery_point", "pickup_point"),
    ("from_location.code", "sender.city_ref"), ("from_location", "sender.street"),
    ("shipment_point", "extra.shipment_point"), ("sender", "sender"), ("packages", "parcels"),
    ("number", "reference"), ("tariff_code", "service"), ("recipient_currency", "currency"),
    ("items_cost_currency", "currency"),
)
_PATH_RE = re.compile(r"\[((?:[^\[\]]|\[\d+\])+)\]")
TRANSIENT_CODES = frozenset({"v2_internal_error", "v2_similar_request_still_processed"})


# --------------------------------------------------------------------------- requests

def _invalid(field: str, message: str) -> CarrierValidationError:
    return CarrierValidationError(message, field=field, carrier=CARRIER)


def normalize_phone(raw: str, field: str = "receiver.phone") -> str:
    """``8 (913) 463-72-28`` / ``9134637228`` -> ``+79134637228``; other countries keep their code."""
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits.startswith("9"):
        digits = "7" + digits
    if not 10 <= len(digits) <= 15:
        raise _invalid(field, "must be a phone number with its country code, e.g. +7 and 10 digits")
    return "+" + digits


def grams(kg: Decimal) -> int:
    return int((Decimal(kg) * 1000).to_integral_value(ROUND_CEILING))


def amount(value: Decimal | None) -> int | float:
    """A money value for CDEK's JSON (major units, half-up to 0.01)."""
    quantized = Decimal(value or 0).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return int(quantized) if quantized == quantized.to_integral_value() else float(quantized)


def _address(party) -> str:
    return ", ".join(part for part in (party.street, party.building, party.flat) if part)


def _check(request: ShipmentRequest) -> None:
    if not NUMBER_RE.match(request.reference or ""):
        raise _invalid("reference", "must be 1-40 printable ASCII characters (CDEK order number)")
    if not str(request.service).isdigit():
        raise _invalid("service", "must be a CDEK tariff code, e.g. 136")
    if not (request.receiver.name or "").strip():
        raise _invalid("receiver.name", "the recipient's name is required")
    if not request.parcels or any(p.weight_kg <= 0 for p in request.parcels):
        raise _invalid("parcels", "every parcel needs a weight above 0 kg")
    if not request.pickup_point and not (str(request.receiver.city_ref).isdigit() and _address(request.receiver)):
        raise _invalid("pickup_point", "give a pick-up point code, or a CDEK city code and an address")


def _ends(request: ShipmentRequest) -> dict:
    ends: dict = {}
    if request.pickup_point:
        ends["delivery_point"] = request.pickup_point
    else:
        ends["to_location"] = {"code": int(request.receiver.city_ref), "address": _address(request.receiver)}
    point, sender = (request.extra or {}).get("shipment_point"), request.sender
    if point:
        ends["shipment_point"] = point
    elif str(sender.city_ref).isdigit():
        ends["from_location"] = {"code": int(sender.city_ref), "address": _address(sender)}
    return ends


def _party(party, field: str, *, phone_required: bool) -> dict:
    out = {"name": " ".join(party.name.split())} if party.name else {}
    if party.company:
        out["company"] = party.company
    if party.phone or phone_required:
        out["phones"] = [{"number": normalize_phone(party.phone, f"{field}.phone")}]
    if party.email:
        out["email"] = party.email
    return out


def _packages(request: ShipmentRequest) -> list[dict]:
    packages = []
    for index, parcel in enumerate(request.parcels):
        first, key = index == 0, f"{request.reference}-{index + 1}"
        item = {"name": request.description or "Товар", "ware_key": key,
                "payment": {"value": amount(request.cod_amount if first else 0)},
                "cost": amount(request.declared_value if first else 0), "weight": grams(parcel.weight_kg), "amount": 1}
        package = {"number": key, "weight": grams(parcel.weight_kg), "items": [item]}
        package.update({k: v for k, v in (("length", parcel.length_cm), ("width", parcel.width_cm),
                                          ("height", parcel.height_cm)) if v})
        packages.append(package)
    return packages


def order_request(request: ShipmentRequest) -> dict:
    """``POST /v2/orders`` body (type 1, e-shop); COD goes on the first package's item."""
    _check(request)
    body = {"type": int((request.extra or {}).get("cdek_type", 1)), "number": request.reference,
            "tariff_code": int(request.service),
            "recipient": _party(request.receiver, "receiver", phone_required=True),
            "sender": _party(request.sender, "sender", phone_required=False), **_ends(request),
            "packages": _packages(request)}
    if request.description:
        body["comment"] = request.description[:255]
    if request.currency and request.currency != "RUB":
        body["recipient_currency"] = body["items_cost_currency"] = request.currency
    return body


def print_request(order_uuid: str, size: str = "A6", *, copies: int = 1, lang: str = "RUS") -> dict:
    """``POST /v2/print/barcodes`` body: the package stickers of one order."""
    return {"orders": [{"order_uuid": order_uuid}], "copy_count": copies, "format": size, "lang": lang}


def token_form(client_id: str, client_secret: str) -> dict:
    """``POST /v2/oauth/token`` form fields (x-www-form-urlencoded)."""
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}


# --------------------------------------------------------------------------- answers

def parse_time(text: object) -> datetime | None:
    """ISO 8601 with ``+00:00`` or ``+0700`` offsets; None when absent or malformed."""
    try:
        return datetime.fromisoformat(str(text or ""))
    except ValueError:
        return None


def tracking_state(code: str, is_return: bool = False) -> str:
    """Canonical state of a status ``code``; a return order's movement is ``returned``."""
    state = STATUS_STATES.get(str(code or "").upper(), "in_transit")
    return "returned" if is_return and state not in ("created", "confirmed", "cancelled") else state


def entity_uuid(body: Mapping) -> str:
    uuid = ((body or {}).get("entity") or {}).get("uuid")
    if not uuid:
        raise TransientError(f"{CARRIER}: answer without entity.uuid")
    return str(uuid)


def request_state(body: Mapping, kind: str = "CREATE") -> tuple[str, list]:
    """(state, errors) of the last ``requests[]`` entry of ``kind``; ("", []) when none is listed."""
    found = [r for r in (body or {}).get("requests") or [] if isinstance(r, Mapping) and r.get("type") == kind]
    return (str(found[-1].get("state", "")), list(found[-1].get("errors") or [])) if found else ("", [])


def latest_status(entity: Mapping, *, newest_first: bool = True) -> tuple[str, datetime | None]:
    """The newest ``statuses[]`` entry by ``date_time``; equal times fall back on the list order
    (orders list the newest first, print jobs the oldest first)."""
    statuses = [s for s in entity.get("statuses") or [] if isinstance(s, Mapping) and s.get("code")]
    if not statuses:
        return "", None
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    ranked = [((parse_time(s.get("date_time")) or epoch), -i if newest_first else i, s) for i, s in enumerate(statuses)]
    newest = max(ranked, key=lambda r: r[:2])[2]
    return str(newest["code"]), parse_time(newest.get("date_time"))


def field_of(code: str, message: str) -> tuple[str, str]:
    """(our field, CDEK path) of one error, from its code or its bracketed path."""
    match = _PATH_RE.search(message or "")
    path = match.group(1) if match else ""
    if code in CODE_FIELDS:
        return CODE_FIELDS[code], path
    normalized = re.sub(r"\[\d+\]", "", path)
    for prefix, field in PATH_FIELDS:
        if normalized == prefix or normalized.startswith(prefix + ".") or normalized.startswith(prefix + "["):
            return field, path
    return "request", path


def errors_of(body: Mapping) -> list[tuple[str, str, str]]:
    """Every ``(field, message, code)`` of an answer: ``requests[].errors`` or top-level ``errors``."""
    raw = [e for r in (body or {}).get("requests") or [] if isinstance(r, Mapping) for e in r.get("errors") or []]
    raw += list((body or {}).get("errors") or [])
    out = []
    for error in (e for e in raw if isinstance(e, Mapping)):
        code, text = str(error.get("code", "")), re.sub(r"\d{7,}", "…", str(error.get("message", "")))[:200]
        field, path = field_of(code, text)
        plain = CODE_MESSAGES.get(code)
        out.append((field, f"{plain} ({path})" if plain and path else plain or text or "refused", code))
    return out


def raise_for_errors(body: Mapping, what: str, *, status: int | None = None) -> None:
    """Raise the typed error of a CDEK error answer (HTTP 400 or an INVALID request)."""
    errors = errors_of(body) or [("request", "refused without a reason", "")]
    codes = {code for _, _, code in errors}
    field, message, code = errors[0]
    if any(c.startswith("v2_entity_not_found") or c == "v2_order_not_found" for c in codes):
        raise NotFound(f"{CARRIER} {what}: {message}", status=status, code=code)
    if codes & TRANSIENT_CODES:
        raise TransientError(f"{CARRIER} {what}: {message}", status=status, code=code)
    raise CarrierValidationError(message, field=field, carrier=CARRIER, code=code or None, errors=errors,
                                 status=status)


def order_result(body: Mapping) -> ShipmentResult:
    """``GET /v2/orders/{uuid}`` -> result; raises CarrierValidationError when creation was INVALID."""
    entity = (body or {}).get("entity") or {}
    state, _ = request_state(body)
    code, _ = latest_status(entity)
    if state == "INVALID" or code == "INVALID":
        raise_for_errors(body, "order")
    cdek_number = str(entity.get("cdek_number") or "")
    ready = state == "SUCCESSFUL" or bool(cdek_number)
    code = code or ("CREATED" if ready else "ACCEPTED")
    return ShipmentResult(carrier_ref=str(entity.get("uuid", "")), tracking_number=cdek_number,
                          status=tracking_state(code, bool(entity.get("is_return"))), raw_status=code,
                          label_ready=ready and code not in ("REMOVED", "INVALID"))


def order_found(body: Mapping) -> ShipmentResult | None:
    """An ``im_number`` look-up answer; None when that order failed validation or was deleted,
    so a failed attempt never blocks a new one."""
    try:
        result = order_result(body)
    except CarrierValidationError:
        return None
    return None if result.raw_status == "REMOVED" else result


def order_update(body: Mapping) -> TrackingUpdate | None:
    """A tracking update from an order answer (``GET /v2/orders?cdek_number=``); None without a number."""
    entity = (body or {}).get("entity") or {}
    code, at = latest_status(entity)
    if not entity.get("cdek_number") or not code:
        return None
    return TrackingUpdate(str(entity["cdek_number"]), tracking_state(code, bool(entity.get("is_return"))), code, at)


def parse_webhook(body: Mapping) -> TrackingUpdate | None:
    """An ``ORDER_STATUS`` webhook body -> update; other types (``PRINT_FORM``...) -> None.

    CDEK does not retry a failed delivery (3 s timeout), so polling stays the source of truth.
    """
    if not isinstance(body, Mapping) or body.get("type") != "ORDER_STATUS":
        return None
    attributes = body.get("attributes") or {}
    number, code = str(attributes.get("cdek_number") or ""), str(attributes.get("code") or "")
    if not number or not code:
        raise ValueError("ORDER_STATUS webhook without cdek_number or code")
    at = parse_time(attributes.get("status_date_time")) or parse_time(body.get("date_time"))
    return TrackingUpdate(number, tracking_state(code, bool(attributes.get("is_return"))), code, at)


def print_status(body: Mapping) -> tuple[str, str]:
    """(latest print status: ACCEPTED | PROCESSING | READY | REMOVED | INVALID, url) of a print job."""
    entity = (body or {}).get("entity") or {}
    state, _ = request_state(body)
    code, _ = latest_status(entity, newest_first=False)
    return ("INVALID" if state == "INVALID" else code or "ACCEPTED"), str(entity.get("url") or "")
