"""Nova Poshta API 2.0: pure paired mapping functions (karrio style) for ``connector.clients.novaposhta``.

Reference: ``reference/couriers.md`` section 2; https://developers.novaposhta.ua/documentation.

One JSON-RPC-like endpoint (``POST /v2.0/json/``) takes ``{apiKey, modelName, calledMethod,
methodProperties}`` and answers **HTTP 200 even for errors**: ``success: false`` with ``errors[]``
(text) and ``errorCodes[]`` (11-digit strings, same order). ``StatusCode`` of tracking is a string;
item fields switch between ``""`` and ``0``; ``DateScan`` is ``"HH:MM dd.mm.yyyy"`` in Kyiv time.

Choices the reference leaves open are marked [unv]:
- Our reference travels in ``InfoRegClientBarcodes`` (the field the reference names for look-ups;
  ``getDocumentList`` echoes it [code: public DTOs]); we allow ``A-Z a-z 0-9 - _ / .``, 36 chars [unv].
- The recipient is inline (``NewAddress: "1"``, ``RecipientName``, ``RecipientType: PrivatePerson``)
  unless ``extra`` carries counterparty Refs (``recipient_ref``, ``contact_recipient_ref``).
- ``OptionsSeat`` (one per parcel, ``CargoType: Cargo``) for parcel lockers and multi-parcel
  shipments with dimensions; ``volumetricVolume`` in m3.
- COD: ``BackwardDeliveryData`` money transfer (payer Recipient, Sender for door delivery, which
  error 20000201592 forbids for the recipient); ``extra["cod_mode"] = "afterpayment"`` sends
  ``AfterpaymentOnGoodsCost`` ("контроль оплати", contract clients, branch to branch only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from connector.errors import (  # noqa: F401 - CarrierValidationError is re-exported for old imports
    AuthError,
    CarrierValidationError,
    NotFound,
    PermanentError,
    TransientError,
    UnsupportedOperation,
)
from connector.shipping import ShipmentRequest, ShipmentResult, TrackingUpdate

CARRIER = "Nova Poshta"
KYIV = ZoneInfo("Europe/Kyiv")
TRACKING_BATCH = 100
WAREHOUSE_SERVICES = frozenset({"WarehouseWarehouse", "DoorsWarehouse"})
DOORS_SERVICES = frozenset({"WarehouseDoors", "DoorsDoors"})
POSTOMAT_SERVICES = frozenset({"WarehousePostomat", "DoorsPostomat"})
SERVICE_TYPES = WAREHOUSE_SERVICES | DOORS_SERVICES | POSTOMAT_SERVICES
REFERENCE_RE = re.compile(r"^[A-Za-z0-9_./-]{1,36}$")
CYRILLIC_NAME_RE = re.compile(r"^[\u0400-\u04FF'’ʼ`-]+(?: [\u0400-\u04FF'’ʼ`-]+)+$")


@dataclass(frozen=True)
class Sender:
    """The shop's Nova Poshta Refs (``Counterparty.getCounterparties`` & co., read once)."""

    counterparty: str
    contact: str
    address: str  # warehouse Ref for Warehouse*, address Ref for Doors*
    city: str
    phone: str


# --------------------------------------------------------------------------- requests

def envelope(api_key: str, model: str, method: str, properties: Mapping) -> dict:
    """The JSON body of every call; the key travels in the body, never in the URL."""
    return {"apiKey": api_key, "modelName": model, "calledMethod": method, "methodProperties": dict(properties)}


def _invalid(field: str, message: str) -> CarrierValidationError:
    return CarrierValidationError(message, field=field, carrier=CARRIER)


def normalize_phone(raw: str, field: str = "receiver.phone") -> str:
    """``+38 (067) 123-45-67`` / ``0671234567`` -> ``380671234567``; anything else is refused."""
    digits = re.sub(r"\D", "", raw or "")
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits
    elif len(digits) == 9:
        digits = "380" + digits
    if not re.fullmatch(r"380\d{9}", digits):
        raise _invalid(field, "must be a Ukrainian phone number: 380 and 9 digits")
    return digits


