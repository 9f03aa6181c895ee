"""Flask application factory for the WooCommerce sandbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException

from . import control, rest_orders, rest_products, rest_webhooks
from .auth import ApiKey, Authenticator, key_permission_error, permission_error
from .models import STOCK_RESTORING_STATUSES
from .restkit import api_root_link
from .seed import CATALOGS, OrderTrickle
from .sender import SenderOptions, WebhookSender
from .store import Shop
from .wpjson import WPError, error_response

REST_PREFIX = "/wp-json/wc/v3"
log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "CONSUMER_KEY": "ck_sandbox",
    "CONSUMER_SECRET": "cs_sandbox",
    "KEY_PERMISSIONS": "read_write",
    "HOME_URL": None,             # default: http://HOST:PORT/, else the first request's host
    "HOST": None,
    "PORT": None,
    "ALLOW_ANY_PORT": True,       # False: apply wp_http_validate_url() to deliveries and pings
    "SEED": None,                 # "demo"
    "CURRENCY": "PLN",
    "DELIVERY_TIMEOUT": 60.0,
    "PING_TIMEOUT": 5.0,
    "DELIVERY_DELAY": 0.0,        # seconds a change waits in the queue (Action Scheduler lag)
    "SHUFFLE_DELIVERIES": False,  # deliver due items in random order
    "RESTORE_STOCK_STATUSES": STOCK_RESTORING_STATUSES,
    "ORDER_TRICKLE": 0.0,         # seconds between random checkout orders; 0 = off
    "TRICKLE_SEED": None,
}


@dataclass
class SandboxState:
    """Everything one sandbox app owns, in ``app.extensions["wc_sandbox"]``."""

    config: dict[str, Any]
    shop: Shop
    sender: WebhookSender
    auth: Authenticator
    home_from_request: bool
    trickle: OrderTrickle | None = None

    def close(self) -> None:
        """Stop the background threads."""
        if self.trickle is not None:
            self.trickle.stop()
        self.sender.stop()


def _home_url(config: dict[str, Any]) -> tuple[str, bool]:
    if config["HOME_URL"]:
        return str(config["HOME_URL"]), False
    if config["HOST"] and config["PORT"]:
        return f"http://{config['HOST']}:{config['PORT']}/", False
    return "http://127.0.0.1/", True


def _build_state(config: dict[str, Any]) -> SandboxState:
    home_url, from_request = _home_url(config)
    shop = Shop(home_url, currency=str(config["CURRENCY"]))
    shop.restore_stock_statuses = tuple(config["RESTORE_STOCK_STATUSES"])
    sender = WebhookSender(shop, SenderOptions(
        allow_any_port=bool(config["ALLOW_ANY_PORT"]), timeout=float(config["DELIVERY_TIMEOUT"]),
        ping_timeout=float(config["PING_TIMEOUT"]), delay=float(config["DELIVERY_DELAY"]),
        shuffle=bool(config["SHUFFLE_DELIVERIES"])))
    key = ApiKey(str(config["CONSUMER_KEY"]), str(config["CONSUMER_SECRET"]),
                 str(config["KEY_PERMISSIONS"]))
    return SandboxState(config, shop, sender, Authenticator([key], shop.home_url), from_request)


def _authenticate(state: SandboxState) -> None:
    """``before_request`` for REST routes: auth errors, no route, permissions."""
    if state.home_from_request:
        state.home_from_request = False
        state.shop.home_url = state.auth.home_url = request.host_url
    if not request.path.startswith("/wp-json/"):
        return
    key = state.auth.authenticate(request)
    g.wc_api_key = key
    view = current_app.view_functions.get(request.endpoint) if request.url_rule else None
    if view is None:
        raise WPError("rest_no_route", "No route was found matching the URL and request method.", 404)
    if key is None:
        raise permission_error(getattr(view, "rest_kind", "collection"), request.method)
    denied = key_permission_error(key, request.method)
    if denied is not None:
        raise denied


def _register_errors(app: Flask) -> None:
    @app.errorhandler(WPError)
    def _wp_error(error: WPError):
        response = error_response(error)
        return api_root_link(response) if request.path.startswith("/wp-json/") else response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if request.path.startswith("/wp-json/") and error.code in (404, 405):
            return _wp_error(WPError("rest_no_route",
                                     "No route was found matching the URL and request method.", 404))
        return error

    @app.errorhandler(Exception)
    def _crash(error: Exception):
        log.exception("sandbox handler crashed")
        return error_response(WPError("internal_server_error",
                                      "There has been a critical error on this website.", 500))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a sandbox app; see the package docstring for ``config`` keys."""
    settings = {**DEFAULTS, **(config or {})}
    if settings["SEED"] and settings["SEED"] not in CATALOGS:
        raise ValueError(f"unknown SEED {settings['SEED']!r}; known: {', '.join(CATALOGS)}")
    app = Flask("sandbox.woocommerce")
    app.config.update(settings)
    state = _build_state(settings)
    app.extensions["wc_sandbox"] = state
    for blueprint in (rest_products.bp, rest_orders.bp, rest_webhooks.bp):
        app.register_blueprint(blueprint, url_prefix=REST_PREFIX)
    app.register_blueprint(control.bp)
    app.before_request(lambda: _authenticate(state))
    app.after_request(lambda response: api_root_link(response)
                      if request.path.startswith("/wp-json/") and response.status_code < 400 else response)
    _register_errors(app)
    if settings["SEED"]:
        CATALOGS[settings["SEED"]](state.shop)
    if float(settings["ORDER_TRICKLE"] or 0) > 0:
        state.trickle = OrderTrickle(state.shop, float(settings["ORDER_TRICKLE"]), settings["TRICKLE_SEED"])
        state.trickle.start()
    return app
