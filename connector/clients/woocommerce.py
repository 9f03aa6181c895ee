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
from connector.errors import PermanentError

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

    def create_order(self, body: dict) -> dict:
        """``POST /orders`` (no idempotency key: callers look up before they create)."""
        return self._call("post", "orders", body, idempotent=False).json()

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

    def probe(self) -> None:
        """Check keys and identity: ``GET /products?per_page=1``.

        Raises AuthError (keys refused), TransientError (unreachable) or NotAWooCommerceShop (the URL
        answers, but not with WooCommerce's REST API: no ``/wp-json/wc/v3``, or HTML instead of JSON).
        """
        response = self._call_raw("get", "products", params={"per_page": 1})
        if response.status_code == 404:
            raise NotAWooCommerceShop(f"{self.settings.url} has no /wp-json/wc/v3 (is WooCommerce installed "
                                      "with pretty permalinks?)")
        raise_for_response(response, "WooCommerce GET products")
        if "json" not in response.headers.get("Content-Type", "") or not isinstance(_json_or_none(response), list):
            raise NotAWooCommerceShop(f"{self.settings.url} answered, but not like a WooCommerce REST API")

    def _call_raw(self, method: str, endpoint: str, params: dict | None = None) -> requests.Response:
        with translate_exceptions(f"WooCommerce {method.upper()} {endpoint}"):
            return getattr(self.api, method)(endpoint, params=params or {})

    def list_webhooks(self) -> list[dict]:
        """``GET /webhooks`` (all pages)."""
        return [hook for page in self.iter_pages("webhooks") for hook in page]

    def create_webhook(self, body: dict) -> dict:
        """``POST /webhooks``; WooCommerce pings the delivery URL and rejects private/odd-port URLs (fact 16)."""
        return self._call("post", "webhooks", body, idempotent=False).json()

    def update_webhook(self, webhook_id: int, changes: dict) -> dict:
        """``PUT /webhooks/<id>`` (re-enable with ``{"status": "active"}``)."""
        return self._call("put", f"webhooks/{webhook_id}", changes).json()

    def iter_orders_modified_after(self, since_iso_gmt: str) -> Iterator[list[dict]]:
        """``GET /orders?modified_after=..&dates_are_gmt=true&orderby=modified&order=asc`` page by page."""
        params = {"modified_after": since_iso_gmt, "dates_are_gmt": "true", "orderby": "modified", "order": "asc"}
        return self.iter_pages("orders", params)

    def products_page(self, page: int, per_page: int = 100) -> tuple[list[dict], int, int]:
        """One page of ``GET /products``: (items, total items, total pages)."""
        response = self._call("get", "products", params={"page": page, "per_page": per_page, "orderby": "id",
                                                          "order": "asc"})
        return response.json(), int(response.headers.get("X-WP-Total", 0) or 0), \
            int(response.headers.get("X-WP-TotalPages", 1) or 1)

    def variations(self, parent_id: int) -> list[dict]:
        """Every variation of a variable product (``GET /products/<id>/variations``, all pages)."""
        return [v for page in self.iter_pages(f"products/{parent_id}/variations") for v in page]


class NotAWooCommerceShop(PermanentError):
    """The URL answers, but it is not a WooCommerce REST API."""


def _json_or_none(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None
