"""DHL Parcel Poland, DHL24 WebAPI2 (SOAP 1.1): an I/O-only client implementing ``connector.shipping.Carrier``.

Reference: ``reference/couriers.md`` section 3; https://dhl24.com.pl/en/webapi2/doc.html . Envelopes
are built and read by ``mappers.dhl_poland`` (pure, xml.etree); this module only POSTs them.

* One endpoint (``/webapi2/provider/service.html?ws=1``); the operation is the Body's element (and
  the ``SOAPAction`` header). ``authData`` (username/password) travels in every body, so request
  bodies are never logged.
* A SOAP fault comes back with HTTP 500: the body is read for a ``Fault`` BEFORE the status, so a
  refused shipment is a permanent CarrierValidationError, not a retryable 5xx. Fault 100 = AuthError.
* ``createShipment`` is synchronous (id + label at once) but not idempotent: a read timeout or a
  dropped connection is an AmbiguousError; :meth:`DhlPolandClient.find_by_reference` then finds the
  shipment through ``getMyShipments`` + ``getLabelsData`` (no direct look-up by reference exists).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import requests

from connector.clients.http import DEFAULT_TIMEOUT, HttpClient
from connector.errors import AmbiguousError, NotFound, TransientError
from connector.shipping import ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers import dhl_poland as mapper
from mappers.inpost import CancelNotAllowed, CarrierValidationError

SANDBOX_URL = "https://sandbox.dhl24.com.pl"
PRODUCTION_URL = "https://dhl24.com.pl"
ENDPOINT_PATH = "/webapi2/provider/service.html?ws=1"
#: Repeating these has no second effect, so a read timeout on them is transient.
IDEMPOTENT_OPERATIONS = frozenset({"getLabels", "getTrackAndTraceInfo", "getMyShipments", "getLabelsData",
                                   "deleteShipments"})

log = logging.getLogger(__name__)

__all__ = ["DhlSettings", "DhlPolandClient", "CarrierValidationError", "CancelNotAllowed", "SANDBOX_URL",
           "PRODUCTION_URL"]


@dataclass(frozen=True)
class DhlSettings:
    """One DHL24 account. ``base_url`` is the host (or the full endpoint URL); ``account_number`` is
    the SAP number billed. ``pickup_hours`` is the courier's collection window; ``lookback_days`` how
    many days back ``find_by_reference`` searches."""

    username: str
    password: str
    account_number: str = ""
    base_url: str = SANDBOX_URL
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    pickup_hours: tuple[str, str] = ("10:00", "16:00")
    lookback_days: int = 1

    def __repr__(self) -> str:  # keep the password out of tracebacks and logs
        return f"DhlSettings(username={self.username!r}, base_url={self.base_url!r})"


def _split_endpoint(base_url: str) -> tuple[str, str]:
    """``https://host`` -> (host, default path); ``https://host/path?q`` -> (host, ``/path?q``)."""
    parts = urlsplit(base_url)
    host = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if not path:
        return host, ENDPOINT_PATH
    return host, path + (f"?{parts.query}" if parts.query else "")


def _warsaw_today() -> date:
    return datetime.now(mapper.WARSAW).date()


