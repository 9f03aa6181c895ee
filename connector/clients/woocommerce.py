"""WooCommerce REST v3 client (I/O only), on the official ``woocommerce`` package.

Quirks handled here (``reference/woocommerce.md`` section B/C):
- the package's default timeout is 5 s: we pass our own (30 s by default);
- over ``http://`` it signs with OAuth1 and appends the query twice (harmless for scalars), over
  ``https://`` it uses Basic auth; Basic over plain HTTP is silently ignored by WooCommerce (401);
- batch endpoints take at most 100 items (413 ``woocommerce_rest_request_entity_too_large``) and
  report per-item errors inside a 200;
- pagination: ``page``/``per_page`` (max 100) with ``X-WP-TotalPages``; the ``Link`` URLs carry
  stale OAuth params, so we never follow them verbatim.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import requests
from woocommerce import API

from connector.clients.http import raise_for_response, translate_exceptions

BATCH_LIMIT = 100


@dataclass(frozen=True)
class WooSettings:
    url: str
    consumer_key: str
    consumer_secret: str
    timeout: float = 30.0
    verify_ssl: bool = True


class WooCommerceClient:
    """One shop's REST API. Every method raises the typed errors of ``connector.errors``."""

    def __init__(self, settings: WooSettings, session: requests.Session | None = None):
        self.settings = settings
        self.api = API(url=settings.url.rstrip("/"), consumer_key=settings.consumer_key,
                       consumer_secret=settings.consumer_secret, version="wc/v3", timeout=settings.timeout,
                       verify_ssl=settings.verify_ssl, user_agent="Stockbridge/0.1 (+woocommerce-python)")

    def _call(self, method: str, endpoint: str, data=None, params: dict | None = None, *,
              idempotent: bool = True) -> requests.Response:
        with translate_exceptions(f"WooCommerce {method.upper()} {endpoint}", idempotent=idempotent):
            if method in ("get", "delete", "options"):
                response = getattr(self.api, method)(endpoint, params=params or {})
            else:
                response = getattr(self.api, method)(endpoint, data, params=params or {})
        raise_for_response(response, f"WooCommerce {method.upper()} {endpoint}")
        return response

    def get_order(self, order_id: int | str) -> dict:
        """``GET /orders/<id>``."""
        return self._call("get", f"orders/{order_id}").json()

    def iter_pages(self, endpoint: str, params: dict | None = None, per_page: int = 100) -> Iterator[list[dict]]:
        """Yield each page of a list endpoint until ``X-WP-TotalPages`` is reached."""
        page = 1
        while True:
            response = self._call("get", endpoint, params={**(params or {}), "page": page, "per_page": per_page})
            items = response.json()
            yield items
            total_pages = int(response.headers.get("X-WP-TotalPages", "1") or 1)
            if page >= total_pages or not items:
                return
            page += 1

    def add_order_note(self, order_id: int | str, note: str, *, customer_note: bool = False) -> dict:
        """``POST /orders/<id>/notes``; ``customer_note`` true e-mails the customer."""
        body = {"note": note, "customer_note": customer_note}
        return self._call("post", f"orders/{order_id}/notes", body, idempotent=False).json()

    def list_order_notes(self, order_id: int | str) -> list[dict]:
        return self._call("get", f"orders/{order_id}/notes").json()

    def update_order(self, order_id: int | str, changes: dict) -> dict:
        """``PUT /orders/<id>`` (status, ``set_paid``, ``transaction_id``, ``meta_data`` merge)."""
        return self._call("put", f"orders/{order_id}", changes).json()

    def batch_update_stock(self, parent_id: int | None, updates: list[dict]) -> list[dict]:
        """``POST /products/batch`` or ``/products/<parent>/variations/batch``, 100 items a request.

        Returns the per-item results; items with an ``error`` key failed even though HTTP said 200.
        """
        endpoint = "products/batch" if not parent_id else f"products/{parent_id}/variations/batch"
        results: list[dict] = []
        for start in range(0, len(updates), BATCH_LIMIT):
            chunk = updates[start:start + BATCH_LIMIT]
            results.extend(self._call("post", endpoint, {"update": chunk}).json().get("update", []))
        return results

    def get_product(self, product_id: int | str, variation_id: int | str | None = None) -> dict:
        if variation_id and str(variation_id) != "0":
            return self._call("get", f"products/{product_id}/variations/{variation_id}").json()
        return self._call("get", f"products/{product_id}").json()
