"""Flask application factory of the DHL24 WebAPI2 sandbox: one SOAP endpoint, faults, controls."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, request

from sandbox.inpost.faults import Faults, drop_connection
from sandbox.inpost.labels import DEFAULT_FONT

from . import control
from .operations import Operations
from .soap import SoapFault, answer, fault_response, read_request
from .store import Store

DEFAULTS: dict[str, Any] = {
    "USERNAME": "sandbox-user",
    "PASSWORD": "sandbox-password",
    "DELAY": 0.0,           # seconds every SOAP request waits before being handled
    "HANG_SECONDS": 5.0,    # how long a {"status": "timeout"} fault hangs
    "LABEL_FONT": DEFAULT_FONT,
    "FIRST_ID": 90_012_000_001,
}
ENDPOINTS = ("/webapi2/provider/service.html", "/webapi2")
AUTH_FAULT = SoapFault("100", "Nieprawidlowe dane autoryzacyjne")


@dataclass
class DhlSandbox:
    """Everything one app owns, in ``app.extensions["dhl_sandbox"]``."""

    config: dict[str, Any]
    store: Store
    faults: Faults
    operations: Operations

    def reset(self) -> None:
        self.store.reset()
        self.faults.reset()

    def close(self) -> None:
        """Nothing runs in the background; kept for symmetry with the other sandboxes."""


def _state() -> DhlSandbox:
    return current_app.extensions["dhl_sandbox"]


def _injected(status: int) -> Response:
    """A failure in front of the SOAP server (proxy/load balancer): plain text, no SOAP fault."""
    return Response(f"{status} Service error\n", status=status, content_type="text/plain; charset=utf-8")


def _guard():
    if request.method == "POST" and request.path.rstrip("/") in ENDPOINTS:
        return _state().faults.apply(request.path, _injected)
    return None


def _authorised(arguments: dict, config: dict) -> bool:
    auth = arguments.get("authData") if isinstance(arguments.get("authData"), dict) else {}
    user_ok = hmac.compare_digest(str(auth.get("username", "")).encode(), str(config["USERNAME"]).encode())
    return hmac.compare_digest(str(auth.get("password", "")).encode(), str(config["PASSWORD"]).encode()) and user_ok


def soap_endpoint():
    """POST: dispatch on the Body's element; every operation checks ``authData`` first (fault 100)."""
    state = _state()
    try:
        operation, arguments = read_request(request.get_data())
        handler = state.operations.handlers.get(operation)
        if handler is None:
            raise SoapFault("SOAP-ENV:Client", f'Function ("{operation[:60]}") is not a valid method for this service')
        if not _authorised(arguments, state.config):
            raise AUTH_FAULT
        result = answer(operation, handler(arguments))
    except SoapFault as fault:
        return fault_response(fault)
    if operation == "createShipment" and state.faults.take_lost_answer():
        drop_connection(request.environ)
    return result


def service_page():
    return Response("<html><body><h1>DHL24 WebAPI2 sandbox</h1><p>POST SOAP 1.1 envelopes here.</p></body></html>",
                    content_type="text/html; charset=utf-8")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; config keys and control endpoints in the package docstring."""
    app = Flask(__name__)
    settings = {**DEFAULTS, **(config or {})}
    app.config.update(settings)
    store = Store(int(settings["FIRST_ID"]))
    app.extensions["dhl_sandbox"] = DhlSandbox(settings, store,
                                               Faults(float(settings["DELAY"]), float(settings["HANG_SECONDS"])),
                                               Operations(store, settings["LABEL_FONT"]))
    app.before_request(_guard)
    for path in ENDPOINTS:
        app.add_url_rule(path, f"soap{path}", soap_endpoint, methods=["POST"])
        app.add_url_rule(path, f"page{path}", service_page, methods=["GET"])
    app.register_blueprint(control.bp)
    return app
