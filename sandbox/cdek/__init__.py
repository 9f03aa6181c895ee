"""A faithful fake CDEK API v2 for tests, demos and benchmarks.

It imports nothing of the middleware. Facts from ``reference/couriers.md`` section 4 and the CDEK
fixtures; behaviour the reference does not settle is marked [unv] in the modules.

Start it::

    python -m sandbox.cdek --port 8094 [--host 127.0.0.1] [--client-id ID] [--client-secret SECRET]
        [--order-delay 0.5] [--print-delay 0.5] [--webhook-url URL] [--hang-seconds 5]

(``--port 0`` picks a free port; the first line printed names it), or embed it:
``app = sandbox.cdek.create_app(config)``; ``app.extensions["cdek_sandbox"]`` holds the store,
the webhook notifier and ``close()`` (stops the notifier thread).

API (every ``/v2/`` path but the token needs ``Authorization: Bearer``; else 401
``{"requests":[{"type":"AUTH","state":"INVALID","errors":[{"code":"v2_token_expired"}]}]}``)
-----------------------------------------------------------------------------------------
``POST /v2/oauth/token``  form or query ``grant_type=client_credentials&client_id&client_secret`` ->
    ``{access_token, token_type: bearer, expires_in: 3599, scope, jti}``; bad credentials -> 401.
``POST /v2/orders``       malformed (missing fields, both/neither PVZ and address) -> 400 with
    ``requests[{state: INVALID, errors[{code, message: "[path] is empty"}]}]``; else **202**
    ``{entity: {uuid}, requests: [{type: CREATE, state: ACCEPTED}]}``. After ORDER_DELAY the order is
    validated: SUCCESSFUL (``cdek_number``, status CREATED, an ORDER_STATUS webhook) or INVALID
    (unknown city code, tariff, PVZ, bad phone).
``GET  /v2/orders/{uuid}``, ``GET /v2/orders?im_number=|cdek_number=`` (the most recent order with that
    number) -> ``{entity, requests, related_entities}``; unknown -> 400 ``v2_entity_not_found``
    (``v2_entity_not_found_im_number`` for ``im_number``).
``DELETE /v2/orders/{uuid}`` -> 202 while ACCEPTED/CREATED (the order becomes REMOVED); later 400
    ``v2_entity_invalid`` [unv]; unknown or removed -> 400 ``v2_entity_not_found``.
``POST /v2/print/barcodes`` ``{orders: [{order_uuid | cdek_number}], copy_count, format: A4|A5|A6|A7, lang}``
    -> 202 ``{entity: {uuid}}``; ``GET /v2/print/barcodes/{uuid}``: ACCEPTED -> PROCESSING -> READY
    (``url``) after PRINT_DELAY, or INVALID; ``GET /v2/print/barcodes/{uuid}.pdf`` (bearer) -> the PDF.
``POST /v2/webhooks {type, url}``, ``GET /v2/webhooks``, ``DELETE /v2/webhooks/{uuid}``.

Config keys (``create_app``): ``CLIENT_ID``, ``CLIENT_SECRET``, ``TOKEN_TTL`` (3599), ``ORDER_DELAY`` (0.5 s),
``PRINT_DELAY`` (0.5 s), ``LINK_TTL`` (3600), ``WEBHOOK_URL``, ``WEBHOOK_TIMEOUT`` (3 s), ``HANG_SECONDS`` (5),
``CDEK_NUMBER_START``, ``CITIES`` ({44: Москва, 137: Санкт-Петербург, 270: Новосибирск}), ``PUBLIC_URL``, ``FONT_PATH``.

Control endpoints (no auth, JSON)
---------------------------------
``POST /__sandbox__/advance`` ``{"uuid" | "cdek_number" | "im_number", "code"?, "is_return"?}``: next status
    (or ``code``) and its ORDER_STATUS webhook, delivered (3 s timeout, no retry) before the answer
    ``{uuid, cdek_number, code, deliveries: [{url, status, error}]}``.
``POST /__sandbox__/process``: settle pending validations and print jobs now.
``POST /__sandbox__/fail`` ``{"status": 500 | "timeout" | "lost", "count": 1, "path": ""}`` (``faults.py``:
    "lost" creates the order, then holds the answer past the client's timeout).
``POST /__sandbox__/expire_tokens``, ``POST /__sandbox__/reset``, ``GET /__sandbox__/orders``,
``GET /__sandbox__/webhooks`` (delivery log), ``GET /__sandbox__/calls``.
"""

from .app import create_app

__all__ = ["create_app"]
