"""Prom.ua public API v1 client (I/O only): https://public-api.docs.prom.ua/ , base ``https://my.prom.ua/api/v1``.

``Authorization: Bearer <token>`` (a cabinet API token, permission-scoped). No webhooks: orders are
polled with ``GET /orders/list`` (``last_modified_from`` + the ``last_id`` cursor, id descending).
No idempotency keys: ``set_status`` and stock edits are naturally idempotent; the TTN is looked up on
the order before it is saved. Answers report per-item outcomes inside HTTP 200 (``processed_ids``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from connector.clients.http import HttpClient
from connector.errors import PermanentError

PAGE = 100


@dataclass(frozen=True)
class PromSettings:
    base_url: str
    token: str
    timeout: float = 30.0
    language: str = "uk"


class PromClient:
    def __init__(self, settings: PromSettings, *, gate=None, session=None):
        self.http = HttpClient(settings.base_url, name="Prom", timeout=settings.timeout, session=session, gate=gate,
                               headers={"Authorization": f"Bearer {settings.token}", "X-LANGUAGE": settings.language,
                                        "Accept": "application/json"})

    def _get(self, path: str, params: dict | None = None) -> dict:
        return self.http.request_json("GET", path, params=params)

    def _post(self, path: str, body) -> dict:
        """Prom's writes are repeatable (set a status, set a figure): a lost answer is simply retried."""
        return self.http.request_json("POST", path, json=body, idempotent=True)

    def orders(self, *, modified_from: datetime | None = None, status: str | None = None,
               last_id: int | None = None, limit: int = PAGE) -> list[dict]:
        """``GET /orders/list``: one page, newest id first; the next page passes ``last_id`` = the smallest id."""
        params = {"limit": limit}
        if modified_from is not None:
            params["last_modified_from"] = modified_from.replace(microsecond=0).isoformat()
        if status:
            params["status"] = status
        if last_id:
            params["last_id"] = last_id
        return self._get("/orders/list", params).get("orders") or []

    def iter_orders(self, **filters) -> Iterator[dict]:
        """Every order matching ``filters`` across pages (``last_id`` cursor)."""
        last_id = None
        while True:
            page = self.orders(last_id=last_id, **filters)
            yield from page
            if len(page) < PAGE:
                return
            last_id = min(int(o["id"]) for o in page)

    def order(self, order_id: int | str) -> dict:
        """``GET /orders/{id}`` -> the order (unwrapped from ``{"order": ...}``)."""
        return self._get(f"/orders/{order_id}")["order"]

    def set_status(self, body: dict) -> list:
        """``POST /orders/set_status``; raises when our order is not in ``processed_ids``."""
        processed = self._post("/orders/set_status", body).get("processed_ids") or []
        if [str(i) for i in body["ids"]] != [str(i) for i in processed]:
            raise PermanentError(f"Prom did not change order {body['ids']} to {body['status']}")
        return processed

    def save_declaration(self, body: dict) -> None:
        """``POST /delivery/save_declaration_id`` (the TTN); ``{"status": "success"}``."""
        answer = self._post("/delivery/save_declaration_id", body)
        if answer.get("status") != "success":
            raise PermanentError(f"Prom did not take the declaration: {answer.get('error') or answer}")

    def write(self, path: str, body: dict) -> None:
        """One status-back request built by the mapper (``mappers.prom.status_request``)."""
        (self.save_declaration if path == "/delivery/save_declaration_id" else self.set_status)(body)

    def edit_stock(self, items: list[dict]) -> dict:
        """``POST /products/edit_by_external_id`` with a JSON ARRAY -> ``{"processed_ids", "errors"}``."""
        return self._post("/products/edit_by_external_id", items)

    def iter_products(self) -> Iterator[dict]:
        """``GET /products/list`` across pages (``last_id`` cursor)."""
        last_id = None
        while True:
            params = {"limit": PAGE, **({"last_id": last_id} if last_id else {})}
            page = self._get("/products/list", params).get("products") or []
            yield from page
            if len(page) < PAGE:
                return
            last_id = min(int(p["id"]) for p in page)

    def status_options(self) -> list[dict]:
        """``GET /order_status_options/list``: the seller's custom statuses among the native ones."""
        return self._get("/order_status_options/list").get("order_status_options") or []
