"""Operator and warehouse pages and the JSON API. ``init_app`` registers them on the Flask app."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from console.api import bp as api_bp
    from console.metrics import bp as metrics_bp

    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(metrics_bp)
