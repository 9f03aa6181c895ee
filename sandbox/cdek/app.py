"""Flask application factory of the CDEK sandbox: OAuth, auth guard, faults, lazy settling."""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, jsonify, request

from . import control, orders, printing, validation, webhooks
from sandbox.faults import Faults
from .store import Order, Store, now_iso
from .webhooks import Notifier, order_status_body

DEFAULTS: dict[str, Any] = {
    "CLIENT_ID": "sandbox-cdek-account",
    "CLIENT_SECRET": "sandbox-cdek-secret",
    "TOKEN_TTL": 3599,           # seconds, like CDEK's expires_in
    "ORDER_DELAY": 0.5,          # seconds until an order is validated; None: only POST /__sandbox__/process
    "PRINT_DELAY": 0.5,          # seconds until a print job is READY; None: only /__sandbox__/process
    "LINK_TTL": 3600,            # a READY label link lives 1 hour
    "WEBHOOK_URL": None,         # always notified, besides the /v2/webhooks subscriptions
    "WEBHOOK_TIMEOUT": 3.0,      # CDEK gives a webhook 3 s and never retries
    "HANG_SECONDS": 5.0,         # how long "timeout" and "lost" faults hold a request
    "CDEK_NUMBER_START": 1107009111,
    "CITIES": dict(validation.DEFAULT_CITIES),  # city codes the sandbox recognises
    "PUBLIC_URL": None,          # base of label URLs (default: the request's host)
    "FONT_PATH": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
}
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.pdf)?")


@dataclass
class CdekSandbox:
    config: dict[str, Any]
    store: Store
    faults: Faults
    notifier: Notifier

    @staticmethod
    def problem(status: int, errors: list[dict], kind: str = "CREATE"):
        """CDEK's error answer: ``{"requests": [{type, date_time, state: INVALID, errors}]}``."""
        body = {"requests": [{"type": kind, "date_time": now_iso(), "state": "INVALID", "errors": errors}],
                "related_entities": []}
        return jsonify(body), status

    def notify(self, order: Order, status: dict) -> int:
        """Queue the ``ORDER_STATUS`` webhook of ``status`` to every target; returns how many."""
        targets = [w["url"] for w in self.store.webhooks.values() if w["type"] == "ORDER_STATUS"]
        targets += [self.config["WEBHOOK_URL"]] if self.config.get("WEBHOOK_URL") else []
        for url in targets:
            self.notifier.send(url, order_status_body(order, status, self.config["CITIES"]))
        return len(targets)

    def tick(self, force: bool = False) -> dict:
        """Settle the due order validations and move the due print jobs on."""
        delay, settled, created = self.config["ORDER_DELAY"], 0, []
        with self.store.lock:
            for order in self.store.orders.values():
                due = force or (delay is not None and time.monotonic() - order.created >= float(delay))
                if order.state == "ACCEPTED" and order.status != "REMOVED" and due:
                    self.store.settle(order, validation.async_errors(order.body, self.config["CITIES"]))
                    settled += 1
                    created += [(order, order.statuses[0])] if order.cdek_number else []
            for job in self.store.print_jobs.values():
                printing.progress(self.store, job, delay=self.config["PRINT_DELAY"],
                                  link_ttl=float(self.config["LINK_TTL"]), force=force)
        for order, status in created:
            self.notify(order, status)
        return {"orders": settled, "print_jobs": len(self.store.print_jobs)}

    def reset(self) -> None:
        self.notifier.reset()
        self.store.reset()
        self.faults.reset()

    def close(self) -> None:
        self.notifier.stop()


def _state() -> CdekSandbox:
    return current_app.extensions["cdek_sandbox"]


def token():
    """``POST /v2/oauth/token`` (form or query): client_credentials -> ``{access_token, expires_in, ...}``."""
    params = {**request.args.to_dict(), **request.form.to_dict()}
    config = _state().config
    ok = params.get("grant_type") == "client_credentials" and \
        hmac.compare_digest(str(params.get("client_id", "")).encode(), str(config["CLIENT_ID"]).encode()) and \
        hmac.compare_digest(str(params.get("client_secret", "")).encode(), str(config["CLIENT_SECRET"]).encode())
    if not ok:  # [unv] the exact body of a refused login
        return jsonify({"error": "invalid_client", "error_description": "Bad credentials"}), 401
    ttl = int(config["TOKEN_TTL"])
    return jsonify({"access_token": _state().store.issue_token(ttl), "token_type": "bearer", "expires_in": ttl,
                    "scope": "order:all payment:all", "jti": "sandbox"})


def _fault_answer(mode):
    if mode == "timeout":
        time.sleep(float(_state().config["HANG_SECONDS"]))
        mode = 504
    if mode == "lost":
        g.cdek_lose_answer = True
        return None
    return _state().problem(int(mode), [{"code": "v2_internal_error", "message": "Internal server error"}], kind="GET")


def _before():
    if not request.path.startswith("/v2/"):
        return None
    state = _state()
    with state.store.lock:
        state.store.calls[f"{request.method} {UUID_RE.sub('{uuid}', request.path)}"] += 1
    mode = state.faults.take(request.path)
    if mode is not None and (answer := _fault_answer(mode)) is not None:
        return answer
    if request.path == "/v2/oauth/token":
        return None
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or not state.store.token_valid(header[7:].strip()):
        return state.problem(401, [{"code": "v2_token_expired", "message": "Token is expired or invalid"}], kind="AUTH")
    state.tick()
    return None


def _after(response):
    if g.get("cdek_lose_answer"):
        time.sleep(float(_state().config["HANG_SECONDS"]))
    return response


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; config keys in ``DEFAULTS``, contract in the package docstring."""
    app = Flask(__name__)
    settings = {**DEFAULTS, **(config or {})}
    settings["CITIES"] = {int(code): name for code, name in dict(settings["CITIES"]).items()}
    app.config.update(settings)
    app.extensions["cdek_sandbox"] = CdekSandbox(settings, Store(int(settings["CDEK_NUMBER_START"])), Faults(),
                                                 Notifier(float(settings["WEBHOOK_TIMEOUT"])))
    app.json.ensure_ascii = False
    app.before_request(_before)
    app.after_request(_after)
    app.add_url_rule("/v2/oauth/token", "oauth_token", token, methods=["POST"])
    for blueprint in (orders.bp, printing.bp, webhooks.bp, control.bp):
        app.register_blueprint(blueprint)
    app.register_error_handler(404, lambda exc: _state().problem(404, [{"code": "v2_bad_request",
                                                                         "message": "Not found"}], kind="GET"))
    app.register_error_handler(405, lambda exc: _state().problem(405, [{"code": "v2_bad_request",
                                                                         "message": "Method not allowed"}], kind="GET"))
    return app
