"""A faithful fake Prom.ua public API v1 (Ukraine) for tests, demos and benchmarks.

It shares no code with the middleware. Facts: ``reference/marketplaces.md`` section 4 and the fixtures in
``fixtures/marketplaces/promua/``; the contract is ``specs/prom.md``; choices the reference does not settle
are marked [unv] (both the sandbox and our client follow them).

Start it::

    python -m sandbox.prom --port 8098 --token demo-token [--seed demo] [--order-trickle 13]
        [--host 127.0.0.1] [--language uk|ru] [--rate-limit N --rate-window 60 --rate-block 60]
        [--hang-seconds 5]

(``--port 0`` picks a free port; the first printed line is "Prom.ua sandbox on http://HOST:PORT"); the
client's base URL is ``http://HOST:PORT/api/v1``. Or embed it: ``app = sandbox.prom.create_app(config)``;
``app.extensions["prom_sandbox"]`` holds ``store``, ``faults``, ``limiter``, ``reset(seed)`` and ``close()``.

API (``/api/v1``; ``Authorization: Bearer <TOKEN>``, else 401 ``{"error": "Authorization failed"}`` [unv])
----------------------------------------------------------------------------------------------------------
Errors: 400 ``{"error": "Validation error", "errors": {"<field>": "<text>"}}`` [unv]; 404 ``{"error":
"Not found"}``; 429 ``{"error": "Too many requests"}`` + ``Retry-After``; 502/503/504 are nginx HTML pages.
``X-LANGUAGE: uk|ru`` picks ``name``, ``status_name``, titles (default ``uk``).

``GET  /orders/list?status=&date_from=&date_to=&last_modified_from=&last_modified_to=&limit=&last_id=&sort_dir=``
    -> ``{"orders": [...]}`` id DESC, ``limit`` 1..100 (default 100), ``last_id`` = only ids below it.
    Dates ISO ``2025-04-07T06:46:43`` UTC (fractions/offsets accepted), bounds inclusive; date_* filter
    date_created, last_modified_* date_modified. ``sort_dir=asc`` reverses the page only [unv].
``GET  /orders/{id}``  -> ``{"order": {...}}`` (shape = the fixtures), 404 when unknown.
``POST /orders/set_status {"ids", "status", "cancellation_reason"?, "cancellation_text"?}``
    -> 200 ``{"processed_ids": [...]}``: unknown ids, and a canceled order asked for another status [unv],
    are left out. ``canceled`` needs a reason, ``price_changed``/``not_enough_fields``/``another`` a text
    (else 400 ``errors.cancellation_reason``/``errors.cancellation_text``); ``draft`` or an undefined
    ``custom-<id>`` -> 400 ``errors.status``. Each real change bumps date_modified; the same status again
    is processed without one.
``POST /delivery/save_declaration_id {"order_id", "declaration_id", "delivery_type"}`` -> ``{"status":
    "success"}``; sets ``delivery_provider_data.declaration_number`` + ``provider``, ``unified_status:
    "created"`` [unv]; the order status does not move (Prom never completes orders). Unknown order -> 404.
``GET  /order_status_options/list`` -> ``{"order_status_options": [{"id", "name", "title"}]}``: pending 0,
    received 1, delivered 3, canceled 4, paid 6, custom-137639 "Підтверджено" [unv shape].
``GET  /products/list?limit=&last_id=&group_id=`` -> ``{"products": [...], "group_id": <id>|null}`` id DESC.
``GET  /products/by_external_id/{external_id}`` -> ``{"product": {...}}`` [unv]; 404 when unknown.
``POST /products/edit_by_external_id`` body = JSON ARRAY ``[{"id": "<external_id>", "quantity_in_stock",
    "presence", "price"?}]`` (<= 100) -> 200 ``{"processed_ids": [...], "errors": {"<id>": "<text>"}}``
    even on partial failure ("Товар не знайдено" for an unknown id); an object body -> 400 ``errors.body``.

Quirks: order prices are strings with a suffix (``"244 грн"``, ``"1 199 грн"`` with a THIN SPACE U+2009
thousands separator [unv], ``"449,50 грн"``); line ``quantity`` is a float (``1.0``); products ``price`` is a
number with ``currency: "UAH"`` [unv]; product ``sku`` is Prom's own code, the seller SKU is ``external_id``;
custom statuses ``custom-<id>`` with ``status_name``; per-item outcomes inside HTTP 200.

Config keys (``create_app``)
----------------------------
``TOKEN`` (sandbox-token), ``SEED`` ("demo"|None), ``ORDER_TRICKLE`` (0 s = off), ``TRICKLE_SEED``,
``HANG_SECONDS`` (5), ``RETRY_AFTER`` (1 s, injected 429s), ``RATE_LIMIT`` (None) / ``RATE_WINDOW`` (60) /
``RATE_BLOCK`` (60), ``LANGUAGE`` (uk), ``CUSTOM_STATUSES`` ({137639: "Підтверджено"}),
``THOUSANDS_SEPARATOR`` ("\\u2009"), ``SHOP_URL``, ``FIRST_ORDER_ID`` (338390711), ``FIRST_PRODUCT_ID``
(2555951101). Ids are integers counting up by one from these.

Control endpoints (no auth, JSON)
---------------------------------
``POST /__sandbox__/reset {"seed": "demo"|null}`` (default: config SEED) -> ``{"ok", "seeded": [ids]}``.
``POST /__sandbox__/listings {"items": [{"sku", "quantity", "name", "price", "presence"?, "name_ru"?}]}``
    -> ``{"created": [{"sku", "ref" (= Prom product id), "id", "prom_sku", "quantity_in_stock",
    "presence", "existed"}]}`` (an existing external_id is updated).
``GET  /__sandbox__/stock`` -> ``{"<sku>": buyable units (0 unless presence available/order; null =
    unlimited), "_detail": {"<sku>": {"id", "presence", "quantity_in_stock", "price", "date_modified"}}}``.
``POST /__sandbox__/orders {"lines": [{"sku", "quantity"}], "payment": "cod"(default)|"online", "paid"?:
    true, "buyer"?: {first_name, last_name, second_name, phone, email}, "delivery"?: {provider, city,
    warehouse}, "source"?, "client_notes"?}`` -> 201 order JSON + ``"_id"``; 409 ``{"error": "out_of_stock",
    "sku", "available"}``; decrements quantity_in_stock (cancellations give nothing back [unv]).
``POST /__sandbox__/orders/<id>/event {"action"}``: ``buyer_cancel`` (canceled, buyers_request),
    ``custom`` (custom-137639, or ``"status"``), ``ttn_on_the_way`` / ``ttn_delivered`` (unified_status;
    409 without a TTN), ``refund`` / ``pay`` (payment_data.status; 409 for cod) -> the order JSON.
``GET  /__sandbox__/orders`` -> ``{"orders": [{"id", "status", "declaration_number", ..., "calls"}]}``.
``GET  /__sandbox__/calls`` -> ``[{"method", "path", "status", "time"}]`` (a bare list, oldest first).
``POST /__sandbox__/fail {"status": 500|429|503|"timeout"|"lost", "count", "path", "retry_after"}``
    (``limits.py``; ``path`` with or without ``/api/v1``).
``POST /__sandbox__/lose {"count"}``: the next N order changes keep their old date_modified.
``POST /__sandbox__/duplicate {"count"}``: the next N non-empty orders/list answers list each order twice.
``POST /__sandbox__/rate {"limit", "window", "block"}`` -> the settings (``limit`` null = off).
"""

from .app import create_app

__all__ = ["create_app"]
