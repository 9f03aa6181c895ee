"""What the sandbox refuses in ``InternetDocument.save``, with Nova Poshta's error codes.

Each check returns ``(code, text)`` pairs; the codes are NP's documented ``errorCodes``. Rules the
reference does not settle are marked [unv]: the reference limit of ``InfoRegClientBarcodes``
(36 characters of ``A-Z a-z 0-9 - _ / .``), Cyrillic-only recipient names, one seat per locker,
20 kg per locker.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

ERRORS = {
    "20000200068": "API auth fail", "20000200069": "apiKey is empty",
    "20000400455": "DateTime cannot be less then now", "20000400456": "DateTime is invalid format",
    "20000200145": "DateTime is empty", "20000300434": "RecipientsPhone invalid format",
    "20000300435": "RecipientsPhone is empty", "20000201598": "Recipient contact name is not full",
    "20000200282": "RecipientContactName incorrect", "20000201758": "RecipientContactName contains repeated words",
    "20000200102": "CityRecipient incorrect", "20000200104": "CityRecipient not selected",
    "20000200266": "RecipientAddress is incorrect", "20000200268": "RecipientAddress not selected",
    "20000200274": "RecipientAddressStreet not selected", "20000200272": "RecipientAddressHouse not selected",
    "20000400503": "Weight is empty", "20000200373": "Weight is invalid",
    "20000200380": "Weight is too high for this postomat", "20000200347": "ServiceType is empty",
    "20000200348": "ServiceType is incorrect", "20000200150": "Description empty", "20000400452": "Cost is empty",
    "20000200118": "Cost is invalid", "20000400482": "SeatsAmount is empty", "20000200314": "SeatsAmount is invalid",
    "20000200226": "OptionsSeat is empty", "20000200227": "OptionsSeat must be array",
    "20000200215": "Must be one OptionsSeat", "20000200225": "OptionsSeat in must be CargoType Cargo or Pallet",
    "20000200086": "BackwardDeliveryData must be array", "20000200083": "BackwardDelivery must be Money",
    "20000200085": "BackwardDelivery PayerType is incorrect",
    "20000200079": "BackwardDelivery Money RedeliveryString is not valid",
    "20000200080": "BackwardDelivery Money RedeliveryString must not be less than 1",
    "20000201592": "BackwardDelivery PayerType for WarehouseDoors cannot be Recipient",
    "20000201591": "BackwardDelivery PayerType for DoorsDoors cannot be Recipient",
    "20000200033": "AfterpaymentOnGoodsCost is invalid",
    "20000201590": "AfterpaymentOnGoodsCost is only for WarehouseWarehouse",
    "20000200188": "InfoRegClientBarcodes has invalid characters", "20000200189": "InfoRegClientBarcodes is too long",
    "20000200107": "CitySender not selected", "20000200105": "CitySender is incorrect",
    "20000200329": "SenderAddress not selected", "20000200327": "SenderAddress is incorrect",
    "20000300443": "SenderRef is invalid", "20000300399": "ContactRecipient is incorrect",
    "20000301244": "PayerType is incorrect", "20000200251": "PaymentMethod is incorrect",
    "20000200099": "CargoType not selected", "20000300406": "ContactSender not selected",
    "20000300404": "ContactSender is incorrect", "20000300445": "SendersPhone is empty",
    "20000300444": "SendersPhone invalid format",
    "20000200564": "There are only invalid DocumentBarcodes and/or DocumentRefs",
    "20000200565": "DocumentBarcodes and/or DocumentRefs is not set",
    "20000201173": "No document changed DeletionMark", "20001401442": "Document number is not correct",
    "20000200159": "Documents must be array",
}
SERVICES = ("WarehouseWarehouse", "WarehouseDoors", "DoorsWarehouse", "DoorsDoors", "WarehousePostomat",
            "DoorsPostomat")
CARGO_TYPES = ("Parcel", "Cargo", "Documents", "TiresWheels", "Pallet")
REF_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
PHONE_RE = re.compile(r"^380\d{9}$")
CYRILLIC_RE = re.compile(r"^[\u0400-\u04FF'’ʼ` -]+$")
LOCKER_MAX_KG = Decimal(20)


def err(code: str) -> tuple[str, str]:
    return code, ERRORS[code]


def number(value: object) -> Decimal | None:
    """A positive-or-zero number given as JSON number or string; None when it is not one."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        result = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return None
    return result if result.is_finite() and result >= 0 else None


