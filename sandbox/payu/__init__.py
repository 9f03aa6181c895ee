"""A faithful fake PayU (REST API v2.1, Poland/EMEA) for tests, demos and benchmarks.

It shares no code with the middleware: notification signatures come from its own ``signing.py``.
(It reuses the generic notifier and fault injection of ``sandbox.przelewy24``.) Facts from
``reference/payments.md`` section 2; choices the reference does not settle are marked [unv].

Start it::

    python -m sandbox.payu --port 8092 [--host 127.0.0.1] [--pos-id 300746] [--client-id ID]
        [--client-secret S] [--second-key K] [--algorithm MD5|SHA-256|SHA-384|SHA-512]
        [--no-auto-receive] [--time-scale 0.0001] [--delay SECONDS]

(``--port 0`` picks a free port; the first line printed names it), or embed it:
``app = sandbox.payu.create_app(config)``; ``app.extensions["payu_sandbox"]`` holds the ``store``,
the ``notifier`` and ``close()``.

API
---
``POST /pl/standard/user/oauth/authorize`` form ``grant_type=client_credentials&client_id&client_secret``
    -> ``{"access_token", "token_type": "bearer", "expires_in": TOKEN_TTL, "grant_type"}``; a body that
    is not form-encoded or wrong credentials -> 401 ``{"error": "invalid_client", ...}`` [unv body];
    another grant -> 400 ``unsupported_grant_type``.
Every ``/api/v2_1`` call needs ``Authorization: Bearer <token>``, else 401
``{"status": {"statusCode": "UNAUTHORIZED", "codeLiteral": "INVALID_OR_MISSING_ACCESS_TOKEN", ...}}``.
``POST   /api/v2_1/orders`` -> **302** (``Location`` = redirectUri) with JSON ``{"status":
    {"statusCode": "SUCCESS"}, "redirectUri", "orderId", "extOrderId"}``; missing field -> 400
    ``ERROR_VALUE_MISSING``; foreign merchantPosId -> 400 ``ERROR_VALUE_INVALID`` [unv]; reused
    extOrderId -> 400 ``ERROR_ORDER_NOT_UNIQUE``.
``GET    /api/v2_1/orders/<id>`` -> ``{"orders": [order], "status", "properties"?}``; unknown -> 404
    ``DATA_NOT_FOUND``.
``DELETE /api/v2_1/orders/<id>`` -> CANCELED (notified); a COMPLETED order -> 400 [unv].
``POST   /api/v2_1/orders/<id>/captures`` -> WAITING_FOR_CONFIRMATION -> COMPLETED (notified).
``POST   /api/v2_1/orders/<id>/refunds`` ``{"refund": {"description", "amount"?, "extRefundId"?}}``
    -> ``{"orderId", "refund": {... "status": "PENDING"}, "status": SUCCESS}``; no ``refund`` section ->
    400 ``MISSING_REFUND_SECTION``; order not COMPLETED -> 400 ``TRANS_NOT_ENDED`` [unv]; beyond the
    balance -> 400 ``AMOUNT_TO_BIG`` [unv]; a repeated extRefundId answers the same refund, or 400
    ``REFUND_IDEMPOTENCY_MISMATCH`` for another amount [unv]. FINALIZED REFUND_DELAY_MINUTES later.
``GET    /api/v2_1/orders/<id>/refunds`` -> ``{"refunds": [...]}``.
The buyer: ``GET /pay/?orderId=`` shows a pay button; ``POST`` pays and redirects to continueUrl.

Notifications
-------------
Every status change (PENDING, COMPLETED / WAITING_FOR_CONFIRMATION / CANCELED) and every FINALIZED
refund is POSTed to the order's notifyUrl as compact UTF-8 JSON with ``OpenPayu-Signature`` and
``X-OpenPayU-Signature: sender=checkout;signature=hex(HASH(body + SECOND_KEY));algorithm=...;
content=DOCUMENT``; attempt 1 at once, then 1, 2, 5, 10, 30 min, 1, 2, 3, 6, 9, 12, 15, 18, 21,
24, 36, 48, 60, 72 h after it (20 attempts) until the answer is HTTP 200.

Config keys (``create_app``)
----------------------------
``POS_ID`` ("300746"), ``CLIENT_ID`` (POS_ID), ``CLIENT_SECRET``, ``SECOND_KEY``,
``SIGNATURE_ALGORITHM`` ("SHA-256"), ``TOKEN_TTL`` (43199 s), ``AUTO_RECEIVE`` (True), ``TIME_SCALE``
(1.0; real seconds per schedule second), ``RETRY_MINUTES``, ``REFUND_DELAY_MINUTES`` (1),
``NOTIFY_TIMEOUT`` (10 s), ``DELAY`` (0 s before each API answer).

Control endpoints (no auth, JSON)
---------------------------------
``POST /__sandbox__/pay`` ``{"orderId" | "extOrderId", "outcome": "COMPLETED" | "CANCELED"}``
    -> ``{"orderId", "statuses": [...]}``; 404 unknown, 409 not NEW.
``GET  /__sandbox__/notifications[?kind=order|refund&key=&bodies=1]``, ``POST /__sandbox__/flush``
    ``{"timeout", "fast_forward"}``, ``POST /__sandbox__/delay``, ``POST /__sandbox__/fail``,
    ``POST /__sandbox__/reset``: as in ``sandbox.przelewy24``.
``POST /__sandbox__/revoke_tokens`` -> every access token stops working (tests token renewal).
"""

from .app import create_app

__all__ = ["create_app"]
