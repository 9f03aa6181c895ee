"""Checks of a ``createShipment`` argument; the first problem becomes SOAP fault 101.

The fault text names the element path, then says what is wrong in Polish:
``shipment.ship.receiver.address.postalCode: nieprawidłowy kod pocztowy``. DHL24's real fault
texts and codes other than 100 are not in our reference [unv]; the rules follow the documented
structure (fixture ``createShipment_request.xml``) and what integrators report.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

PRODUCTS = ("AH", "PR", "09", "12", "DW", "SP", "EK", "PI", "CP", "CM")
LABEL_TYPES = ("BLP", "LBLP", "ZBLP", "LP")
PAYERS = ("SHIPPER", "RECEIVER", "USER")
PIECE_TYPES = ("ENVELOPE", "PACKAGE", "PALLET")
PHONE = re.compile(r"^\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _number(text: object) -> Decimal | None:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _info(info: dict) -> str | None:
    if info.get("serviceType") not in PRODUCTS:
        return "shipment.shipmentInfo.serviceType: nieznany produkt"
    if info.get("labelType", "BLP") not in LABEL_TYPES:
        return "shipment.shipmentInfo.labelType: nieznany typ etykiety"
    if _dict(info.get("billing")).get("shippingPaymentType") not in PAYERS:
        return "shipment.shipmentInfo.billing.shippingPaymentType: nieznany płatnik"
    return _services(info.get("specialServices") or [])


def _services(services: list) -> str | None:
    values = {item.get("serviceType"): _number(item.get("serviceValue"))
              for item in services if isinstance(item, dict)}
    if "COD" in values:
        cod, insured = values["COD"], values.get("UBEZP")
        if cod is None or cod <= 0:
            return "shipment.shipmentInfo.specialServices: kwota pobrania musi być większa od zera"
        if insured is None or insured < cod:
            return ("shipment.shipmentInfo.specialServices: pobranie (COD) wymaga ubezpieczenia (UBEZP) "
                    "nie mniejszego niż kwota pobrania")
    return None


def _party(party: dict, role: str) -> str | None:
    address, prefix = _dict(party.get("address")), f"shipment.ship.{role}"
    for name, words in (("name", "nazwa"), ("postalCode", "kod pocztowy"), ("city", "miejscowość"),
                        ("street", "ulica"), ("houseNumber", "numer domu")):
        if not str(address.get(name) or "").strip():
            return f"{prefix}.address.{name}: pole wymagane ({words})"
    if not re.fullmatch(r"\d{5}", str(address["postalCode"])):
        return f"{prefix}.address.postalCode: nieprawidłowy kod pocztowy"
    for block in ("preaviso", "contact"):
        contact = _dict(party.get(block))
        if contact.get("phoneNumber") and not PHONE.match(str(contact["phoneNumber"])):
            return f"{prefix}.{block}.phoneNumber: nieprawidłowy numer telefonu"
        if contact.get("emailAddress") and not EMAIL.match(str(contact["emailAddress"])):
            return f"{prefix}.{block}.emailAddress: nieprawidłowy adres e-mail"
    return None


def _pieces(pieces: object) -> str | None:
    if not isinstance(pieces, list) or not pieces:
        return "shipment.pieceList: brak paczek"
    for index, piece in enumerate(pieces):
        piece, where = _dict(piece), f"shipment.pieceList.item[{index}]"
        if piece.get("type") not in PIECE_TYPES:
            return f"{where}.type: nieznany typ paczki"
        weight = _number(piece.get("weight"))
        if weight is None or weight <= 0 or weight != weight.to_integral_value():
            return f"{where}.weight: waga musi być liczbą całkowitą większą od zera"
        for name in ("width", "height", "length") if piece["type"] != "ENVELOPE" else ():
            size = _number(piece.get(name))
            if size is None or size <= 0:
                return f"{where}.{name}: wymiar musi być większy od zera"
    return None


def first_problem(arguments: dict) -> str | None:
    """The fault text of the first problem in a createShipment argument, else None."""
    shipment = _dict(arguments.get("shipment"))
    if not shipment:
        return "shipment: brak danych przesyłki"
    ship = _dict(shipment.get("ship"))
    return (_info(_dict(shipment.get("shipmentInfo"))) or _party(_dict(ship.get("receiver")), "receiver")
            or _party(_dict(ship.get("shipper")), "shipper") or _pieces(shipment.get("pieceList")))
