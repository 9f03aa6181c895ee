"""InPost ShipX (Poland): canonical shipment <-> ShipX JSON, statuses, webhooks, errors (pure, no I/O).

Reference: ``reference/couriers.md`` section 1; ShipX docs
https://dokumentacja-inpost.atlassian.net/wiki/spaces/PL/pages/622754/API+ShipX .

Quirks this module encodes:

* Simplified mode (``POST /v1/organizations/:id/shipments`` with ``service``): InPost buys the offer
  asynchronously, so the answer is ``created`` with ``tracking_number: null``; tracking number and
  label exist only from ``confirmed`` on.
* Locker services need ``receiver.phone`` + ``receiver.email``, ``custom_attributes.target_point``
  and one parcel with a ``template`` (small | medium | large). Courier services need an address,
  ``parcels[].dimensions`` in **mm** and ``weight`` in kg; standard/express need ``insurance``.
* ``reference`` (3-100 chars) carries our own reference: it is the look-up key (no idempotency key).
* InPost adds statuses without notice: an unknown status maps to ``in_transit``.
* A 400 ``validation_failed`` names the fields in ``details``, nested
  (``{"parcels": [{"0": {"dimensions": [{"width": ["too_small"]}]}}]}``, batch answers wrap it in
  ``shipments[{"<id>": ...}]``); :func:`validation_error` turns it into plain words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from connector.errors import CarrierValidationError, UnsupportedOperation
from connector.shipping import Parcel, Party, ShipmentRequest, ShipmentResult, TrackingUpdate

__all__ = ["CarrierValidationError", "CancelNotAllowed", "shipment_body", "label_params", "shipment_result",
           "find_in_search", "tracking_update", "tracking_history", "webhook_event", "validation_error", "status"]

CARRIER = "InPost"
LOCKER_SERVICES = frozenset({"inpost_locker_standard", "inpost_locker_allegro"})
COURIER_SERVICES = frozenset({"inpost_courier_standard", "inpost_courier_express_1000",
                              "inpost_courier_express_1200", "inpost_courier_express_1700", "inpost_courier_c2c"})
#: Services for which ShipX requires ``insurance``.
INSURED_SERVICES = frozenset({"inpost_courier_standard", "inpost_courier_express_1000",
                              "inpost_courier_express_1200", "inpost_courier_express_1700"})
TEMPLATES = ("small", "medium", "large")
#: ``DELETE /v1/shipments/:id`` works only in these statuses (else ``invalid_action``).
CANCELLABLE = frozenset({"created", "offers_prepared"})
#: Before ``confirmed`` there is no label and no tracking number.
NOT_BOUGHT = frozenset({"created", "offers_prepared", "offer_selected"})

_READY = ("ready_to_pickup", "ready_to_pickup_from_pok", "ready_to_pickup_from_pok_registered",
          "ready_to_pickup_from_branch", "pickup_reminder_sent", "avizo", "stack_in_box_machine",
          "stack_in_customer_service_point", "courier_avizo_in_customer_service_point")
#: ShipX status -> canonical state; everything else (the transit chain, problems, new names) is in_transit.
STATUS_MAP: dict[str, str] = {
    **{name: "created" for name in NOT_BOUGHT},
    "confirmed": "confirmed",
    **{name: "ready_for_pickup" for name in _READY},
    "delivered": "delivered",
    "returned_to_sender": "returned",
    "return_pickup_confirmation_to_sender": "returned",
    "canceled": "cancelled",
}

#: (fmt, size, dpi) -> ``GET /v1/shipments/:id/label`` query. ``normal`` is an A4 page; courier
#: services ignore it and always answer A6. ``dpi300`` exists for ZPL only.
LABEL_PARAMS = {
    ("pdf", "A6", 203): {"format": "Pdf", "type": "A6"},
    ("pdf", "A6", 300): {"format": "Pdf", "type": "A6"},
    ("pdf", "A4", 203): {"format": "Pdf", "type": "normal"},
    ("pdf", "A4", 300): {"format": "Pdf", "type": "normal"},
    ("zpl", "A6", 203): {"format": "Zpl", "type": "A6"},
    ("zpl", "A6", 300): {"format": "Zpl", "type": "dpi300"},
}


class CancelNotAllowed(UnsupportedOperation):
    """The carrier will not cancel this shipment any more (InPost: bought; DHL: handed over)."""


# --------------------------------------------------------------------------- request

def _amount(value: Decimal) -> float:
    """Money as a JSON number with two decimals (``Decimal("19.99") -> 19.99``), rounded half up."""
    return float(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def normalize_phone(phone: str) -> str:
    """Digits only, without the Polish prefix: ``"+48 600-100-200" -> "600100200"``."""
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("0048", "48"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 9:
            return digits[len(prefix):]
    return digits


def _refuse(field: str, words: str) -> CarrierValidationError:
    """A documented requirement is missing: refused before anything is sent."""
    return CarrierValidationError(words, field=field, carrier=CARRIER, code="local_validation")


def _names(party: Party) -> dict:
    first, _, last = party.name.strip().partition(" ")
    names = {"first_name": first, "last_name": last.strip()} if party.name.strip() else {}
    if party.company:
        names["company_name"] = party.company
    return names


def _address(party: Party, role: str) -> dict:
    for attr, words in (("street", "street"), ("building", "building number"), ("city", "city"),
                        ("postcode", "postcode")):
        if not getattr(party, attr).strip():
            raise _refuse(f"{role}.address.{attr}", f"the {role} {words} is required for courier services")
    building = f"{party.building}/{party.flat}" if party.flat else party.building
    return {"street": party.street, "building_number": building, "city": party.city,
            "post_code": party.postcode, "country_code": party.country or "PL"}


def _party(party: Party, role: str, *, with_address: bool) -> dict:
    body = {**_names(party), "email": party.email, "phone": normalize_phone(party.phone)}
    if not body["email"]:
        body.pop("email")
    if not body["phone"]:
        body.pop("phone")
    if with_address:
        body["address"] = _address(party, role)
    return body


def _locker_parcels(parcels: tuple[Parcel, ...]) -> list[dict]:
    if len(parcels) != 1:
        raise _refuse("parcels", "a locker shipment carries exactly one parcel")
    if parcels[0].template not in TEMPLATES:
        raise _refuse("parcels[0].template", "a locker parcel needs a size template: small, medium or large")
    return [{"template": parcels[0].template}]


def _courier_parcel(index: int, parcel: Parcel, extra: Mapping) -> dict:
    sizes = (parcel.length_cm, parcel.width_cm, parcel.height_cm)
    if min(sizes) <= 0 or parcel.weight_kg <= 0:
        raise _refuse(f"parcels[{index}]", f"parcel {index + 1} needs its dimensions and weight")
    return {"dimensions": {"length": parcel.length_cm * 10, "width": parcel.width_cm * 10,
                           "height": parcel.height_cm * 10, "unit": "mm"},
            "weight": {"amount": float(parcel.weight_kg), "unit": "kg"},
            "is_non_standard": bool(extra.get("is_non_standard", False))}


def _check_receiver(request: ShipmentRequest, locker: bool) -> None:
    if not request.receiver.name.strip() and not request.receiver.company.strip():
        raise _refuse("receiver.name", "the receiver needs a name or a company name")
    if locker and not normalize_phone(request.receiver.phone):
        raise _refuse("receiver.phone", "a locker shipment needs the receiver's phone number")
    if locker and not request.receiver.email.strip():
        raise _refuse("receiver.email", "a locker shipment needs the receiver's e-mail address")
    if locker and not request.pickup_point.strip():
        raise _refuse("custom_attributes.target_point", "a locker shipment needs the target locker code")


def _money_blocks(request: ShipmentRequest, service: str) -> dict:
    blocks = {}
    insured = request.declared_value if request.declared_value is not None else request.cod_amount
    if insured is not None:
        blocks["insurance"] = {"amount": _amount(insured), "currency": request.currency}
    elif service in INSURED_SERVICES:
        raise _refuse("insurance", f"{service} needs an insured value: set the declared value")
    if request.cod_amount is not None:
        blocks["cod"] = {"amount": _amount(request.cod_amount), "currency": request.currency}
    return blocks


def shipment_body(request: ShipmentRequest) -> dict:
    """``ShipmentRequest`` -> body of ``POST /v1/organizations/:id/shipments`` (simplified mode).

    ``request.extra`` may carry ``sending_method`` (lockers; default ``dispatch_order``),
    ``additional_services`` (e.g. ``["sms", "email"]``), ``external_customer_id``, ``comments``,
    ``is_non_standard``. The sender block is sent only when ``request.sender.name`` is set (else
    ShipX uses the organization's data). Raises CarrierValidationError before any call when a
    documented requirement is missing.
    """
    service, extra = request.service, request.extra or {}
    if service not in LOCKER_SERVICES | COURIER_SERVICES:
        raise _refuse("service", f"service {service!r} is not an InPost service Stockbridge supports")
    if not 3 <= len(request.reference) <= 100:
        raise _refuse("reference", "the reference must be 3 to 100 characters long")
    locker = service in LOCKER_SERVICES
    _check_receiver(request, locker)
    body = {"service": service, "reference": request.reference,
            "receiver": _party(request.receiver, "receiver", with_address=not locker),
            "parcels": _locker_parcels(request.parcels) if locker else
            [_courier_parcel(i, parcel, extra) for i, parcel in enumerate(request.parcels)],
            **_money_blocks(request, service)}
    if locker:
        body["custom_attributes"] = {"target_point": request.pickup_point,
                                     "sending_method": extra.get("sending_method", "dispatch_order")}
    if request.sender.name.strip():
        body["sender"] = _party(request.sender, "sender", with_address=bool(request.sender.street))
    for key in ("additional_services", "external_customer_id", "comments"):
        if extra.get(key):
            body[key] = extra[key]
    return body


def label_params(fmt: str, size: str, dpi: int) -> dict:
    """Canonical (fmt, size, dpi) -> label query; UnsupportedOperation for what ShipX cannot print."""
    params = LABEL_PARAMS.get((fmt.lower(), size.upper(), int(dpi)))
    if params is None:
        raise UnsupportedOperation(f"InPost prints no {fmt} label of size {size} at {dpi} dpi "
                                   "(PDF A6/A4, ZPL A6 at 203 or 300 dpi)")
    return params


# --------------------------------------------------------------------------- responses

def status(raw: str | None) -> str:
    """ShipX status name -> one of ``TRACKING_STATES``; unknown names are ``in_transit``."""
    return STATUS_MAP.get(raw or "", "in_transit")


def shipment_result(body: Mapping) -> ShipmentResult:
    """A ShipX shipment object (create answer, ``GET /v1/shipments/:id``, search item) -> ShipmentResult."""
    raw = str(body.get("status") or "")
    return ShipmentResult(carrier_ref=str(body["id"]), tracking_number=str(body.get("tracking_number") or ""),
                          status=status(raw), raw_status=raw,
                          label_ready=raw not in NOT_BOUGHT and raw != "canceled")


def find_in_search(body: Mapping, reference: str) -> ShipmentResult | None:
    """The shipment with exactly our ``reference`` in a search answer (``{"items": [...]}``), else None.

    Several matches (an earlier attempt was cancelled): a live one wins over a cancelled one, then
    the newest (highest id).
    """
    items = [item for item in body.get("items") or [] if str(item.get("reference") or "") == reference]
    if not items:
        return None
    best = max(items, key=lambda item: (item.get("status") != "canceled", int(item.get("id") or 0)))
    return shipment_result(best)


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def tracking_history(body: Mapping) -> list[TrackingUpdate]:
    """``GET /v1/tracking/:tracking_number`` -> every ``tracking_details`` entry, oldest first."""
    number = str(body.get("tracking_number") or "")
    updates = [TrackingUpdate(number, status(detail.get("status")), str(detail.get("status") or ""),
                              _when(detail.get("datetime")))
               for detail in body.get("tracking_details") or []]
    return sorted(updates, key=lambda update: update.at.timestamp() if update.at else float("-inf"))


def tracking_update(body: Mapping) -> TrackingUpdate:
    """``GET /v1/tracking/:tracking_number`` -> the current state (top-level ``status``, latest time)."""
    history = [update.at for update in tracking_history(body) if update.at]
    raw = str(body.get("status") or "")
    return TrackingUpdate(str(body.get("tracking_number") or ""), status(raw), raw,
                          max(history) if history else _when(body.get("updated_at")))


# --------------------------------------------------------------------------- webhooks

@dataclass(frozen=True)
class WebhookEvent:
    """One ShipX webhook. ``status`` is ShipX's (``confirmed`` for ``shipment_confirmed``)."""

    event: str
    organization_id: str
    shipment_id: str
    status: str
    tracking_number: str
    at: datetime | None

    @property
    def canonical_status(self) -> str:
        return status(self.status)

    @property
    def dedup_key(self) -> str:
        return f"inpost:{self.organization_id}:{self.shipment_id}:{self.event}:{self.status}"


class _Payload(Schema):
    class Meta:
        unknown = EXCLUDE

    shipment_id = fields.Raw(required=True)
    status = fields.String(load_default="")
    tracking_number = fields.String(load_default="", allow_none=True)


class _Webhook(Schema):
    class Meta:
        unknown = EXCLUDE

    event = fields.String(required=True, validate=validate.Length(min=1))
    event_ts = fields.String(load_default="")
    organization_id = fields.Raw(required=True)
    payload = fields.Nested(_Payload, required=True)


def webhook_event(body: Mapping) -> WebhookEvent:
    """An (unsigned) ShipX webhook body -> WebhookEvent; marshmallow.ValidationError when malformed.

    ``shipment_confirmed`` has no ``status`` (it means ``confirmed``); ``shipment_status_changed``
    carries it; ``offers_prepared`` means that status. The body proves nothing: check the source IP
    (91.216.25.0/24) and re-read the shipment through the API before acting on it.
    """
    data = _Webhook().load(body)
    payload = data["payload"]
    if isinstance(payload["shipment_id"], bool) or not str(payload["shipment_id"]).isdigit():
        raise ValidationError({"payload": {"shipment_id": ["not a shipment id"]}})
    implied = {"shipment_confirmed": "confirmed", "offers_prepared": "offers_prepared"}.get(data["event"], "")
    try:
        at = datetime.strptime(data["event_ts"], "%Y-%m-%d %H:%M:%S %z") if data["event_ts"] else None
    except ValueError:
        at = None
    return WebhookEvent(data["event"], str(data["organization_id"]), str(payload["shipment_id"]),
                        payload["status"] or implied, payload.get("tracking_number") or "", at)


# --------------------------------------------------------------------------- errors

ERROR_WORDS = {"required": "is required", "blank": "is empty", "invalid": "is invalid",
               "invalid_format": "has an invalid format", "too_small": "is too small", "too_big": "is too big",
               "too_large": "is too large", "too_short": "is too short", "too_long": "is too long",
               "does_not_exist": "does not exist", "not_a_number": "is not a number",
               "inclusion": "is not one of the allowed values", "taken": "is already taken"}
FIELD_WORDS = {"custom_attributes.target_point": "target locker", "receiver.email": "receiver e-mail",
               "receiver.address.post_code": "receiver postcode", "sender.address.post_code": "sender postcode"}


def _safe(segment: object) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "", str(segment))[:40]