def money(value: Decimal) -> str:
    """``1499`` -> ``"1499"``, ``1234.5`` -> ``"1234.50"`` (UAH, half-up to kopiyky)."""
    amount = Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return str(int(amount)) if amount == amount.to_integral_value() else f"{amount:.2f}"


def _check_request(request: ShipmentRequest) -> None:
    if request.service not in SERVICE_TYPES:
        raise _invalid("service", f"must be one of {', '.join(sorted(SERVICE_TYPES))}")
    if request.currency != "UAH":
        raise _invalid("currency", "Nova Poshta takes amounts in UAH only")
    if not REFERENCE_RE.match(request.reference or ""):
        raise _invalid("reference", "must be 1-36 characters of A-Z, a-z, 0-9, '-', '_', '/', '.'")
    if not request.parcels or any(p.weight_kg <= 0 for p in request.parcels):
        raise _invalid("parcels", "every parcel needs a weight above 0 kg")
    if request.service in POSTOMAT_SERVICES:
        if len(request.parcels) != 1:
            raise _invalid("parcels", "a parcel locker takes exactly one parcel")
        if not all((request.parcels[0].length_cm, request.parcels[0].width_cm, request.parcels[0].height_cm)):
            raise _invalid("parcels", "a parcel locker needs the parcel's length, width and height")
    if request.cod_amount is not None and request.cod_amount < 1:
        raise _invalid("cod_amount", "cash on delivery must be at least 1 UAH")


def _recipient(request: ShipmentRequest) -> dict:
    receiver, extra = request.receiver, request.extra or {}
    props = {"RecipientsPhone": normalize_phone(receiver.phone)}
    if extra.get("recipient_ref") and extra.get("contact_recipient_ref"):
        return {**props, "Recipient": extra["recipient_ref"], "ContactRecipient": extra["contact_recipient_ref"]}
    name = " ".join((receiver.name or "").split())
    if not CYRILLIC_NAME_RE.match(name):
        raise _invalid("receiver.name", "needs surname and first name in Cyrillic letters")
    return {**props, "NewAddress": "1", "RecipientName": name, "RecipientContactName": name,
            "RecipientType": "PrivatePerson"}


def _destination(request: ShipmentRequest) -> dict:
    receiver = request.receiver
    if request.service in DOORS_SERVICES:
        if not (receiver.city and receiver.street and receiver.building):
            raise _invalid("receiver.street", "door delivery needs the city, street and building")
        props = {"RecipientCityName": receiver.city, "RecipientAddressName": receiver.street,
                 "RecipientHouse": receiver.building, "RecipientFlat": receiver.flat}
        if receiver.region:
            props["RecipientArea"] = receiver.region
        return {**props, **({"CityRecipient": receiver.city_ref} if receiver.city_ref else {})}
    if not receiver.city_ref:
        raise _invalid("receiver.city_ref", "the recipient's city Ref (CityRecipient) is required")
    if not request.pickup_point:
        raise _invalid("pickup_point", "the branch or parcel-locker Ref (RecipientAddress) is required")
    return {"CityRecipient": receiver.city_ref, "RecipientAddress": request.pickup_point}


def _seats(request: ShipmentRequest) -> list[dict] | None:
    parcels = request.parcels
    with_dims = all(p.length_cm and p.width_cm and p.height_cm for p in parcels)
    if request.service not in POSTOMAT_SERVICES and not (len(parcels) > 1 and with_dims):
        return None
    return [{"volumetricVolume": round(p.length_cm * p.width_cm * p.height_cm / 1_000_000, 4),
             "volumetricWidth": p.width_cm, "volumetricLength": p.length_cm, "volumetricHeight": p.height_cm,
             "weight": float(p.weight_kg)} for p in parcels]


