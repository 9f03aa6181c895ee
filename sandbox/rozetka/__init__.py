"""A faithful fake Rozetka Seller API (Ukraine) for tests, demos and benchmarks.

It imports nothing of the middleware. Contract: ``specs/rozetka.md``; facts from ``reference/marketplaces.md``
section 2 and the fixtures in ``fixtures/marketplaces/rozetka/``; choices they do not settle are marked [unv].

Start it::

    python -m sandbox.rozetka --port 8096 --username demo --password demo-pass [--api-token T] [--seed demo]
        [--order-trickle 9] [--token-ttl 86400] [--hang-seconds 5] [--host 127.0.0.1]

(``--port 0`` picks a free port; the first line printed is "Rozetka sandbox on http://127.0.0.1:PORT"), or
embed it: ``app = sandbox.rozetka.create_app(config)``; ``app.extensions["rozetka_sandbox"]`` holds the
``store``, ``sessions``, ``faults``, ``limiter``, ``clock`` and ``close()`` (stops the trickle).

Envelope (quirk: business errors are HTTP 200 - check ``success``, never only the status)
--------------------------------------------------------------------------------------
``{"success": true, "content": ...}`` | ``{"success": false, "errors": {"message", "code", "details"}}``.
HTTP 401 for auth, 429 for the rate limit, 404 ``not_found`` 5404 for an unknown route, 5xx for faults
(500 ``server_error`` 0, 503 ``technical_maintenance`` 5503, 504 ``gateway_timeout`` 0 [unv]).
Optional ``Content-Language: uk|ru`` (default uk [unv]) picks the language of item names.

API
---
``POST /sites {"username", "password": base64(password)}`` -> ``content.access_token`` (valid TOKEN_TTL s);
    wrong -> HTTP 200 ``invalid_credentials`` 5401. Every other call: ``Authorization: Bearer <token>`` (a
    session token or the static API_TOKEN); expired -> 401 ``session_expired`` 6001; missing/unknown -> 401
    ``incorrect_token`` 1020 [unv]. Old tokens stay valid after a new login.
``GET /orders/search?page=&status=&types=&created_from=&created_to=&changed_from=&changed_to=&expand=``
    20 per page, id descending, dates "YYYY-MM-DD HH:MM:SS" in Kyiv time (inclusive; a bare date [unv] means
    the whole day); ``types`` 1 all, 2 in processing, 3 successful, 4 new, 5 delivering (3, 4, 5 [unv]),
    6 unsuccessful; ``status``/``types`` may be comma lists [unv]; bad values -> ``incorrect_data_format``
    1002 with the parameter in ``details``. -> ``{"orders", "_meta", "totalFields"}``. A page past the end
    answers the LAST page (Yii2 [unv]): loop to ``_meta.pageCount``.
    ``expand`` (comma list): ``purchases``, ``delivery``, ``status_available``, ``order_status_history``,
    ``user`` - without it those keys are ABSENT (quirk).
``GET /orders/{id}?expand=`` -> the order; unknown -> HTTP 200 ``not_found`` code 3 [unv].
``PUT /orders/{id} {"status"?, "ttn"?, "seller_comment"?}`` -> the order; rules in ``updates.py``: not in
    the table -> 1021 ``status_not_available``; 3/61 without a TTN -> 1022 ``ttn_required``; 2 + TTN -> 61;
    the same status again is accepted (no change); a TTN alone is stored.
``GET /order-statuses/search?expand=status_available&id=&page=`` -> ``{"orderStatus", "_meta"}`` (20 a page).
``GET /goods/all?page=&pageSize=&price_offer_id=&rz_item_id=&available=&article=&name=`` -> ``{"count",
    "items", "_meta"}``; pageSize default 20, clamped to 1..100 [unv]; ``price`` is a JSON number.
``PUT /items/mass-update {"items": [{"item_rz_id", "stock_quantity"?, "price"?}]}`` -> ``content: null``; more
    than 100 -> 1030 ``too_many_items`` (nothing applied); unknown ids or bad values -> ``success: false``,
    ``errors {"<id>": {"reason": [{"id": 1, "value": ["Товар не знайдено"]}]}}`` while the valid items ARE
    applied (partial success, quirk). A price jump (> x1.5 up, > x2 down) is held as ``updated_price``.

Buyers place orders through the control API: status 1 (55 when ``payment: "unpaid"``), ``payment_type``
"cash" (COD) or "online", Nova Poshta delivery; the item's ``stock_quantity`` drops; cancellations do not
restore it [unv]. Every change (status, TTN, comment, buyer edit, event) bumps ``changed`` (seconds).

Config keys (``create_app``)
----------------------------
``USERNAME`` (demo), ``PASSWORD`` (demo-pass, plain), ``API_TOKEN`` (None), ``TOKEN_TTL`` (86400 s), ``SEED``
("demo"|None), ``ORDER_TRICKLE`` (0 = off), ``TRICKLE_SEED``, ``HANG_SECONDS`` (5), ``MASS_UPDATE_MAX`` (100),
``FIRST_ORDER_ID`` (780000001), ``FIRST_ITEM_ID`` (410000001; ``rz_item_id`` of the first item).

Control endpoints (no auth, JSON, not rate limited, not logged)
---------------------------------------------------------------
``POST /__sandbox__/reset {"seed": "demo"|null, "tokens": false}`` (default: SEED) -> empty items/orders/calls,
    faults, rate limit, lose/duplicate and clock shift, then the catalog; ids restart; session tokens survive
    unless ``"tokens": true``. -> ``{"ok", "seeded"}``
``POST /__sandbox__/listings {"items": [{"sku", "quantity", "name", "name_ru"?, "price", "article"?}]}`` -> items
    keyed by SKU (existing SKUs updated) -> ``{"created": [{"sku", "ref", "rz_item_id", "stock_quantity",
    "existing"}]}`` (``ref`` = ``rz_item_id``)
``GET  /__sandbox__/stock`` -> ``{"<sku>": stock_quantity, "_detail": {"<sku>": {"rz_item_id", "stock_quantity",
    "available", "price"}}}``
``POST /__sandbox__/orders {"lines": [{"sku", "quantity"}], "payment": "cod" (default)|"online"|"unpaid", "buyer":
    {"first_name", "last_name", "second_name", "phone"}?, "delivery": {"city": "Київ", "ref_id", ...}?,
    "comment"?}`` -> 201 the order with every expand + ``"_id"``; 409 ``{"error": "out_of_stock", "sku",
    "available"}``; 400 ``unknown_sku`` / ``invalid_quantity`` / ``invalid_lines`` / ``invalid_payment``
``POST /__sandbox__/orders/<id>/event {"action"}``: ``buyer_cancel`` (-> 45), ``handed`` (-> 3, needs a TTN;
    ``"ttn"`` may come along), ``delivering`` (4), ``at_pickup`` (5, sets ``reserve_date``), ``delivered`` (6),
    ``not_picked_up`` (11), ``refused`` (12), ``returned`` (19), ``reserve_expired`` (30), ``buyer_edit``
    (``{"buyer": {...}}``, no status change); 409 ``event_not_allowed`` from a status it cannot follow
    (``checkout.EVENTS``), 404 unknown order.
``GET  /__sandbox__/orders`` -> ``{"orders": [{id, status, status_group, ttn, created, changed, payment_type,
    lost_changes, history, lines, calls}]}`` (``calls``: the seller's GET/PUT on that order with status/ttn asked)
``GET  /__sandbox__/calls`` -> ``{"calls": [{"method", "path", "query", "status", "time", "fault"?}]}`` (no bodies)
``POST /__sandbox__/fail {"status": 500|429|503|"timeout"|"lost", "count", "path", "retry_after"}`` (``limits.py``)
``POST /__sandbox__/lose {"count": N}``: the next N order changes keep their OLD ``changed`` (Rozetka's clock
    lag): a ``changed_from`` poll misses them unless it overlaps or sweeps open orders (``types=2``).
    New orders are not affected.
``POST /__sandbox__/duplicate {"count": N}``: the next N ``/orders/search`` answers list each order twice.
``POST /__sandbox__/rate {"limit", "window": 60, "block": 60}``: off by default; then 429 ``too_many_requests``
    (code 429) with ``Retry-After`` = seconds left of the block.
``POST /__sandbox__/expire_tokens``: every session token expires now (6001 next); the static one lives on.
``POST /__sandbox__/clock {"shift": seconds}``: move the sandbox clock (stamps, token expiry, rate windows).
"""

from .app import create_app

__all__ = ["create_app"]
