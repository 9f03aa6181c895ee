"""Nova Poshta API 2.0 client: I/O only; every payload is built and read by ``mappers.novaposhta``.

Reference: ``reference/couriers.md`` section 2; https://developers.novaposhta.ua/documentation.

Quirks this client absorbs:
- one endpoint, ``POST https://api.novaposhta.ua/v2.0/json/``, with the ``apiKey`` **in the JSON
  body**; errors come back as **HTTP 200** with ``success: false`` and ``errorCodes[]``, turned
  into typed errors by ``mappers.novaposhta.raise_for_body`` (AuthError, NotFound,
  CarrierValidationError naming the field...);
- no idempotency key: ``save`` is the only non-idempotent call (a read timeout on it is an
  AmbiguousError); look the TTN up with :meth:`NovaPoshtaClient.find_by_reference`
  (``getDocumentList``, matched on ``InfoRegClientBarcodes``) before creating again;
- printed forms are not a JSON call: ``GET https://my.novaposhta.ua/orders/printMarking100x100/
  orders[]/<Ref>/type/pdf/apiKey/<key>`` carries the key **in the URL**, so it is fetched here
  and only the PDF bytes leave this module; failures come back as HTML pages, not PDF;
- ``DateTime`` must be today or later in Kyiv time, whatever the server's time zone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import requests

from connector.clients.http import DEFAULT_TIMEOUT, HttpClient
from connector.errors import ConfigurationError, NotFound, PermanentError, TransientError, UnsupportedOperation
from connector.shipping import ShipmentRequest, ShipmentResult, TrackingUpdate
from mappers import novaposhta as np

API_URL = "https://api.novaposhta.ua"
PRINT_URL = "https://my.novaposhta.ua"
JSON_PATH = "/v2.0/json/"
#: label size -> (printed form, type, thermal ``/zebra`` suffix). A4 is the full express waybill.
LABEL_FORMS = {
    "A6": ("printMarking100x100", "pdf", True),
    "100x100": ("printMarking100x100", "pdf", True),
    "85x85": ("printMarking85x85", "pdf8", False),
    "A4": ("printDocument", "pdf", False),
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NovaPoshtaSettings:
    """One Nova Poshta business account and its sender Refs (read once from ``Counterparty`` calls).

    ``print_url`` is the host of the printed forms: empty means ``my.novaposhta.ua`` for the real
    API and ``base_url`` otherwise (the sandbox serves both). ``lookup_days`` is the
    ``getDocumentList`` window used by ``find_by_reference`` and ``get_shipment``.
    """

    api_key: str
    sender_ref: str
    sender_contact_ref: str
    sender_address_ref: str
    sender_city_ref: str
    sender_phone: str
    base_url: str = API_URL
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    print_url: str = ""
    lookup_days: int = 14

    def __repr__(self) -> str:  # the key stays out of tracebacks and logs
        return f"NovaPoshtaSettings(sender_ref={self.sender_ref!r}, base_url={self.base_url!r})"

    def sender(self) -> np.Sender:
        return np.Sender(self.sender_ref, self.sender_contact_ref, self.sender_address_ref, self.sender_city_ref,
                         self.sender_phone)

    def print_base(self) -> str:
        if self.print_url:
            return self.print_url.rstrip("/")
        return PRINT_URL if urlsplit(self.base_url).hostname == "api.novaposhta.ua" else self.base_url.rstrip("/")


class NovaPoshtaClient:
    """The :class:`connector.shipping.Carrier` for Nova Poshta; ``carrier_ref`` is the document ``Ref``.

    ``error_table`` (code -> text) widens the built-in error map, e.g. with NP's full list.
    """

    name = "novaposhta"

    def __init__(self, settings: NovaPoshtaSettings, *, session: requests.Session | None = None,
                 error_table: dict[str, str] | None = None):
        if not settings.api_key:
            raise ConfigurationError("Nova Poshta: api_key is required")
        self.settings = settings
        self.error_table = error_table
        self.http = HttpClient(settings.base_url, name="Nova Poshta", timeout=settings.timeout, session=session)

    def call(self, model: str, method: str, properties: dict, *, idempotent: bool = True) -> dict:
        """``POST /v2.0/json/`` ``{apiKey, modelName, calledMethod, methodProperties}`` -> the answer.

        HTTP errors (5xx, 429, proxies' HTML) raise as usual; ``success: false`` inside HTTP 200
        raises the typed error of its ``errorCodes``.
        """
        body = np.envelope(self.settings.api_key, model, method, properties)
        answer = self.http.request_json("POST", JSON_PATH, json=body, idempotent=idempotent)
        np.raise_for_body(answer, f"{model}.{method}", self.error_table)
        return answer

    def create_shipment(self, request: ShipmentRequest) -> ShipmentResult:
        """``InternetDocument.save`` -> Ref + 14-digit TTN (``IntDocNumber``), synchronously.

        Not idempotent: a read timeout raises AmbiguousError; call ``find_by_reference`` first.
        """
        properties = np.save_properties(request, self.settings.sender(), ship_date=self.today())
        result = np.parse_save(self.call("InternetDocument", "save", properties, idempotent=False))
        log.info("Nova Poshta document created", extra={"reference": request.reference})
        return result

    def find_by_reference(self, reference: str) -> ShipmentResult | None:
        """``InternetDocument.getDocumentList`` (last ``lookup_days``) matched on ``InfoRegClientBarcodes``.

        Deleted documents are not listed, so a deleted attempt does not block a new one.
        """
        return np.find_document(self._documents(), reference=reference)

    def get_shipment(self, carrier_ref: str) -> ShipmentResult:
        """The listed document with this ``Ref`` (status from ``StateId``); NotFound outside the window."""
        found = np.find_document(self._documents(), ref=carrier_ref)
        if found is None:
            raise NotFound(f"Nova Poshta: document not found in the last {self.settings.lookup_days} days")
        return found

    def get_label(self, carrier_ref: str, *, fmt: str = "pdf", size: str = "A6", dpi: int = 203) -> bytes:
        """The printed form as PDF bytes: A6/100x100 sticker (``/zebra``, thermal), 85x85, or A4 waybill.

        NP prints PDF only (``dpi`` is irrelevant); ZPL raises UnsupportedOperation. The URL holds
        the API key: it is built and fetched here and never returned, logged or put in an error.
        """
        if fmt.lower() != "pdf":
            raise UnsupportedOperation("Nova Poshta prints PDF only (its thermal form is a 100x100 mm PDF)")
        if size not in LABEL_FORMS:
            raise UnsupportedOperation(f"Nova Poshta label sizes: {', '.join(LABEL_FORMS)}")
        form, kind, zebra = LABEL_FORMS[size]
        path = f"/orders/{form}/orders[]/{carrier_ref}/type/{kind}/apiKey/{self.settings.api_key}"
        return self._fetch_pdf(path + ("/zebra" if zebra else ""), form)

    def cancel(self, carrier_ref: str) -> None:
        """``InternetDocument.delete {DocumentRefs}``: only before handover.

        After handover NP refuses (UnsupportedOperation: use a return or refusal order); an
        unknown or already deleted Ref raises NotFound.
        """
        self.call("InternetDocument", "delete", np.delete_properties(carrier_ref), idempotent=True)

    def track(self, tracking_numbers: list[str]) -> list[TrackingUpdate]:
        """``TrackingDocument.getStatusDocuments``, 100 TTNs per call, with the sender's phone."""
        phone = self._sender_phone()
        updates: list[TrackingUpdate] = []
        for batch in np.tracking_batches(tracking_numbers, phone):
            updates.extend(np.parse_tracking(self.call("TrackingDocument", "getStatusDocuments", batch)))
        return updates

    # ----------------------------------------------------------------------- helpers

    @staticmethod
    def today() -> date:
        """Today in Kyiv, the calendar NP checks ``DateTime`` against."""
        return datetime.now(np.KYIV).date()

    def _documents(self) -> dict:
        today = self.today()
        window = np.document_list_properties(today - timedelta(days=self.settings.lookup_days), today)
        return self.call("InternetDocument", "getDocumentList", window)

    def _sender_phone(self) -> str:
        try:
            return np.normalize_phone(self.settings.sender_phone, "settings.sender_phone")
        except np.CarrierValidationError:
            return ""

    def _fetch_pdf(self, path: str, form: str) -> bytes:
        """GET a printed form; errors name the form only (the path holds the key), never chained."""
        what = f"Nova Poshta {form}"
        try:
            response = self.http.session.get(self.settings.print_base() + path, timeout=self.settings.timeout,
                                             allow_redirects=False)
        except requests.RequestException as exc:
            error = TransientError(f"{what}: {type(exc).__name__}")
        else:
            error = _print_error(response, what)
            if error is None:
                return response.content
        raise error from None  # the requests exception's text would carry the URL, and the key


def _print_error(response: requests.Response, what: str) -> Exception | None:
    status = response.status_code
    if status >= 500 or status == 429:
        return TransientError(f"{what}: HTTP {status}", status=status)
    if status >= 300:
        return PermanentError(f"{what}: HTTP {status}", status=status)
    if not response.content.startswith(b"%PDF"):
        kind = response.headers.get("Content-Type", "?").split(";")[0]
        return PermanentError(f"{what}: the answer is not a PDF ({kind}): wrong key or unknown document")
    return None
