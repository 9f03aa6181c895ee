"""DHL Parcel Poland (DHL24 WebAPI2, SOAP 1.1): canonical shipment <-> SOAP XML (pure, no I/O).

Reference: ``reference/couriers.md`` section 3; https://dhl24.com.pl/en/webapi2/doc.html ; the
request shape follows the fixture ``dhl_poland/createShipment_request.xml`` (karrio's tests).

Quirks this module encodes:

* Every operation element sits in the service's default namespace (``xmlns=NS``) inside a
  ``soap-env`` envelope, and carries ``authData {username, password}`` first.
* ``createShipment`` is synchronous: the answer holds ``shipmentTrackingNumber`` (the shipment id
  that ``getLabels``, ``deleteShipments`` and ``getTrackAndTraceInfo`` take; karrio also treats it
  as the handle) and the label. Postal codes are digits only (``00-909`` -> ``00909``); weights are
  whole kilograms (rounded up), dimensions whole centimetres.
* Collect on delivery is ``specialServices`` ``COD`` with ``serviceValue``, and is sent with
  insurance ``UBEZP`` of at least the COD amount [unv: DHL24 asks for insurance with COD].
* Labels: ``BLP`` PDF label, ``LBLP`` the same on an A4 page, ``ZBLP`` ZPL; one resolution only.
* Faults are SOAP 1.1 ``Fault`` elements (HTTP 500): ``faultcode`` 100 = wrong credentials
  (fixture ``soap_fault_response.xml``); other numeric codes are data errors; ``*Server`` is DHL's side.
* Tracking event codes (``EDWP``, ``DWP``, ``SORT``, ``LK``, ``DOR``, ...) are not in our
  reference [?]; the table below comes from public integration code (xGrz/dhl24
  ``src/Database/Seeders/DHLStatusSeeder.php``). Unknown codes map to ``in_transit``; a non-empty
  ``receivedBy`` means delivered (as karrio does).
* Look-up by our reference: ``getMyShipments`` lists ids by creation date (pages of 100, no
  reference), ``getLabelsData`` returns each shipment's ``reference`` (at most 50 ids a call) [code].
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from connector.errors import (AuthError, CarrierValidationError, StockbridgeError, TransientError,
                              UnsupportedOperation)
from connector.shipping import Party, ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers.inpost import normalize_phone

CARRIER = "DHL24"
NS = "https://dhl24.com.pl/webapi2/provider/service.html?ws=1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WARSAW = ZoneInfo("Europe/Warsaw")
#: Domestic products Stockbridge sends (``serviceType``); SP, EK, PI, CP, CM need data we do not map.
SERVICES = {"AH": "DHL Parcel Polska", "09": "delivery by 9:00", "12": "delivery by 12:00", "PR": "Premium",
            "DW": "evening delivery"}
LABEL_TYPES = {("pdf", "A6"): "BLP", ("pdf", "A4"): "LBLP", ("zpl", "A6"): "ZBLP"}
LABELS_DATA_CHUNK = 50
MY_SHIPMENTS_PAGE = 100

_IN_TRANSIT = ("DWP", "SORT", "LP", "LK", "AWI", "AWI_NSP", "BRG", "SP_DW", "TRM", "TRM2", "ZWW", "ZWW_NSP",
               "PSHOP", "AN")
EVENT_STATES: dict[str, str] = {"EDWP": "confirmed", **{code: "in_transit" for code in _IN_TRANSIT},
                                "SP_DSP": "ready_for_pickup", "OWL": "ready_for_pickup",
                                "DOR": "delivered", "SP_DOR": "delivered"}
NOT_FOUND_EVENT = "ERR"


# --------------------------------------------------------------------------- building XML

def _element(tag: str, value: object) -> ET.Element:
    """dict -> children in order; list -> one ``<item>`` per entry (DHL's ArrayOf); None is left out."""
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(key, child) for key, child in value.items() if child is not None)
    elif isinstance(value, list):
        element.extend(_element("item", child) for child in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
    return element


def envelope(operation: str, payload: dict, *, username: str, password: str) -> bytes:
    """The SOAP 1.1 request for ``operation``: ``authData`` first, then ``payload``."""
    body = {"authData": {"username": username, "password": password}, **payload}
    inner = ET.tostring(_element(operation, body), encoding="unicode")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}" '
            f'xmlns={quoteattr(NS)}><soap-env:Body>{inner}</soap-env:Body></soap-env:Envelope>').encode("utf-8")


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _refuse(field: str, words: str) -> CarrierValidationError:
    """A requirement is missing: refused before anything is sent."""
    return CarrierValidationError(words, field=field, carrier=CARRIER, code="local_validation")


