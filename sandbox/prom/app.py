"""Flask application factory of the Prom.ua sandbox: state, faults, Bearer auth, rate limit, call log."""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from sandbox.faults import Fault, FaultQueue, drop_connection

from . import api_orders, api_products, control
from .checkout import OrderTrickle
from .limits import RateLimiter, retry_after_header
from .respond import API_PREFIX, NGINX_STATUSES, error, proxy_page
from .seed import CATALOGS
from .store import Store
from .validation import Invalid

log = logging.getLogger(__name__)
DEFAULTS: dict[str, Any] = {
    "TOKEN": "sandbox-token",            # the API token (Authorization: Bearer <TOKEN>)
    "SEED": None,                        # "demo" or None
    "ORDER_TRICKLE": 0.0,                # seconds between random buyer checkouts; 0 = off
    "TRICKLE_SEED": None,                # random seed of the trickle (None = random)
    "HANG_SECONDS": 5.0,                 # how long "timeout" and "lost" faults hold a request
    "RETRY_AFTER": 1,                    # Retry-After of an injected 429 without "retry_after"
    "RATE_LIMIT": None,                  # requests per RATE_WINDOW seconds; None = no limit (Prom: undocumented)
    "RATE_WINDOW": 60.0,
    "RATE_BLOCK": 60.0,                  # seconds every request is refused once the limit is exceeded
    "LANGUAGE": "uk",                    # names/titles without X-LANGUAGE
    "CUSTOM_STATUSES": {137639: "Підтверджено"},  # the seller's custom statuses: id -> title
    "THOUSANDS_SEPARATOR": "\u2009",     # in money strings: "1\u2009199 грн" (thin space) [unv]
    "SHOP_URL": "https://stockbridge-demo.prom.ua",
    "FIRST_ORDER_ID": 338_390_711,
    "FIRST_PRODUCT_ID": 2_555_951_101,
}


@dataclass
class PromSandbox:
    """Everything one app owns, in ``app.extensions["prom_sandbox"]``."""

    config: dict[str, Any]
    store: Store
    faults: FaultQueue
    limiter: RateLimiter
    trickle: OrderTrickle | None = None

    def reset(self, seed: str | None) -> list[int]:
        """Empty state (ids restart), no faults, the configured rate limit; then the seed's product ids."""
        self.store.reset()
        self.faults.reset()
        self.limiter.configure(self.config["RATE_LIMIT"], self.config["RATE_WINDOW"], self.config["RATE_BLOCK"])
        return CATALOGS[seed](self.store) if seed else []

    def close(self) -> None:
        """Stop the order trickle."""
        if self.trickle is not None:
            self.trickle.stop()


def _state() -> PromSandbox:
    return current_app.extensions["prom_sandbox"]


def _is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _fault_answer(state: PromSandbox, fault: Fault) -> Response | None:
    """The injected answer (None for ``lost``: processed normally, the answer is held and dropped)."""
    if fault.mode == "lost":
        g.prom_lost = True
        return None
    if fault.mode == "timeout":
        time.sleep(float(state.config["HANG_SECONDS"]))
        return proxy_page(504)
    status = int(fault.mode)
    if status == 429:
        wait = fault.retry_after if fault.retry_after is not None else state.config["RETRY_AFTER"]
        return error(429, "Too many requests", headers={"Retry-After": retry_after_header(float(wait))})
    if status in NGINX_STATUSES:
        return proxy_page(status)
    texts = {401: "Authorization failed", 404: "Not found", 500: "Internal server error"}
    return error(status, texts.get(status) or HTTPStatus(status).phrase)


def _authorised(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _before() -> Response | None:
    """For ``/api/v1``: injected faults, then Bearer auth (401), then the rate limit (429)."""
    if not _is_api(request.path):
        return None
    state = _state()
    g.prom_time = datetime.now(timezone.utc)
    fault = state.faults.take(request.path, request.path[len(API_PREFIX):])
    if fault is not None and (answer := _fault_answer(state, fault)) is not None:
        return answer
    if not _authorised(str(state.config["TOKEN"])):
        return error(401, "Authorization failed")
    wait = state.limiter.check()
    if wait is not None:
        return error(429, "Too many requests", headers={"Retry-After": retry_after_header(wait)})
    return None


def _after(response: Response) -> Response:
    """Log the API call; hold and drop the answer of a ``lost`` fault."""
    if not _is_api(request.path):
        return response
    state = _state()
    entry = {"method": request.method, "path": request.path, "status": response.status_code,
             "time": g.get("prom_time", datetime.now(timezone.utc)).isoformat()}
    if g.get("prom_lost"):
        entry["lost"] = True
    state.store.log_call(entry)
    if g.get("prom_lost"):
        time.sleep(float(state.config["HANG_SECONDS"]))
        drop_connection(request.environ)
    return response


def _register_errors(app: Flask) -> None:
    app.register_error_handler(Invalid, lambda exc: error(400, "Validation error", exc.errors))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code == 404:
            return error(404, "Not found")
        if exc.code == 405:
            return error(405, "Method not allowed")
        return error(exc.code or 500, exc.name)

    @app.errorhandler(Exception)
    def _crash(exc: Exception):
        log.exception("prom sandbox handler crashed")
        return error(500, "Internal server error")


def _settings(config: dict[str, Any] | None) -> dict[str, Any]:
    settings = {**DEFAULTS, **(config or {})}
    if settings["SEED"] and settings["SEED"] not in CATALOGS:
        raise ValueError(f"unknown SEED {settings['SEED']!r}; known: {', '.join(CATALOGS)}")
    settings["CUSTOM_STATUSES"] = {int(number): str(title) for number, title in settings["CUSTOM_STATUSES"].items()}
    if not settings["CUSTOM_STATUSES"]:
        raise ValueError("CUSTOM_STATUSES needs at least one custom status")
    if settings["LANGUAGE"] not in ("uk", "ru"):
        raise ValueError("LANGUAGE must be uk or ru")
    return settings


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; config keys in ``DEFAULTS``, the contract in the package docstring."""
    settings = _settings(config)
    app = Flask("sandbox.prom")
    app.config.update(settings)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    state = PromSandbox(settings, Store(int(settings["FIRST_ORDER_ID"]), int(settings["FIRST_PRODUCT_ID"])),
                        FaultQueue(), RateLimiter())
    app.extensions["prom_sandbox"] = state
    for blueprint in (api_orders.bp, api_products.bp, control.bp):
        app.register_blueprint(blueprint)
    app.before_request(_before)
    app.after_request(_after)
    _register_errors(app)
    state.reset(settings["SEED"])
    if float(settings["ORDER_TRICKLE"] or 0) > 0:
        state.trickle = OrderTrickle(state.store, float(settings["ORDER_TRICKLE"]), settings["TRICKLE_SEED"])
        state.trickle.start()
    return app
