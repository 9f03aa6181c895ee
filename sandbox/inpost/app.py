"""Flask application factory of the InPost ShipX sandbox: state, Bearer auth, faults, errors."""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request

from . import api, control
from .api import error
from .faults import Faults
from .labels import DEFAULT_FONT
from .store import NOT_BOUGHT, Shipment, Store
from .webhooks import WebhookSender, webhook_body

DEFAULTS: dict[str, Any] = {
    "TOKEN": "sandbox-token",
    "ORGANIZATION_ID": "1234",
    "CONFIRM_DELAY": 2.0,       # seconds from created to confirmed; None = only POST /__sandbox__/advance
    "WEBHOOK_URL": None,        # the organization's webhook URL (set here without the GET check)
    "WEBHOOK_TIMEOUT": 10.0,
    "DELAY": 0.0,               # seconds every API request waits before being handled
    "HANG_SECONDS": 5.0,        # how long a {"status": "timeout"} fault hangs
    "LABEL_FONT": DEFAULT_FONT,
    "FIRST_ID": 1_000_000_001,
}
#: Public endpoints (``GET /v1/statuses`` needs no auth [doc]; tracking works without a token [3p]).
PUBLIC_PREFIXES = ("/v1/statuses", "/v1/tracking/")


FAULT_ERRORS = {429: ("too_many_requests", "Too many requests."), 504: ("gateway_timeout", "Gateway timeout.")}


def _fault_response(status: int):
    key, message = FAULT_ERRORS.get(status, ("internal_server_error" if status >= 500 else "bad_request",
                                             "Something went wrong."))
    return error(status, key, message)


@dataclass
class InPostSandbox:
    """Everything one app owns, in ``app.extensions["inpost_sandbox"]``."""

    config: dict[str, Any]
    store: Store
    faults: Faults
    webhooks: WebhookSender
    timers: list[threading.Timer] = field(default_factory=list)

    def advance(self, shipment: Shipment, status: str) -> dict:
        """Move ``shipment`` to ``status`` and send the webhook it causes; the delivery log entry."""
        event = self.store.move(shipment, status)
        return self.webhooks.send(webhook_body(event, shipment.organization_id, shipment))

    def schedule_confirmation(self, shipment: Shipment) -> None:
        """After CONFIRM_DELAY seconds, ``created`` -> ``confirmed`` (InPost's asynchronous buy)."""
        delay = self.config["CONFIRM_DELAY"]
        if delay is None:
            return
        timer = threading.Timer(float(delay), self._confirm_if_created, args=(shipment,))
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    def _confirm_if_created(self, shipment: Shipment) -> None:
        with self.store.lock:
            if shipment.status not in NOT_BOUGHT:
                return
        self.advance(shipment, "confirmed")

    def reset(self) -> None:
        self.close()
        self.store.reset()
        self.faults.reset()
        self.webhooks.reset()

    def close(self) -> None:
        """Cancel pending confirmations."""
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()


def _state() -> InPostSandbox:
    return current_app.extensions["inpost_sandbox"]


def _authorised(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def _guard_api():
    """Faults first (a slow or failing API), then Bearer auth, for ``/v1/`` only."""
    if not request.path.startswith("/v1/"):
        return None
    state = _state()
    failure = state.faults.apply(request.path, _fault_response)
    if failure is not None:
        return failure
    if request.path.startswith(PUBLIC_PREFIXES) or _authorised(str(state.config["TOKEN"])):
        return None
    return error(401, "token_invalid", "Token is missing or invalid.")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; config keys and control endpoints in the package docstring."""
    app = Flask(__name__)
    settings = {**DEFAULTS, **(config or {})}
    settings["ORGANIZATION_ID"] = str(settings["ORGANIZATION_ID"])
    app.config.update(settings)
    app.extensions["inpost_sandbox"] = InPostSandbox(
        settings, Store(int(settings["FIRST_ID"])),
        Faults(float(settings["DELAY"]), float(settings["HANG_SECONDS"])),
        WebhookSender(settings["WEBHOOK_URL"], float(settings["WEBHOOK_TIMEOUT"])))
    app.before_request(_guard_api)
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)
    app.register_error_handler(404, lambda exc: error(404, "resource_not_found", "Resource not found."))
    app.register_error_handler(405, lambda exc: error(405, "method_not_allowed", "Method not allowed."))
    return app
