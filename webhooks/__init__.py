"""The Flask application: ``create_app(config=None)`` wires settings, database, Redis and blueprints.

Config comes from a mapping and ``STOCKBRIDGE_*`` environment variables (``connector.settings``).
The app factory is the one place that assembles the receivers and the console.
"""

from __future__ import annotations

from flask import Flask, jsonify

from connector.db import get_engine
from connector.errors import ConfigurationError
from connector.settings import load_settings
from workers.context import redis_from_url


def create_app(config: dict | None = None) -> Flask:
    settings = load_settings(config)
    if not settings.admin_token and not settings.console_password:
        raise ConfigurationError("set STOCKBRIDGE_ADMIN_TOKEN (or STOCKBRIDGE_CONSOLE_PASSWORD): "
                                 "the API and console refuse to run without authentication")
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, JSON_AS_ASCII=False,
                      SECRET_KEY=settings.secret_key or settings.admin_token or settings.console_password)
    app.extensions["stockbridge.settings"] = settings
    app.extensions["stockbridge.engine"] = get_engine(settings.database_url)
    app.extensions["stockbridge.redis"] = redis_from_url(settings.redis_url)
    _register_blueprints(app)
    _register_errors(app)
    return app


def _register_blueprints(app: Flask) -> None:
    import console
    from webhooks.shops import ShopDirectory
    from webhooks.woocommerce import bp as woo_bp

    app.extensions["stockbridge.shops"] = ShopDirectory(app.extensions["stockbridge.engine"])
    app.register_blueprint(woo_bp, url_prefix="/webhooks/woocommerce")
    console.init_app(app)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")


def _register_errors(app: Flask) -> None:
    """Every error answer is JSON with a reason; nothing leaks a traceback."""

    @app.errorhandler(413)
    def too_large(_exc):
        return jsonify(status=413, message=f"body over {app.config['MAX_CONTENT_LENGTH']} bytes"), 413

    @app.errorhandler(404)
    def not_found(_exc):
        return jsonify(status=404, message="no such endpoint"), 404

    @app.errorhandler(405)
    def not_allowed(_exc):
        return jsonify(status=405, message="method not allowed"), 405

    @app.errorhandler(500)
    def internal(_exc):
        return jsonify(status=500, message="internal error; see the server log"), 500