def _cod(request: ShipmentRequest) -> dict:
    if request.cod_amount is None:
        return {}
    if (request.extra or {}).get("cod_mode") == "afterpayment":
        if request.service != "WarehouseWarehouse":
            raise _invalid("cod_amount", "payment control (afterpayment) is for branch-to-branch delivery only")
        return {"AfterpaymentOnGoodsCost": money(request.cod_amount)}
    payer = "Sender" if request.service in DOORS_SERVICES else "Recipient"
    return {"BackwardDeliveryData": [{"PayerType": payer, "CargoType": "Money",
                                      "RedeliveryString": money(request.cod_amount)}]}


def _declared_cost(request: ShipmentRequest) -> int:
    value = max(request.declared_value or Decimal(0), request.cod_amount or Decimal(0))
    if value <= 0:
        raise _invalid("declared_value", "Nova Poshta needs the declared value of the goods (Cost)")
    return int(Decimal(value).to_integral_value(ROUND_CEILING))


def save_properties(request: ShipmentRequest, sender: Sender, *, ship_date: date) -> dict:
    """``InternetDocument.save`` methodProperties for ``request`` (raises CarrierValidationError).

    ``ship_date`` must be today or later in Kyiv (NP: 20000400455 "DateTime cannot be less then now").
    """
    _check_request(request)
    extra = request.extra or {}
    seats = _seats(request)
    props = {
        "PayerType": extra.get("payer_type", "Recipient"), "PaymentMethod": extra.get("payment_method", "Cash"),
        "DateTime": ship_date.strftime("%d.%m.%Y"), "ServiceType": request.service,
        "CargoType": "Cargo" if seats else extra.get("cargo_type", "Parcel"),
        "Weight": float(sum(p.weight_kg for p in request.parcels)), "SeatsAmount": len(request.parcels),
        "Description": request.description or "Товари", "Cost": _declared_cost(request),
        "CitySender": sender.city, "Sender": sender.counterparty, "SenderAddress": sender.address,
        "ContactSender": sender.contact, "SendersPhone": normalize_phone(sender.phone, "settings.sender_phone"),
        "InfoRegClientBarcodes": request.reference,
        **_recipient(request), **_destination(request), **_cod(request),
    }
    return {**props, "OptionsSeat": seats} if seats else props


def document_list_properties(date_from: date, date_to: date) -> dict:
    """``InternetDocument.getDocumentList`` over a date window, every page at once."""
    return {"DateTimeFrom": date_from.strftime("%d.%m.%Y"), "DateTimeTo": date_to.strftime("%d.%m.%Y"),
            "GetFullList": "1"}


def delete_properties(carrier_ref: str) -> dict:
    """``InternetDocument.delete``: by the document Ref (not the TTN)."""
    return {"DocumentRefs": carrier_ref}


def tracking_batches(numbers: Iterable[str], phone: str) -> list[dict]:
    """``TrackingDocument.getStatusDocuments`` methodProperties, 100 TTNs per call.

    The sender's ``Phone`` (with the apiKey) unlocks the full details, COD data included.
    """
    docs = [{"DocumentNumber": str(n), "Phone": phone} for n in dict.fromkeys(numbers)]
    return [{"Documents": docs[i:i + TRACKING_BATCH]} for i in range(0, len(docs), TRACKING_BATCH)]


# --------------------------------------------------------------------------- answers

#: NP ``StatusCode`` (a string) -> canonical state; unknown codes are in transit.
STATUS_STATES = {
    "1": "created", "2": "cancelled", "3": "created", "12": "confirmed",
    "4": "in_transit", "41": "in_transit", "5": "in_transit", "6": "in_transit", "101": "in_transit",
    "104": "in_transit", "111": "in_transit", "112": "in_transit",
    "7": "ready_for_pickup", "8": "ready_for_pickup",
    "9": "delivered", "10": "delivered", "11": "delivered", "106": "delivered",
    "102": "returned", "103": "returned", "105": "returned",
}


