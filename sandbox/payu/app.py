"""Flask application factory of the PayU sandbox, its state and its notifications."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, jsonify, request

# The notifier and fault injection are shared with the Przelewy24 sandbox (generic code).
from sandbox.przelewy24.faults import Faults
from sandbox.przelewy24.notifier import Notifier

from . import api, control
from .signing import notification_headers
from .store import STATUS_RANK, Order, Refund, Store, payu_time

#: Attempt 1 at once, then 1, 2, 5, 10, 30 min, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 36, 48, 60, 72 h
#: after it: 20 attempts over 72 h, until answered HTTP 200.
RETRY_MINUTES = (1, 2, 5, 10, 30, *(hours * 60 for hours in (1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 36, 48, 60, 72)))

DEFAULTS: dict[str, Any] = {
    "POS_ID": "300746",
    "CLIENT_ID": None,              # defaults to POS_ID, as on a real POS
    "CLIENT_SECRET": "sandbox-client-secret",
    "SECOND_KEY": "sandbox-second-key",
    "SIGNATURE_ALGORITHM": "SHA-256",  # or MD5, which many real POS still use
    "TOKEN_TTL": 43199,
    "AUTO_RECEIVE": True,           # False: paid orders wait in WAITING_FOR_CONFIRMATION for a capture
    "TIME_SCALE": 1.0,              # real seconds per schedule second
    "RETRY_MINUTES": RETRY_MINUTES,
    "REFUND_DELAY_MINUTES": 1.0,    # PENDING -> FINALIZED
    "NOTIFY_TIMEOUT": 10.0,
    "DELAY": 0.0,                   # seconds every API request waits before being handled
}


def _compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class PayUSandbox:
    """Everything one app owns, in ``app.extensions["payu_sandbox"]``."""

    config: dict[str, Any]
    store: Store
    notifier: Notifier
    faults: Faults

    def move(self, order: Order, status: str) -> bool:
        """Change the status if it moves up the ladder; False when nothing changed."""
        if order.status == status or STATUS_RANK[order.status] >= 3 or STATUS_RANK[status] < STATUS_RANK[order.status]:
            return False
        order.status = status
        return True

    def _signed(self, payload: dict) -> tuple[bytes, dict[str, str]]:
        body = _compact(payload)
        return body, notification_headers(body, str(self.config["SECOND_KEY"]), self.config["SIGNATURE_ALGORITHM"])

    def notify_order(self, order: Order) -> None:
        """Queue the notification of the order's current status (a snapshot: one per change)."""
        if not order.notify_url:
            return
        with self.store.lock:
            payload: dict[str, Any] = {"order": order.as_json()}
            if order.status == "COMPLETED":
                payload["localReceiptDateTime"] = payu_time()
            if order.payment_id:
                payload["properties"] = [{"name": "PAYMENT_ID", "value": order.payment_id}]
        signed = self._signed(payload)
        self.notifier.schedule(key=f"order:{order.order_id}:{order.status}", kind="order", url=order.notify_url,
                               build=lambda: signed, offsets_minutes=(0, *self.config["RETRY_MINUTES"]),
                               ack=frozenset({200}))

    def notify_refund(self, order: Order, refund: Refund) -> None:
        """Finalize ``refund`` after REFUND_DELAY_MINUTES and notify the order's notifyUrl."""
        if not order.notify_url:
            self._finalize(refund)
            return
        self.notifier.schedule(key=f"refund:{refund.refund_id}", kind="refund", url=order.notify_url,
                               build=lambda: self._refund_notification(order, refund),
                               offsets_minutes=(0, *self.config["RETRY_MINUTES"]), ack=frozenset({200}),
                               delay_minutes=float(self.config["REFUND_DELAY_MINUTES"]))

    def _finalize(self, refund: Refund) -> None:
        with self.store.lock:
            refund.status, refund.status_time = "FINALIZED", payu_time()

    def _refund_notification(self, order: Order, refund: Refund) -> tuple[bytes, dict[str, str]]:
        self._finalize(refund)
        return self._signed({"orderId": order.order_id, "extOrderId": order.ext_order_id, "refund": {
            "refundId": refund.refund_id, "amount": str(refund.amount), "currencyCode": refund.currency,
            "status": refund.status, "statusDateTime": refund.status_time, "reason": "refund",
            "reasonDescription": refund.description, "refundDate": refund.status_time}})

    def reset(self) -> None:
        with self.store.lock:
            self.store.reset()
        self.notifier.reset()
        self.faults.reset()

    def close(self) -> None:
        """Stop the notifier thread."""
        self.notifier.stop()


def _state() -> PayUSandbox:
    return current_app.extensions["payu_sandbox"]


def _unauthorized():
    response = jsonify({"status": {"statusCode": "UNAUTHORIZED", "code": "401",
                                   "codeLiteral": "INVALID_OR_MISSING_ACCESS_TOKEN",
                                   "statusDesc": "Incorrect authentication"}})
    response.status_code = 401
    return response


def _fault_body(status: int) -> dict:
    code = "ERROR_TOO_MANY_REQUESTS" if status == 429 else "GENERAL_ERROR" if status >= 500 else "ERROR_VALUE_INVALID"
    return {"status": {"statusCode": code, "statusDesc": "Injected sandbox failure"}}


def _bearer_ok(state: PayUSandbox) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return False
    token = header[7:].strip()
    with state.store.lock:
        known = next((t for t in state.store.tokens if hmac.compare_digest(t.encode(), token.encode())), None)
        return known is not None and state.store.token_valid(known)


def _guard_api():
    """Faults first, then the bearer token, for the API and the OAuth endpoint."""
    is_api = request.path.startswith("/api/")
    if not is_api and not request.path.startswith("/pl/standard/user/oauth/"):
        return None
    state = _state()
    failure = state.faults.apply(request.path, _fault_body)
    if failure is not None:
        return failure
    if is_api and not _bearer_ok(state):
        return _unauthorized()
    return None


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; see the package docstring for config keys and control endpoints."""
    app = Flask(__name__)
    settings = {**DEFAULTS, **(config or {})}
    settings["CLIENT_ID"] = str(settings["CLIENT_ID"] or settings["POS_ID"])
    app.config.update(settings)
    app.extensions["payu_sandbox"] = PayUSandbox(
        settings, Store(),
        Notifier(time_scale=float(settings["TIME_SCALE"]), timeout=float(settings["NOTIFY_TIMEOUT"])),
        Faults(float(settings["DELAY"])))
    app.before_request(_guard_api)
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)
    app.register_error_handler(404, lambda exc: api.not_found())
    app.register_error_handler(405, lambda exc: api.status_error(405, "ERROR_SYNTAX", "Method not allowed"))
    return app
