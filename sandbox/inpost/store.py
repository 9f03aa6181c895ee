"""Shipments held by the InPost sandbox, their statuses and their JSON as ShipX shows them."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
LOCKER_SERVICES = frozenset({"inpost_locker_standard", "inpost_locker_allegro", "inpost_locker_pass_thru"})
COURIER_SERVICES = frozenset({"inpost_courier_standard", "inpost_courier_express_1000", "inpost_courier_express_1200",
                              "inpost_courier_express_1700", "inpost_courier_c2c", "inpost_courier_palette",
                              "inpost_courier_allegro"})
#: ZPL at 300 dpi (``type=dpi300``) exists only for these services.
DPI300_SERVICES = frozenset({"inpost_locker_standard", "inpost_locker_allegro", "inpost_locker_pass_thru",
                             "inpost_letter_allegro", "inpost_courier_allegro", "inpost_courier_c2c"})
NOT_BOUGHT = ("created", "offers_prepared", "offer_selected")
CANCELLABLE = ("created", "offers_prepared")
#: The main path and the problem statuses of ``reference/couriers.md`` section 1 (InPost has 50+).
STATUSES = ("created", "offers_prepared", "offer_selected", "confirmed", "dispatched_by_sender",
            "collected_from_sender", "taken_by_courier", "adopted_at_source_branch", "sent_from_source_branch",
            "adopted_at_sorting_center", "sent_from_sorting_center", "adopted_at_target_branch", "out_for_delivery",
            "ready_to_pickup", "pickup_reminder_sent", "delivered", "pickup_time_expired", "avizo",
            "rejected_by_receiver", "undelivered", "returned_to_sender", "claimed", "missing", "canceled")
#: Two origin codes from the fixture ``tracking_response.json``; other statuses get none [unv].
ORIGIN_STATUS = {"confirmed": "PPN", "dispatched_by_sender": "NWP"}


def now() -> datetime:
    return datetime.now(WARSAW)


def stamp(moment: datetime) -> str:
    """ShipX time format: ``2020-02-23T18:07:08.967+01:00``."""
    return moment.isoformat(timespec="milliseconds")


@dataclass
class Shipment:
    id: int
    organization_id: str
    body: dict
    status: str = "created"
    tracking_number: str | None = None
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    history: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def service(self) -> str:
        return self.body.get("service", "")

    @property
    def is_locker(self) -> bool:
        return self.service in LOCKER_SERVICES

    def as_json(self, host: str) -> dict:
        """The shipment object of ShipX (fixture ``shipment_create_response_created.json``)."""
        body = self.body
        return {"href": f"{host}/v1/shipments/{self.id}", "id": self.id, "status": self.status,
                "tracking_number": self.tracking_number, "service": self.service,
                "reference": body.get("reference"), "is_return": False, "application_id": 1,
                "created_by_id": None, "external_customer_id": body.get("external_customer_id"),
                "sending_method": (body.get("custom_attributes") or {}).get("sending_method"), "mpk": None,
                "comments": body.get("comments"), "additional_services": body.get("additional_services") or [],
                "custom_attributes": body.get("custom_attributes") or {},
                "cod": body.get("cod") or {"amount": None, "currency": None},
                "insurance": body.get("insurance") or {"amount": None, "currency": None},
                "sender": body.get("sender"), "receiver": body.get("receiver"),
                "selected_offer": None, "offers": [], "transactions": [],
                "parcels": [self._parcel(i, p) for i, p in enumerate(body.get("parcels") or [])],
                "end_of_week_collection": False,
                "created_at": stamp(self.created_at), "updated_at": stamp(self.updated_at)}

    def _parcel(self, index: int, parcel: dict) -> dict:
        return {"id": self.id * 10 + index, "tracking_number": self.tracking_number,
                "is_non_standard": bool(parcel.get("is_non_standard", False)), "template": parcel.get("template"),
                "dimensions": parcel.get("dimensions"), "weight": parcel.get("weight")}

    def tracking_json(self) -> dict:
        """``GET /v1/tracking/:number`` (fixture ``tracking_response.json``): details newest first."""
        target = (self.body.get("custom_attributes") or {}).get("target_point")
        details = [{"status": name, "origin_status": ORIGIN_STATUS.get(name, ""), "datetime": stamp(moment)}
                   for name, moment in reversed(self.history) if name not in NOT_BOUGHT]
        return {"tracking_number": self.tracking_number, "type": self.service, "service": self.service,
                "status": self.status,
                "custom_attributes": {"target_point_id": target} if target else {},
                "tracking_details": details, "expected_flow": [],
                "created_at": stamp(self.created_at), "updated_at": stamp(self.updated_at)}


class Store:
    """All shipments, by id; ``lock`` guards every read-modify-write."""

    def __init__(self, first_id: int = 1_000_000_001):
        self.lock = threading.RLock()
        self._next_id = first_id
        self.shipments: dict[int, Shipment] = {}

    def create(self, organization_id: str, body: dict) -> Shipment:
        with self.lock:
            shipment = Shipment(self._next_id, organization_id, body)
            shipment.history.append(("created", shipment.created_at))
            self.shipments[shipment.id] = shipment
            self._next_id += 1
            return shipment

    def get(self, shipment_id: int) -> Shipment | None:
        with self.lock:
            return self.shipments.get(shipment_id)

    def by_tracking(self, number: str) -> Shipment | None:
        with self.lock:
            return next((s for s in self.shipments.values() if s.tracking_number == number), None)

    def search(self, organization_id: str, filters: dict[str, str]) -> list[Shipment]:
        """``?id=&reference=&tracking_number=&status=&service=`` (exact match), newest first."""
        keys = ("id", "reference", "tracking_number", "status", "service")
        wanted = {key: filters[key] for key in keys if filters.get(key)}
        with self.lock:
            found = [s for s in self.shipments.values() if s.organization_id == organization_id
                     and all(str(self._value(s, key)) == value for key, value in wanted.items())]
        return sorted(found, key=lambda s: s.id, reverse=True)

    @staticmethod
    def _value(shipment: Shipment, key: str) -> object:
        return {"id": shipment.id, "tracking_number": shipment.tracking_number, "status": shipment.status,
                "service": shipment.service}.get(key, shipment.body.get(key))

    def move(self, shipment: Shipment, status: str) -> str:
        """Set ``status`` (a tracking number appears once bought); the webhook event it causes."""
        with self.lock:
            moment = now()
            if status not in NOT_BOUGHT and status != "canceled" and not shipment.tracking_number:
                shipment.tracking_number = "6" + "".join(str(secrets.randbelow(10)) for _ in range(23))
            shipment.status, shipment.updated_at = status, moment
            shipment.history.append((status, moment))
        return "shipment_confirmed" if status == "confirmed" else "shipment_status_changed"

    def cancel(self, shipment: Shipment) -> bool:
        """``DELETE``: only before the offer is bought; the shipment stays, ``canceled``."""
        with self.lock:
            if shipment.status not in CANCELLABLE:
                return False
            shipment.status, shipment.updated_at = "canceled", now()
            shipment.history.append(("canceled", shipment.updated_at))
            return True

    def reset(self) -> None:
        with self.lock:
            self.shipments.clear()
