"""Ozon Seller API client (I/O only): https://docs.ozon.ru/api/seller/ , base ``https://api-seller.ozon.ru``.

Every call is ``POST`` with a JSON body and the headers ``Client-Id`` + ``Api-Key``. Errors are
``{"code", "message", "details"}`` (gRPC codes): 401 code 16 (headers missing) and 403 code 7 (wrong pair)
-> AuthError naming the credential; 400 code 3 -> PermanentError with Ozon's message; 404 -> NotFound;
429 code 8 -> RateLimited (no Retry-After: the gate's own block applies); 5xx -> TransientError.
Limits (``reference/marketplaces.md`` 3.3, 3.10): 50 requests/s per Client-Id over every method (the
account gate) and 80 stock updates a minute (``stock_gate``, added to ``/v2/products/stocks`` calls only).
Lists are v3 (offset paging; v4 cursor lists are announced, pitfall 14). Writes have no idempotency keys:
the adapter reads the posting before it acts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from connector.clients.http import HttpClient, remote_reason
from connector.errors import AuthError, PermanentError, RateLimited

PAGE = 1000
STOCKS = "/v2/products/stocks"
#: Optional posting blocks we ask for: analytics (city, delivery type); never customer/addressee (personal data
#: we do not need for FBS) nor financial data.
WITH = {"analytics_data": True, "financial_data": False}


@dataclass(frozen=True)
class OzonSettings:
    base_url: str
    client_id: str
    api_key: str
    timeout: float = 30.0
    warehouse_id: int | None = None  # the account's warehouse; None: the first FBS one of /v1/warehouse/list
    pair_interval: float = 30.0  # Ozon takes one stock update per (offer, warehouse) pair per interval


def stamp(moment: datetime) -> str:
    """A naive UTC time as Ozon's RFC 3339 (``2021-11-01T00:00:00.000Z``)."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


