"""Flask application factory of the Ozon sandbox: state, faults, Client-Id/Api-Key auth, rate limits, errors."""

from __future__ import annotations

import hmac
import logging
import random
import time
from typing import Any

from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from sandbox.faults import FaultQueue, drop_connection

from . import api_actions, api_postings, api_products, control
from .errors import ApiError, error_response
from .limits import RateLimits
from .push import PushSender
from .seed import CATALOGS
from .state import OzonSandbox
from .store import Store

log = logging.getLogger(__name__)
CONTROL_PREFIX = "/__sandbox__"
DEFAULTS: dict[str, Any] = {
    "CLIENT_ID": "123456",
    "API_KEY": "demo-key",
    "SEED": None,                   # "demo"
    "ORDER_TRICKLE": 0.0,           # seconds between random buyer checkouts; 0 = off
    "TRICKLE_SEED": None,           # random seed of the trickle and the demo buyers
    "PAIR_INTERVAL": 30.0,          # seconds between two stock updates of one (offer, warehouse) pair
    "PUSH_URL": None,               # where push notifications go (set here without the TYPE_PING check)
    "PUSH_RETRIES": 3,
    "PUSH_RETRY_INTERVAL": 1.0,
    "PUSH_TIMEOUT": 5.0,            # Ozon: the endpoint must answer within 5 s
    "RATE_PER_SECOND": 50,          # all methods, per Client-Id
    "STOCK_UPDATES_PER_MINUTE": 80,  # /v2/products/stocks, per seller
    "HANG_SECONDS": 5.0,            # the "timeout" and "lost" faults
}
MISSING_AUTH = {"code": 16, "message": "Client-Id and Api-Key headers are required"}
BAD_AUTH = {"code": 7, "message": "Invalid Api-Key, please contact support", "details": []}


def _state() -> OzonSandbox:
    return current_app.extensions["ozon_sandbox"]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _fault_answer():
    """An injected failure for this request, if one is queued ("lost" only marks the request)."""
    state = _state()
    fault = state.faults.take(request.path)
    if fault is None:
        return None
    if fault.mode == "lost":
        g.ozon_lost = True
        return None
    if fault.mode == "timeout":
        time.sleep(float(state.config["HANG_SECONDS"]))
        return error_response(504)
    response = error_response(int(fault.mode))
    if fault.retry_after:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _guard_api():
    """Faults, then auth (401 code 16 / 403 code 7), then rate limits (429 code 8, no Retry-After)."""
    if request.path.startswith(CONTROL_PREFIX):
        return None
    failure = _fault_answer()
    if failure is not None:
        return failure
    config = _state().config
    client_id, api_key = request.headers.get("Client-Id", ""), request.headers.get("Api-Key", "")
    if not client_id or not api_key:
        response = jsonify(MISSING_AUTH)
        response.status_code = 401
        return response
    if not (_same(client_id, str(config["CLIENT_ID"])) and _same(api_key, str(config["API_KEY"]))):
        response = jsonify(BAD_AUTH)
        response.status_code = 403
        return response
    refused = _state().limits.check(request.path)
    return error_response(429, refused) if refused else None


def _named_postings() -> list[str]:
    """Posting numbers a seller request names (``posting_number``, ``related_posting_numbers``,
    ``tracking_numbers[].posting_number``): the call is logged on those postings."""
    body = request.get_json(silent=True, force=True) if request.get_data(cache=True) else None
    if not isinstance(body, dict):
        return []
    found: list[str] = []
    for key in ("posting_number", "related_posting_numbers"):
        value = body.get(key)
        found.extend([value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else [])
    items = body.get("tracking_numbers")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("posting_number"):
            found.append(str(item["posting_number"]))
    return found


def _after_api(response):
    """Log the seller call; a "lost" fault holds the (already processed) answer and drops the connection."""
    if request.path.startswith(CONTROL_PREFIX):
        return response
    state = _state()
    state.log_call(request.method, request.path, response.status_code, _named_postings())
    if g.get("ozon_lost"):
        time.sleep(float(state.config["HANG_SECONDS"]))
        if not drop_connection(request.environ):
            return error_response(504)
    return response


def _register_errors(app: Flask) -> None:
    app.register_error_handler(ApiError, lambda exc: error_response(exc.status, exc.message, exc.code))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if request.path.startswith(CONTROL_PREFIX):
            response = jsonify({"error": exc.description})
            response.status_code = exc.code or 500
            return response
        return error_response(exc.code or 500)

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        log.exception("ozon sandbox handler crashed")
        return error_response(500)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; config keys, endpoints and controls in the package docstring."""
    settings = {**DEFAULTS, **(config or {})}
    if settings["SEED"] and settings["SEED"] not in CATALOGS:
        raise ValueError(f"unknown SEED {settings['SEED']!r}; known: {', '.join(CATALOGS)}")
    app = Flask("sandbox.ozon")
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # keys in the order Ozon prints them
    app.config.update(settings)
    state = OzonSandbox(
        settings, Store(), FaultQueue(),
        RateLimits(int(settings["RATE_PER_SECOND"]), int(settings["STOCK_UPDATES_PER_MINUTE"])),
        PushSender(settings["PUSH_URL"], int(settings["PUSH_RETRIES"]), float(settings["PUSH_RETRY_INTERVAL"]),
                   float(settings["PUSH_TIMEOUT"])),
        rng=random.Random(settings["TRICKLE_SEED"]))
    app.extensions["ozon_sandbox"] = state
    app.before_request(_guard_api)
    app.after_request(_after_api)
    for blueprint in (api_products.bp, api_postings.bp, api_actions.bp, control.bp):
        app.register_blueprint(blueprint)
    _register_errors(app)
    state.seed(settings["SEED"])
    state.start_trickle(float(settings["ORDER_TRICKLE"] or 0))
    return app
