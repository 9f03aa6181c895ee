"""InPost ShipX REST API (Poland): an I/O-only client implementing ``connector.shipping.Carrier``.

Reference: ``reference/couriers.md`` section 1; https://dokumentacja-inpost.atlassian.net/wiki/spaces/PL/pages/622754/API+ShipX .
Payloads are built and read by ``mappers.inpost`` (pure); this module only talks HTTP.

* Auth: ``Authorization: Bearer <token>`` (Manager Paczek -> Moje konto -> API); write calls name
  the ``organization_id`` in the path. 401 -> AuthError.
* Creation is asynchronous: 201 ``created`` with ``tracking_number: null``; the label and the
  tracking number exist from ``confirmed`` on (poll ``get_shipment`` or wait for the webhook).
* No idempotency key: a create whose answer is lost (read timeout, dropped connection) raises
  AmbiguousError; look the shipment up with :meth:`InPostClient.find_by_reference` before retrying.
* Every call has a timeout (``InPostSettings.timeout``); logs and errors carry method, path, status
  and ShipX's error key only, never the token, a body or personal data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests

from connector.clients.http import DEFAULT_TIMEOUT, HttpClient
from connector.errors import NotFound, PermanentError, TransientError
from connector.shipping import LabelNotReady, ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers import inpost as mapper
from mappers.inpost import CancelNotAllowed, CarrierValidationError

SANDBOX_URL = "https://sandbox-api-shipx-pl.easypack24.net"
PRODUCTION_URL = "https://api-shipx-pl.easypack24.net"
LABEL_MAGIC = {"pdf": b"%PDF", "zpl": b"^XA"}

log = logging.getLogger(__name__)

__all__ = ["InPostSettings", "InPostClient", "CarrierValidationError", "CancelNotAllowed", "SANDBOX_URL",
           "PRODUCTION_URL"]


@dataclass(frozen=True)
class InPostSettings:
    """One ShipX organization. ``timeout`` is seconds or ``(connect, read)``; never None."""

    token: str
    organization_id: str | int
    base_url: str = SANDBOX_URL
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT

    def __repr__(self) -> str:  # keep the token out of tracebacks and logs
        return f"InPostSettings(organization_id={self.organization_id!r}, base_url={self.base_url!r})"


def _shipment_id(carrier_ref: str) -> int:
    """ShipX ids are integers; anything else is refused before it reaches a URL."""
    if not str(carrier_ref).isdigit():
        raise NotFound(f"InPost: {carrier_ref!r} is not a ShipX shipment id")
    return int(carrier_ref)


def _error_key(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error") or "") if isinstance(body, dict) else ""


class InPostClient:
    """ShipX over ``HttpClient``: create, look up, label, cancel, track."""

    name = "inpost"

    def __init__(self, settings: InPostSettings, *, session: requests.Session | None = None):
        self.settings = settings
        self.http = HttpClient(settings.base_url, name="InPost", timeout=settings.timeout, session=session,
                               headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"})

    @property
    def _org_path(self) -> str:
        return f"/v1/organizations/{self.settings.organization_id}/shipments"

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        """``POST /v1/organizations/:organization_id/shipments`` (simplified mode) -> ``created``.

        Local checks first (CarrierValidationError, nothing sent). A 400 ``validation_failed`` is a
        CarrierValidationError naming the fields. Not idempotent: a read timeout or a dropped
        connection is an AmbiguousError (call ``find_by_reference`` before creating again).
        """
        body = mapper.shipment_body(request)
        response = self.http.send("POST", self._org_path, json=body)
        refused = mapper.validation_error(self._json(response), response.status_code) \
            if response.status_code == 400 else None
        if refused is not None:
            raise refused
        self.http.check(response, f"InPost POST {self._org_path}")
        return mapper.shipment_result(self.http.decode(response, "POST", self._org_path))

    def find_by_reference(self, reference: str) -> ShipmentResult | None:
        """``GET /v1/organizations/:id/shipments?reference=...`` -> our shipment, or None.

        Exact match on ``reference`` (the search may match more loosely); a live shipment wins over
        a cancelled one. Safe to call before every create.
        """
        body = self.http.request_json("GET", self._org_path, params={"reference": reference, "per_page": 100})
        return mapper.find_in_search(body, reference)

    def get_shipment(self, carrier_ref: str) -> ShipmentResult:
        """``GET /v1/shipments/:id`` -> status and tracking number (null until ``confirmed``)."""
        return mapper.shipment_result(self.http.request_json("GET", f"/v1/shipments/{_shipment_id(carrier_ref)}"))

    def get_label(self, carrier_ref: str, *, fmt: str = "pdf", size: str = "A6", dpi: int = 203) -> bytes:
        """``GET /v1/shipments/:id/label?format=Pdf|Zpl&type=A6|normal|dpi300`` -> the file's bytes.

        Before ``confirmed`` ShipX answers ``invalid_action``: LabelNotReady (transient) unless the
        shipment was cancelled (PermanentError). Courier services ignore ``normal`` (A4) and always
        answer A6. ``dpi=300`` applies to ZPL only.
        """
        path = f"/v1/shipments/{_shipment_id(carrier_ref)}/label"
        response = self.http.send("GET", path, params=mapper.label_params(fmt, size, dpi),
                                  headers={"Accept": "*/*"})
        if response.status_code == 400 and _error_key(response) == "invalid_action":
            self._raise_label_not_ready(carrier_ref)
        self.http.check(response, f"InPost GET {path}")
        if not response.content.lstrip().startswith(LABEL_MAGIC[fmt.lower()]):
            raise TransientError(f"InPost GET {path}: the answer is not a {fmt} file", status=response.status_code)
        return response.content

    def _raise_label_not_ready(self, carrier_ref: str) -> None:
        current = self.get_shipment(carrier_ref)
        if current.raw_status == "canceled":
            raise PermanentError(f"InPost shipment {carrier_ref} is cancelled: it has no label", code="invalid_action")
        raise LabelNotReady(f"InPost shipment {carrier_ref} is {current.raw_status or 'not confirmed'}: "
                            "the label exists from 'confirmed' on", code="invalid_action")

    def cancel(self, carrier_ref: str) -> None:
        """``DELETE /v1/shipments/:id`` (204); only in ``created``/``offers_prepared``.

        Any later status answers ``invalid_action``: CancelNotAllowed (an UnsupportedOperation, so
        permanent). A bought shipment is cancelled in Manager Paczek or through InPost support.
        """
        path = f"/v1/shipments/{_shipment_id(carrier_ref)}"
        response = self.http.send("DELETE", path)
        if response.status_code == 400 and _error_key(response) == "invalid_action":
            raise CancelNotAllowed(f"InPost cancels only shipments not yet bought (created, offers_prepared); "
                                   f"shipment {carrier_ref} is past that: cancel it in Manager Paczek",
                                   status=400, code="invalid_action")
        self.http.check(response, f"InPost DELETE {path}")

    def track(self, tracking_numbers: list[str]) -> list[TrackingUpdate]:
        """``GET /v1/tracking/:tracking_number`` per number -> current state of each one found.

        Unknown numbers (404) are skipped, so one bad number does not block the batch.
        """
        updates = []
        for number in tracking_numbers:
            try:
                body = self.http.request_json("GET", f"/v1/tracking/{requests.utils.quote(str(number), safe='')}")
            except NotFound:
                log.info("InPost tracking: one number not found")
                continue
            updates.append(mapper.tracking_update(body))
        return updates

    @staticmethod
    def _json(response: requests.Response) -> object:
        try:
            return response.json()
        except ValueError:
            return None

    def close(self) -> None:
        self.http.close()
