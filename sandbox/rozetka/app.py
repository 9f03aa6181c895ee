"""Flask application factory of the Rozetka Seller API sandbox: state, the API guard, call log, faults."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException

from sandbox.faults import FaultQueue, drop_connection

from . import auth, control, items_api, orders_api
from .auth import Sessions
from .checkout import OrderTrickle
from .clock import Clock
from .envelope import http_error
from .limits import RateLimiter
from .seed import CATALOGS
from .store import Store

log = logging.getLogger(__name__)
CONTROL_PREFIX = "/__sandbox__"
PUBLIC_PATHS = ("/sites",)

DEFAULTS: dict[str, Any] = {
    "USERNAME": "demo",
    "PASSWORD": "demo-pass",          # plain; POST /sites sends it base64-encoded
    "API_TOKEN": None,                # static cabinet token ("Безпека API"); never expires
    "TOKEN_TTL": 86400,               # seconds a POST /sites session token lives
    "SEED": None,                     # "demo" or None
    "ORDER_TRICKLE": 0.0,             # seconds between random buyer checkouts; 0 = off
    "TRICKLE_SEED": None,
    "HANG_SECONDS": 5.0,              # how long "timeout"/"lost" faults hold a request
    "MASS_UPDATE_MAX": 100,           # items per PUT /items/mass-update
    "FIRST_ORDER_ID": 780_000_001,
    "FIRST_ITEM_ID": 410_000_001,
}


@dataclass
class RozetkaSandbox:
    """Everything one app owns, in ``app.extensions["rozetka_sandbox"]``."""

    config: dict[str, Any]
    clock: Clock
    store: Store
    sessions: Sessions
    faults: FaultQueue
    limiter: RateLimiter
    trickle: OrderTrickle | None = None

    def reset(self) -> None:
        """Empty state (items, orders, calls, lose/duplicate), faults, rate limit and clock shift."""
        self.clock.reset()
        self.store.reset()
        self.faults.reset()
        self.limiter.configure(None)

    def close(self) -> None:
        """Stop the order trickle."""
        if self.trickle is not None:
            self.trickle.stop()


def _state() -> RozetkaSandbox:
    return current_app.extensions["rozetka_sandbox"]


def _is_api() -> bool:
    return not request.path.startswith(CONTROL_PREFIX)


def _guard():
    """API requests: the rate limit, then injected faults, then the Bearer token (not for ``/sites``)."""
    if not _is_api():
        return None
    state = _state()
    wait = state.limiter.hit()
    if wait is not None:
        return http_error(429, wait)
    fault = state.faults.take(request.path)
    if fault is not None:
        g.rozetka_fault = str(fault.mode)
        if fault.mode == "timeout":
            time.sleep(float(state.config["HANG_SECONDS"]))
            return http_error(504)
        if fault.mode != "lost":
            return http_error(int(fault.mode), fault.retry_after)
    if request.path in PUBLIC_PATHS:
        return None
    return auth.refusal(state.sessions, state.config.get("API_TOKEN"))


def _after(response):
    """Log the seller call; a ``lost`` fault holds the processed answer HANG_SECONDS, then drops it."""
    if not _is_api():
        return response
    state, fault = _state(), g.get("rozetka_fault")
    state.store.log_call(request.method, request.path, request.query_string.decode("latin-1"),
                         response.status_code, fault)
    if fault == "lost":
        time.sleep(float(state.config["HANG_SECONDS"]))
        drop_connection(request.environ)
    return response


def _http_exception(error: HTTPException):
    if _is_api() and error.code in (404, 405):
        return http_error(error.code)
    return error


def _crash(error: Exception):
    if isinstance(error, HTTPException):
        return _http_exception(error)
    log.exception("rozetka sandbox handler crashed")
    return http_error(500)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; config keys in ``DEFAULTS``, the contract in the package docstring."""
    settings = {**DEFAULTS, **(config or {})}
    if settings["SEED"] and settings["SEED"] not in CATALOGS:
        raise ValueError(f"unknown SEED {settings['SEED']!r}; known: {', '.join(CATALOGS)}")
    app = Flask("sandbox.rozetka")
    app.config.update(settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    clock = Clock()
    store = Store(clock, int(settings["FIRST_ORDER_ID"]), int(settings["FIRST_ITEM_ID"]))
    state = RozetkaSandbox(settings, clock, store, Sessions(clock), FaultQueue(), RateLimiter(clock))
    app.extensions["rozetka_sandbox"] = state
    app.before_request(_guard)
    app.after_request(_after)
    for blueprint in (auth.bp, orders_api.bp, items_api.bp, control.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(Exception, _crash)
    if settings["SEED"]:
        CATALOGS[settings["SEED"]](store)
    if float(settings["ORDER_TRICKLE"] or 0) > 0:
        state.trickle = OrderTrickle(store, float(settings["ORDER_TRICKLE"]), settings["TRICKLE_SEED"])
        state.trickle.start()
    return app
