"""Operator and warehouse pages and the JSON API. ``init_app`` registers them on the Flask app.

* ``/api``: JSON, bearer token (``console.api``), CSRF-exempt (not cookie-authenticated).
* ``/console``: operator pages behind the login (``console.web`` and its ``pages_*`` modules).
* ``/metrics``: Prometheus text, bearer token (``console.metrics``).
* ``/rq``: rq-dashboard behind the same login (``console.rq``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from console import rq as rq_mount
    from console.api import bp as api_bp
    from console.metrics import bp as metrics_bp
    from console.security import init_security
    from console.web import register
    from webhooks.carriers import bp as carrier_bp
    from webhooks.ozon import bp as ozon_bp
    from webhooks.payments import p24_bp, payu_bp
    from webhooks.woocommerce import bp as woo_bp

    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(metrics_bp)
    app.register_blueprint(register(), url_prefix="/console")
    app.register_blueprint(p24_bp, url_prefix="/webhooks/przelewy24")
    app.register_blueprint(payu_bp, url_prefix="/webhooks/payu")
    app.register_blueprint(carrier_bp, url_prefix="/webhooks/carrier")
    app.register_blueprint(ozon_bp, url_prefix="/webhooks/ozon")
    init_security(app, exempt_blueprints=(api_bp, metrics_bp, woo_bp, p24_bp, payu_bp, carrier_bp, ozon_bp))
    rq_mount.mount(app, app.extensions["stockbridge.settings"].redis_url)
