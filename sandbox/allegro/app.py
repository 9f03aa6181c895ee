"""Flask application factory of the Allegro sandbox: state, the request gate, blueprints, error bodies."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException

from sandbox.faults import Faults

from . import commands, control, gate, oauth, offers, orders, shipments
from .gate import RateLimiter
from .replies import ApiError, api_error, error_response, problem
from .seed import CATALOGS, OrderTrickle
from .store import Store
from .tokens import Tokens
from .worker import Worker

log = logging.getLogger(__name__)
DEFAULTS: dict[str, Any] = {
    "CLIENT_ID": "sandbox-client",
    "CLIENT_SECRET": "sandbox-secret",
    "APP_NAME": "Stockbridge",      # shown on the consent page
    "ACCESS_TTL": 43199,            # seconds (12 h); tests use 2-5
    "REFRESH_TTL": 7776000,         # 3 months
    "AUTO_APPROVE": False,          # True: a device code is approved on its first poll (the demo)
    "DEVICE_TTL": 3600,             # device code lifetime (expires_in)
    "DEVICE_INTERVAL": 5,           # seconds between polls (interval); faster -> slow_down
    "PUBLIC_URL": None,             # base of verification_uri (default: the request's host)
    "ASYNC_DELAY": 0.1,             # seconds until PATCH operations / command tasks are applied
    "HANG_SECONDS": 5.0,            # "timeout" and "lost" faults hold the request this long
    "RATE_LIMIT": 9000,             # requests per RATE_WINDOW per Client_ID
    "RATE_WINDOW": 60.0,
    "RATE_BLOCK": 60.0,             # seconds a client id stays blocked after exceeding the limit
    "SEED": None,                   # "demo" or None
    "ORDER_TRICKLE": 0.0,           # seconds between random buyer checkouts; 0 = off
    "TRICKLE_SEED": None,
    "SELLER_ID": "873910812",
    "FIRST_OFFER_ID": 7893457231,
    "FIRST_EVENT_SEQ": 1132438574,
}


@dataclass
class AllegroSandbox:
    """Everything one app owns, in ``app.extensions["allegro_sandbox"]``."""

    config: dict[str, Any]
    store: Store
    tokens: Tokens
    faults: Faults
    limiter: RateLimiter
    worker: Worker
    trickle: OrderTrickle | None = None

    def seed(self, name: str | None) -> list[dict]:
        if not name:
            return []
        if name not in CATALOGS:
            raise ValueError(f"unknown seed {name!r}; known: {', '.join(CATALOGS)}")
        return CATALOGS[name](self.store)

    def reset(self, seed: str | None = None, drop_tokens: bool = False) -> list[dict]:
        """Empty marketplace state (+ seed); faults, pending async work and rate counters cleared."""
        if seed and seed not in CATALOGS:
            raise ValueError(f"unknown seed {seed!r}; known: {', '.join(CATALOGS)}")
        self.worker.clear()
        self.faults.reset()
        self.limiter.configure(self.config["RATE_LIMIT"], self.config["RATE_WINDOW"], self.config["RATE_BLOCK"])
        if drop_tokens:
            self.tokens.clear()
        self.store.reset()
        return self.seed(seed)

    def close(self) -> None:
        """Stop the trickle and the async worker."""
        if self.trickle is not None:
            self.trickle.stop()
        self.worker.close()


def _sandbox() -> AllegroSandbox:
    return current_app.extensions["allegro_sandbox"]


def _register_errors(app: Flask) -> None:
    app.register_error_handler(ApiError, error_response)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if request.path.startswith(gate.API_PREFIXES):
            code = {404: "NotFoundException", 405: "MethodNotAllowedException"}.get(error.code, "BadRequestException")
            return api_error(error.code or 400, code, error.description or error.name)
        if request.path.startswith("/__sandbox__/"):
            return problem(error.code or 400, error.name)
        return error

    @app.errorhandler(Exception)
    def _crash(error: Exception):
        log.exception("allegro sandbox handler crashed")
        return api_error(500, "InternalServerErrorException", "Internal server error")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; config keys in ``DEFAULTS`` and the package docstring."""
    settings = {**DEFAULTS, **(config or {})}
    if settings["SEED"] and settings["SEED"] not in CATALOGS:
        raise ValueError(f"unknown SEED {settings['SEED']!r}; known: {', '.join(CATALOGS)}")
    app = Flask("sandbox.allegro")
    app.config.update(settings)
    state = AllegroSandbox(
        settings, Store(int(settings["FIRST_OFFER_ID"]), int(settings["FIRST_EVENT_SEQ"]), str(settings["SELLER_ID"])),
        Tokens(), Faults(), RateLimiter(settings["RATE_LIMIT"], settings["RATE_WINDOW"], settings["RATE_BLOCK"]),
        Worker())
    app.extensions["allegro_sandbox"] = state
    app.before_request(gate.before)
    app.after_request(gate.after)
    for blueprint in (oauth.bp, orders.bp, shipments.bp, offers.bp, commands.bp, control.bp):
        app.register_blueprint(blueprint)
    _register_errors(app)
    state.seed(settings["SEED"])
    if float(settings["ORDER_TRICKLE"] or 0) > 0:
        state.trickle = OrderTrickle(state.store, float(settings["ORDER_TRICKLE"]), settings["TRICKLE_SEED"])
        state.trickle.start()
    return app