def _contact(party: Party) -> dict | None:
    contact = {"personName": party.name or party.company, "phoneNumber": normalize_phone(party.phone) or None,
               "emailAddress": party.email or None}
    return contact if any(contact.values()) else None


def _party(party: Party, role: str) -> dict:
    for attr, words in (("street", "street"), ("building", "house number"), ("city", "city"),
                        ("postcode", "postcode")):
        if not getattr(party, attr).strip():
            raise _refuse(f"{role}.{attr}", f"the {role} {words} is required")
    address = {"name": party.company or party.name, "postalCode": re.sub(r"\D", "", party.postcode),
               "city": party.city, "street": party.street, "houseNumber": party.building,
               "apartmentNumber": party.flat or None}
    if role == "receiver":
        address = {"country": party.country or "PL", "addressType": "B" if party.company else "C", **address}
    contact = _contact(party)
    return {"preaviso": contact, "contact": contact, "address": address}


def _special_services(request: ShipmentRequest) -> list[dict] | None:
    extra_codes = [{"serviceType": str(code)} for code in (request.extra or {}).get("special_services", [])]
    insured = max(value for value in (request.declared_value, request.cod_amount, Decimal(0)) if value is not None)
    money = []
    if request.cod_amount is not None:
        money.append({"serviceType": "COD", "serviceValue": _money(request.cod_amount)})
    if insured > 0:
        money.append({"serviceType": "UBEZP", "serviceValue": _money(insured)})
    return (money + extra_codes) or None


def _piece(parcel, kind: str) -> dict:
    return {"type": kind, "weight": math.ceil(parcel.weight_kg), "width": parcel.width_cm,
            "height": parcel.height_cm, "length": parcel.length_cm, "quantity": 1}


def create_shipment_payload(request: ShipmentRequest, *, shipment_date: date, account_number: str = "",
                            pickup_hours: tuple[str, str] = ("10:00", "16:00"), label_type: str = "BLP") -> dict:
    """``ShipmentRequest`` -> the ``createShipment`` payload (without ``authData``).

    ``request.extra``: ``special_services`` (codes such as ``POD``, ``SATURDAY``), ``piece_type``
    (``PACKAGE`` | ``ENVELOPE`` | ``PALLET``), ``payer`` (``SHIPPER`` | ``RECEIVER`` | ``USER``).
    ``shipment_date`` and ``pickup_hours`` are when the courier collects (today, Warsaw time).
    """
    extra = request.extra or {}
    if request.service not in SERVICES:
        raise _refuse("service", f"service {request.service!r} is not a DHL24 product Stockbridge supports "
                                 f"({', '.join(SERVICES)})")
    if not request.receiver.name.strip() and not request.receiver.company.strip():
        raise _refuse("receiver.name", "the receiver needs a name or a company name")
    if not request.parcels:
        raise _refuse("parcels", "a shipment needs at least one parcel")
    billing = {"shippingPaymentType": extra.get("payer", "SHIPPER"), "billingAccountNumber": account_number or None,
               "paymentType": "BANK_TRANSFER"}
    info = {"dropOffType": extra.get("drop_off_type", "REGULAR_PICKUP"), "serviceType": request.service,
            "billing": billing, "specialServices": _special_services(request),
            "shipmentTime": {"shipmentDate": shipment_date.isoformat(), "shipmentStartHour": pickup_hours[0],
                             "shipmentEndHour": pickup_hours[1]},
            "labelType": label_type}
    return {"shipment": {"shipmentInfo": info, "content": request.description or "N/A",
                         "reference": request.reference,
                         "ship": {"shipper": _party(request.sender, "shipper"),
                                  "receiver": _party(request.receiver, "receiver")},
                         "pieceList": [_piece(p, extra.get("piece_type", "PACKAGE")) for p in request.parcels]}}