def tracking_state(code: object) -> str:
    """Canonical state of an NP status code (``"9"`` or ``9``); 3 "not found" changes nothing."""
    return STATUS_STATES.get(str(code).strip(), "in_transit")


def scan_time(text: object) -> datetime | None:
    """``"15:36 07.04.2023"`` (Kyiv) -> aware datetime; blanks and other shapes -> None."""
    for fmt in ("%H:%M %d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(str(text or "").strip(), fmt).replace(tzinfo=KYIV)
        except ValueError:
            continue
    return None


def parse_save(body: Mapping) -> ShipmentResult:
    """``data[0] = {Ref, IntDocNumber, ...}`` of a successful ``save`` (call ``raise_for_body`` first)."""
    data = (body.get("data") or [{}])[0]
    if not data.get("Ref") or not data.get("IntDocNumber"):
        raise PermanentError(f"{CARRIER} save: answer without Ref/IntDocNumber")
    return ShipmentResult(carrier_ref=data["Ref"], tracking_number=str(data["IntDocNumber"]), status="created",
                          raw_status="1", label_ready=True)


def document_result(item: Mapping) -> ShipmentResult:
    """One ``getDocumentList`` item as a result (``StateId`` uses the tracking codes)."""
    raw = str(item.get("StateId") or "1")
    return ShipmentResult(carrier_ref=str(item.get("Ref", "")), tracking_number=str(item.get("IntDocNumber", "")),
                          status=tracking_state(raw), raw_status=raw, label_ready=True)


def find_document(body: Mapping, *, reference: str | None = None, ref: str | None = None) -> ShipmentResult | None:
    """The newest listed document whose ``InfoRegClientBarcodes`` (or ``Ref``) matches, if any."""
    found = [item for item in body.get("data") or [] if isinstance(item, Mapping)
             and ((reference is not None and str(item.get("InfoRegClientBarcodes", "")) == reference)
                  or (ref is not None and item.get("Ref") == ref))]
    return document_result(found[-1]) if found else None


def parse_tracking(body: Mapping) -> list[TrackingUpdate]:
    """``getStatusDocuments`` items -> updates (``DateScan`` else ``TrackingUpdateDate`` as ``at``)."""
    updates = []
    for item in body.get("data") or []:
        code = str(item.get("StatusCode", "")).strip()
        at = scan_time(item.get("DateScan")) or scan_time(item.get("TrackingUpdateDate"))
        updates.append(TrackingUpdate(str(item.get("Number", "")), tracking_state(code), code, at))
    return updates


# --------------------------------------------------------------------------- errors

#: NP field -> the ShipmentRequest / settings field an operator fixes.
NP_FIELDS = {
    "apiKey": "settings.api_key", "DateTime": "ship_date", "RecipientsPhone": "receiver.phone",
    "RecipientName": "receiver.name", "RecipientContactName": "receiver.name", "ContactRecipient": "receiver.name",
    "Recipient": "receiver.name", "CityRecipient": "receiver.city_ref", "RecipientCityName": "receiver.city",
    "RecipientAddress": "pickup_point", "RecipientAddressName": "receiver.street",
    "RecipientAddressStreet": "receiver.street", "RecipientHouse": "receiver.building",
    "RecipientAddressHouse": "receiver.building", "RecipientFlat": "receiver.flat",
    "RecipientAddressFlat": "receiver.flat", "RecipientCity": "receiver.city",
    "RecipientCounterpartyPhone": "receiver.phone", "RecipientCounterpartyLastName": "receiver.name",
    "RecipientCounterpartyFirstName": "receiver.name", "Weight": "parcels", "OptionsSeat": "parcels",
    "SeatsAmount": "parcels", "VolumeGeneral": "parcels", "VolumeWeight": "parcels", "Length": "parcels",
    "Width": "parcels", "Height": "parcels", "ServiceType": "service", "Description": "description",
    "Cost": "declared_value", "RedeliveryString": "cod_amount", "BackwardDeliveryData": "cod_amount",
    "BackwardDelivery": "cod_amount",
    "AfterpaymentOnGoodsCost": "cod_amount", "InfoRegClientBarcodes": "reference", "Sender": "settings.sender",
    "SenderAddress": "settings.sender", "CitySender": "settings.sender", "ContactSender": "settings.sender",
    "SendersPhone": "settings.sender_phone", "DocumentRefs": "carrier_ref", "Ref": "carrier_ref",
    "DocumentNumber": "tracking_number", "PayerType": "extra.payer_type", "PaymentMethod": "extra.payment_method",
    "CargoType": "extra.cargo_type",
}
_FIELD_RE = re.compile(r"\b(" + "|".join(sorted(NP_FIELDS, key=len, reverse=True)) + r")\b")

#: The codes an e-shop meets most, in our own words: code -> (NP field, message).
KNOWN_ERRORS = {
    "20000200068": ("apiKey", "the API key was refused; check it in the Nova Poshta business cabinet"),
    "20000200069": ("apiKey", "the API key is missing"),
    "20000201204": ("apiKey", "the API key has expired; create a new one in the business cabinet"),
    "20000400455": ("DateTime", "the shipping date is in the past (Kyiv time)"),
    "20000400456": ("DateTime", "the shipping date is not in dd.mm.yyyy form"),
    "20000300434": ("RecipientsPhone", "the recipient's phone number is not valid (380 and 9 digits)"),
    "20000300435": ("RecipientsPhone", "the recipient's phone number is missing"),
    "20000201598": ("RecipientName", "the recipient's name is incomplete: surname and first name are required"),
    "20000200282": ("RecipientContactName", "the recipient's name is not accepted (Cyrillic letters only)"),
    "20000201758": ("RecipientContactName", "the recipient's name repeats a word"),
    "20000200102": ("CityRecipient", "the recipient's city Ref is not valid"),
    "20000200103": ("CityRecipient", "the recipient's city was not found"),
    "20000200104": ("CityRecipient", "the recipient's city is not chosen"),
    "20000200266": ("RecipientAddress", "the branch or parcel-locker Ref is not valid"),
    "20000200268": ("RecipientAddress", "the branch or parcel locker is not chosen"),
    "20000200274": ("RecipientAddressName", "the recipient's street is missing"),
    "20000200272": ("RecipientHouse", "the recipient's house number is missing"),
    "20000400503": ("Weight", "the weight is missing"),
    "20000200373": ("Weight", "the weight is not a valid number"),
    "20000200375": ("Weight", "the parcel is too heavy"),
    "20000200380": ("Weight", "the parcel is too heavy for this parcel locker"),
    "20000200347": ("ServiceType", "the delivery type is missing"),
    "20000200348": ("ServiceType", "the delivery type is not valid"),
    "20000200150": ("Description", "the description of the contents is missing"),
    "20000400452": ("Cost", "the declared value is missing"),
    "20000200118": ("Cost", "the declared value is not valid"),
    "20000200226": ("OptionsSeat", "parcel dimensions are required for a parcel locker"),
    "20000200215": ("OptionsSeat", "a parcel locker takes exactly one parcel"),
    "20000200225": ("OptionsSeat", "parcels with dimensions must have cargo type Cargo or Pallet"),
    "20000200074": ("RedeliveryString", "the cash-on-delivery amount is above the limit"),
    "20000200079": ("RedeliveryString", "the cash-on-delivery amount is not valid"),
    "20000200080": ("RedeliveryString", "the cash-on-delivery amount must be at least 1 UAH"),
    "20000201592": ("BackwardDeliveryData", "with door delivery the recipient cannot pay the COD transfer fee"),
    "20000201590": ("AfterpaymentOnGoodsCost", "payment control is for branch-to-branch delivery only"),
    "20000200033": ("AfterpaymentOnGoodsCost", "the payment-control amount is not valid"),
    "20000200188": ("InfoRegClientBarcodes", "our reference has characters Nova Poshta refuses"),
    "20000200189": ("InfoRegClientBarcodes", "our reference is too long for Nova Poshta"),
    "20000200107": ("CitySender", "the sender's city is not set"),
    "20000200327": ("SenderAddress", "the sender's branch Ref is not valid"),
    "20000200329": ("SenderAddress", "the sender's branch is not set"),
    "20000300443": ("Sender", "the sender's counterparty Ref is not valid"),
    "20000200205": ("Ref", "the waybill was not found"),
    "20000200564": ("DocumentRefs", "no such waybill (deleted already, or never created)"),
    "20000201173": ("DocumentRefs", "the waybill can no longer be deleted (handed over to Nova Poshta)"),
    "20001401442": ("DocumentNumber", "a tracking number is not valid"),
    "20001701795": ("", "Nova Poshta's service is temporarily unavailable"),
}
AUTH_CODES = frozenset({"20000200068", "20000200069", "20000201204"})
NOT_FOUND_CODES = frozenset({"20000200205", "20000200206", "20000200564"})
TRANSIENT_CODES = frozenset({"20001701795", "20000100016"})
NOT_CANCELLABLE_CODES = frozenset({"20000201173"})


@dataclass(frozen=True)
class NpError:
    code: str | None
    field: str  # canonical field, "request" when none could be named
    message: str


def _scrub(text: object) -> str:
    """An API text without long digit runs (phones, card numbers), at most 200 characters."""
    return re.sub(r"\d{7,}", "…", str(text or "")).strip()[:200]


def _as_list(value: object) -> list:
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value) if isinstance(value, (list, tuple)) else []


