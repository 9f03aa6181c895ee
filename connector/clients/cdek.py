"""CDEK API v2 client: I/O only; payloads are built and read by ``mappers.cdek``.

Reference: ``reference/couriers.md`` section 4; https://api-docs.cdek.ru (test host
``https://api.edu.cdek.ru`` with the public test account, production ``https://api.cdek.ru``).

Quirks this client absorbs:
- OAuth2 client_credentials: ``POST /v2/oauth/token`` (form) -> a bearer token for ~1 h, cached
  per client and refreshed before expiry or after a 401;
- **202 + asynchronous validation**: ``POST /v2/orders`` only says "accepted"; the verdict
  (``SUCCESSFUL`` + ``cdek_number`` or ``INVALID`` + errors) comes from ``GET /v2/orders/{uuid}``,
  polled here for up to ``wait_seconds``;
- labels are asynchronous too: ``POST /v2/print/barcodes`` then ``GET /v2/print/barcodes/{uuid}``
  until ``READY``; until then :class:`LabelNotReady`. The PDF link lives 1 hour;
- a missing order is HTTP 400 ``v2_entity_not_found`` (not 404); no idempotency key, and the
  order ``number`` (our reference) is not unique: look up ``?im_number=`` before creating again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import requests

from connector.clients.http import DEFAULT_TIMEOUT, HttpClient
from connector.errors import (
    AmbiguousError,
    AuthError,
    ConfigurationError,
    NotFound,
    PermanentError,
    StockbridgeError,
    TransientError,
    UnsupportedOperation,
)
from connector.shipping import LabelNotReady, ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers import cdek

TEST_URL = "https://api.edu.cdek.ru"
PRODUCTION_URL = "https://api.cdek.ru"
TOKEN_MARGIN = 60.0  # seconds before expiry at which a token is renewed


@dataclass(frozen=True)
class CdekSettings:
    """One CDEK account (``client_id`` = Account, ``client_secret`` = Secure password).

    ``wait_seconds`` bounds how long ``create_shipment`` and ``get_label`` poll an asynchronous
    answer (``poll_interval`` apart) before returning "not yet"; 0 never waits.
    """

    client_id: str
    client_secret: str
    base_url: str = TEST_URL
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    wait_seconds: float = 5.0
    poll_interval: float = 0.5
    lang: str = "RUS"

    def __repr__(self) -> str:  # the secret stays out of tracebacks and logs
        return f"CdekSettings(client_id={self.client_id!r}, base_url={self.base_url!r})"


def _json_or_none(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None


class CdekClient:
    """The :class:`connector.shipping.Carrier` for CDEK; ``carrier_ref`` is the order ``uuid``."""

    name = "cdek"

    def __init__(self, settings: CdekSettings, *, session: requests.Session | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        if not settings.client_id or not settings.client_secret:
            raise ConfigurationError("CDEK: client_id and client_secret are required")
        base = settings.base_url.rstrip("/")
        self.settings = settings
        self.http = HttpClient(base[:-3] if base.endswith("/v2") else base, name="CDEK", timeout=settings.timeout,
                               session=session)
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None
        self._print_jobs: dict[tuple[str, str], str] = {}

    # ----------------------------------------------------------------------- auth and transport

    def token(self) -> str:
        """The cached bearer token, fetched with ``POST /v2/oauth/token`` when missing or expiring."""
        with self._lock:
            if self._token and self._token[1] > self._clock():
                return self._token[0]
            form = cdek.token_form(self.settings.client_id, self.settings.client_secret)
            response = self.http.send("POST", "/v2/oauth/token", data=form, idempotent=True)
            if response.status_code in (400, 401, 403):
                raise AuthError("CDEK: client_id / client_secret refused", status=response.status_code)
            if response.status_code != 200:
                self._fail(response, "POST /v2/oauth/token")
            body = self.http.decode(response, "POST", "/v2/oauth/token", idempotent=True)
            lifetime = float(body.get("expires_in") or 3599)
            self._token = (str(body["access_token"]), self._clock() + max(0.0, lifetime - TOKEN_MARGIN))
            return self._token[0]

    def _fail(self, response: requests.Response, what: str):
        """Raise the typed error of an unexpected answer (5xx transient, 404 NotFound...)."""
        self.http.check(response, f"CDEK {what}")
        raise PermanentError(f"CDEK {what}: unexpected HTTP {response.status_code}", status=response.status_code)

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        """One authorised request; a 401 drops the token and retries once with a fresh one."""
        for attempt in (1, 2):
            response = self.http.send(method, path, headers={"Authorization": f"Bearer {self.token()}"}, **kwargs)
            if response.status_code != 401 or attempt == 2:
                return response
            with self._lock:
                self._token = None
        raise AssertionError("unreachable")

    def _json(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs) -> dict:
        """An authorised call's JSON; CDEK's 400 answers become typed errors (NotFound, validation)."""
        response = self._send(method, path, **kwargs)
        if response.status_code in ok:
            return self.http.decode(response, method, path, idempotent=kwargs.get("idempotent"))
        body = _json_or_none(response)
        if response.status_code == 400 and isinstance(body, dict):
            cdek.raise_for_errors(body, f"{method} {path}", status=400)
        return self._fail(response, f"{method} {path}")

    # ----------------------------------------------------------------------- Carrier

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        """``POST /v2/orders`` (202), then ``GET /v2/orders/{uuid}`` until SUCCESSFUL or INVALID.

        Malformed data (HTTP 400) and an INVALID verdict raise CarrierValidationError. Still
        ``ACCEPTED`` after ``wait_seconds``: a result with ``label_ready=False`` (poll
        ``get_shipment``). Not idempotent: a read timeout is an AmbiguousError; look up first.
        """
        body = self._json("POST", "/v2/orders", ok=(200, 201, 202), json=cdek.order_request(request))
        try:
            uuid = cdek.entity_uuid(body)
        except TransientError:  # accepted, but we cannot tell which order: look it up before retrying
            raise AmbiguousError("CDEK POST /v2/orders: accepted without entity.uuid") from None
        return self._await_order(uuid)

    def _await_order(self, uuid: str) -> ShipmentResult:
        pending = ShipmentResult(carrier_ref=uuid, status="created", raw_status="ACCEPTED")
        deadline = self._clock() + self.settings.wait_seconds
        while True:
            try:
                result = self.get_shipment(uuid)
            except cdek.CarrierValidationError:
                raise
            except StockbridgeError:  # the order exists: never let a poll failure invite a second create
                return pending
            if result.label_ready or result.status == "cancelled" or self._clock() >= deadline:
                return result
            self._sleep(self.settings.poll_interval)

    def get_shipment(self, carrier_ref: str) -> ShipmentResult:
        """``GET /v2/orders/{uuid}``; an INVALID creation raises CarrierValidationError with CDEK's errors."""
        return cdek.order_result(self._json("GET", f"/v2/orders/{quote(carrier_ref, safe='')}"))

    def find_by_reference(self, reference: str) -> ShipmentResult | None:
        """``GET /v2/orders?im_number=<reference>``: the most recent order with our number.

        None when there is none, or when it failed validation or was deleted.
        """
        try:
            body = self._json("GET", "/v2/orders", params={"im_number": reference})
        except NotFound:
            return None
        return cdek.order_found(body)

    def get_label(self, carrier_ref: str, *, fmt: str = "pdf", size: str = "A6", dpi: int = 203) -> bytes:
        """The package stickers as PDF (A4, A5 or A6): ``POST /v2/print/barcodes``, poll, download.

        CDEK has no ZPL (UnsupportedOperation). LabelNotReady while the order is being validated
        or the PDF is being generated; the print job is reused by the next call.
        """
        if fmt.lower() != "pdf" or size not in cdek.LABEL_SIZES:
            raise UnsupportedOperation(f"CDEK prints PDF in {', '.join(cdek.LABEL_SIZES)} only")
        order = self.get_shipment(carrier_ref)
        if order.status == "cancelled":
            raise PermanentError("CDEK: the order was deleted; it has no label")
        if not order.label_ready:
            raise LabelNotReady("CDEK: the order is still being validated", retry_after=self.settings.poll_interval)
        deadline = self._clock() + self.settings.wait_seconds
        while True:
            status, url = self._print_job_status(carrier_ref, size)
            if status == "READY" and url:
                return self._download(url)
            if self._clock() >= deadline:
                raise LabelNotReady(f"CDEK: label {status.lower()}", retry_after=self.settings.poll_interval)
            self._sleep(self.settings.poll_interval)

    def _print_job_status(self, carrier_ref: str, size: str) -> tuple[str, str]:
        key = (carrier_ref, size)
        job = self._print_jobs.get(key)
        if job is None:
            body = self._json("POST", "/v2/print/barcodes", ok=(200, 202), idempotent=True,
                              json=cdek.print_request(carrier_ref, size, lang=self.settings.lang))
            job = self._print_jobs[key] = cdek.entity_uuid(body)
        status, url = cdek.print_status(self._json("GET", f"/v2/print/barcodes/{quote(job, safe='')}"))
        if status == "INVALID":
            self._print_jobs.pop(key, None)
            raise PermanentError("CDEK: the label request was refused")
        if status == "REMOVED":  # the 1-hour link expired: start a new job next time
            self._print_jobs.pop(key, None)
        return status, url

    def _download(self, url: str) -> bytes:
        """GET the PDF with the bearer token, only from our own CDEK host."""
        if not url.startswith(self.http.base_url + "/"):
            raise PermanentError("CDEK: the label link points to an unexpected host")
        path = url[len(self.http.base_url):]
        response = self._send("GET", path)
        if response.status_code != 200:
            return self._fail(response, "GET label PDF")
        if not response.content.startswith(b"%PDF"):
            raise TransientError("CDEK: the label download is not a PDF")
        return response.content

    def cancel(self, carrier_ref: str) -> None:
        """``DELETE /v2/orders/{uuid}`` (202): only before CDEK receives the parcel.

        An order already deleted counts as cancelled; later refusals raise UnsupportedOperation
        (use a refusal, ``POST /v2/orders/{uuid}/refusal``). The deletion itself is asynchronous:
        ``get_shipment`` then shows ``cancelled``.
        """
        try:
            self._json("DELETE", f"/v2/orders/{quote(carrier_ref, safe='')}", ok=(200, 202))
        except NotFound:
            if self.get_shipment(carrier_ref).raw_status != "REMOVED":
                raise
        except cdek.CarrierValidationError as exc:
            raise UnsupportedOperation(f"CDEK: the order can no longer be deleted ({exc.message})",
                                       code=exc.code) from None

    def track(self, tracking_numbers: list[str]) -> list[TrackingUpdate]:
        """``GET /v2/orders?cdek_number=`` per number (CDEK has no batch call); unknown numbers are skipped.

        Prefer webhooks (``parse_webhook``) and poll as the fallback: CDEK never retries a webhook.
        """
        updates = []
        for number in dict.fromkeys(tracking_numbers):
            try:
                update = cdek.order_update(self._json("GET", "/v2/orders", params={"cdek_number": number}))
            except NotFound:
                continue
            if update is not None:
                updates.append(update)
        return updates

    # ----------------------------------------------------------------------- webhooks

    @staticmethod
    def parse_webhook(body: dict) -> TrackingUpdate | None:
        """An ``ORDER_STATUS`` webhook body -> TrackingUpdate (see ``mappers.cdek.parse_webhook``)."""
        return cdek.parse_webhook(body)

    def subscribe(self, url: str, kind: str = "ORDER_STATUS") -> str:
        """``POST /v2/webhooks {type, url}`` -> the subscription uuid (one per type and URL)."""
        return cdek.entity_uuid(self._json("POST", "/v2/webhooks", json={"type": kind, "url": url}, idempotent=True))