class OzonClient:
    def __init__(self, settings: OzonSettings, *, gate=None, stock_gate=None, session=None):
        self.settings = settings
        self.stock_gate = stock_gate  # connector.ratelimit.RateGate for /v2/products/stocks (80 a minute)
        self.http = HttpClient(settings.base_url, name="Ozon", timeout=settings.timeout, session=session, gate=gate,
                               headers={"Client-Id": str(settings.client_id or ""),
                                        "Api-Key": str(settings.api_key or ""), "Accept": "application/json"})
        self._warehouse = settings.warehouse_id

    # ---- transport

    def _post(self, path: str, body: dict, *, idempotent: bool = False, gate=None) -> dict:
        response = self.http.send("POST", path, json=body, idempotent=idempotent, gate=gate)
        if response.status_code in (401, 403):
            raise self._auth_error(response, path)
        if response.status_code == 429:
            raise self._rate_limited(response, path, gate)
        self.http.check(response, f"Ozon POST {path}")
        return self.http.decode(response, "POST", path, idempotent=idempotent)

    def _read(self, path: str, body: dict) -> dict:
        """A call that changes nothing: a lost answer is simply asked again."""
        return self._post(path, body, idempotent=True)

    def _auth_error(self, response, path: str) -> AuthError:
        """Name the credential to fix (never its value)."""
        code, message = remote_reason(response)
        empty = [name for name, value in (("client_id (header Client-Id)", self.settings.client_id),
                                          ("api_key (header Api-Key)", self.settings.api_key)) if not value]
        if empty:
            hint = f"credential {' and '.join(empty)} is empty"
        elif response.status_code == 401:
            hint = "Ozon did not receive the Client-Id and Api-Key headers; check credentials client_id and api_key"
        else:
            hint = (f"the Api-Key (credential api_key) is not valid for Client-Id {self.settings.client_id} "
                    "(credential client_id): a wrong pair, a revoked key, or a key without the role for this method")
        return AuthError(f"Ozon POST {path}: HTTP {response.status_code} code {code}: {message} - {hint}",
                         status=response.status_code, code=code)

    def _rate_limited(self, response, path: str, gate) -> RateLimited:
        """429 code 8 without Retry-After. ``HttpClient`` blocked the last gate (the stock gate when given) for
        its budget's block; a per-SECOND refusal is the account's budget: block the account, not the minute."""
        code, message = remote_reason(response)
        account = self.http.gate
        if gate is not None and account is not None and "second" in message.lower():
            seconds = account.block(None, f"POST {path}")
            gate.block(seconds, f"POST {path}: the per-second limit of the account")
        gates = [g for g in (account, gate) if g is not None]
        wait = max((g.blocked_for() for g in gates), default=0.0) or None
        return RateLimited(f"Ozon POST {path}: HTTP 429 code {code}: {message}", status=429, code=code,
                           retry_after=wait)

    # ---- warehouses and products

    def warehouses(self) -> list[dict]:
        """``/v1/warehouse/list {}`` -> ``[{"warehouse_id", "name", "is_rfbs", "status"}]``."""
        return self._read("/v1/warehouse/list", {}).get("result") or []

    def first_fbs_warehouse(self, every: list[dict] | None = None) -> dict:
        """The account's first working FBS warehouse (``is_rfbs`` false), else its first warehouse."""
        every = self.warehouses() if every is None else every
        working = [w for w in every if str(w.get("status") or "created") not in ("disabled", "blocked")]
        fbs = [w for w in working if not w.get("is_rfbs")] or working or every
        if not fbs:
            raise PermanentError("this Ozon account has no warehouse: create one in the seller cabinet")
        return fbs[0]

    def warehouse_id(self) -> int:
        """The account's warehouse: the ``warehouse_id`` setting, else the first FBS warehouse (read once)."""
        if self._warehouse is None:
            self._warehouse = int(self.first_fbs_warehouse()["warehouse_id"])
        return self._warehouse

    def iter_products(self) -> Iterator[dict]:
        """``/v3/product/list`` (not archived) across pages: ``last_id`` is "" after the last one."""
        last_id = ""
        while True:
            body = {"filter": {"offer_id": [], "visibility": "ALL"}, "last_id": last_id, "limit": PAGE}
            result = self._read("/v3/product/list", body).get("result") or {}
            items = result.get("items") or []
            yield from items
            last_id = str(result.get("last_id") or "")
            if not items or not last_id:
                return

    def iter_stocks(self) -> Iterator[dict]:
        """``/v4/product/info/stocks`` across pages: per product ``stocks[]`` with ``present`` and ``reserved``."""
        cursor = ""
        while True:
            body = {"filter": {"visibility": "ALL"}, "cursor": cursor, "limit": PAGE}
            answer = self._read("/v4/product/info/stocks", body)
            items = answer.get("items") or []
            yield from items
            cursor = str(answer.get("cursor") or "")
            if not items or not cursor:
                return

    def set_stocks(self, items: list[dict]) -> list[dict]:
        """``/v2/products/stocks`` (1..100 pairs) -> per-pair ``{"offer_id", "warehouse_id", "updated", "errors"}``
        inside HTTP 200 (pitfall 11). Setting a figure is repeatable; the stock gate applies on top."""
        return self._post(STOCKS, {"stocks": items}, idempotent=True, gate=self.stock_gate).get("result") or []

    # ---- postings

    def unfulfilled(self, cutoff_from: datetime, cutoff_to: datetime) -> Iterator[dict]:
        """``/v3/posting/fbs/unfulfilled/list`` by cutoff (shipment date) window, ``offset`` paging up to ``count``."""
        offset = 0
        while True:
            body = {"dir": "ASC", "filter": {"cutoff_from": stamp(cutoff_from), "cutoff_to": stamp(cutoff_to)},
                    "limit": PAGE, "offset": offset, "with": WITH}
            result = self._read("/v3/posting/fbs/unfulfilled/list", body).get("result") or {}
            postings = result.get("postings") or []
            yield from postings
            offset += PAGE
            if not postings or offset >= int(result.get("count") or 0):
                return

    def postings(self, since: datetime, to: datetime,
                 changed: tuple[datetime, datetime] | None = None) -> Iterator[dict]:
        """``/v3/posting/fbs/list``: created in ``since..to`` (and status changed within ``changed``), while
        ``has_next``."""
        query: dict = {"since": stamp(since), "to": stamp(to)}
        if changed is not None:
            query["last_changed_status_date"] = {"from": stamp(changed[0]), "to": stamp(changed[1])}
        offset = 0
        while True:
            body = {"dir": "ASC", "filter": query, "limit": PAGE, "offset": offset, "with": WITH}
            result = self._read("/v3/posting/fbs/list", body).get("result") or {}
            yield from result.get("postings") or []
            if not result.get("has_next") or not result.get("postings"):
                return
            offset += PAGE

    def posting(self, number: str) -> dict:
        """``/v3/posting/fbs/get`` -> the posting; unknown -> NotFound (404 code 5)."""
        return self._read("/v3/posting/fbs/get", {"posting_number": number, "with": WITH})["result"]

    def ship(self, body: dict) -> list[str]:
        """``/v4/posting/fbs/ship`` (awaiting_packaging -> awaiting_deliver) -> the resulting posting numbers."""
        numbers = [str(n) for n in self._post("/v4/posting/fbs/ship", body).get("result") or []]
        if body["posting_number"] not in numbers:
            raise PermanentError(f"Ozon did not pack posting {body['posting_number']} as one package: {numbers}")
        return numbers

    def set_tracking(self, number: str, tracking_number: str) -> None:
        """``/v2/fbs/posting/tracking-number/set`` (rFBS); per-posting result inside HTTP 200."""
        body = {"tracking_numbers": [{"posting_number": number, "tracking_number": tracking_number}]}
        self._per_posting("/v2/fbs/posting/tracking-number/set", body)

    def move(self, path: str, number: str) -> None:
        """rFBS delivery statuses: ``/v2/fbs/posting/delivering`` | ``/last-mile`` | ``/delivered``."""
        self._per_posting(path, {"posting_number": [number]})

    def _per_posting(self, path: str, body: dict) -> None:
        """Raise PermanentError naming every posting Ozon refused inside its HTTP 200 answer."""
        failed = [f"{item.get('posting_number')}: {', '.join(map(str, item.get('error') or [])) or 'refused'}"
                  for item in self._post(path, body).get("result") or []
                  if isinstance(item, dict) and not item.get("result")]
        if failed:
            raise PermanentError(f"Ozon POST {path} refused {'; '.join(failed)}")

    def cancel_reasons(self, number: str) -> list[dict]:
        """``/v1/posting/fbs/cancel-reason``: the reasons Ozon allows for this posting now."""
        result = self._read("/v1/posting/fbs/cancel-reason", {"related_posting_numbers": [number]}).get("result") or []
        return next((item.get("reasons") or [] for item in result if str(item.get("posting_number")) == number), [])

    def cancel(self, number: str, reason_id: int, message: str = "") -> None:
        """``/v2/posting/fbs/cancel`` -> ``{"result": true}`` (402 needs ``cancel_reason_message``)."""
        body = {"posting_number": number, "cancel_reason_id": reason_id, "cancel_reason_message": message}
        if self._post("/v2/posting/fbs/cancel", body).get("result") is not True:
            raise PermanentError(f"Ozon did not cancel posting {number} (reason {reason_id})")
