"""A faithful fake Ozon Seller API (FBS postings, stocks, push notifications) for tests, demos and benchmarks.

It shares no code with the middleware. Facts from ``reference/marketplaces.md`` section 3 and the fixtures
in ``fixtures/marketplaces/ozon/``; the contract is ``specs/ozon.md``; choices neither settles are [unv].

Start it::

    python -m sandbox.ozon --port 8097 --client-id 123456 --api-key demo-key [--seed demo]
        [--order-trickle 11] [--pair-interval 30] [--push-url URL] [--push-retries 3]
        [--push-retry-interval 1] [--hang-seconds 5] [--host 127.0.0.1]

(``--port 0`` picks a free port; the first line printed is ``Ozon sandbox on http://127.0.0.1:PORT``), or
embed it: ``app = sandbox.ozon.create_app(config)``; ``app.extensions["ozon_sandbox"]`` holds ``store``,
``faults``, ``limits``, ``pushes`` and ``close()`` (stops the trickle and the push thread).

Auth, errors, limits
--------------------
Every API call is ``POST`` with a JSON body (empty body = ``{}``) and headers ``Client-Id`` + ``Api-Key``.
Missing -> 401 ``{"code": 16, "message": "Client-Id and Api-Key headers are required"}``; wrong pair -> 403
``{"code": 7, "message": "Invalid Api-Key, please contact support", "details": []}`` [unv]. Other errors:
``{"code", "message", "details": []}`` - 400 code 3 (validation, bad JSON), 404 code 5 (unknown posting:
message ``POSTING_NOT_FOUND``; unknown path: ``Not Found``), 405 code 12, 500 code 13, 503 code 14, 504 code 4.
Order of checks: injected fault, auth, rate limits, then the endpoint.
Rate limits (sliding windows; refused requests do not count; NO Retry-After header): 50 requests/s over all
methods -> 429 ``{"code": 8, "message": "You have reached request rate limit per second", "details": []}``;
``/v2/products/stocks`` 80/min -> 429 code 8 "... per minute".

API subset
----------
``/v1/warehouse/list``  ``{"result": [{"warehouse_id", "name", "is_rfbs", "status"}]}``; the demo has ONE FBS
    warehouse 22142605386000 "Склад на Ленина" (an rFBS one, ...001, appears once a listing asks for rFBS).
``/v3/product/list {"filter": {"offer_id", "product_id", "visibility"}, "last_id", "limit"}`` -> ``{"result":
    {"items": [{"product_id", "offer_id", "archived", ...}], "total", "last_id"}}``; ``last_id`` is "" on the
    last page [unv]. visibility ALL (not archived), VISIBLE, IN_SALE, INVISIBLE, EMPTY_STOCK, ARCHIVED.
``/v4/product/info/stocks {"filter", "cursor", "limit"}`` -> ``{"cursor", "items": [{"offer_id", "product_id",
    "stocks": [{"type": "fbs", "present", "reserved", "sku", "shipment_type", "warehouse_ids"}]}], "total"}``
    (summed over warehouses; ``cursor`` "" on the last page [unv]).
``/v1/product/info/stocks-by-warehouse/fbs {"sku": [Ozon SKU ints]}`` (1..500) -> ``{"result": [{"sku",
    "product_id", "present", "reserved", "warehouse_id", "warehouse_name"}]}`` per warehouse.
``/v2/products/stocks {"stocks": [{"offer_id", "product_id"?, "stock", "warehouse_id"}]}`` (1..100, else 400)
    -> ``{"result": [{"warehouse_id", "product_id", "offer_id", "updated", "errors": [{"code", "message"}]}]}``.
    present = stock + reserved (``stock`` excludes Ozon's reservations). Per-item errors inside HTTP 200:
    TOO_MANY_REQUESTS (pair updated < PAIR_INTERVAL ago; only successful updates start the interval),
    NOT_FOUND, WAREHOUSE_NOT_FOUND, PRODUCT_IS_NOT_CREATED (listing ``state: not_ready``), INVALID_STOCK
    [unv codes except the first]. ``offer_id`` wins over ``product_id``.
``/v3/posting/fbs/unfulfilled/list``, ``/v3/posting/fbs/list``, ``/v3/posting/fbs/get``, ``/v4/posting/fbs/ship``
    see ``api_postings``; ``/v2/fbs/posting/tracking-number/set``, ``/v2/fbs/posting/delivering | last-mile |
    delivered``, ``/v2/posting/fbs/cancel-reason/list``, ``/v1/posting/fbs/cancel-reason``,
    ``/v2/posting/fbs/cancel`` see ``api_actions``. Posting JSON: ``serialize``; stock moves: ``lifecycle``.
Posting numbers: order ``"NNNNNNNN-NNNN"``, postings ``"<order>-1"``, ``-2``...; split parts take the next
    free suffix of the order. A checkout's lines from one warehouse are one posting.

Push notifications (``push``)
-----------------------------
TYPE_NEW_POSTING (checkout), TYPE_POSTING_CANCELLED (seller or buyer cancel), TYPE_STATE_CHANGED (every
other move; ``new_state`` is the substatus, e.g. ``posting_delivered``), all with ``seller_id`` = CLIENT_ID
as int, POSTed by a background thread; 200 ``{"result": true}`` acknowledges, else PUSH_RETRIES retries
PUSH_RETRY_INTERVAL apart. Registration via control ``push`` sends TYPE_PING first.

Config keys (``create_app``)
----------------------------
``CLIENT_ID`` ("123456"), ``API_KEY`` ("demo-key"), ``SEED`` (None|"demo"), ``ORDER_TRICKLE`` (0 s),
``TRICKLE_SEED``, ``PAIR_INTERVAL`` (30 s), ``PUSH_URL``, ``PUSH_RETRIES`` (3), ``PUSH_RETRY_INTERVAL`` (1 s),
``PUSH_TIMEOUT`` (5 s), ``RATE_PER_SECOND`` (50), ``STOCK_UPDATES_PER_MINUTE`` (80), ``HANG_SECONDS`` (5 s).

Control endpoints (no auth, JSON, ``/__sandbox__``; see ``control``)
-------------------------------------------------------------------
``POST reset {"seed"}``; ``POST listings {"items": [{"sku", "quantity", "name", "price", "state", "rfbs"}]}``
-> ``{"created": [{"sku", "ref": "<offer_id>:<warehouse_id>", "offer_id", "warehouse_id", "product_id",
"ozon_sku"}]}``; ``GET stock`` -> ``{"<offer_id>": present - reserved, "_detail": {...}}``;
``POST orders {"lines", "payment", "buyer", "delivery", "rfbs", "in_process_at", "shipment_date"}`` -> 201
posting + ``_id`` (posting number) + ``_postings``, or 409 ``{"error": "out_of_stock"}``;
``POST orders/<posting_number>/event {"action": "deliver"|"handover"|"buyer_cancel"|"arbitration"}``;
``GET orders``; ``GET calls``; ``POST fail {"status", "count", "path", "retry_after"}`` (``faults``);
``POST lose {"count"}`` (pushes not sent); ``POST duplicate {"count"}`` (list answers repeat postings);
``POST rate {"limit", "window", "path", "block", "pair_interval"}``; ``POST push {"url"}``;
``GET pushes``; ``POST pushes/flush {"timeout"}``.

Demo (``--seed demo``): the WooCommerce demo SKUs KUB-ZOLC-330, SWI-LAKA-180, NOT-GES-A5, TOR-ZDZB,
TSH-VYSH-S/M/L with Russian names, present 5-20; demo buyers Щукин, Ёлкина, Жуков, Воробьёва.
"""

from .app import create_app

__all__ = ["create_app"]