def describe(code: str | None, api_text: str = "", table: Mapping[str, str] | None = None) -> NpError:
    """Field and plain message of one error: our own words, else ``table`` (code -> text), else NP's."""
    np_field, message = KNOWN_ERRORS.get(code or "", ("", ""))
    text = message or (table or {}).get(code or "", "") or _scrub(api_text) or "refused without a reason"
    if not np_field:
        match = _FIELD_RE.search(text) or _FIELD_RE.search(str(api_text or ""))
        np_field = match.group(1) if match else ""
    return NpError(code, NP_FIELDS.get(np_field, "request"), text)


def errors_of(body: Mapping, table: Mapping[str, str] | None = None) -> list[NpError]:
    """Every error of an answer, ``errors[i]`` paired with ``errorCodes[i]`` (either may be short)."""
    texts, codes = _as_list(body.get("errors")), [str(c) for c in _as_list(body.get("errorCodes"))]
    count = max(len(texts), len(codes)) or 1
    return [describe(codes[i] if i < len(codes) else None, texts[i] if i < len(texts) else "", table)
            for i in range(count)]


def raise_for_body(body: object, what: str, table: Mapping[str, str] | None = None) -> None:
    """Raise the typed error of a ``success: false`` answer (which NP sends with HTTP 200)."""
    if not isinstance(body, Mapping):
        raise TransientError(f"{CARRIER} {what}: answer is not a JSON object")
    if body.get("success") is True:
        return
    errors = errors_of(body, table)
    first, codes = errors[0], {e.code for e in errors}
    text = f"{CARRIER} {what}: {first.message}" + (f" (code {first.code})" if first.code else "")
    if codes & AUTH_CODES:
        raise AuthError(text, code=first.code)
    if codes & TRANSIENT_CODES:
        raise TransientError(text, code=first.code)
    if codes & NOT_CANCELLABLE_CODES:
        raise UnsupportedOperation(text, code=first.code)
    if codes & NOT_FOUND_CODES:
        raise NotFound(text, code=first.code)
    raise CarrierValidationError(first.message, field=first.field, carrier=CARRIER, code=first.code,
                                 errors=[(e.field, e.message, e.code) for e in errors])
