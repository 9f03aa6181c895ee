"""Test controls of the Przelewy24 sandbox (no auth) and the buyer's payment page."""

from __future__ import annotations

from html import escape

from flask import Blueprint, current_app, jsonify, redirect, request

from ..controls import json_options, problem
from .store import NO_PAYMENT

bp = Blueprint("p24_control", __name__)


def sandbox():
    return current_app.extensions["p24_sandbox"]


def _pay(tx, options: dict):
    """Mark ``tx`` paid (an advance payment until verified) and queue its notification."""
    state = sandbox()
    amount = options.get("amount", tx.amount)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        return problem(400, "amount must be a positive integer (grosze)")
    with state.store.lock:
        if tx.status != NO_PAYMENT:
            return problem(409, "transaction already paid")
        state.store.pay(tx, amount, int(options.get("methodId", 25)), options.get("statement"))
    notified = state.notify_payment(tx)
    return jsonify({"sessionId": tx.session_id, "orderId": tx.order_id, "amount": amount, "notification": notified})


@bp.post("/__sandbox__/pay")
def pay():
    """``{"sessionId" | "token", "amount"?, "methodId"?, "statement"?}``: the buyer pays."""
    options = json_options()
    store = sandbox().store
    with store.lock:
        tx = store.by_session.get(options.get("sessionId")) or store.by_token.get(options.get("token"))
    if tx is None:
        return problem(404, "unknown sessionId/token")
    return _pay(tx, options)


@bp.get("/__sandbox__/notifications")
def notifications():
    """The delivery log: ``?kind=transaction|refund&key=...&bodies=1``."""
    entries = sandbox().notifier.log(key=request.args.get("key"), kind=request.args.get("kind"),
                                     bodies=request.args.get("bodies") == "1")
    return jsonify({"notifications": entries, "pending": sandbox().notifier.pending()})


@bp.post("/__sandbox__/flush")
def flush():
    """``{"timeout": 30, "fast_forward": false}``: wait until no notification is pending."""
    options = json_options()
    notifier = sandbox().notifier
    done = notifier.flush(float(options.get("timeout", 30)), fast_forward=bool(options.get("fast_forward")))
    response = jsonify({"flushed": done, "pending": notifier.pending()})
    response.status_code = 200 if done else 504
    return response


@bp.post("/__sandbox__/delay")
def delay():
    """``{"seconds": 2.0, "path": "/api/v1/..."}``: slow API answers down (0 clears)."""
    options = json_options()
    sandbox().faults.set_delay(float(options.get("seconds", 0)), str(options.get("path") or ""))
    return jsonify({"delay": sandbox().faults.delay})


@bp.post("/__sandbox__/fail")
def fail():
    """``{"status": 503, "count": 1, "retry_after": null}``: the next API requests fail."""
    options = json_options()
    queued = sandbox().faults.add_failures(int(options.get("status", 500)), int(options.get("count", 1)),
                                           options.get("retry_after"))
    return jsonify({"queued_faults": queued})


@bp.post("/__sandbox__/reset")
def reset():
    sandbox().reset()
    return jsonify({"ok": True})


@bp.get("/__sandbox__/transactions")
def transactions():
    """Every transaction as ``by/sessionId`` shows it, plus its refunds."""
    store = sandbox().store
    with store.lock:
        listed = [{**tx.as_found(), "urlStatus": tx.url_status, "refunds": [r.as_listed() for r in tx.refunds]}
                  for tx in store.by_session.values()]
    return jsonify({"transactions": listed})


@bp.route("/trnRequest/<token>", methods=["GET", "POST"])
def payment_page(token: str):
    """What the buyer sees: a button that pays, then back to urlReturn."""
    store = sandbox().store
    with store.lock:
        tx = store.by_token.get(token)
    if tx is None:
        return "<h1>Przelewy24 sandbox</h1><p>Unknown transaction.</p>", 404
    if request.method == "POST":
        answer = _pay(tx, {})
        return redirect(tx.url_return) if answer.status_code == 200 else answer
    return (f"<h1>Przelewy24 sandbox</h1><p>{escape(tx.description)}: {tx.amount / 100:.2f} {escape(tx.currency)}"
            f"</p><form method='post'><button>Zapłać</button></form>")
