"""A faithful fake Allegro seller API (OAuth site + REST API in one server) for tests, demos, benchmarks.

It imports nothing of the middleware. Contract: ``specs/allegro.md``; facts from ``reference/marketplaces.md``
section 1 and ``fixtures/marketplaces/allegro/``. Choices the reference does not settle are marked [unv].

Start it::

    python -m sandbox.allegro --port 8095 --client-id demo-client --client-secret demo-secret
        [--seed demo] [--order-trickle 7] [--auto-approve] [--access-ttl 43199] [--host 127.0.0.1]
        [--device-interval 5] [--async-delay 0.1] [--hang-seconds 5] [--public-url URL]

(``--port 0`` picks a free port; the first line printed is ``Allegro sandbox on http://HOST:PORT``), or
embed it: ``app = sandbox.allegro.create_app(config)``; ``app.extensions["allegro_sandbox"]`` holds
``store``, ``tokens``, ``faults``, ``limiter``, ``worker`` and ``close()`` (stops the worker and trickle).
Clients get ``auth_url`` and ``base_url`` separately; here both are the sandbox URL.

OAuth site (``oauth.py``; answers ``application/json``; errors ``{"error", "error_description"}``)
---------------------------------------------------------------------------------------------------
``POST /auth/oauth/device``  form ``client_id`` + HTTP Basic ``client_id:client_secret`` -> ``{device_code,
    user_code (8 chars), verification_uri: <base>/skojarz-aplikacje, verification_uri_complete (?code=),
    expires_in: DEVICE_TTL, interval: DEVICE_INTERVAL}``. Bad Basic -> 401 ``invalid_client``
    "Bad client credentials"; form ``client_id`` missing/different -> 400 ``invalid_request`` [unv].
``POST /auth/oauth/token``  Basic client auth (else 401 ``invalid_client``); parameters in the FORM BODY (an
    OAuth parameter in the query string -> 400 ``invalid_request`` "OAuth parameters must be sent in the
    request body"; also on ``/device``).
    ``grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=`` -> 400 ``authorization_pending``
    until approved; a poll sooner than ``interval`` after the previous poll of that code -> 400 ``slow_down``
    (the first poll is never too early; the interval is not raised after slow_down [unv]); unknown, expired,
    other client or already exchanged -> 400 ``invalid_grant``; denied on the page -> 400 ``access_denied``;
    approved -> 200 ``{access_token, token_type: "bearer", refresh_token, expires_in: ACCESS_TTL, scope,
    allegro_api: true, jti}`` ONCE. ``grant_type=refresh_token&refresh_token=`` -> a NEW pair; the old refresh
    AND access tokens die at once; an old/unknown refresh -> 400 ``invalid_grant`` "Invalid refresh token".
    Missing ``grant_type`` -> 400 ``invalid_request``; another grant -> 400 ``unsupported_grant_type``.
``GET /skojarz-aplikacje?code=``  HTML: with a pending code a form with "Pozwól" (allow) and "Anuluj" (deny),
    else a box to type the code. ``POST /skojarz-aplikacje`` form ``code=<user_code>&decision=allow|deny``
    -> 200 HTML (unknown/expired/used code -> 400 HTML).
Tokens are opaque random strings (real ones are JWTs: never parse them).

REST API (``/order/``, ``/sale/``; ``Authorization: Bearer <access>`` else 401 ``{"error": "invalid_token",
"error_description": "Access token expired" | "Access token invalid"}`` (+ ``WWW-Authenticate``))
----------------------------------------------------------------------------------------------------------------
Gate order (``gate.py``): injected fault -> token (401) -> rate limit (429) -> ``Accept:
application/vnd.allegro.public.v1+json`` (else 406 ``NotAcceptableException``; ``*/*`` is not enough) ->
``Content-Type`` of every POST/PUT/PATCH must be that type (else 415 ``NotSupportedException``).
Answers use that content type; errors are ``{"errors": [{"code", "message", "details", "path",
"userMessage"}]}``. Invalid JSON -> 400 ``JsonParseException`` [unv]; bad fields or query parameters ->
422 ``VALIDATION_ERROR`` with ``path`` [unv]; unknown ids/paths -> 404 ``NotFoundException``.
Rate limit: RATE_LIMIT (9000) requests per sliding RATE_WINDOW (60 s) per Client_ID over ALL its tokens;
exceeding it blocks the client id RATE_BLOCK (60) s: every API request answers 429
``TooManyRequestsException`` with NO Retry-After and no quota headers (documented quirk).

``GET /order/events?from=&type=(repeatable)&limit=1..1000 (100)``, ``GET /order/event-stats``,
``GET /order/checkout-forms[/{id}]``, ``PUT /order/checkout-forms/{id}/fulfillment`` (``orders.py``);
``GET /order/carriers``, ``POST|GET /order/checkout-forms/{id}/shipments`` (``shipments.py``);
``GET /sale/offers``, ``GET|PATCH /sale/product-offers/{id}``, ``GET .../operations/{op}`` (``offers.py``;
the sandbox never shows ACTIVATING: an activation is applied at once when its async job runs [unv]);
``PUT|GET /sale/offer-quantity-change-commands/{uuid}[/tasks]``, ``PUT|GET
/sale/offer-publication-commands/{uuid}[/tasks]`` (``commands.py``). Each module's docstring has the details.
Ids: offers numeric strings from FIRST_OFFER_ID (7893457231); checkout forms, line items, payments,
operations: UUID4; event ids: unpadded base64 of a decimal sequence number from FIRST_EVENT_SEQ (never
compare them; never restart, not even on reset); revisions: 8 hex chars; shipment ids: base64 of
``CARRIER:waybill`` (``#n`` appended for duplicates) [unv].

Config keys (``create_app``)
----------------------------
``CLIENT_ID``/``CLIENT_SECRET`` (sandbox-client/sandbox-secret), ``APP_NAME``, ``ACCESS_TTL`` (43199),
``REFRESH_TTL`` (7776000), ``AUTO_APPROVE`` (False), ``DEVICE_TTL`` (3600), ``DEVICE_INTERVAL`` (5; may be a
fraction in tests), ``PUBLIC_URL``, ``ASYNC_DELAY`` (0.1 s), ``HANG_SECONDS`` (5), ``RATE_LIMIT`` (9000),
``RATE_WINDOW`` (60), ``RATE_BLOCK`` (60), ``SEED`` (None|"demo"), ``ORDER_TRICKLE`` (0 = off),
``TRICKLE_SEED``, ``SELLER_ID`` (873910812), ``FIRST_OFFER_ID``, ``FIRST_EVENT_SEQ``.

Control endpoints (no auth, JSON, ``control.py``)
-------------------------------------------------
``POST /__sandbox__/reset {"seed": "demo"|null, "tokens": false}``  empty offers/forms/journal/commands/calls,
    faults, lose/duplicate counters, pending async work and rate counters (+ seed; default: config SEED).
    OAuth grants survive unless ``"tokens": true``. -> ``{"ok", "seeded": [{"sku", "ref"}]}``.
``POST /__sandbox__/listings {"items": [{"sku", "quantity", "name"?, "price"?, "status"?}]}``  one offer per
    SKU (ACTIVE when quantity > 0, else INACTIVE; an existing SKU's offer is re-listed with these values)
    -> ``{"created": [{"sku", "ref" (= offer id), "offer_id", "status", "existing"}]}``.
``GET  /__sandbox__/stock``  ``{"<sku>": available if ACTIVE else 0, "_detail": {"<sku>": {"offer_id",
    "available", "status"}}}``.
``POST /__sandbox__/orders {"lines": [{"sku", "quantity"}], "payment": "online"|"cod"|"unpaid",
    "buyer"?: {...}, "delivery"?: {"type": "locker"|"courier", "pickupPoint"?: {"id"}, "address"?: {...}},
    "messageToSeller"?}``  a buyer checkout: unknown SKU -> 404 ``unknown_sku``; fewer units on the ACTIVE
    offer -> 409 ``{"error": "out_of_stock", "sku", "available"}``; else events BOUGHT (stock drops, 0 ENDS
    the offer), FILLED_IN, then READY_FOR_PROCESSING unless unpaid -> 201 the checkout form + ``"_id"``.
``POST /__sandbox__/orders/<id>/event {"action": "buyer_cancel"|"auto_cancel"|"pay"|"returned"}``  status
    CANCELLED + BUYER_CANCELLED / AUTO_CANCELLED (stock NOT restored [unv]); READY_FOR_PROCESSING (again =
    a second event); fulfillment RETURNED (+ FULFILLMENT_STATUS_CHANGED, ``updatedAt`` kept) -> the form.
``GET  /__sandbox__/orders``  ``{"orders": [{"id", "status", "fulfillment", "revision", "updatedAt",
    "payment", "lines", "tracking", "calls"}]}``; ``GET /__sandbox__/calls`` -> a bare list ``[{"method",
    "path", "status", "time"}]`` oldest first (REST and OAuth calls, no bodies; the newest 20000 kept).
``POST /__sandbox__/fail {"status": 500|429|503|"timeout"|"lost", "count": 1, "path": "/prefix"}``  the next
    matching REST/OAuth requests fail unprocessed ("timeout": hang HANG_SECONDS, then 504; "lost": processed,
    then held HANG_SECONDS and the connection dropped). A 429 has Allegro's body and no Retry-After
    (``retry_after`` is ignored: Allegro never sends one).
``POST /__sandbox__/lose {"count": N}``  the next N journal events are never written (forms still change).
``POST /__sandbox__/duplicate {"count": N}``  the next N non-empty ``/order/events`` answers repeat each event.
``POST /__sandbox__/rate {"limit": 30, "window": 60, "block": 5}``  reconfigure the rate limit.
``POST /__sandbox__/oauth/approve {"user_code"}``, ``POST /__sandbox__/oauth/issue`` (a token pair without
    the device flow), ``POST /__sandbox__/oauth/expire`` (all access tokens expire now; refresh still works),
    ``POST /__sandbox__/process`` (apply every pending asynchronous change now).
"""

from .app import create_app

__all__ = ["create_app"]