class DhlPolandClient:
    """DHL24 WebAPI2 over ``HttpClient``: createShipment, getLabels, deleteShipments, tracking, look-up."""

    name = "dhl_poland"

    def __init__(self, settings: DhlSettings, *, session: requests.Session | None = None):
        self.settings = settings
        host, self.path = _split_endpoint(settings.base_url)
        self.http = HttpClient(host, name="DHL24", timeout=settings.timeout, session=session,
                               headers={"Content-Type": "text/xml; charset=utf-8"})

    def _call(self, operation: str, payload: dict):
        """POST one operation; its response element, or the typed error (faults read before status)."""
        body = mapper.envelope(operation, payload, username=self.settings.username, password=self.settings.password)
        idempotent = operation in IDEMPOTENT_OPERATIONS
        try:
            response = self.http.send("POST", self.path, data=body, idempotent=idempotent,
                                      headers={"SOAPAction": f'"{mapper.NS}#{operation}"'})
        except AmbiguousError as exc:
            raise AmbiguousError(f"DHL24 {operation}: no answer; the shipment may exist") from exc
        return self._read(response, operation, idempotent)

    def _read(self, response: requests.Response, operation: str, idempotent: bool):
        try:
            element = mapper.parse(response.content)
        except ValueError:
            element = None
        refused = mapper.fault(element) if element is not None else None
        if refused is not None:
            raise mapper.fault_error(refused[0], refused[1], operation)
        self.http.check(response, f"DHL24 {operation}")
        if element is None:
            error = TransientError if idempotent else AmbiguousError
            raise error(f"DHL24 {operation}: HTTP {response.status_code} without a SOAP answer",
                        status=response.status_code)
        return element

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        """``createShipment`` -> ``shipmentTrackingNumber`` (id and tracking number), label ready.

        Data errors are SOAP faults -> CarrierValidationError naming the field when DHL does.
        """
        payload = mapper.create_shipment_payload(request, shipment_date=_warsaw_today(),
                                                 account_number=self.settings.account_number,
                                                 pickup_hours=self.settings.pickup_hours)
        element = self._call("createShipment", payload)
        try:
            return mapper.shipment_result(element)
        except ValueError as exc:
            raise AmbiguousError("DHL24 createShipment: answer without a shipment id") from exc

    def find_by_reference(self, reference: str) -> ShipmentResult | None:
        """``getMyShipments`` (ids created today and ``lookback_days`` before, 100 a page) then
        ``getLabelsData`` (50 ids a call) for the ``reference`` of each; newest ids first.

        Costs one call per 100 shipments plus one per 50; DHL offers no direct look-up. One id DHL
        refuses fails its whole ``getLabelsData`` call, so a refused chunk is retried id by id.
        """
        ids = self._recent_ids()
        for start in range(0, len(ids), mapper.LABELS_DATA_CHUNK):
            matches = self._ids_with_reference(ids[start:start + mapper.LABELS_DATA_CHUNK], reference)
            if matches:
                return ShipmentResult(carrier_ref=matches[0], tracking_number=matches[0], status="confirmed",
                                      raw_status="created", label_ready=True)
        return None

    def _ids_with_reference(self, chunk: list[str], reference: str) -> list[str]:
        try:
            return mapper.ids_with_reference(self._call("getLabelsData", mapper.labels_data_payload(chunk)),
                                             reference)
        except CarrierValidationError:
            if len(chunk) == 1:
                return []
            return [found for one in chunk for found in self._ids_with_reference([one], reference)]

    def _recent_ids(self) -> list[str]:
        today = _warsaw_today()
        since = today - timedelta(days=max(0, self.settings.lookback_days))
        ids: list[str] = []
        while True:
            page = mapper.my_shipment_ids(self._call("getMyShipments",
                                                     mapper.my_shipments_payload(since, today, len(ids))))
            ids.extend(page)
            if len(page) < mapper.MY_SHIPMENTS_PAGE:
                return sorted(set(ids), key=lambda value: (len(value), value), reverse=True)

    def get_shipment(self, carrier_ref: str) -> ShipmentResult:
        """``getTrackAndTraceInfo`` -> ShipmentResult (DHL has no read-shipment call); NotFound if unknown."""
        update = self._track_one(carrier_ref)
        if update is None:
            raise NotFound(f"DHL24 does not know shipment {carrier_ref}", code="ERR")
        return ShipmentResult(carrier_ref=carrier_ref, tracking_number=carrier_ref, status=update.status,
                              raw_status=update.raw_status, label_ready=True)

    def get_label(self, carrier_ref: str, *, fmt: str = "pdf", size: str = "A6", dpi: int = 203) -> bytes:
        """``getLabels`` with ``BLP`` (PDF A6), ``LBLP`` (PDF A4) or ``ZBLP`` (ZPL) -> the decoded bytes."""
        kind = mapper.label_type(fmt, size, dpi)
        element = self._call("getLabels", mapper.get_labels_payload(carrier_ref, kind))
        try:
            return mapper.label_content(element, carrier_ref)
        except ValueError as exc:
            raise TransientError(f"DHL24 getLabels: {exc}") from exc

    def cancel(self, carrier_ref: str) -> None:
        """``deleteShipments``; DHL refuses once the parcel is handed over -> CancelNotAllowed."""
        results = mapper.delete_results(self._call("deleteShipments", mapper.delete_shipments_payload([carrier_ref])))
        outcome = next((result for result in results if result[0] == carrier_ref), None)
        if outcome is None:
            raise TransientError("DHL24 deleteShipments: no result for the shipment")
        if not outcome[1]:
            raise CancelNotAllowed(f"DHL24 refused to delete shipment {carrier_ref}: {mapper.scrub(outcome[2])}",
                                   code="delete_refused")

    def track(self, tracking_numbers: list[str]) -> list[TrackingUpdate]:
        """``getTrackAndTraceInfo`` per number (one id a call); unknown numbers are skipped."""
        updates = [self._track_one(number) for number in tracking_numbers]
        return [update for update in updates if update is not None]

    def _track_one(self, shipment_id: str) -> TrackingUpdate | None:
        element = self._call("getTrackAndTraceInfo", mapper.track_payload(shipment_id))
        try:
            return mapper.tracking_update(element)
        except ValueError as exc:
            raise TransientError(f"DHL24 getTrackAndTraceInfo: {exc}") from exc

    def close(self) -> None:
        self.http.close()