def parse_date(text: object) -> date | None:
    for fmt in ("%d.%m.%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(str(text), fmt).date()
        except ValueError:
            continue
    return None


def _general(p: dict, today: date) -> list:
    out = []
    if p.get("PayerType") not in ("Sender", "Recipient", "ThirdPerson"):
        out.append(err("20000301244"))
    if p.get("PaymentMethod") not in ("Cash", "NonCash"):
        out.append(err("20000200251"))
    if p.get("CargoType") not in CARGO_TYPES:
        out.append(err("20000200099"))
    when = parse_date(p.get("DateTime")) if p.get("DateTime") else None
    if not p.get("DateTime"):
        out.append(err("20000200145"))
    elif when is None:
        out.append(err("20000400456"))
    elif when < today:
        out.append(err("20000400455"))
    if p.get("ServiceType") in (None, ""):
        out.append(err("20000200347"))
    elif p["ServiceType"] not in SERVICES:
        out.append(err("20000200348"))
    return out


def _goods(p: dict) -> list:
    out = []
    weight = number(p.get("Weight"))
    if p.get("Weight") in (None, ""):
        out.append(err("20000400503"))
    elif weight is None or weight == 0:
        out.append(err("20000200373"))
    seats = number(p.get("SeatsAmount"))
    if p.get("SeatsAmount") in (None, ""):
        out.append(err("20000400482"))
    elif seats is None or seats < 1 or seats != int(seats):
        out.append(err("20000200314"))
    if not str(p.get("Description") or "").strip():
        out.append(err("20000200150"))
    if p.get("Cost") in (None, ""):
        out.append(err("20000400452"))
    elif number(p.get("Cost")) is None:
        out.append(err("20000200118"))
    barcode = str(p.get("InfoRegClientBarcodes") or "")
    if len(barcode) > 36:
        out.append(err("20000200189"))
    elif barcode and not re.fullmatch(r"[A-Za-z0-9_./-]+", barcode):
        out.append(err("20000200188"))
    return out


def _sender(p: dict) -> list:
    out = []
    for key, empty, bad in (("CitySender", "20000200107", "20000200105"),
                            ("SenderAddress", "20000200329", "20000200327"), ("Sender", "20000300443", "20000300443"),
                            ("ContactSender", "20000300406", "20000300404")):
        if not p.get(key):
            out.append(err(empty))
        elif not REF_RE.match(str(p[key])):
            out.append(err(bad))
    phone = str(p.get("SendersPhone") or "")
    return out + ([err("20000300445")] if not phone else [] if PHONE_RE.match(phone) else [err("20000300444")])


def _recipient(p: dict) -> list:
    out = []
    phone = str(p.get("RecipientsPhone") or "")
    if not phone:
        out.append(err("20000300435"))
    elif not PHONE_RE.match(phone):
        out.append(err("20000300434"))
    if p.get("Recipient"):
        if not REF_RE.match(str(p.get("ContactRecipient") or "")):
            out.append(err("20000300399"))
        return out
    words = str(p.get("RecipientName") or "").split()
    if len(words) < 2:
        out.append(err("20000201598"))
    elif not CYRILLIC_RE.match(" ".join(words)):
        out.append(err("20000200282"))
    elif len({w.lower() for w in words}) < len(words):
        out.append(err("20000201758"))
    return out


def _destination(p: dict) -> list:
    service = str(p.get("ServiceType") or "")
    if service.endswith("Doors"):
        out = [] if p.get("CityRecipient") or p.get("RecipientCityName") else [err("20000200104")]
        out += [] if p.get("RecipientAddressName") else [err("20000200274")]
        return out + ([] if p.get("RecipientHouse") else [err("20000200272")])
    out = []
    for key, empty, bad in (("CityRecipient", "20000200104", "20000200102"),
                            ("RecipientAddress", "20000200268", "20000200266")):
        if not p.get(key):
            out.append(err(empty))
        elif not REF_RE.match(str(p[key])):
            out.append(err(bad))
    return out


def _seats(p: dict) -> list:
    seats = p.get("OptionsSeat")
    locker = str(p.get("ServiceType") or "").endswith("Postomat")
    if seats is None:
        return [err("20000200226")] if locker else []
    if not isinstance(seats, list) or not all(isinstance(s, dict) for s in seats):
        return [err("20000200227")]
    out = [] if p.get("CargoType") in ("Cargo", "Pallet") else [err("20000200225")]
    if locker and len(seats) != 1:
        out.append(err("20000200215"))
    if locker and any((number(s.get("weight")) or 0) > LOCKER_MAX_KG for s in seats):
        out.append(err("20000200380"))
    return out


def _cod(p: dict) -> list:
    service, out = str(p.get("ServiceType") or ""), []
    backward = p.get("BackwardDeliveryData")
    if backward is not None:
        if not isinstance(backward, list):
            return [err("20000200086")]
        for item in backward:
            if not isinstance(item, dict) or item.get("CargoType") != "Money":
                out.append(err("20000200083"))
                continue
            if item.get("PayerType") not in ("Sender", "Recipient"):
                out.append(err("20000200085"))
            elif item["PayerType"] == "Recipient" and service in ("WarehouseDoors", "DoorsDoors"):
                out.append(err("20000201592" if service == "WarehouseDoors" else "20000201591"))
            amount = number(item.get("RedeliveryString"))
            out += [err("20000200079")] if amount is None else [err("20000200080")] if amount < 1 else []
    if p.get("AfterpaymentOnGoodsCost") not in (None, ""):
        if number(p["AfterpaymentOnGoodsCost"]) is None:
            out.append(err("20000200033"))
        elif service != "WarehouseWarehouse":
            out.append(err("20000201590"))
    return out


def validate_save(props: dict, today: date) -> list[tuple[str, str]]:
    """Every reason to refuse ``props``; empty when the document can be created."""
    return (_general(props, today) + _goods(props) + _sender(props) + _recipient(props) + _destination(props)
            + _seats(props) + _cod(props))
