"""A faithful fake WooCommerce 9.4 shop for tests, demos and benchmarks.

It speaks the ``/wp-json/wc/v3`` REST API (products, variations, orders,
notes, webhooks, batches) with WooCommerce's authentication and error
bodies, keeps stock the way WooCommerce does, and - most importantly -
sends webhooks the way WooCommerce's Action Scheduler does: asynchronously,
coalesced, built at send time, signed, never retried, auto-disabled after
repeated failures.  It shares no code with the middleware on purpose: it
signs, verifies and serialises on its own, so it checks our code instead
of mirroring it.

Start it::

    python -m sandbox.woocommerce --host 127.0.0.1 --port 8089 \\
        --consumer-key ck_x --consumer-secret cs_x [--seed demo] [--order-trickle SECONDS]

(extra flags: ``--home-url URL``, ``--currency PLN``, ``--strict-urls`` =
``ALLOW_ANY_PORT=False``, ``--delivery-delay SECONDS``), or embed it:
``app = sandbox.woocommerce.create_app(config)``; ``app.extensions["wc_sandbox"]``
holds the ``shop``, the webhook ``sender`` and ``close()`` to stop the
background threads.

REST: ``/wp-json/wc/v3/`` products (+ ``batch``), ``products/<id>/variations``
(+ ``batch``), orders (+ ``batch``), ``orders/<id>/notes``, webhooks (+ ``batch``).
Webhook topics fired: ``order.created|updated|deleted|restored``,
``product.created|updated|deleted`` (variations included) and
``action.woocommerce_order_status_changed``.

Config keys (``create_app``)
----------------------------
``CONSUMER_KEY`` / ``CONSUMER_SECRET``  the one API key (``ck_sandbox``/``cs_sandbox``)
``KEY_PERMISSIONS``       ``read_write`` (or ``read``/``write``)
``HOME_URL``              site URL used for OAuth base strings, links and
                          ``X-WC-Webhook-Source``; default ``http://HOST:PORT/``
                          when ``HOST``/``PORT`` are given, else the first request's host
``ALLOW_ANY_PORT``        True (default) plays the ``http_allowed_safe_ports`` /
                          ``http_request_host_is_external`` filters; False applies
                          ``wp_http_validate_url()`` at delivery time: pings and
                          deliveries to e.g. 127.0.0.1:5000 fail with
                          ``http_request_failed`` "A valid URL was not provided."
                          (and count as failures), as on a stock WordPress
``SEED``                  ``"demo"`` or None
``CURRENCY``              shop currency, ``PLN``
``DELIVERY_TIMEOUT``      60 s;  ``PING_TIMEOUT`` 5 s
``DELIVERY_DELAY``        seconds a queued delivery waits before it may run (0);
                          models Action Scheduler lag and makes coalescing visible
``SHUFFLE_DELIVERIES``    deliver due items in random order (False)
``RESTORE_STOCK_STATUSES`` statuses that give reduced stock back,
                          ``("cancelled", "pending")`` like WooCommerce core
``ORDER_TRICKLE``         seconds between random checkout orders (0 = off)

Control endpoints (no auth, JSON in and out)
--------------------------------------------
``POST /__sandbox__/reset`` ``{"seed": "demo"|null}`` (default: config ``SEED``)
    Empties the shop (ids restart at 10, webhooks at 1), clears the delivery
    queue, injected faults, log and OAuth nonces, then seeds.
    -> ``{"ok": true, "seeded": [ids]}``
``POST /__sandbox__/seed`` ``{"catalog": "demo"}``
    -> ``{"created": [ids], "stock": {...}}``
``POST /__sandbox__/drop`` ``{"count": N}``
    The next N deliveries are lost on the network (not sent; logged with
    ``dropped: true`` and a curl timeout error; each counts as a failure).
    -> ``{"queued_faults": n}``
``POST /__sandbox__/fail`` ``{"status": 500|"timeout", "count": N}``
    The next N deliveries get that HTTP status without being sent.
``POST /__sandbox__/hold`` ``{"hold": true|false}``
    Stops/restarts the delivery runner (like WP-Cron not running).
``POST /__sandbox__/flush`` ``{"timeout": 30}``
    Blocks until no delivery is queued or in flight.  200
    ``{"flushed": true, "held": false, "pending": 0, "in_flight": 0}``;
    409 when held, 504 on timeout.
``GET /__sandbox__/deliveries[?webhook_id=&topic=&kind=delivery|ping&since=SEQ&bodies=1]``
    -> ``{"deliveries": [{"seq", "kind", "webhook_id", "topic", "resource_id",
    "delivery_id", "url", "status", "error", "ok", "dropped", "duration_ms",
    "time", "body"?}]}`` oldest first.
``GET /__sandbox__/stock``
    -> ``{"<sku>": qty, ..., "_by_id": {"<id>": qty}}`` for managed items.
``GET /__sandbox__/webhooks``
    -> ``{"webhooks": [{"id", "name", "status", "topic", "delivery_url",
    "secret", "api_version", "failure_count", "pending_delivery", ...}]}``
``POST /__sandbox__/orders``
    ``{"lines": [{"sku": "KUB-ZOLC-330", "quantity": 2}], "status":
    "processing"|"pending"|"on-hold", "currency": "PLN", "billing": {...},
    "customer_note": "", "allow_oversell": false}`` - a checkout: 409
    ``woocommerce_sandbox_out_of_stock`` when stock is short, else 201 with
    the REST order (``created_via: "checkout"``; ``processing`` is paid
    through ``payment_complete``).  Fires order.created + order.updated and
    product.updated for reduced stock.
``POST /__sandbox__/orders/<id>/restore``
    Untrash an order (fires ``order.restored``).
"""

from .app import create_app

__all__ = ["create_app"]
