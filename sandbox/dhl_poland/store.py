"""Shipments held by the DHL24 sandbox and their tracking events."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
#: Event codes of DHL24 tracking as public integrations list them; the texts are the sandbox's own [unv].
EVENTS = {"EDWP": "DHL otrzymał dane przesyłki", "DWP": "przesyłka odebrana od nadawcy",
          "SORT": "przesyłka w centrum sortowania", "LP": "przesyłka dotarła do oddziału",
          "LK": "przesyłka przekazana kurierowi do doręczenia", "AWI": "nieudana próba doręczenia",
          "DOR": "przesyłka doręczona do odbiorcy", "SP_DW": "przesyłka w drodze do punktu DHL POP",
          "SP_DSP": "przesyłka czeka na odbiór w punkcie DHL POP", "SP_DOR": "przesyłka odebrana z punktu",
          "OWL": "przesyłka czeka na odbiór w terminalu DHL", "ERR": "Nie znaleziono przesyłki o takim numerze"}


def now() -> datetime:
    return datetime.now(WARSAW)


@dataclass
class Shipment:
    id: str
    data: dict  # the createShipment ``shipment`` argument, as plain data
    created: datetime = field(default_factory=now)
    notification_number: str = field(default_factory=lambda: str(secrets.randbelow(10**8)).zfill(8))
    events: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    received_by: str = ""
    deleted: bool = False

    @property
    def reference(self) -> str:
        return str(self.data.get("reference") or "")

    @property
    def service(self) -> str:
        return str((self.data.get("shipmentInfo") or {}).get("serviceType") or "")

    def party(self, role: str) -> dict:
        return ((self.data.get("ship") or {}).get(role) or {}).get("address") or {}

    @property
    def picked_up(self) -> bool:
        return any(code != "EDWP" for code, *_ in self.events)

    def cod(self) -> str:
        services = (self.data.get("shipmentInfo") or {}).get("specialServices") or []
        return next((str(item.get("serviceValue")) for item in services
                     if isinstance(item, dict) and item.get("serviceType") == "COD"), "")


class Store:
    """Shipments by id (11 digits, like DHL24's); ``lock`` guards every change."""

    def __init__(self, first_id: int = 90_012_000_001):
        self.lock = threading.RLock()
        self._next = first_id
        self.shipments: dict[str, Shipment] = {}

    def create(self, data: dict) -> Shipment:
        with self.lock:
            shipment = Shipment(str(self._next), data)
            self._next += 1
            shipment.events.append(("EDWP", EVENTS["EDWP"], "", shipment.created))
            self.shipments[shipment.id] = shipment
            return shipment

    def get(self, shipment_id: str, *, deleted: bool = False) -> Shipment | None:
        with self.lock:
            shipment = self.shipments.get(str(shipment_id))
            return shipment if shipment is not None and (deleted or not shipment.deleted) else None

    def add_event(self, shipment: Shipment, code: str, terminal: str = "", received_by: str = "") -> None:
        with self.lock:
            shipment.events.append((code, EVENTS.get(code, code), terminal, now()))
            if received_by:
                shipment.received_by = received_by

    def delete(self, shipment: Shipment) -> bool:
        """Only before pickup (only the ``EDWP`` event) [unv]."""
        with self.lock:
            if shipment.picked_up:
                return False
            shipment.deleted = True
            return True

    def created_between(self, first: str, last: str) -> list[Shipment]:
        """Live shipments created on dates ``first``..``last`` (ISO), oldest first; deleted ones vanish [unv]."""
        with self.lock:
            return sorted((s for s in self.shipments.values()
                           if not s.deleted and first <= s.created.date().isoformat() <= last), key=lambda s: s.id)

    def reset(self) -> None:
        with self.lock:
            self.shipments.clear()
