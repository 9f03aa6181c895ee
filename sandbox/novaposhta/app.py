"""Flask application factory of the Nova Poshta sandbox."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from . import control, printing
from sandbox.faults import Faults
from .methods import METHODS, PUBLIC, Context, answer
from .store import KYIV, Store
from .validation import err, parse_date

DEFAULTS: dict[str, Any] = {
    "API_KEY": "sandbox-np-key",
    "NUMBER_START": 20450000000001,  # TTNs are 14 digits; the sandbox's start with 2045
    "HANG_SECONDS": 5.0,             # how long "timeout" and "lost" faults hold a request
    "FONT_PATH": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "TODAY": None,                   # "dd.mm.yyyy" pins the Kyiv date the sandbox checks DateTime against
    "LIST_PAGE_SIZE": 100,           # getDocumentList page size without GetFullList [unv]
}
FAULT_PATHS = ("/v2.0/", "/orders/")

bp = Blueprint("np_api", __name__)


@dataclass
class NpSandbox:
    config: dict[str, Any]
    store: Store
    faults: Faults

    def today(self) -> date:
        return parse_date(self.config["TODAY"]) if self.config.get("TODAY") else datetime.now(KYIV).date()


def _state() -> NpSandbox:
    return current_app.extensions["np_sandbox"]


def _key_problem(model: str, method: str, key: str) -> list | None:
    if key:
        ok = hmac.compare_digest(key.encode(), str(_state().config["API_KEY"]).encode())
        return None if ok else [err("20000200068")]
    return None if (model, method) in PUBLIC else [err("20000200069")]


@bp.post("/v2.0/json/")
@bp.post("/v2.0/json")
def rpc():
    """The single endpoint; always HTTP 200, errors inside the envelope."""
    state, body = _state(), request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return jsonify(answer(errors=[(None, "Request body must be a JSON object")]))
    model, method = str(body.get("modelName", "")), str(body.get("calledMethod", ""))
    key, props = str(body.get("apiKey") or ""), body.get("methodProperties") or {}
    with state.store.lock:
        state.store.calls[f"{model}.{method}"] += 1
    problem = _key_problem(model, method, key)
    if problem:
        return jsonify(answer(errors=problem))
    handler = METHODS.get((model, method))
    if handler is None or not isinstance(props, dict):
        return jsonify(answer(errors=[(None, f"Method {model}.{method} is not available in the sandbox")]))
    return jsonify(handler(props, Context(state, bool(key), state.today())))


def _proxy_page(status: int) -> Response:
    page = (f"<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center>"
            "<hr><center>nginx</center></body></html>")
    return Response(page, status=status, mimetype="text/html")


def _before():
    if not request.path.startswith(FAULT_PATHS):
        return None
    mode = _state().faults.take(request.path)
    if mode == "timeout":
        time.sleep(float(_state().config["HANG_SECONDS"]))
        return _proxy_page(504)
    if mode == "lost":
        g.np_lose_answer = True
        return None
    return _proxy_page(mode) if isinstance(mode, int) else None


def _after(response: Response) -> Response:
    if g.get("np_lose_answer"):
        time.sleep(float(_state().config["HANG_SECONDS"]))
    return response


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; config keys in ``DEFAULTS``, contract in the package docstring."""
    app = Flask(__name__)
    settings = {**DEFAULTS, **(config or {})}
    app.config.update(settings)
    app.extensions["np_sandbox"] = NpSandbox(settings, Store(int(settings["NUMBER_START"])), Faults())
    app.before_request(_before)
    app.after_request(_after)
    app.register_blueprint(bp)
    app.register_blueprint(printing.bp)
    app.register_blueprint(control.bp)
    return app