def _problems(node: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(path, error keys) for every leaf of a ShipX ``details`` tree."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _problems(value, (*path, _safe(key)))
    elif isinstance(node, list):
        keys = tuple(_safe(item) for item in node if isinstance(item, str))
        if keys:
            yield path, keys
        for item in node:
            if isinstance(item, (Mapping, list)):
                yield from _problems(item, path)


def _dotted(path: tuple[str, ...]) -> str:
    if len(path) > 2 and path[0] == "shipments":  # batch answers: shipments[{"<id>": {...}}]
        path = path[2:]
    text = ""
    for segment in path:
        text += f"[{segment}]" if segment.isdigit() else (f".{segment}" if text else segment)
    return text


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def field_words(field: str) -> str:
    """``parcels[0].dimensions.width`` -> ``parcel 1 dimensions width``."""
    if field in FIELD_WORDS:
        return FIELD_WORDS[field]
    text = re.sub(r"(\w+)\[(\d+)\]", lambda m: f"{_singular(m.group(1))} {int(m.group(2)) + 1}", field)
    return text.replace("custom_attributes.", "").replace(".", " ").replace("_", " ")


def validation_error(body: object, status_code: int = 400) -> CarrierValidationError | None:
    """A ShipX ``validation_failed`` body -> CarrierValidationError naming the fields, else None."""
    if not isinstance(body, Mapping) or body.get("error") != "validation_failed":
        return None
    problems = [(_dotted(path), keys) for path, keys in _problems(body.get("details") or {}) if path]
    if not problems:
        return CarrierValidationError("the shipment data was refused (no field named)", field="", carrier=CARRIER,
                                      code="validation_failed", status=status_code)
    errors = [(field, f"{field_words(field)} {' and '.join(ERROR_WORDS.get(k, f'was refused ({k})') for k in keys)}",
               keys[0]) for field, keys in problems]
    return CarrierValidationError("; ".join(words for _, words, _ in errors), field=errors[0][0], carrier=CARRIER,
                                  code="validation_failed", errors=errors, status=status_code)
