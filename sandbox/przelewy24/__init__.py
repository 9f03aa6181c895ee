"""A faithful fake Przelewy24 (REST API v1) for tests, demos and benchmarks.

It shares no code with the middleware: it signs and checks ``sign`` with its own code
(``signing.py``), so it checks ours instead of mirroring it. Facts from
``reference/payments.md`` section 1; choices the reference does not settle are marked [unv].

Start it::

    python -m sandbox.przelewy24 --port 8091 [--host 127.0.0.1] [--merchant-id 12345] [--pos-id 12345]
        [--api-key KEY] [--crc CRC] [--time-scale 0.001] [--delay SECONDS] [--refund-url-status URL]

(``--port 0`` picks a free port; the first line printed names it), or embed it:
``app = sandbox.przelewy24.create_app(config)``; ``app.extensions["p24_sandbox"]`` holds the
``store``, the ``notifier`` and ``close()`` (stops the notifier thread).

API (HTTP Basic: user = POS_ID, password = API_KEY; else 401 ``{"error":"Incorrect authentication","code":401}``)
------------------------------------------------------------------------------------------------------------
``GET  /api/v1/testAccess``                         -> ``{"data": true, "error": ""}``
``POST /api/v1/transaction/register``               -> ``{"data": {"token"}, "responseCode": 0}``; bad field,
    foreign merchantId/posId, unknown currency or a reused sessionId [unv] -> 400 "Invalid input data";
    wrong sign -> 400 "Incorrect CRC value".
``PUT  /api/v1/transaction/verify``                 -> ``{"data": {"status": "success"}, "responseCode": 0}``;
    wrong sign -> 400 "Incorrect CRC value"; unknown/unpaid transaction, other orderId, amount or
    currency than paid -> 400 "Invalid input data". Verifying a verified transaction succeeds
    again. A successful verify stops the notification retries.
``GET  /api/v1/transaction/by/sessionId/<id>``      -> ``data.status`` 0 no payment, 1 advance (paid,
    not verified), 2 payment made, 3 returned; 404 ``{"error":"Transaction not found","responseCode":0}``.
``POST /api/v1/transaction/refund``                 -> 201 per-item results; bad input -> 400 "Invalid
    input parameters"; reused requestId -> 400 "Request already exists"; refused items (unknown
    transaction, not verified, amount beyond what is left) -> 409 ``{"error": [items], "code": 409}``
    and nothing is refunded [unv: all-or-nothing]. A refund completes REFUND_DELAY_MINUTES later
    and is notified (signed) to the request's ``urlStatus`` or REFUND_URL_STATUS.
``GET  /api/v1/refund/by/orderId/<orderId>``        -> ``data.refunds[]`` with status 1 completed, 2 pending.

The buyer: ``GET /trnRequest/<token>`` shows a pay button; ``POST`` pays and redirects to urlReturn.

Notifications
-------------
Paying (``POST /__sandbox__/pay`` or the page) makes the transaction an advance payment with an
orderId beyond 32 bits and POSTs the signed JSON notification (``merchantId, posId, sessionId,
amount, originAmount, currency, orderId, methodId, statement, sign``; body escaped like PHP's
default ``json_encode`` [unv]) to urlStatus at once and again 3, 5, 15, 30, 60, 150 and 450
minutes after the first attempt, whatever the HTTP answer, until the transaction is verified
(the +/-5 min jitter is left out). Registrations without urlStatus are not notified.

Config keys (``create_app``)
----------------------------
``MERCHANT_ID`` / ``POS_ID`` (12345), ``API_KEY``, ``CRC``, ``TIME_SCALE`` (1.0; real seconds per
schedule second), ``RETRY_MINUTES`` (3, 5, 15, 30, 60, 150, 450), ``REFUND_DELAY_MINUTES`` (1),
``REFUND_URL_STATUS`` (None), ``NOTIFY_TIMEOUT`` (10 s), ``DELAY`` (0 s before each API answer),
``ORDER_ID_START`` (5000000001).

Control endpoints (no auth, JSON)
---------------------------------
``POST /__sandbox__/pay`` ``{"sessionId" | "token", "amount"?, "methodId"?, "statement"?}``
    -> ``{"sessionId", "orderId", "amount", "notification": bool}``; 404 unknown, 409 already paid.
    ``amount`` lets a test pay a different amount than registered.
``GET  /__sandbox__/notifications[?kind=transaction|refund&key=&bodies=1]``
    -> ``{"notifications": [{"seq", "delivery", "kind", "key", "url", "attempt", "scheduled_minute",
    "elapsed_s", "time", "status", "error", "ok", "duration_ms", "body"?}], "pending": n}``
``POST /__sandbox__/flush`` ``{"timeout": 30, "fast_forward": false}`` -> waits until no notification
    is pending (verified, acknowledged or schedule exhausted); ``fast_forward`` sends the remaining
    attempts at once. 200 ``{"flushed": true, "pending": 0}``, 504 on timeout.
``POST /__sandbox__/delay`` ``{"seconds": 2.0, "path": ""}`` / ``POST /__sandbox__/fail``
    ``{"status": 503, "count": 1, "retry_after": null}`` (see ``faults.py``).
``POST /__sandbox__/reset``; ``GET /__sandbox__/transactions``.
"""

from .app import create_app

__all__ = ["create_app"]
