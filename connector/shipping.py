"""Shipping: the canonical shipment and the one interface every carrier client implements (karrio's split).

A carrier client (``connector/clients/<carrier>.py``) is I/O only; its pure mapper
(``mappers/<carrier>.py``) turns a :class:`ShipmentRequest` into the carrier's payload and the
carrier's answers back into :class:`ShipmentResult` / :class:`TrackingUpdate`. No carrier has an
idempotency key, so every request carries our own ``reference`` and every client offers
:meth:`Carrier.find_by_reference` (look up before create). An operation a carrier lacks raises
:class:`connector.errors.UnsupportedOperation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from connector.errors import TransientError

#: Canonical parcel states, in order; ``returned`` and ``cancelled`` are exits.
TRACKING_STATES = ("created", "confirmed", "in_transit", "ready_for_pickup", "delivered", "returned", "cancelled")


#: Public tracking pages, for the customer-visible note.
TRACKING_URLS = {
    "inpost": "https://inpost.pl/sledzenie-przesylek?number={}",
    "dhl_poland": "https://www.dhl.com/pl-pl/home/sledzenie-przesylek.html?tracking-id={}",
    "novaposhta": "https://novaposhta.ua/tracking/?cargo_number={}",
    "cdek": "https://www.cdek.ru/ru/tracking?order_id={}",
}
CARRIER_TITLES = {"inpost": "InPost", "dhl_poland": "DHL Parcel Polska", "novaposhta": "Нова Пошта", "cdek": "СДЭК"}


def advances(current: str, new: str) -> bool:
    """True when a parcel may move from ``current`` to ``new``: never backwards; returned/cancelled are exits."""
    if current in ("returned", "cancelled", "delivered") and new != "returned":
        return False
    if new in ("returned", "cancelled"):
        return current != new
    order = {s: i for i, s in enumerate(("intent",) + TRACKING_STATES)}
    return order.get(new, 0) > order.get(current, 0)


class LabelNotReady(TransientError):
    """The carrier has not produced the label yet (InPost before ``confirmed``, CDEK while generating): retry later."""


@dataclass(frozen=True)
class Party:
    name: str
    phone: str = ""
    email: str = ""
    company: str = ""
    street: str = ""
    building: str = ""
    flat: str = ""
    city: str = ""
    postcode: str = ""
    country: str = "PL"
    region: str = ""
    city_ref: str = ""  # carrier's own city id (Nova Poshta CityRef, CDEK city code)


@dataclass(frozen=True)
class Parcel:
    weight_kg: Decimal
    length_cm: int = 0
    width_cm: int = 0
    height_cm: int = 0
    template: str = ""  # InPost locker size: small | medium | large


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str  # ours, unique per parcel set: "<shop>-<order number>-<n>"; the look-up key
    carrier: str
    service: str  # carrier service code, e.g. inpost_locker_standard, WarehouseWarehouse, AH, 136
    receiver: Party
    sender: Party
    parcels: tuple[Parcel, ...]
    pickup_point: str = ""  # locker / warehouse / PVZ code
    cod_amount: Decimal | None = None
    currency: str = "PLN"
    declared_value: Decimal | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ShipmentResult:
    carrier_ref: str  # the carrier's id for the shipment (InPost id, NP Ref, DHL shipmentId, CDEK uuid)
    tracking_number: str = ""  # empty until the carrier assigns one (InPost: from confirmed)
    status: str = "created"  # one of TRACKING_STATES
    raw_status: str = ""
    label_ready: bool = False


@dataclass(frozen=True)
class TrackingUpdate:
    tracking_number: str
    status: str  # one of TRACKING_STATES; unknown carrier statuses map to in_transit
    raw_status: str
    at: datetime | None = None


class Carrier(Protocol):
    """What the shipping workers need from a carrier client."""

    name: str

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult: ...

    def find_by_reference(self, reference: str) -> ShipmentResult | None: ...

    def get_shipment(self, carrier_ref: str) -> ShipmentResult: ...

    def get_label(self, carrier_ref: str, *, fmt: str = "pdf", size: str = "A6", dpi: int = 203) -> bytes: ...

    def cancel(self, carrier_ref: str) -> None: ...

    def track(self, tracking_numbers: list[str]) -> list[TrackingUpdate]: ...
