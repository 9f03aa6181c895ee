"""Shared REST plumbing: request parameters, pagination, batches.

Pagination follows ``WC_REST_CRUD_Controller::get_items()``: ``page``
(1-based), ``per_page`` (1..100, default 10), ``offset``; headers
``X-WP-Total`` / ``X-WP-TotalPages`` and ``Link`` with ``prev``/``next``
only, built from the request's own query string (so with OAuth the links
still carry the old ``oauth_*`` parameters and must be re-signed, not
followed).  Like every WordPress REST response there is also a ``Link`` to
the API root with ``rel="https://api.w.org/"``.

Batches follow ``WC_REST_Controller::batch_items()``: create, then update,
then delete (always forced); more than 100 items in total -> 413
``woocommerce_rest_request_entity_too_large``; a failing item becomes
``{"id": ..., "error": {code, message, data}}`` inside the 200 response.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Sequence, TypeVar
from urllib.parse import urlencode

from flask import Response, current_app, request

from .fields import coerce
from .store import Shop
from .wpjson import WPError, php_parse_query, wp_response

T = TypeVar("T")
BATCH_LIMIT = 100
PAGING_SCHEMA: dict[str, Any] = {"page": "integer", "per_page": "integer", "offset": "integer"}


def shop() -> Shop:
    """The :class:`Shop` of the running app."""
    return current_app.extensions["wc_sandbox"].shop


def rest_kind(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Tag a view as ``collection``, ``item`` or ``batch`` for permission errors."""
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view.rest_kind = kind  # type: ignore[attr-defined]
        return view
    return decorate


def query_params() -> dict[str, Any]:
    """``$_GET`` of the current request."""
    return php_parse_query(request.query_string.decode("utf-8", "replace"))


def request_params() -> dict[str, Any]:
    """Query, form body and JSON body merged (JSON wins, like ``WP_REST_Request``)."""
    params = query_params()
    if request.mimetype == "application/x-www-form-urlencoded":
        params.update(php_parse_query(request.get_data(as_text=True)))
    elif request.mimetype == "application/json":
        raw = request.get_data(as_text=True)
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise WPError("rest_invalid_json", "Invalid JSON body passed.", 400,
                              json_error_code=4, json_error_message="Syntax error") from exc
            if isinstance(body, dict):
                params.update(body)
    return params


def bool_param(params: dict[str, Any], name: str) -> bool:
    """A boolean query argument such as ``force``."""
    return bool(coerce(params, {name: "boolean"}).get(name, False))


def page_window(params: dict[str, Any]) -> tuple[int, int, int | None]:
    """Validated ``(page, per_page, offset)``."""
    values = coerce(params, PAGING_SCHEMA)
    page, per_page = values.get("page", 1), values.get("per_page", 10)
    if not 1 <= per_page <= BATCH_LIMIT:
        raise _out_of_bounds("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")
    if page < 1:
        raise _out_of_bounds("page", "page must be greater than or equal to 1")
    return page, per_page, values.get("offset")


def _out_of_bounds(name: str, message: str) -> WPError:
    return WPError("rest_invalid_param", f"Invalid parameter(s): {name}", 400, params={name: message},
                   details={name: {"code": "rest_out_of_bounds", "message": message, "data": {"param": name}}})


def _flatten(params: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, list):
            pairs.extend((f"{key}[]", str(item)) for item in value)
        elif isinstance(value, dict):
            pairs.extend((f"{key}[{sub}]", str(item)) for sub, item in value.items())
        else:
            pairs.append((key, str(value)))
    return pairs


def paged_response(items: Sequence[T], render: Callable[[T], Any], route: str,
                   params: dict[str, Any]) -> Response:
    """Slice ``items`` by the paging arguments and answer with the WP headers."""
    page, per_page, offset = page_window(params)
    start = offset if offset is not None else (page - 1) * per_page
    total = len(items)
    total_pages = math.ceil(total / per_page) if total else 0
    body = [render(item) for item in items[start:start + per_page]]
    response = wp_response(body, headers={"X-WP-Total": str(total), "X-WP-TotalPages": str(total_pages)})
    base = shop().rest_url(route)
    query = query_params()
    links = []
    if page > 1:
        query["page"] = str(min(page - 1, total_pages) if total_pages else page - 1)
        links.append(f'<{base}?{urlencode(_flatten(query))}>; rel="prev"')
    if total_pages > page:
        query["page"] = str(page + 1)
        links.append(f'<{base}?{urlencode(_flatten(query))}>; rel="next"')
    for link in links:
        response.headers.add("Link", link)
    return response


def api_root_link(response: Response) -> Response:
    """Every WordPress REST response advertises the API root."""
    response.headers.add("Link", f'<{shop().home_url}wp-json/>; rel="https://api.w.org/"')
    return response


def _error_item(item_id: Any, error: WPError) -> dict[str, Any]:
    body = error.body()
    return {"id": item_id, "error": {"code": body["code"], "message": body["message"], "data": body["data"]}}


def run_batch(params: dict[str, Any], create: Callable[[dict[str, Any]], Any],
              update: Callable[[dict[str, Any]], Any], delete: Callable[[Any], Any]) -> Response:
    """``batch_items()``: per-item results, 413 above 100 items."""
    sections = {name: params.get(name) for name in ("create", "update", "delete")}
    sections = {name: value if isinstance(value, list) else [] for name, value in sections.items()
                if value is not None}
    if sum(len(value) for value in sections.values()) > BATCH_LIMIT:
        raise WPError("woocommerce_rest_request_entity_too_large",
                      f"Unable to accept more than {BATCH_LIMIT} items for this request.", 413)
    result: dict[str, list[Any]] = {}
    handlers = {"create": create, "update": update, "delete": delete}
    for name, items in sections.items():
        result[name] = []
        for item in items:
            fallback_id = 0 if name == "create" else (item.get("id", 0) if isinstance(item, dict) else item)
            try:
                payload = item if name == "delete" else (item if isinstance(item, dict) else {})
                result[name].append(handlers[name](payload))
            except WPError as error:
                result[name].append(_error_item(fallback_id, error))
    return wp_response(result)
