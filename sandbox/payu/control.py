"""Test controls of the PayU sandbox (no auth) and the buyer's payment page."""

from __future__ import annotations

from html import escape

from flask import Blueprint, current_app, jsonify, redirect, request

from ..controls import json_options, problem

bp = Blueprint("payu_control", __name__)
OUTCOMES = ("COMPLETED", "CANCELED")


def sandbox():
    return current_app.extensions["payu_sandbox"]


def _find(options: dict):
    store = sandbox().store
    with store.lock:
        order_id = options.get("orderId") or store.ext_ids.get((str(sandbox().config["POS_ID"]),
                                                                 str(options.get("extOrderId"))))
        return store.orders.get(order_id)


def _pay(order, outcome: str) -> list[str]:
    """NEW -> PENDING -> COMPLETED (or WAITING_FOR_CONFIRMATION without auto-receive) / CANCELED,
    one notification per status."""
    state = sandbox()
    final = outcome
    if outcome == "COMPLETED" and not state.config["AUTO_RECEIVE"]:
        final = "WAITING_FOR_CONFIRMATION"
    statuses = []
    for status in ("PENDING", final):
        with state.store.lock:
            if status != "PENDING" and outcome == "COMPLETED":
                order.payment_id = order.payment_id or state.store.new_payment_id()
            changed = state.move(order, status)
        if changed:
            state.notify_order(order)
            statuses.append(status)
    return statuses


@bp.post("/__sandbox__/pay")
def pay():
    """``{"orderId" | "extOrderId", "outcome": "COMPLETED" | "CANCELED"}``: the buyer pays (or gives up)."""
    options = json_options()
    outcome = str(options.get("outcome", "COMPLETED"))
    if outcome not in OUTCOMES:
        return problem(400, f"outcome must be one of {', '.join(OUTCOMES)}")
    order = _find(options)
    if order is None:
        return problem(404, "unknown orderId/extOrderId")
    if order.status != "NEW":
        return problem(409, f"order is {order.status}")
    return jsonify({"orderId": order.order_id, "statuses": _pay(order, outcome)})


@bp.get("/__sandbox__/notifications")
def notifications():
    """The delivery log: ``?kind=order|refund&key=...&bodies=1``."""
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
    options = json_options()
    sandbox().faults.set_delay(float(options.get("seconds", 0)), str(options.get("path") or ""))
    return jsonify({"delay": sandbox().faults.delay})


@bp.post("/__sandbox__/fail")
def fail():
    options = json_options()
    queued = sandbox().faults.add_failures(int(options.get("status", 500)), int(options.get("count", 1)),
                                           options.get("retry_after"))
    return jsonify({"queued_faults": queued})


@bp.post("/__sandbox__/revoke_tokens")
def revoke_tokens():
    """Invalidate every issued access token (the next API call with one gets 401)."""
    with sandbox().store.lock:
        count = len(sandbox().store.tokens)
        sandbox().store.tokens.clear()
    return jsonify({"revoked": count})


@bp.post("/__sandbox__/reset")
def reset():
    sandbox().reset()
    return jsonify({"ok": True})


@bp.route("/pay/", methods=["GET", "POST"])
def payment_page():
    """What the buyer sees at redirectUri: a button that pays, then back to continueUrl."""
    order = _find({"orderId": request.args.get("orderId")})
    if order is None:
        return "<h1>PayU sandbox</h1><p>Unknown order.</p>", 404
    if request.method == "POST":
        if order.status == "NEW":
            _pay(order, "COMPLETED")
        return redirect(order.continue_url) if order.continue_url else ("<p>Paid.</p>", 200)
    return (f"<h1>PayU sandbox</h1><p>{escape(order.description)}: {order.total_amount / 100:.2f} "
            f"{escape(order.currency)}</p><form method='post'><button>Zapłać</button></form>")
