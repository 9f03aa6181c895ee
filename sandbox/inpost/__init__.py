"""A faithful fake InPost ShipX API (Poland) for tests, demos and benchmarks.

It shares no code with the middleware. Facts from ``reference/couriers.md`` section 1 and the
fixtures in ``fixtures/couriers/inpost/``; choices the reference does not settle are marked [unv].

Start it::

    python -m sandbox.inpost --port 8093 --token T --organization-id O [--host 127.0.0.1]
        [--confirm-delay 2.0|none] [--webhook-url URL] [--delay SECONDS] [--hang-seconds 5]

(``--port 0`` picks a free port; the first line printed names it), or embed it:
``app = sandbox.inpost.create_app(config)``; ``app.extensions["inpost_sandbox"]`` holds the
``store``, ``faults``, ``webhooks`` and ``close()`` (cancels pending confirmations).

API (``Authorization: Bearer <TOKEN>``; else 401 ``{"status": 401, "error": "token_invalid",
"message": "Token is missing or invalid.", "details": {}}`` [unv: the error key])
-------------------------------------------------------------------------------------------------
Errors are ShipX's object ``{"status", "error", "message", "details"}``.

``POST /v1/organizations/:org/shipments``  simplified mode -> 201 shipment, ``status: created``,
    ``tracking_number: null``; CONFIRM_DELAY seconds later it becomes ``confirmed`` with a tracking
    number and the ``shipment_confirmed`` webhook is sent. Bad data -> 400 ``validation_failed`` with
    nested ``details`` (``validation.py``); another organization -> 403 ``forbidden`` [unv].
``GET  /v1/organizations/:org/shipments?reference=&id=&tracking_number=&status=&service=&page=&per_page=``
    -> ``{href, count, page, per_page, items}`` (exact matches, newest first).
``GET  /v1/shipments/:id``                 -> the shipment; 404 ``resource_not_found``.
``GET  /v1/shipments/:id/label?format=Pdf|Zpl|Epl&type=normal|A6|dpi300`` -> the file. Before
    ``confirmed`` (or when cancelled) 400 ``invalid_action``. ``normal`` = A4 page for lockers; courier
    services always answer A6; ``dpi300`` only for ZPL of the services that have it. PDF A6 is 105x148 mm.
``DELETE /v1/shipments/:id``               -> 204 in ``created``/``offers_prepared``; else 400 ``invalid_action``.
``GET  /v1/tracking/:tracking_number``     -> ``{tracking_number, status, tracking_details[], ...}`` (no auth).
``GET  /v1/statuses``                      -> the status names the sandbox uses (no auth).

Config keys (``create_app``)
----------------------------
``TOKEN``, ``ORGANIZATION_ID``, ``CONFIRM_DELAY`` (2.0 s; None = only on ``advance``), ``WEBHOOK_URL``,
``WEBHOOK_TIMEOUT`` (10 s), ``DELAY`` (0 s before each API answer), ``HANG_SECONDS`` (5 s, the
``timeout`` fault), ``LABEL_FONT`` (DejaVu Sans path), ``FIRST_ID`` (1000000001).

Control endpoints (no auth, JSON)
---------------------------------
``POST /__sandbox__/advance {"id", "status"}``  move a shipment (any status name) and POST the unsigned
    webhook (``shipment_confirmed`` or ``shipment_status_changed``) to the webhook URL.
``POST /__sandbox__/fail {"status": 500 | "timeout", "count": 1}``  the next API requests fail.
``POST /__sandbox__/delay {"seconds", "path"}``  slow API answers down.
``POST /__sandbox__/lose_answer {"count": 1}``  the next creates succeed, the connection drops unanswered.
``POST /__sandbox__/webhook_url {"url"}``  register the URL (it must answer 200 to a GET).
``GET  /__sandbox__/webhooks``  delivery log; ``GET /__sandbox__/shipments``; ``POST /__sandbox__/reset``.
"""

from .app import create_app

__all__ = ["create_app"]