def label_type(fmt: str, size: str, dpi: int) -> str:
    """Canonical (fmt, size, dpi) -> ``BLP`` | ``LBLP`` | ``ZBLP``; UnsupportedOperation otherwise."""
    chosen = LABEL_TYPES.get((fmt.lower(), size.upper()))
    if chosen is None or (fmt.lower() == "zpl" and int(dpi) != 203):
        raise UnsupportedOperation(f"DHL24 prints no {fmt} label of size {size} at {dpi} dpi "
                                   "(PDF A6 = BLP, PDF A4 = LBLP, ZPL = ZBLP at one resolution [unv: 203 dpi])")
    return chosen


def get_labels_payload(shipment_id: str, kind: str) -> dict:
    return {"itemsToPrint": [{"labelType": kind, "shipmentId": shipment_id}]}


def delete_shipments_payload(shipment_ids: list[str]) -> dict:
    return {"shipments": list(shipment_ids)}


def track_payload(shipment_id: str) -> dict:
    return {"shipmentId": shipment_id}


def my_shipments_payload(created_from: date, created_to: date, offset: int = 0) -> dict:
    return {"createdFrom": created_from.isoformat(), "createdTo": created_to.isoformat(), "offset": offset}


def labels_data_payload(shipment_ids: list[str]) -> dict:
    return {"itemsToLabelData": [{"shipmentId": shipment_id} for shipment_id in shipment_ids]}


# --------------------------------------------------------------------------- reading XML

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def find(element: ET.Element, name: str) -> ET.Element | None:
    """First descendant (or self) with local name ``name``, namespaces ignored."""
    return next((node for node in element.iter() if _local(node.tag) == name), None)


def _children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name] if element is not None else []


def _text(element: ET.Element | None, name: str) -> str:
    node = find(element, name) if element is not None else None
    return (node.text or "").strip() if node is not None else ""


