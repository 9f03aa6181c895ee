"""Flask application factory of the Przelewy24 sandbox, its state and its notifications."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request

from . import api, control
from .faults import Faults
from .notifier import Notifier
from .signing import p24_sign, php_json
from .store import PAID, REFUND_COMPLETED, RETURNED, Refund, Store, Transaction

#: Re-sends after 3, 5, 15, 30, 60, 150 and 450 minutes (from the first attempt) until verified.
RETRY_MINUTES = (3, 5, 15, 30, 60, 150, 450)

DEFAULTS: dict[str, Any] = {
    "MERCHANT_ID": 12345,
    "POS_ID": 12345,
    "API_KEY": "sandbox-api-key",
    "CRC": "sandbox-crc",
    "TIME_SCALE": 1.0,             # real seconds per schedule second; 0.001 makes a minute 60 ms
    "RETRY_MINUTES": RETRY_MINUTES,
    "REFUND_DELAY_MINUTES": 1.0,   # time until a refund completes and is notified
    "REFUND_URL_STATUS": None,     # the panel's default refund urlStatus
    "NOTIFY_TIMEOUT": 10.0,        # seconds per notification POST
    "DELAY": 0.0,                  # seconds every API request waits before being handled
    "ORDER_ID_START": 5_000_000_001,  # orderIds beyond 32 bits, as P24 warns
}


@dataclass
class P24Sandbox:
    """Everything one app owns, in ``app.extensions["p24_sandbox"]``."""

    config: dict[str, Any]
    store: Store
    notifier: Notifier
    faults: Faults

    def notify_payment(self, tx: Transaction) -> bool:
        """Queue the signed transaction notification to the transaction's urlStatus (if any)."""
        if not tx.url_status:
            return False
        payload = {"merchantId": tx.merchant_id, "posId": tx.pos_id, "sessionId": tx.session_id,
                   "amount": tx.paid_amount, "originAmount": tx.amount, "currency": tx.currency,
                   "orderId": tx.order_id, "methodId": tx.method_id, "statement": tx.statement}
        payload["sign"] = p24_sign("notification", payload, self.config["CRC"])
        body = php_json(payload)
        self.notifier.schedule(key=f"transaction:{tx.session_id}", kind="transaction", url=tx.url_status,
                               build=lambda: (body, {"Content-Type": "application/json"}),
                               offsets_minutes=(0, *self.config["RETRY_MINUTES"]))
        return True

    def notify_refund(self, tx: Transaction, refund: Refund) -> None:
        """Complete ``refund`` after REFUND_DELAY_MINUTES and notify its urlStatus (or the panel's).

        [unv] P24 documents no retry rule for refund notifications; the sandbox re-sends on the
        transaction schedule until HTTP 200.
        """
        url = refund.url_status or self.config["REFUND_URL_STATUS"]
        if not url:
            self._complete_refund(tx, refund)
            return
        self.notifier.schedule(key=f"refund:{refund.request_id}:{refund.order_id}", kind="refund", url=url,
                               build=lambda: self._refund_notification(tx, refund),
                               offsets_minutes=(0, *self.config["RETRY_MINUTES"]), ack=frozenset({200}),
                               delay_minutes=float(self.config["REFUND_DELAY_MINUTES"]))

    def _complete_refund(self, tx: Transaction, refund: Refund) -> None:
        with self.store.lock:
            refund.status = REFUND_COMPLETED
            if tx.status == PAID and tx.refundable() == 0 and all(r.status == REFUND_COMPLETED for r in tx.refunds):
                tx.status = RETURNED

    def _refund_notification(self, tx: Transaction, refund: Refund) -> tuple[bytes, dict[str, str]]:
        self._complete_refund(tx, refund)
        payload = {"orderId": refund.order_id, "sessionId": refund.session_id, "merchantId": tx.merchant_id,
                   "requestId": refund.request_id, "refundsUuid": refund.refunds_uuid, "amount": refund.amount,
                   "currency": tx.currency, "timestamp": int(time.time()), "status": 0}
        payload["sign"] = p24_sign("refund_notification", payload, self.config["CRC"])
        return php_json(payload), {"Content-Type": "application/json"}

    def reset(self) -> None:
        with self.store.lock:
            self.store.reset()
        self.notifier.reset()
        self.faults.reset()

    def close(self) -> None:
        """Stop the notifier thread."""
        self.notifier.stop()


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _authorised(config: dict[str, Any]) -> bool:
    """Basic auth: user = posId, password = the API (reports) key."""
    credentials = _basic_credentials()
    if credentials is None:
        return False
    user_ok = hmac.compare_digest(credentials[0].encode(), str(config["POS_ID"]).encode())
    return hmac.compare_digest(credentials[1].encode(), str(config["API_KEY"]).encode()) and user_ok


def _guard_api():
    """Faults first (a slow or failing gateway), then authentication, for ``/api/`` only."""
    if not request.path.startswith("/api/"):
        return None
    state = _state()
    failure = state.faults.apply(request.path, lambda status: {"error": _fault_message(status), "code": status})
    if failure is not None:
        return failure
    if not _authorised(state.config):
        return api.error(401, "Incorrect authentication")
    return None


def _fault_message(status: int) -> str:
    return "Too many requests" if status == 429 else "Unknown error" if status >= 500 else "Invalid input data"


def _state() -> P24Sandbox:
    return current_app.extensions["p24_sandbox"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The sandbox app; see the package docstring for config keys and control endpoints."""
    app = Flask(__name__)
    settings = {**DEFAULTS, **(config or {})}
    app.config.update(settings)
    app.extensions["p24_sandbox"] = P24Sandbox(
        settings, Store(int(settings["ORDER_ID_START"])),
        Notifier(time_scale=float(settings["TIME_SCALE"]), timeout=float(settings["NOTIFY_TIMEOUT"])),
        Faults(float(settings["DELAY"])))
    app.before_request(_guard_api)
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)
    app.register_error_handler(404, lambda exc: api.error(404, "Not found"))
    app.register_error_handler(405, lambda exc: api.error(405, "Method not allowed"))
    return app
