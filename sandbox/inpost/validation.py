"""Checks of a simplified-mode create body, answered as ShipX's 400 ``validation_failed``.

Rules from ShipX's "Creating a shipment in the simplified mode" page (``reference/couriers.md``
section 1): lockers need ``receiver.phone`` + ``receiver.email``, ``custom_attributes.target_point``
and one parcel with a ``template``; couriers need a name or company, an address, ``dimensions``
(mm) and ``weight`` (kg) per parcel, and ``insurance`` for standard/express; ``reference`` is 3-100
characters. Formats (9-digit phone, ``NN-NNN`` postcode, locker code ``AAA00``) are [unv]: the
sandbox's own strictness, close to what integrators report.

``details`` nests like the fixture ``error_400_validation_failed.json``: a field holds a list with
one object of its sub-fields; a parcel index holds the object directly:
``{"parcels": [{"0": {"dimensions": [{"width": ["too_small"]}]}}], "receiver": [{"phone": [...]}]}``.
"""

from __future__ import annotations

import re
from numbers import Number

from .store import COURIER_SERVICES, LOCKER_SERVICES

INSURED = frozenset({"inpost_courier_standard", "inpost_courier_express_1000", "inpost_courier_express_1200",
                     "inpost_courier_express_1700"})
TEMPLATES = ("small", "medium", "large")
PHONE = re.compile(r"^\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POST_CODE = re.compile(r"^\d{2}-\d{3}$")
LOCKER_CODE = re.compile(r"^[A-Z]{3}\d{2,4}[A-Z]?$")


class Problems:
    """Collected (path, error key) pairs, rendered as ShipX's nested ``details``."""

    def __init__(self):
        self.items: list[tuple[tuple[str, ...], str]] = []

    def add(self, key: str, *path: str) -> None:
        self.items.append((path, key))

    def __bool__(self) -> bool:
        return bool(self.items)

    def details(self) -> dict:
        details: dict = {}
        for path, key in self.items:
            node = details
            for segment in path[:-1]:
                if segment.isdigit():
                    node = node.setdefault(segment, {})
                else:
                    holder = node.setdefault(segment, [{}])
                    node = holder[0] if holder and isinstance(holder[0], dict) else {}
            node.setdefault(path[-1], []).append(key)
        return details


def _positive(value: object) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool) and value > 0


def _contact(problems: Problems, party: dict, role: str, *, required: bool) -> None:
    for name, pattern in (("phone", PHONE), ("email", EMAIL)):
        value = party.get(name)
        if value in (None, ""):
            if required:
                problems.add("required", role, name)
        elif not isinstance(value, str) or not pattern.match(value):
            problems.add("invalid_format", role, name)


def _address(problems: Problems, party: dict, role: str) -> None:
    address = party.get("address")
    if not isinstance(address, dict):
        problems.add("required", role, "address")
        return
    for name in ("street", "building_number", "city", "post_code"):
        if not str(address.get(name) or "").strip():
            problems.add("required", role, "address", name)
    if address.get("post_code") and not POST_CODE.match(str(address["post_code"])):
        problems.add("invalid_format", role, "address", "post_code")


def _locker(problems: Problems, body: dict) -> None:
    target = (body.get("custom_attributes") or {}).get("target_point")
    if not target:
        problems.add("required", "custom_attributes", "target_point")
    elif not LOCKER_CODE.match(str(target)):
        problems.add("does_not_exist", "custom_attributes", "target_point")
    parcels = body.get("parcels") or []
    if len(parcels) != 1:
        problems.add("invalid", "parcels")
    elif not isinstance(parcels[0], dict) or parcels[0].get("template") not in TEMPLATES:
        problems.add("invalid", "parcels", "0", "template")


def _courier(problems: Problems, body: dict, receiver: dict) -> None:
    if not (receiver.get("company_name") or (receiver.get("first_name") and receiver.get("last_name"))):
        problems.add("required", "receiver", "name")
    _address(problems, receiver, "receiver")
    parcels = body.get("parcels") or []
    if not parcels:
        problems.add("required", "parcels")
    for index, parcel in enumerate(parcels):
        parcel = parcel if isinstance(parcel, dict) else {}
        dimensions, weight = parcel.get("dimensions") or {}, parcel.get("weight") or {}
        for name in ("length", "width", "height"):
            if not _positive(dimensions.get(name)):
                problems.add("too_small", "parcels", str(index), "dimensions", name)
        if not _positive(weight.get("amount")):
            problems.add("too_small", "parcels", str(index), "weight", "amount")
    if body.get("service") in INSURED and not _positive((body.get("insurance") or {}).get("amount")):
        problems.add("required", "insurance", "amount")


def _money(problems: Problems, body: dict) -> None:
    for name in ("cod", "insurance"):
        block = body.get(name)
        if block is None:
            continue
        if not isinstance(block, dict) or not _positive(block.get("amount")):
            problems.add("too_small", name, "amount")
        elif block.get("currency") != "PLN":
            problems.add("invalid", name, "currency")


def validate_shipment(body: object) -> dict:
    """``details`` for a create body; empty when it is acceptable."""
    problems = Problems()
    if not isinstance(body, dict):
        problems.add("invalid", "shipment")
        return problems.details()
    service = body.get("service")
    if service not in LOCKER_SERVICES | COURIER_SERVICES:
        problems.add("invalid" if service else "required", "service")
    reference = body.get("reference")
    if reference is not None and not 3 <= len(str(reference)) <= 100:
        problems.add("too_short" if len(str(reference)) < 3 else "too_long", "reference")
    receiver = body.get("receiver")
    if not isinstance(receiver, dict):
        problems.add("required", "receiver")
        return problems.details()
    _contact(problems, receiver, "receiver", required=service in LOCKER_SERVICES)
    if service in LOCKER_SERVICES:
        _locker(problems, body)
    elif service in COURIER_SERVICES:
        _courier(problems, body, receiver)
    if isinstance(body.get("sender"), dict):
        _contact(problems, body["sender"], "sender", required=False)
    _money(problems, body)
    return problems.details()