def parse(xml: bytes) -> ET.Element:
    """The operation's response element (the Body's child; the fixtures have no envelope). ValueError if not XML."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError("not XML") from exc
    body = find(root, "Body") if _local(root.tag) == "Envelope" else None
    return next(iter(body), root) if body is not None else root


def fault(element: ET.Element) -> tuple[str, str] | None:
    """(faultcode, faultstring) of a SOAP Fault, else None."""
    node = element if _local(element.tag) == "Fault" else find(element, "Fault")
    return (_text(node, "faultcode"), _text(node, "faultstring")) if node is not None else None


FIELD_HINTS = (("kod pocztowy", "postalCode"), ("postal", "postalCode"), ("telefon", "phoneNumber"),
               ("phone", "phoneNumber"), ("e-mail", "emailAddress"), ("email", "emailAddress"),
               ("waga", "weight"), ("weight", "weight"), ("ulica", "street"), ("street", "street"),
               ("miasto", "city"), ("city", "city"), ("numer domu", "houseNumber"), ("produkt", "serviceType"),
               ("usług", "specialServices"), ("pobrani", "COD"), ("ubezpiecz", "UBEZP"))


def scrub(text: str) -> str:
    """A fault text safe for logs and operators: e-mails and long digit runs masked, 200 chars max."""
    text = re.sub(r"\S+@\S+", "<e-mail>", text)
    return re.sub(r"\d[\d\s-]{3,}\d", "<number>", text)[:200]


def _fault_field(text: str) -> tuple[str, str]:
    """(field path, remaining words) from ``"shipment.ship.receiver.address.postalCode: ..."`` or keywords."""
    match = re.match(r"^\s*([A-Za-z][\w.\[\]]*\.[\w.\[\]]+)\s*:\s*(.*)$", text, re.S)
    if match:
        return re.sub(r"^shipment\.", "", match.group(1)), match.group(2)
    lowered = text.lower()
    return next((name for hint, name in FIELD_HINTS if hint in lowered), ""), text


FIELD_WORDS = {"postalCode": "postcode", "houseNumber": "house number", "apartmentNumber": "flat number",
               "phoneNumber": "phone", "emailAddress": "e-mail", "serviceType": "service",
               "specialServices": "extra services (COD, insurance)", "personName": "contact name",
               "shippingPaymentType": "payer", "labelType": "label type"}


def field_words(path: str) -> str:
    """``ship.receiver.address.postalCode`` -> ``receiver postcode``; ``pieceList.item[0].weight`` ->
    ``parcel 1 weight``."""
    path = re.sub(r"pieceList\.item\[(\d+)\]", lambda m: f"parcel {int(m.group(1)) + 1}", path)
    words = [FIELD_WORDS.get(part, part) for part in path.split(".")
             if part not in ("ship", "address", "shipmentInfo", "preaviso", "contact", "billing")]
    return " ".join(words)


def fault_error(code: str, text: str, operation: str) -> StockbridgeError:
    """A SOAP fault -> typed error: 100 AuthError, ``*Server`` TransientError, else CarrierValidationError."""
    if code == "100":
        return AuthError(f"DHL24 {operation}: credentials refused (fault 100)", code=code)
    if code.endswith("Server"):
        return TransientError(f"DHL24 {operation}: server fault", code=code)
    field, words = _fault_field(text)
    where = f"{field_words(field)}: " if field else ""
    return CarrierValidationError(f"{where}{scrub(words)} (fault {code} on {operation})", field=field,
                                  carrier=CARRIER, code=code)


def shipment_result(element: ET.Element) -> ShipmentResult:
    """``createShipmentResult`` -> ShipmentResult (synchronous: label ready at once)."""
    shipment_id = _text(element, "shipmentTrackingNumber")
    if not shipment_id:
        raise ValueError("createShipment answer without shipmentTrackingNumber")
    return ShipmentResult(carrier_ref=shipment_id, tracking_number=shipment_id, status="confirmed",
                          raw_status="created", label_ready=True)


def label_content(element: ET.Element, shipment_id: str) -> bytes:
    """``getLabelsResult`` -> the decoded ``labelData`` of ``shipment_id``; ValueError if absent."""
    for item in _children(find(element, "getLabelsResult"), "item"):
        if _text(item, "shipmentId") == shipment_id:
            try:
                return base64.b64decode(_text(item, "labelData"), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError("labelData is not base64") from exc
    raise ValueError("no label for that shipment in the answer")


def delete_results(element: ET.Element) -> list[tuple[str, bool, str]]:
    """``deleteShipmentsResult`` items (or the single ``deleteShipmentResult``) -> (id, deleted, error)."""
    items = _children(find(element, "deleteShipmentsResult"), "item") or \
        [node for node in [find(element, "deleteShipmentResult")] if node is not None]
    return [(_text(item, "id"), _text(item, "result").lower() in ("true", "1"), _text(item, "error"))
            for item in items]


def _when(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=WARSAW)
    except ValueError:
        return None


def tracking_update(element: ET.Element) -> TrackingUpdate | None:
    """``getTrackAndTraceInfoResult`` -> current state; None when DHL does not know the number (``ERR``)."""
    result = find(element, "getTrackAndTraceInfoResult")
    if result is None:
        raise ValueError("no getTrackAndTraceInfoResult in the answer")
    events = [(_text(item, "status"), _when(_text(item, "timestamp")))
              for item in _children(find(result, "events"), "item")]
    if events and all(code == NOT_FOUND_EVENT for code, _ in events):
        return None
    raw, at = max(events, key=lambda event: event[1].timestamp() if event[1] else 0) if events else ("", None)
    state = "delivered" if _text(result, "receivedBy") else EVENT_STATES.get(raw, "in_transit") if raw else "confirmed"
    return TrackingUpdate(_text(result, "shipmentId"), state, raw, at)


def my_shipment_ids(element: ET.Element) -> list[str]:
    """``getMyShipmentsResult`` -> shipment ids, in the order given."""
    return [_text(item, "shipmentId") for item in _children(find(element, "getMyShipmentsResult"), "item")]


def ids_with_reference(element: ET.Element, reference: str) -> list[str]:
    """``getLabelsDataResult`` -> ids of the shipments whose ``reference`` is exactly ours."""
    return [_text(item, "shipmentId") for item in _children(find(element, "getLabelsDataResult"), "item")
            if _text(item, "reference") == reference]
